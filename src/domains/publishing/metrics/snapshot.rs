//! All-time snapshots: totals, jobs by status and platform, publish logs by status, campaigns
//! by status, and the orchestrator's recent actions. Each is one grouped query.

use super::{PublishingQuery, rolled};
use crate::domains::publishing::entity::{
    PubCampaigns as K, PubClips as C, PubJobs as J, PubPublishLogs as L, PubVideos as V,
};
use crate::kernel::AppResult;
use crate::kernel::sql::{count_if, get, rows_as, sum_f64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoTableRef, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use std::collections::BTreeMap;

/// Rows of the team's videos, clips and campaigns.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    FromQueryResult,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Totals {
    pub videos: i64,
    pub clips: i64,
    pub campaigns: i64,
}

/// `(SELECT COUNT(*) FROM <table> WHERE <team>)`.
fn count(table: impl IntoTableRef, team_col: Expr, team: i64) -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(table)
                .and_where(team_col.eq(team))
                .to_owned()
                .into(),
        ),
    )
}

/// Videos, clips and campaigns: three counts in one statement.
pub async fn totals(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<Totals> {
    let team = q.team();
    let stmt = Query::select()
        .expr_as(
            count(V::Table, Expr::col(V::TeamId), team),
            Alias::new("videos"),
        )
        .expr_as(
            count(C::Table, Expr::col(C::TeamId), team),
            Alias::new("clips"),
        )
        .expr_as(
            count(K::Table, Expr::col(K::TeamId), team),
            Alias::new("campaigns"),
        )
        .to_owned();
    Ok(rows_as::<Totals>(db, &stmt)
        .await?
        .pop()
        .unwrap_or_default())
}

/// Jobs per (status, platform); platform `None` for jobs without one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobStats(pub BTreeMap<(String, Option<String>), i64>);

impl JobStats {
    /// Jobs in `status` (any platform).
    pub fn with_status(&self, status: &str) -> i64 {
        self.0
            .iter()
            .filter(|((s, _), _)| s == status)
            .map(|(_, n)| n)
            .sum()
    }
    /// Jobs in `status` on `platform`.
    pub fn on(&self, status: &str, platform: &str) -> i64 {
        let key = (status.to_string(), Some(platform.to_string()));
        self.0.get(&key).copied().unwrap_or(0)
    }
    pub fn total(&self) -> i64 {
        self.0.values().sum()
    }
}

/// Jobs of one status and platform, as read.
#[derive(FromQueryResult)]
struct JobGroup {
    status: String,
    platform: Option<String>,
    n: i64,
}

pub async fn job_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<JobStats> {
    if q.rollups {
        return rolled::job_stats(db, q).await;
    }
    let stmt = Query::select()
        .expr_as(Expr::col((J::Table, J::Status)), Alias::new("status"))
        .expr_as(Expr::col((J::Table, J::Platform)), Alias::new("platform"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(J::Table)
        .cond_where(q.jobs())
        .group_by_col((J::Table, J::Status))
        .group_by_col((J::Table, J::Platform))
        .to_owned();
    let rows = rows_as::<JobGroup>(db, &stmt).await?;
    Ok(JobStats(
        rows.into_iter()
            .map(|r| ((r.status, r.platform), r.n))
            .collect(),
    ))
}

/// Publish logs of one status.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusLogs {
    pub count: i64,
    /// Earliest `requested_at` (ms).
    pub first_requested_ms: Option<i64>,
    /// Σ (`published_at − requested_at`) over logs with both, and how many.
    pub processing_ms: f64,
    pub processed: i64,
    /// Latest `created_at` (ms).
    pub last_created_ms: Option<i64>,
    /// Distinct non-null social accounts.
    pub accounts: i64,
}

/// Publish logs per status.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogStats(pub BTreeMap<String, StatusLogs>);

impl LogStats {
    pub fn status(&self, status: &str) -> StatusLogs {
        self.0.get(status).copied().unwrap_or_default()
    }
    pub fn total(&self) -> i64 {
        self.0.values().map(|s| s.count).sum()
    }
    pub fn last_created_ms(&self) -> Option<i64> {
        self.0.values().filter_map(|s| s.last_created_ms).max()
    }
}

/// Publish logs of one status, as read.
#[derive(FromQueryResult)]
struct StatusGroup {
    status: String,
    count: i64,
    first_requested_ms: Option<i64>,
    processing_ms: Option<f64>,
    processed: i64,
    last_created_ms: Option<i64>,
    accounts: i64,
}

pub async fn log_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<LogStats> {
    if q.rollups {
        return rolled::log_stats(db, q).await;
    }
    let published = Expr::col((L::Table, L::PublishedAtMs));
    let processing = published
        .clone()
        .sub(Expr::col((L::Table, L::RequestedAtMs)));
    let stmt = Query::select()
        .expr_as(Expr::col((L::Table, L::Status)), Alias::new("status"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .expr_as(
            Expr::col((L::Table, L::RequestedAtMs)).min(),
            Alias::new("first_requested_ms"),
        )
        .expr_as(
            processing.sum().cast_as(Alias::new("DOUBLE PRECISION")),
            Alias::new("processing_ms"),
        )
        .expr_as(published.count(), Alias::new("processed"))
        .expr_as(
            Expr::col((L::Table, L::CreatedAtMs)).max(),
            Alias::new("last_created_ms"),
        )
        .expr_as(
            Expr::col((L::Table, L::SocialAccountId)).count_distinct(),
            Alias::new("accounts"),
        )
        .from(L::Table)
        .cond_where(q.logs())
        .group_by_col((L::Table, L::Status))
        .to_owned();
    let rows = rows_as::<StatusGroup>(db, &stmt).await?;
    Ok(LogStats(
        rows.into_iter()
            .map(|r| {
                let logs = StatusLogs {
                    count: r.count,
                    first_requested_ms: r.first_requested_ms,
                    processing_ms: r.processing_ms.unwrap_or(0.0),
                    processed: r.processed,
                    last_created_ms: r.last_created_ms,
                    accounts: r.accounts,
                };
                (r.status, logs)
            })
            .collect(),
    ))
}

/// Logs created in `[now − 1 h, now]` and in `[now − 24 h, now]` (both ends inclusive).
pub async fn actions_since(
    db: &DatabaseConnection,
    q: &PublishingQuery,
    now_ms: i64,
) -> AppResult<(i64, i64)> {
    let created = || Expr::col((L::Table, L::CreatedAtMs));
    let within = |ms: i64| created().gte(now_ms - ms).and(created().lte(now_ms));
    let stmt = Query::select()
        .expr(count_if(within(3_600_000)))
        .expr(count_if(within(86_400_000)))
        .from(L::Table)
        .cond_where(q.logs())
        // Only the last day's logs are read (the time index), not the team's history.
        .and_where(within(86_400_000))
        .to_owned();
    let Some(row) = db.query_one(&stmt).await? else {
        return Ok((0, 0));
    };
    Ok((
        get::<Option<i64>>(&row, 0)?.unwrap_or(0),
        get::<Option<i64>>(&row, 1)?.unwrap_or(0),
    ))
}

/// Campaigns per status with Σ budget and Σ spent.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CampaignStats(pub BTreeMap<String, (i64, f64, f64)>);

impl CampaignStats {
    pub fn count(&self, status: &str) -> i64 {
        self.0.get(status).map(|s| s.0).unwrap_or(0)
    }
    pub fn budget(&self) -> f64 {
        self.0.values().map(|s| s.1).sum()
    }
    pub fn spent(&self) -> f64 {
        self.0.values().map(|s| s.2).sum()
    }
}

pub async fn campaign_stats(
    db: &DatabaseConnection,
    q: &PublishingQuery,
) -> AppResult<CampaignStats> {
    let stmt = Query::select()
        .column((K::Table, K::Status))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .expr_as(
            sum_f64(Expr::col((K::Table, K::Budget))),
            Alias::new("budget"),
        )
        .expr_as(
            sum_f64(Expr::col((K::Table, K::Spent))),
            Alias::new("spent"),
        )
        .from(K::Table)
        .and_where(Expr::col((K::Table, K::TeamId)).eq(q.team()))
        .group_by_col((K::Table, K::Status))
        .to_owned();
    #[derive(FromQueryResult)]
    struct Campaigns {
        status: String,
        n: i64,
        budget: Option<f64>,
        spent: Option<f64>,
    }
    let rows = rows_as::<Campaigns>(db, &stmt).await?;
    Ok(CampaignStats(
        rows.into_iter()
            .map(|c| {
                let sums = (c.n, c.budget.unwrap_or(0.0), c.spent.unwrap_or(0.0));
                (c.status, sums)
            })
            .collect(),
    ))
}

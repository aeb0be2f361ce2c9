//! All-time snapshots: totals, jobs by status and platform, publish logs by status, campaigns
//! by status, and the orchestrator's recent actions. Each is one grouped query.

use super::PublishingQuery;
use crate::domains::publishing::entity::{
    PubCampaigns as K, PubClips as C, PubJobs as J, PubPublishLogs as L, PubVideos as V,
};
use crate::kernel::AppResult;
use crate::kernel::sql::{count_if, get};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoTableRef, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::BTreeMap;

/// Rows of the team's videos, clips and campaigns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub videos: i64,
    pub clips: i64,
    pub campaigns: i64,
}

fn count(table: impl IntoTableRef, team_col: Expr, team: i64) -> SelectStatement {
    Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(table)
        .and_where(team_col.eq(team))
        .to_owned()
}

/// Videos, clips and campaigns (three counts, run concurrently).
pub async fn totals(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<Totals> {
    let team = q.team();
    let one = |stmt: SelectStatement| async move {
        let row = db.query_one(&stmt).await?;
        Ok::<i64, crate::kernel::AppError>(match row {
            Some(row) => get(&row, 0)?,
            None => 0,
        })
    };
    let (videos, clips, campaigns) = tokio::try_join!(
        one(count(V::Table, Expr::col(V::TeamId), team)),
        one(count(C::Table, Expr::col(C::TeamId), team)),
        one(count(K::Table, Expr::col(K::TeamId), team)),
    )?;
    Ok(Totals {
        videos,
        clips,
        campaigns,
    })
}

/// Jobs per (status, platform); platform `None` for jobs without one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

pub async fn job_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<JobStats> {
    let stmt = Query::select()
        .columns([(J::Table, J::Status), (J::Table, J::Platform)])
        .expr(Expr::cust("COUNT(*)"))
        .from(J::Table)
        .cond_where(q.jobs())
        .group_by_col((J::Table, J::Status))
        .group_by_col((J::Table, J::Platform))
        .to_owned();
    let mut out = BTreeMap::new();
    for row in db.query_all(&stmt).await? {
        out.insert((get(&row, 0)?, get(&row, 1)?), get(&row, 2)?);
    }
    Ok(JobStats(out))
}

/// Publish logs of one status.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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
#[derive(Debug, Clone, Default, PartialEq)]
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

pub async fn log_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<LogStats> {
    let published = Expr::col((L::Table, L::PublishedAtMs));
    let processing = published
        .clone()
        .sub(Expr::col((L::Table, L::RequestedAtMs)));
    let stmt = Query::select()
        .column((L::Table, L::Status))
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::col((L::Table, L::RequestedAtMs)).min())
        .expr(processing.sum().cast_as(Alias::new("DOUBLE PRECISION")))
        .expr(published.count())
        .expr(Expr::col((L::Table, L::CreatedAtMs)).max())
        .expr(Expr::col((L::Table, L::SocialAccountId)).count_distinct())
        .from(L::Table)
        .cond_where(q.logs())
        .group_by_col((L::Table, L::Status))
        .to_owned();
    let mut out = BTreeMap::new();
    for row in db.query_all(&stmt).await? {
        out.insert(
            get::<String>(&row, 0)?,
            StatusLogs {
                count: get(&row, 1)?,
                first_requested_ms: get(&row, 2)?,
                processing_ms: get::<Option<f64>>(&row, 3)?.unwrap_or(0.0),
                processed: get(&row, 4)?,
                last_created_ms: get(&row, 5)?,
                accounts: get(&row, 6)?,
            },
        );
    }
    Ok(LogStats(out))
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
#[derive(Debug, Clone, Default, PartialEq)]
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
        .expr(Expr::cust("COUNT(*)"))
        .expr(
            Expr::col((K::Table, K::Budget))
                .sum()
                .cast_as(Alias::new("DOUBLE PRECISION")),
        )
        .expr(
            Expr::col((K::Table, K::Spent))
                .sum()
                .cast_as(Alias::new("DOUBLE PRECISION")),
        )
        .from(K::Table)
        .and_where(Expr::col((K::Table, K::TeamId)).eq(q.team()))
        .group_by_col((K::Table, K::Status))
        .to_owned();
    let mut out = BTreeMap::new();
    for row in db.query_all(&stmt).await? {
        out.insert(
            get::<String>(&row, 0)?,
            (
                get(&row, 1)?,
                get::<Option<f64>>(&row, 2)?.unwrap_or(0.0),
                get::<Option<f64>>(&row, 3)?.unwrap_or(0.0),
            ),
        );
    }
    Ok(CampaignStats(out))
}

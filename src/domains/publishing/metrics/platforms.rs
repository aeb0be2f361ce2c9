//! One row per platform: the three named ones always, plus every platform present in the
//! publish logs or jobs (never lumped into "other").

use super::{JobStats, PublishingQuery};
use crate::domains::publishing::entity::{PubClips as C, PubPublishLogs as L};
use crate::kernel::AppResult;
use crate::kernel::sql::{avg_f64, rows_as};
use async_graphql::SimpleObject;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::BTreeMap;

/// Platforms every dashboard shows, with zeros when unused.
pub const NAMED_PLATFORMS: [&str; 3] = ["instagram", "tiktok", "youtube"];

/// One platform's pipeline state.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct PlatformRow {
    pub platform: String,
    /// Distinct clips with a `pending` or `scheduled` log on this platform.
    pub clips_ready: i64,
    /// Distinct clips with a `success` log on this platform.
    pub clips_published: i64,
    /// Mean `visual_score` of the clips of this platform's logs (a clip with two logs counts
    /// twice; null scores ignored); null when none.
    pub avg_score: Option<f64>,
    /// Jobs on this platform in status `completed`.
    pub jobs_completed: i64,
    /// Jobs on this platform in status `failed`.
    pub jobs_failed: i64,
}

/// One platform's publish logs, as read.
#[derive(FromQueryResult)]
struct PlatformLogs {
    platform: String,
    ready: i64,
    published: i64,
    avg_score: Option<f64>,
}

/// Rows ordered by platform name.
pub async fn platforms(
    db: &DatabaseConnection,
    q: &PublishingQuery,
    jobs: &JobStats,
) -> AppResult<Vec<PlatformRow>> {
    let status = || Expr::col((L::Table, L::Status));
    let clip = || Expr::col((L::Table, L::ClipId));
    let ready = Expr::case(status().is_in(["pending", "scheduled"]), clip());
    let published = Expr::case(status().eq("success"), clip());
    // Each log has one clip: the join never multiplies logs.
    let stmt = Query::select()
        .expr_as(Expr::col((L::Table, L::Platform)), Alias::new("platform"))
        .expr_as(Expr::expr(ready).count_distinct(), Alias::new("ready"))
        .expr_as(
            Expr::expr(published).count_distinct(),
            Alias::new("published"),
        )
        .expr_as(
            avg_f64(Expr::col((C::Table, C::VisualScore))),
            Alias::new("avg_score"),
        )
        .from(L::Table)
        .left_join(
            C::Table,
            Expr::col((C::Table, C::TeamId))
                .equals((L::Table, L::TeamId))
                .and(Expr::col((C::Table, C::Id)).equals((L::Table, L::ClipId))),
        )
        .cond_where(q.logs())
        .group_by_col((L::Table, L::Platform))
        .to_owned();
    let mut rows: BTreeMap<String, PlatformRow> = BTreeMap::new();
    let empty = |platform: &str| PlatformRow {
        platform: platform.to_string(),
        clips_ready: 0,
        clips_published: 0,
        avg_score: None,
        jobs_completed: jobs.on("completed", platform),
        jobs_failed: jobs.on("failed", platform),
    };
    for p in NAMED_PLATFORMS {
        if q.filter.allows(p) {
            rows.insert(p.to_string(), empty(p));
        }
    }
    for ((_, platform), _) in jobs.0.iter() {
        if let Some(p) = platform {
            rows.entry(p.clone()).or_insert_with(|| empty(p));
        }
    }
    for row in rows_as::<PlatformLogs>(db, &stmt).await? {
        let entry = rows
            .entry(row.platform.clone())
            .or_insert_with(|| empty(&row.platform));
        entry.clips_ready = row.ready;
        entry.clips_published = row.published;
        entry.avg_score = row.avg_score;
    }
    Ok(rows.into_values().collect())
}

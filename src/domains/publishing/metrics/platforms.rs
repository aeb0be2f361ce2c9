//! One row per platform: the three named ones always, plus every platform present in the
//! publish logs or jobs (never lumped into "other").

use super::{JobStats, PublishingQuery};
use crate::domains::publishing::entity::{PubClips as C, PubPublishLogs as L};
use crate::kernel::AppResult;
use crate::kernel::sql::{avg_f64, rows_as};
use async_graphql::SimpleObject;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::BTreeMap;

/// Platforms every dashboard shows, with zeros when unused.
pub const NAMED_PLATFORMS: [&str; 3] = ["instagram", "tiktok", "youtube"];

/// One platform's pipeline state.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// One platform's figure, as read.
#[derive(FromQueryResult)]
struct PlatformCount {
    platform: String,
    n: i64,
}

/// One platform's mean clip score, as read.
#[derive(FromQueryResult)]
struct PlatformScore {
    platform: String,
    avg_score: Option<f64>,
}

/// `SELECT platform, COUNT(*) AS n FROM (SELECT DISTINCT platform, clip_id FROM <the
/// filtered logs in statuses>) GROUP BY platform`: distinct clips per platform, hashed as pairs
/// (much cheaper than `COUNT(DISTINCT …)` per platform over every log).
fn distinct_clips(q: &PublishingQuery, statuses: &[&str]) -> SelectStatement {
    let pairs = Query::select()
        .distinct()
        .expr_as(Expr::col((L::Table, L::Platform)), Alias::new("platform"))
        .expr_as(Expr::col((L::Table, L::ClipId)), Alias::new("clip"))
        .from(L::Table)
        .cond_where(q.logs())
        .and_where(Expr::col((L::Table, L::Status)).is_in(statuses.iter().copied()))
        .to_owned();
    Query::select()
        .column(Alias::new("platform"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(pairs, Alias::new("d"))
        .group_by_col(Alias::new("platform"))
        .to_owned()
}

/// Rows ordered by platform name.
pub async fn platforms(
    db: &DatabaseConnection,
    q: &PublishingQuery,
    jobs: &JobStats,
) -> AppResult<Vec<PlatformRow>> {
    let mut rows = named_and_job_platforms(q, jobs);
    if q.rollups {
        for t in super::rolled::platform_tallies(db, q).await? {
            let r = row(&mut rows, &t.key, jobs);
            r.avg_score = t.avg_score();
            r.clips_ready = t.clips_ready;
            r.clips_published = t.clips_published;
        }
        return Ok(rows.into_values().collect());
    }
    // Each log has one clip: the join never multiplies logs.
    let scores = Query::select()
        .expr_as(Expr::col((L::Table, L::Platform)), Alias::new("platform"))
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
    let (ready, published) = (
        distinct_clips(q, &["pending", "scheduled"]),
        distinct_clips(q, &["success"]),
    );
    // Three statements, run concurrently (one would keep one core busy for all three).
    let (ready, published, scores) = tokio::try_join!(
        rows_as::<PlatformCount>(db, &ready),
        rows_as::<PlatformCount>(db, &published),
        rows_as::<PlatformScore>(db, &scores)
    )?;
    for r in scores {
        row(&mut rows, &r.platform, jobs).avg_score = r.avg_score;
    }
    for r in ready {
        row(&mut rows, &r.platform, jobs).clips_ready = r.n;
    }
    for r in published {
        row(&mut rows, &r.platform, jobs).clips_published = r.n;
    }
    Ok(rows.into_values().collect())
}

/// A platform's row with no figures from logs yet: its jobs only.
fn empty(platform: &str, jobs: &JobStats) -> PlatformRow {
    PlatformRow {
        platform: platform.to_string(),
        clips_ready: 0,
        clips_published: 0,
        avg_score: None,
        jobs_completed: jobs.on("completed", platform),
        jobs_failed: jobs.on("failed", platform),
    }
}

/// The row of `platform` (created empty when missing).
fn row<'a>(
    rows: &'a mut BTreeMap<String, PlatformRow>,
    platform: &str,
    jobs: &JobStats,
) -> &'a mut PlatformRow {
    rows.entry(platform.to_string())
        .or_insert_with(|| empty(platform, jobs))
}

/// The named platforms the filter allows and every platform with jobs (the job stats are
/// already filtered).
fn named_and_job_platforms(q: &PublishingQuery, jobs: &JobStats) -> BTreeMap<String, PlatformRow> {
    let mut rows = BTreeMap::new();
    for p in NAMED_PLATFORMS {
        if q.filter.allows(p) {
            rows.insert(p.to_string(), empty(p, jobs));
        }
    }
    for p in jobs
        .0
        .keys()
        .filter_map(|(_, platform)| platform.as_deref())
    {
        row(&mut rows, p, jobs);
    }
    rows
}

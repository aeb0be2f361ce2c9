//! The all-time snapshots served from the publishing rollups: every day's sums per
//! status/platform key, added up, with the platform filter applied to the keys.

use super::PublishingQuery;
use super::snapshot::{JobStats, LogStats, StatusLogs};
use crate::domains::publishing::ingest::{PUB_JOB_ROLLUP, PUB_LOG_ROLLUP, PUB_PLATFORM_TALLY};
use crate::kernel::AppResult;
use crate::kernel::sql::{rows_as, sum_f64, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::BTreeMap;

/// One key's sums over every day of a publishing rollup.
#[derive(Debug, FromQueryResult)]
struct KeyTotals {
    key: String,
    n: i64,
}

/// `SELECT dim, key, SUM(n) AS n, <more> FROM <table> WHERE team AND dim IN dims GROUP BY
/// dim, key`: each key's sums over every day.
fn rollup_totals(table: &str, dims: &[&str], team: i64, more: &[(Expr, &str)]) -> SelectStatement {
    let mut stmt = Query::select();
    stmt.columns([Alias::new("dim"), Alias::new("key")])
        .expr_as(sum_i64(Expr::col(Alias::new("n"))), Alias::new("n"));
    for (expr, alias) in more {
        stmt.expr_as(expr.clone(), Alias::new(*alias));
    }
    stmt.from(Alias::new(table))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .and_where(Expr::col(Alias::new("dim")).is_in(dims.iter().copied()))
        .group_by_col(Alias::new("dim"))
        .group_by_col(Alias::new("key"))
        .to_owned()
}

/// `snapshot::job_stats` from `pub_job_rollups`.
pub(super) async fn job_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<JobStats> {
    let stmt = rollup_totals(PUB_JOB_ROLLUP.table, &["status"], q.team(), &[]);
    let mut out = BTreeMap::new();
    for row in rows_as::<KeyTotals>(db, &stmt).await? {
        let (status, platform) = row.key.split_once('/').unwrap_or((&row.key, ""));
        let platform = platform.strip_prefix('=').map(str::to_string);
        let allowed = match &platform {
            Some(p) => q.filter.allows(p),
            None => q.filter.platforms.is_empty(),
        };
        if allowed && row.n > 0 {
            *out.entry((status.to_string(), platform)).or_insert(0) += row.n;
        }
    }
    Ok(JobStats(out))
}

/// One key's sums over every day of `pub_log_rollups` (a status/platform, or an account).
#[derive(Debug, FromQueryResult)]
struct LogTotals {
    dim: String,
    key: String,
    n: i64,
    processing_ms: f64,
    processed: i64,
    first_requested_ms: Option<i64>,
    last_created_ms: Option<i64>,
}

/// The earlier (`min`) or later of two optional instants.
fn extreme(a: Option<i64>, b: Option<i64>, min: bool) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if min { Ord::min(a, b) } else { Ord::max(a, b) }),
        (a, b) => a.or(b),
    }
}

/// `snapshot::log_stats` from `pub_log_rollups` (the platform filter applied to the keys).
pub(super) async fn log_stats(db: &DatabaseConnection, q: &PublishingQuery) -> AppResult<LogStats> {
    let col = |n: &str| Expr::col(Alias::new(n));
    let stmt = rollup_totals(
        PUB_LOG_ROLLUP.table,
        &["status", "account"],
        q.team(),
        &[
            (sum_f64(col("processing_ms")), "processing_ms"),
            (sum_i64(col("processed")), "processed"),
            (col("first_requested_ms").min(), "first_requested_ms"),
            (col("last_created_ms").max(), "last_created_ms"),
        ],
    );
    let (accounts, sums): (Vec<LogTotals>, Vec<LogTotals>) = rows_as::<LogTotals>(db, &stmt)
        .await?
        .into_iter()
        .partition(|r| r.dim == "account");
    let mut out: BTreeMap<String, StatusLogs> = BTreeMap::new();
    for row in sums {
        let (status, platform) = row.key.split_once('/').unwrap_or((&row.key, ""));
        if row.n <= 0 || !q.filter.allows(platform) {
            continue;
        }
        let s = out.entry(status.to_string()).or_default();
        s.count += row.n;
        s.processing_ms += row.processing_ms;
        s.processed += row.processed;
        s.first_requested_ms = extreme(s.first_requested_ms, row.first_requested_ms, true);
        s.last_created_ms = extreme(s.last_created_ms, row.last_created_ms, false);
    }
    let mut distinct = std::collections::BTreeSet::new();
    for row in accounts.iter().filter(|r| r.n > 0) {
        if let Some((platform, account)) = length_prefixed(&row.key)
            && q.filter.allows(platform)
        {
            distinct.insert(account);
        }
    }
    if let Some(processing) = out.get_mut("processing") {
        processing.accounts = distinct.len() as i64;
    }
    Ok(LogStats(out))
}

/// One platform's all-time figures, from `pub_platform_tallies`.
#[derive(Debug, FromQueryResult)]
pub(super) struct PlatformTally {
    pub key: String,
    pub clips_ready: i64,
    pub clips_published: i64,
    pub scored: i64,
    pub score_sum: f64,
}

impl PlatformTally {
    /// The mean clip score of the platform's logs (null when none has a score).
    pub fn avg_score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_sum / self.scored as f64)
    }
}

/// The platforms the filter allows that have logs, with their figures.
pub(super) async fn platform_tallies(
    db: &DatabaseConnection,
    q: &PublishingQuery,
) -> AppResult<Vec<PlatformTally>> {
    let mut stmt = Query::select();
    stmt.columns(
        [
            "key",
            "clips_ready",
            "clips_published",
            "scored",
            "score_sum",
        ]
        .map(Alias::new),
    )
    .from(Alias::new(PUB_PLATFORM_TALLY.table))
    .and_where(Expr::col(Alias::new("team_id")).eq(q.team()));
    if !q.filter.platforms.is_empty() {
        stmt.and_where(Expr::col(Alias::new("key")).is_in(q.filter.platforms.iter().cloned()));
    }
    Ok(rows_as::<PlatformTally>(db, &stmt).await?)
}

/// `<n>:<n characters><rest>` → (the n characters, rest).
fn length_prefixed(key: &str) -> Option<(&str, &str)> {
    let (n, rest) = key.split_once(':')?;
    let n: usize = n.parse().ok()?;
    let cut = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
    Some(rest.split_at(cut))
}

#[cfg(test)]
mod tests {
    #[test]
    fn length_prefixed_keys_split_where_the_length_says() {
        use super::length_prefixed;
        assert_eq!(
            length_prefixed("7:youtubeacct/1"),
            Some(("youtube", "acct/1"))
        );
        assert_eq!(length_prefixed("3:a:béz"), Some(("a:b", "éz")));
        assert_eq!(length_prefixed("2:ü/x"), Some(("ü/", "x")));
        assert_eq!(length_prefixed("nope"), None);
    }
}

//! Bot response time: trace durations (one trace per bot turn) of active sessions.

use super::ChatQuery;
use crate::domains::chat::entity::ChatSessions as S;
use crate::kernel::AppResult;
use crate::kernel::sql::{buckets_as, sum_f64, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Trace durations of one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, FromQueryResult)]
pub struct TraceSums {
    #[sea_orm(alias = "n")]
    pub count: i64,
    pub total_ms: f64,
}

impl TraceSums {
    /// Mean duration in seconds, null without traces.
    pub fn avg_seconds(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total_ms / self.count as f64 / 1000.0)
    }
}

/// Traces per bucket of ascending `bounds`, counting only traces of sessions active in the
/// whole span `[bounds[0], bounds[last])`.
pub async fn traces_in(
    db: &DatabaseConnection,
    q: &ChatQuery,
    bounds: &[i64],
) -> AppResult<Vec<TraceSums>> {
    if let Some((kept, passing)) = q.kept().await? {
        return Ok(kept.traces(&passing, bounds));
    }
    let (from, to) = (bounds[0], bounds[bounds.len() - 1]);
    let backend = db.get_database_backend();
    let active = Query::select()
        .column((S::Table, S::Id))
        .from(S::Table)
        .cond_where(q.active_in(backend, from, to))
        .to_owned();
    let col = |n: &str| Expr::col(Alias::new(n));
    let stmt = Query::select()
        .column(Alias::new("b"))
        .expr_as(sum_i64(col("n")), Alias::new("n"))
        .expr_as(sum_f64(col("duration_ms")), Alias::new("total_ms"))
        .from_subquery(q.traces(backend, bounds), Alias::new("t"))
        .and_where(col("key").in_subquery(active))
        .group_by_col(Alias::new("b"))
        .to_owned();
    Ok(buckets_as(db, bounds.len() - 1, &stmt).await?)
}

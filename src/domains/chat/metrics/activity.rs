//! The shared message scan: per bucket, human and bot messages, distinct active sessions and
//! distinct participants who wrote; with `session_stats`, also distinct completed sessions and
//! distinct filtered experiments among the active sessions. Distinct counts are computed per
//! bucket in SQL, never by adding finer buckets.

use super::{COUNTED, ChatQuery, by_bucket};
use crate::domains::chat::entity::{ChatExperiments as E, ChatMessages as M, ChatSessions as S};
use crate::kernel::AppResult;
use crate::kernel::sql::{count_if, get};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// What one bucket of the scan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityCounts {
    /// `human` messages.
    pub human: i64,
    /// `ai` messages.
    pub ai: i64,
    /// Distinct sessions with a human or ai message.
    pub sessions: i64,
    /// Distinct participants who wrote a human message.
    pub participants: i64,
    /// Distinct sessions among `sessions` that have ended (with `session_stats`).
    pub completed_sessions: i64,
    /// Distinct filtered experiments of `sessions` (with `session_stats`).
    pub experiments: i64,
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// The counts of each bucket `[bounds[i], bounds[i+1])`.
pub async fn activity(
    db: &DatabaseConnection,
    q: &ChatQuery,
    bounds: &[i64],
    session_stats: bool,
) -> AppResult<Vec<ActivityCounts>> {
    let mut columns = vec![
        (Expr::col((M::Table, M::MessageType)), "t"),
        (Expr::col((M::Table, M::SessionId)), "sid"),
        (Expr::col((S::Table, S::ParticipantId)), "pid"),
    ];
    if session_stats {
        let ended = Expr::col((S::Table, S::EndedAtMs)).is_not_null();
        columns.push((
            Expr::case(ended, Expr::col((M::Table, M::SessionId))).into(),
            "ended",
        ));
        let experiments = Query::select()
            .column((E::Table, E::Id))
            .from(E::Table)
            .cond_where(q.filter.experiments(q.team()))
            .to_owned();
        let filtered = Expr::col((S::Table, S::ExperimentId)).in_subquery(experiments);
        columns.push((
            Expr::case(filtered, Expr::col((S::Table, S::ExperimentId))).into(),
            "exp",
        ));
    }
    let inner = q.messages(bounds, &COUNTED, columns);
    let human = col("t").eq("human");
    let mut stmt = Query::select();
    stmt.column(Alias::new("b"))
        .expr(count_if(human.clone()))
        .expr(count_if(col("t").eq("ai")))
        .expr(col("sid").count_distinct())
        .expr(Expr::expr(Expr::case(human, col("pid"))).count_distinct());
    if session_stats {
        stmt.expr(col("ended").count_distinct())
            .expr(col("exp").count_distinct());
    }
    stmt.from_subquery(inner, Alias::new("a"))
        .group_by_col(Alias::new("b"));
    let rows = db.query_all(&stmt).await?;
    Ok(by_bucket(bounds.len() - 1, rows, |row| {
        Ok(ActivityCounts {
            human: get::<Option<i64>>(row, 1)?.unwrap_or(0),
            ai: get::<Option<i64>>(row, 2)?.unwrap_or(0),
            sessions: get(row, 3)?,
            participants: get(row, 4)?,
            completed_sessions: if session_stats { get(row, 5)? } else { 0 },
            experiments: if session_stats { get(row, 6)? } else { 0 },
        })
    })?)
}

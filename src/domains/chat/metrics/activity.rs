//! The shared activity scan: per bucket, human and bot messages, distinct active sessions and
//! distinct participants who wrote; with `session_stats`, also completed sessions and distinct
//! filtered experiments among the active sessions. Distinct counts are computed per bucket in
//! SQL (over one row per bucket and session), never by adding finer buckets.

use super::{ActiveSession, ChatQuery};
use crate::domains::chat::entity::{ChatExperiments as E, ChatSessions as S};
use crate::kernel::AppResult;
use crate::kernel::sql::{buckets_as, count_if, rows_as, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::HashSet;

/// What one bucket of the scan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromQueryResult)]
pub struct ActivityCounts {
    /// `human` messages.
    pub human: i64,
    /// `ai` messages.
    pub ai: i64,
    /// Distinct sessions with a human or ai message.
    pub sessions: i64,
    /// Distinct participants who wrote a human message.
    pub participants: i64,
    /// Sessions among `sessions` that have ended (with `session_stats`).
    pub completed_sessions: i64,
    /// Distinct filtered experiments of `sessions` (with `session_stats`).
    pub experiments: i64,
}

impl ActivityCounts {
    /// The counts of a window from its active sessions; `experiments` counts those in
    /// `filtered_experiments`.
    pub fn of_sessions(
        sessions: &[ActiveSession],
        filtered_experiments: &HashSet<String>,
    ) -> ActivityCounts {
        let mut writers = foldhash::HashSet::default();
        let mut experiments = foldhash::HashSet::default();
        let mut out = ActivityCounts {
            sessions: sessions.len() as i64,
            ..ActivityCounts::default()
        };
        for s in sessions {
            out.human += s.human;
            out.ai += s.ai;
            out.completed_sessions += i64::from(s.length_ms.is_some());
            if s.human > 0 {
                writers.insert(s.participant_id.as_str());
            }
            if filtered_experiments.contains(&s.experiment_id) {
                experiments.insert(s.experiment_id.as_str());
            }
        }
        out.participants = writers.len() as i64;
        out.experiments = experiments.len() as i64;
        out
    }
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
    if let Some((kept, passing)) = q.kept().await? {
        let experiments = match session_stats {
            true => Some(filtered_experiments(db, q).await?),
            false => None,
        };
        return Ok(kept.activity(&passing, bounds, experiments.as_ref()));
    }
    let mut columns = vec![(Expr::col((S::Table, S::ParticipantId)), "pid")];
    if session_stats {
        let ended = Expr::col((S::Table, S::EndedAtMs)).is_not_null();
        columns.push((
            Expr::case(ended, Expr::val(1i64))
                .finally(Expr::val(0i64))
                .into(),
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
    let inner = q.session_activity(db.get_database_backend(), bounds, columns);
    let zero = || Expr::cust("CAST(0 AS BIGINT)");
    let mut stmt = Query::select();
    stmt.column(Alias::new("b"))
        .expr_as(sum_i64(col("h")), Alias::new("human"))
        .expr_as(sum_i64(col("ai")), Alias::new("ai"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("sessions"))
        .expr_as(
            Expr::expr(Expr::case(col("h").gt(0), col("pid"))).count_distinct(),
            Alias::new("participants"),
        );
    if session_stats {
        stmt.expr_as(
            count_if(col("ended").eq(1)),
            Alias::new("completed_sessions"),
        )
        .expr_as(col("exp").count_distinct(), Alias::new("experiments"));
    } else {
        stmt.expr_as(zero(), Alias::new("completed_sessions"))
            .expr_as(zero(), Alias::new("experiments"));
    }
    stmt.from_subquery(inner, Alias::new("s"))
        .group_by_col(Alias::new("b"));
    Ok(buckets_as(db, bounds.len() - 1, &stmt).await?)
}

/// The ids of the filtered experiments.
pub async fn filtered_experiments(
    db: &DatabaseConnection,
    q: &ChatQuery,
) -> AppResult<HashSet<String>> {
    #[derive(FromQueryResult)]
    struct Id {
        id: String,
    }
    let stmt = Query::select()
        .column((E::Table, E::Id))
        .from(E::Table)
        .cond_where(q.filter.experiments(q.team()))
        .to_owned();
    let rows = rows_as::<Id>(db, &stmt).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The window's activity per bucket, and the previous window's when asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowActivity {
    pub previous: Option<ActivityCounts>,
    pub buckets: Vec<ActivityCounts>,
}

/// The window's buckets (with `session_stats`) and, `with_previous`, the previous window in
/// the same scan — as one more bucket in front, when the window's buckets start at its start.
pub async fn window_activity(
    db: &DatabaseConnection,
    q: &ChatQuery,
    with_previous: bool,
) -> AppResult<WindowActivity> {
    let bounds = q.window.bucket_bounds();
    let (previous_start, start) = q.previous_span();
    if !with_previous {
        let buckets = activity(db, q, &bounds, true).await?;
        return Ok(WindowActivity {
            previous: None,
            buckets,
        });
    }
    if bounds[0] == start && previous_start < start {
        let all: Vec<i64> = std::iter::once(previous_start).chain(bounds).collect();
        let mut buckets = activity(db, q, &all, true).await?;
        let previous = buckets.remove(0);
        return Ok(WindowActivity {
            previous: Some(previous),
            buckets,
        });
    }
    let before = [previous_start, start];
    let (buckets, previous) = tokio::try_join!(
        activity(db, q, &bounds, true),
        activity(db, q, &before, true)
    )?;
    Ok(WindowActivity {
        previous: previous.first().copied(),
        buckets,
    })
}

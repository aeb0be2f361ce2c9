//! Bot performance: one row per filtered experiment (with zeros when it had no activity).

use super::ChatQuery;
use crate::domains::chat::entity::{ChatExperiments as E, ChatSessions as S};
use crate::kernel::AppResult;
use crate::kernel::kpi::ratio;
use crate::kernel::sql::{get, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::HashMap;

/// The activity of one experiment in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct BotRow {
    pub experiment_id: String,
    pub name: String,
    /// Distinct participants of its active sessions.
    pub participants: i64,
    /// Its active sessions.
    pub sessions: i64,
    /// Human + ai messages of the window in its sessions.
    pub messages: i64,
    /// Mean `ended_at − created_at` of its active sessions that ended, in minutes.
    pub avg_session_duration_minutes: Option<f64>,
    /// Ended / active sessions.
    pub completion_rate: Option<f64>,
    pub avg_messages_per_session: Option<f64>,
}

#[derive(Default)]
struct SessionStats {
    sessions: i64,
    participants: i64,
    ended: i64,
    duration_ms: f64,
    messages: i64,
}

/// Every filtered experiment with its activity (unordered: callers sort in Rust, so both
/// databases agree whatever their collation).
pub async fn bot_rows(db: &DatabaseConnection, q: &ChatQuery) -> AppResult<Vec<BotRow>> {
    let (start, end) = q.span();
    let experiments = Query::select()
        .columns([(E::Table, E::Id), (E::Table, E::Name)])
        .from(E::Table)
        .cond_where(q.filter.experiments(q.team()))
        .to_owned();
    let ended = Expr::col((S::Table, S::EndedAtMs)).is_not_null();
    let duration = Expr::col((S::Table, S::EndedAtMs)).sub(Expr::col((S::Table, S::CreatedAtMs)));
    let inner = q.session_activity(
        &[start, end],
        vec![
            (Expr::col((S::Table, S::ExperimentId)), "e"),
            (Expr::col((S::Table, S::ParticipantId)), "pid"),
            (
                Expr::case(ended, Expr::val(1i64))
                    .finally(Expr::val(0i64))
                    .into(),
                "ended",
            ),
            (duration, "d"),
        ],
    );
    let col = |n: &str| Expr::col(Alias::new(n));
    let sessions = Query::select()
        .column(Alias::new("e"))
        .expr(Expr::cust("COUNT(*)"))
        .expr(col("pid").count_distinct())
        .expr(sum_i64(col("ended")))
        .expr(col("d").sum().cast_as(Alias::new("DOUBLE PRECISION")))
        .expr(sum_i64(col("h").add(col("ai"))))
        .from_subquery(inner, Alias::new("s"))
        .group_by_col(Alias::new("e"))
        .to_owned();
    let (experiments, sessions) =
        tokio::try_join!(db.query_all(&experiments), db.query_all(&sessions))?;
    let mut stats: HashMap<String, SessionStats> = HashMap::new();
    for row in sessions {
        stats.insert(
            get(&row, 0)?,
            SessionStats {
                sessions: get(&row, 1)?,
                participants: get(&row, 2)?,
                ended: get::<Option<i64>>(&row, 3)?.unwrap_or(0),
                duration_ms: get::<Option<f64>>(&row, 4)?.unwrap_or(0.0),
                messages: get::<Option<i64>>(&row, 5)?.unwrap_or(0),
            },
        );
    }
    let mut rows = Vec::with_capacity(experiments.len());
    for row in experiments {
        let id: String = get(&row, 0)?;
        let s = stats.remove(&id).unwrap_or_default();
        let messages = s.messages;
        rows.push(BotRow {
            name: get(&row, 1)?,
            participants: s.participants,
            sessions: s.sessions,
            messages,
            avg_session_duration_minutes: ratio(s.duration_ms / 60_000.0, s.ended as f64),
            completion_rate: ratio(s.ended as f64, s.sessions as f64),
            avg_messages_per_session: ratio(messages as f64, s.sessions as f64),
            experiment_id: id,
        });
    }
    Ok(rows)
}

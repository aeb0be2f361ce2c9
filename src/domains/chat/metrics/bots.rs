//! Bot performance: one row per filtered experiment (with zeros when it had no activity).

use super::{COUNTED, ChatQuery};
use crate::domains::chat::entity::{ChatExperiments as E, ChatSessions as S};
use crate::kernel::AppResult;
use crate::kernel::kpi::ratio;
use crate::kernel::sql::{count_if, get};
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
    let sessions = Query::select()
        .column((S::Table, S::ExperimentId))
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::col((S::Table, S::ParticipantId)).count_distinct())
        .expr(count_if(ended))
        .expr(duration.sum().cast_as(Alias::new("DOUBLE PRECISION")))
        .from(S::Table)
        .cond_where(q.active_sessions(start, end))
        .group_by_col((S::Table, S::ExperimentId))
        .to_owned();
    let inner = q.messages(
        &[start, end],
        &COUNTED,
        vec![(Expr::col((S::Table, S::ExperimentId)), "e")],
    );
    let messages = Query::select()
        .column(Alias::new("e"))
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, Alias::new("m"))
        .group_by_col(Alias::new("e"))
        .to_owned();
    let (experiments, sessions, messages) = tokio::try_join!(
        db.query_all(&experiments),
        db.query_all(&sessions),
        db.query_all(&messages),
    )?;
    let mut stats: HashMap<String, SessionStats> = HashMap::new();
    for row in sessions {
        stats.insert(
            get(&row, 0)?,
            SessionStats {
                sessions: get(&row, 1)?,
                participants: get(&row, 2)?,
                ended: get::<Option<i64>>(&row, 3)?.unwrap_or(0),
                duration_ms: get::<Option<f64>>(&row, 4)?.unwrap_or(0.0),
            },
        );
    }
    let mut message_counts: HashMap<String, i64> = HashMap::new();
    for row in messages {
        message_counts.insert(get(&row, 0)?, get(&row, 1)?);
    }
    let mut rows = Vec::with_capacity(experiments.len());
    for row in experiments {
        let id: String = get(&row, 0)?;
        let s = stats.remove(&id).unwrap_or_default();
        let messages = message_counts.get(&id).copied().unwrap_or(0);
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

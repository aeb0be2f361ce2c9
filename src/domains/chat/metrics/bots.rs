//! Bot performance: one row per filtered experiment (with zeros when it had no activity).

use super::{ActiveSession, ChatQuery};
use crate::domains::chat::entity::ChatExperiments as E;
use crate::kernel::AppResult;
use crate::kernel::kpi::ratio;
use crate::kernel::sql::rows_as;
use foldhash::{HashMap, HashSet};
use sea_orm::sea_query::Query;
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::future::Future;
use std::sync::Arc;

/// The activity of one experiment in the window.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// A filtered experiment, as read.
#[derive(FromQueryResult)]
struct Experiment {
    id: String,
    name: String,
}

/// Every filtered experiment with its activity (unordered: callers sort in Rust, so both
/// databases agree whatever their collation).
pub async fn bot_rows(
    db: &DatabaseConnection,
    q: &ChatQuery,
    sessions: impl Future<Output = AppResult<Arc<Vec<ActiveSession>>>>,
) -> AppResult<Vec<BotRow>> {
    let experiments = Query::select()
        .columns([(E::Table, E::Id), (E::Table, E::Name)])
        .from(E::Table)
        .cond_where(q.filter.experiments(q.team()))
        .to_owned();
    let experiments = async { Ok(rows_as::<Experiment>(db, &experiments).await?) };
    let (experiments, sessions) = tokio::try_join!(experiments, sessions)?;
    #[derive(Default)]
    struct Stats<'a> {
        sessions: i64,
        participants: HashSet<&'a str>,
        messages: i64,
        ended: i64,
        length_ms: i64,
    }
    let mut stats: HashMap<&str, Stats> = HashMap::default();
    for s in sessions.iter() {
        let e = stats.entry(&s.experiment_id).or_default();
        e.sessions += 1;
        e.participants.insert(&s.participant_id);
        e.messages += s.messages();
        if let Some(length) = s.length_ms {
            e.ended += 1;
            e.length_ms += length;
        }
    }
    let mut rows = Vec::with_capacity(experiments.len());
    for Experiment { id, name } in experiments {
        let s = stats.remove(id.as_str()).unwrap_or_default();
        rows.push(BotRow {
            name,
            participants: s.participants.len() as i64,
            sessions: s.sessions,
            messages: s.messages,
            avg_session_duration_minutes: ratio(s.length_ms as f64 / 60_000.0, s.ended as f64),
            completion_rate: ratio(s.ended as f64, s.sessions as f64),
            avg_messages_per_session: ratio(s.messages as f64, s.sessions as f64),
            experiment_id: id,
        });
    }
    Ok(rows)
}

//! The chat KPIs over the window and its previous window. Activity KPIs of the window come
//! from the request's shared active-session scan, those of the previous window from one
//! grouped scan; the all-time sets and the response time are their own queries, run
//! concurrently and only when selected.

use super::activity::filtered_experiments;
use super::{
    ActiveSession, ActivityCounts, ChatQuery, TraceSums, WindowActivity, activity as active,
    traces_in,
};
use crate::domains::chat::entity::{ChatExperiments as E, ChatParticipants as P};
use crate::kernel::kpi::{KpiDef, Pair, ratio};
use crate::kernel::sql::{count_if, rows_as};
use crate::kernel::{AppError, AppResult};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoColumnRef, IntoTableRef, Query};
use sea_orm::{Condition, DatabaseConnection, FromQueryResult};

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

/// Every chat KPI.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum ChatKpiKey {
    Experiments,
    ActiveExperiments,
    Participants,
    ActiveParticipants,
    Sessions,
    CompletedSessions,
    CompletionRate,
    Messages,
    AvgMessagesPerSession,
    AvgSessionsPerParticipant,
    AvgResponseTimeSeconds,
}

/// `[current, previous]` of an all-time set: every row now, and the rows created before the
/// window started (what the set held when the previous window ended).
async fn all_time(
    db: &DatabaseConnection,
    table: impl IntoTableRef,
    created: impl IntoColumnRef,
    cond: Condition,
    start: i64,
) -> AppResult<[Option<f64>; 2]> {
    #[derive(FromQueryResult)]
    struct Counts {
        now: i64,
        before: Option<i64>,
    }
    let stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("now"))
        .expr_as(count_if(Expr::col(created).lt(start)), Alias::new("before"))
        .from(table)
        .cond_where(cond)
        .to_owned();
    let counts = rows_as::<Counts>(db, &stmt)
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("COUNT returned no row")))?;
    Ok([
        Some(counts.now as f64),
        Some(counts.before.unwrap_or(0) as f64),
    ])
}

/// What the KPIs share with the request's other panels: the window's active sessions, its
/// activity scan (with the previous window) and its trace sums per bucket.
pub struct Shared<S, A, T> {
    pub sessions: S,
    pub activity: A,
    pub traces: T,
}

/// `(current, previous)` values of each requested KPI.
pub async fn kpi_values<S, A, T>(
    db: &DatabaseConnection,
    q: &ChatQuery,
    keys: &BTreeSet<ChatKpiKey>,
    shared: Shared<S, A, T>,
) -> AppResult<BTreeMap<ChatKpiKey, Pair<Option<f64>>>>
where
    S: Future<Output = AppResult<Arc<Vec<ActiveSession>>>>,
    A: Future<Output = AppResult<Arc<WindowActivity>>>,
    T: Future<Output = AppResult<Arc<Vec<TraceSums>>>>,
{
    let Shared {
        sessions,
        activity,
        traces,
    } = shared;
    use ChatKpiKey::*;
    let (start, end) = q.span();
    let (previous_start, _) = q.previous_span();
    let team = q.team();
    let wants = |k: &[ChatKpiKey]| k.iter().any(|k| keys.contains(k));
    let experiments = async {
        if !wants(&[Experiments]) {
            return Ok([None, None]);
        }
        let cond = q.filter.experiments(team);
        all_time(db, E::Table, (E::Table, E::CreatedAtMs), cond, start).await
    };
    let participants = async {
        if !wants(&[Participants]) {
            return Ok([None, None]);
        }
        if let Some((kept, _)) = q.kept().await? {
            let [now, before] = kept.participants(&q.filter, start);
            return Ok([Some(now as f64), Some(before as f64)]);
        }
        let cond = q.filter.participants(team);
        all_time(db, P::Table, (P::Table, P::CreatedAtMs), cond, start).await
    };
    let scan = async {
        let from_activity = keys
            .iter()
            .any(|k| !matches!(k, Experiments | Participants | AvgResponseTimeSeconds));
        if !from_activity {
            return Ok([ActivityCounts::default(); 2]);
        }
        // The window from the request's shared active-session scan; the previous window
        // from its own grouped scan.
        let current = async {
            let (ids, sessions) = tokio::try_join!(filtered_experiments(db, q), sessions)?;
            Ok::<_, AppError>(ActivityCounts::of_sessions(&sessions, &ids))
        };
        let previous = async {
            match activity.await?.previous {
                Some(previous) => Ok(previous),
                None => Ok(active(db, q, &[previous_start, start], true).await?[0]),
            }
        };
        let (previous, current) = tokio::try_join!(previous, current)?;
        Ok([previous, current])
    };
    let response = async {
        if !wants(&[AvgResponseTimeSeconds]) {
            return Ok([None, None]);
        }
        // The window's traces are the sum of its buckets' (the same active sessions).
        let current = async {
            if q.window.bucket_bounds().first() != Some(&start) {
                return Ok(traces_in(db, q, &[start, end]).await?[0]);
            }
            let buckets = traces.await?;
            Ok::<_, AppError>(TraceSums {
                count: buckets.iter().map(|t| t.count).sum(),
                total_ms: buckets.iter().map(|t| t.total_ms).sum(),
            })
        };
        let before = [previous_start, start];
        let (current, previous) = tokio::try_join!(current, traces_in(db, q, &before))?;
        Ok::<_, AppError>([current.avg_seconds(), previous[0].avg_seconds()])
    };
    let (experiments, participants, scan, response) =
        tokio::try_join!(experiments, participants, scan, response)?;
    let value = |key: ChatKpiKey, current: bool| -> Option<f64> {
        let i = usize::from(!current);
        let a = scan[usize::from(current)];
        let (sessions, participants_active) = (a.sessions as f64, a.participants as f64);
        let messages = (a.human + a.ai) as f64;
        match key {
            Experiments => experiments[i],
            ActiveExperiments => Some(a.experiments as f64),
            Participants => participants[i],
            ActiveParticipants => Some(participants_active),
            Sessions => Some(sessions),
            CompletedSessions => Some(a.completed_sessions as f64),
            CompletionRate => ratio(a.completed_sessions as f64, sessions),
            Messages => Some(messages),
            AvgMessagesPerSession => ratio(messages, sessions),
            AvgSessionsPerParticipant => ratio(sessions, participants_active),
            AvgResponseTimeSeconds => response[i],
        }
    };
    Ok(keys
        .iter()
        .map(|&k| (k, Pair::new(value(k, true), value(k, false))))
        .collect())
}

impl ChatKpiKey {
    pub const ALL: [ChatKpiKey; 11] = [
        ChatKpiKey::Experiments,
        ChatKpiKey::ActiveExperiments,
        ChatKpiKey::Participants,
        ChatKpiKey::ActiveParticipants,
        ChatKpiKey::Sessions,
        ChatKpiKey::CompletedSessions,
        ChatKpiKey::CompletionRate,
        ChatKpiKey::Messages,
        ChatKpiKey::AvgMessagesPerSession,
        ChatKpiKey::AvgSessionsPerParticipant,
        ChatKpiKey::AvgResponseTimeSeconds,
    ];

    /// Key, label, unit and direction of the KPI.
    pub fn def(self) -> KpiDef {
        use crate::kernel::kpi::{BetterWhen::*, Unit::*};
        use ChatKpiKey::*;
        let (key, label, unit, better_when) = match self {
            Experiments => ("experiments", "Experiments", Count, Neutral),
            ActiveExperiments => ("activeExperiments", "Active experiments", Count, Up),
            Participants => ("participants", "Participants", Count, Up),
            ActiveParticipants => ("activeParticipants", "Active participants", Count, Up),
            Sessions => ("sessions", "Sessions", Count, Up),
            CompletedSessions => ("completedSessions", "Completed sessions", Count, Up),
            CompletionRate => ("completionRate", "Completion rate", Ratio, Up),
            Messages => ("messages", "Messages", Count, Up),
            AvgMessagesPerSession => (
                "avgMessagesPerSession",
                "Messages per session",
                Count,
                Neutral,
            ),
            AvgSessionsPerParticipant => (
                "avgSessionsPerParticipant",
                "Sessions per participant",
                Count,
                Up,
            ),
            AvgResponseTimeSeconds => (
                "avgResponseTimeSeconds",
                "Average response time",
                Seconds,
                Down,
            ),
        };
        KpiDef {
            key,
            label,
            unit,
            better_when,
        }
    }

    /// The KPI whose GraphQL field is `name`.
    pub fn from_field(name: &str) -> Option<ChatKpiKey> {
        ChatKpiKey::ALL.into_iter().find(|k| k.def().key == name)
    }
}

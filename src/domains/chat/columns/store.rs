//! Every team's kept conversations (moka, weighed in bytes), brought up to date through the
//! change log: read whole, or spliced by the spans of later message and trace batches.

use super::{Conversations, read};
use crate::kernel::cache::PanelCache;
use crate::kernel::changes::{Mark, Since, TimeSpan};
use crate::kernel::{AppError, AppResult, TeamId};
use crate::telemetry::Metrics;
use moka::future::Cache;
use moka::ops::compute::Op;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The change log's name for the chat dashboard's data.
const DASHBOARD: &str = "chat";
/// How kept conversations were brought up to date (the `kind` of the loads metric).
const WHOLE: &str = "whole";
const SPLICE: &str = "splice";

/// Kept conversations and where they stood when read.
struct Kept {
    conversations: Arc<Conversations>,
    mark: Mark,
    read_at: Instant,
    /// Messages, traces and links are kept from this instant on.
    from_ms: i64,
}

/// Every team's kept conversations.
pub struct ConversationStore {
    /// `None`: nothing is kept (`DASHGATE_CHAT_CACHE_MAX_BYTES=0`).
    teams: Option<Cache<TeamId, Arc<Kept>>>,
    ttl: Duration,
    metrics: Arc<Metrics>,
}

impl ConversationStore {
    /// Keeps up to `max_bytes`; a team is read again as a whole after `ttl`.
    pub fn new(max_bytes: u64, ttl: Duration, metrics: Arc<Metrics>) -> Self {
        let teams = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_: &TeamId, kept: &Arc<Kept>| {
                    kept.conversations.bytes().min(u32::MAX as u64) as u32
                })
                .time_to_idle(ttl)
                .build()
        });
        ConversationStore {
            teams,
            ttl,
            metrics,
        }
    }

    /// Whether conversations are kept at all.
    pub fn enabled(&self) -> bool {
        self.teams.is_some()
    }

    /// How many times a team was read whole, and brought up to date by splicing spans.
    pub fn counts(&self) -> (u64, u64) {
        let loads = |kind| self.metrics.column_cache_loads(DASHBOARD, kind);
        (loads(WHOLE), loads(SPLICE))
    }

    /// Bytes kept (after pending evictions).
    pub async fn weighted_bytes(&self) -> u64 {
        match &self.teams {
            Some(teams) => {
                teams.run_pending_tasks().await;
                teams.weighted_size()
            }
            None => 0,
        }
    }

    /// The team's conversations with messages and traces from `from_ms` on, brought up to date.
    pub(super) async fn conversations(
        &self,
        db: &DatabaseConnection,
        changes: &PanelCache,
        team: TeamId,
        from_ms: i64,
    ) -> AppResult<Arc<Conversations>> {
        let teams = self
            .teams
            .as_ref()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("chat columns are off")))?;
        let ttl = self.ttl;
        let result = teams
            .entry(team)
            .and_try_compute_with(|entry| {
                let old = entry.map(|e| e.into_value());
                let old = old.filter(|k| k.from_ms <= from_ms && k.read_at.elapsed() < ttl);
                brought_up_to_date(db, changes, team, from_ms, old, &self.metrics)
            })
            .await?;
        let kept = result
            .into_entry()
            .map(|e| e.into_value())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("chat conversations not kept")))?;
        Ok(kept.conversations.clone())
    }
}

/// What becomes of a team's kept conversations (`old`, unless too old or too short).
async fn brought_up_to_date(
    db: &DatabaseConnection,
    changes: &PanelCache,
    team: TeamId,
    from_ms: i64,
    old: Option<Arc<Kept>>,
    metrics: &Metrics,
) -> AppResult<Op<Arc<Kept>>> {
    // Before reading: a change landing meanwhile is still newer than the mark.
    let mark = changes.mark(team, DASHBOARD);
    let since = match &old {
        Some(old) => changes.since(team, DASHBOARD, old.mark),
        None => Since::Everything,
    };
    let kept = match (old, since) {
        (Some(_), Since::Nothing) => return Ok(Op::Nop),
        (Some(old), Since::Spans(spans)) => match splice(db, team, &old, &spans, mark).await? {
            Some(kept) => {
                metrics.column_cache_loaded(DASHBOARD, SPLICE);
                kept
            }
            None => {
                metrics.column_cache_loaded(DASHBOARD, WHOLE);
                whole(db, team, old.from_ms.min(from_ms), mark).await?
            }
        },
        (old, _) => {
            metrics.column_cache_loaded(DASHBOARD, WHOLE);
            let from_ms = old.map_or(from_ms, |o| o.from_ms.min(from_ms));
            whole(db, team, from_ms, mark).await?
        }
    };
    Ok(Op::Put(Arc::new(kept)))
}

/// A team's conversations read now.
async fn whole(db: &DatabaseConnection, team: TeamId, from_ms: i64, mark: Mark) -> AppResult<Kept> {
    let read_at = Instant::now();
    let base = read::whole(db, team.0, from_ms).await?;
    let (messages, traces) = read::events(db, team.0, &base, from_ms, None)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a message names no session")))?;
    let conversations = Conversations {
        base: Arc::new(base),
        messages,
        traces,
    };
    Ok(Kept {
        conversations: Arc::new(conversations),
        mark,
        read_at,
        from_ms,
    })
}

/// `rows` with those inside `[from, to]` replaced by `fresh` (sorted by `ms`).
fn replaced<T: Copy>(
    rows: &[T],
    ms: impl Fn(&T) -> i64,
    (from, to): (i64, i64),
    fresh: Vec<T>,
) -> Vec<T> {
    let a = rows.partition_point(|r| ms(r) < from);
    let b = rows.partition_point(|r| ms(r) <= to);
    let mut out = Vec::with_capacity(rows.len() - (b - a) + fresh.len());
    out.extend_from_slice(&rows[..a]);
    out.extend(fresh);
    out.extend_from_slice(&rows[b..]);
    out
}

/// `old` with its messages and traces inside `spans` read again (`None`: a row names a
/// session not kept — read the team whole).
async fn splice(
    db: &DatabaseConnection,
    team: TeamId,
    old: &Kept,
    spans: &[TimeSpan],
    mark: Mark,
) -> AppResult<Option<Kept>> {
    let c = &old.conversations;
    let (mut messages, mut traces) = (c.messages.clone(), c.traces.clone());
    for span in spans {
        let Some(range) = read::clipped(*span, old.from_ms) else {
            continue;
        };
        let Some((m, t)) = read::events(db, team.0, &c.base, range.0, Some(range.1)).await? else {
            return Ok(None);
        };
        messages = replaced(&messages, |m| m.ms, range, m);
        traces = replaced(&traces, |t| t.ms, range, t);
    }
    let conversations = Conversations {
        base: c.base.clone(),
        messages,
        traces,
    };
    Ok(Some(Kept {
        conversations: Arc::new(conversations),
        mark,
        read_at: old.read_at,
        from_ms: old.from_ms,
    }))
}

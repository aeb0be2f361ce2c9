//! Every team's kept conversations (a `kernel::columns::ColumnStore`): read whole, or brought
//! up to date by re-reading the spans of later message and trace batches.

use super::{Conversations, read};
use crate::kernel::cache::PanelCache;
use crate::kernel::changes::{Mark, TimeSpan};
use crate::kernel::columns::{ColumnStore, KeptRows, Stamp};
use crate::kernel::{AppError, AppResult, TeamId};
use crate::telemetry::Metrics;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kept conversations and where they stood when read (messages, traces and links are kept
/// from the stamp's instant on).
pub(super) struct Kept {
    conversations: Arc<Conversations>,
    stamp: Stamp,
}

impl KeptRows for Kept {
    fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    fn weight(&self) -> u32 {
        self.conversations.bytes().min(u32::MAX as u64) as u32
    }
}

/// Every team's kept conversations.
pub struct ConversationStore(ColumnStore<Kept>);

impl ConversationStore {
    /// Keeps up to `max_bytes` (0: nothing); a team is read whole again after `ttl`.
    pub fn new(max_bytes: u64, ttl: Duration, metrics: Arc<Metrics>) -> Self {
        ConversationStore(ColumnStore::new("chat", max_bytes, ttl, metrics))
    }

    /// Whether conversations are kept at all.
    pub fn enabled(&self) -> bool {
        self.0.enabled()
    }

    /// How many times a team was read whole, and brought up to date by splicing spans.
    pub fn counts(&self) -> (u64, u64) {
        self.0.counts()
    }

    /// Bytes kept (after pending evictions).
    pub async fn weighted_bytes(&self) -> u64 {
        self.0.weighted_bytes().await
    }

    /// The team's conversations with messages and traces from `from_ms` on, brought up to date.
    pub(super) async fn conversations(
        &self,
        db: &DatabaseConnection,
        changes: &PanelCache,
        team: TeamId,
        from_ms: i64,
    ) -> AppResult<Arc<Conversations>> {
        let read = |from, mark| whole(db, team, from, mark);
        let spliced = |old: Arc<Kept>, spans: Vec<TimeSpan>, mark| async move {
            splice(db, team, &old, &spans, mark).await
        };
        let kept = self.0.get(changes, team, from_ms, read, spliced).await?;
        let kept =
            kept.ok_or_else(|| AppError::internal(anyhow::anyhow!("chat columns are off")))?;
        Ok(kept.conversations.clone())
    }
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
        stamp: Stamp {
            mark,
            read_at,
            from_ms,
        },
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
        let Some(range) = read::clipped(*span, old.stamp.from_ms) else {
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
        stamp: old.stamp.at(mark),
    }))
}

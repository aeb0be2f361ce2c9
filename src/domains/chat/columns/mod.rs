//! The chat column cache: every team's conversations in a compact kept form — sessions with
//! dense numbers (their participant, experiment, platform and every tag they or their
//! messages carry), and from an instant on the counted messages, traces and message tag links
//! sorted by time — so a chat request computes its scans from memory (`compute`) instead of
//! reading tens of thousands of per-session rollup rows each time. The chat dashboard's
//! counterpart of the product column cache (`product::columns`), kept current the same way:
//!
//! messages and traces are append-only, so a batch of them names the span its rows lie in and
//! only those spans are read again and spliced in; anything else (a session, tag or link
//! change, a delete, an erasure, another instance's unannounced change, age beyond the cache
//! TTL) reads the team again. See ARCHITECTURE.md, "Column caches".

mod compute;
mod read;

pub use compute::Passing;

use crate::kernel::cache::PanelCache;
use crate::kernel::changes::{Mark, Since, TimeSpan};
use crate::kernel::{AppError, AppResult, TeamId, TeamScope};
use crate::telemetry::Metrics;
use moka::future::Cache;
use moka::ops::compute::Op;
use read::Interners;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The change log's name for the chat dashboard's data.
const DASHBOARD: &str = "chat";
/// How kept conversations were brought up to date (the `kind` of the loads metric).
const WHOLE: &str = "whole";
const SPLICE: &str = "splice";

/// One session: dense numbers into the team's texts.
#[derive(Debug, Clone)]
struct Session {
    participant: u32,
    experiment: u32,
    /// `None`: the session has no platform (`unknown` in breakdowns).
    platform: Option<u32>,
    /// Not `setup` and not on `evaluations` (spec/chat.md, "The filtered universe").
    countable: bool,
    /// `ended_at − created_at` of sessions that ended.
    length_ms: Option<i64>,
    /// Tags of the session and of any of its messages, sorted.
    tags: Vec<u32>,
}

/// One `human` or `ai` message.
#[derive(Debug, Clone, Copy)]
struct Message {
    ms: i64,
    session: u32,
    human: bool,
}

/// One trace (a bot turn).
#[derive(Debug, Clone, Copy)]
struct Trace {
    ms: i64,
    session: u32,
    duration_ms: f64,
}

/// One message tag link, at its message's instant.
#[derive(Debug, Clone, Copy)]
struct Link {
    ms: i64,
    session: u32,
    tag: u32,
}

#[derive(Debug, Clone)]
struct Tag {
    id: String,
    name: String,
    category: String,
}

/// A team's conversations as kept.
pub struct Conversations {
    sessions: Vec<Session>,
    /// Session id → its number.
    ids: HashMap<Arc<str>, u32>,
    texts: Interners,
    tags: Vec<Tag>,
    /// Message tag links from the kept instant on, by time.
    links: Vec<Link>,
    /// Counted messages from the kept instant on, by time.
    messages: Vec<Message>,
    /// Traces from the kept instant on, by time.
    traces: Vec<Trace>,
}

impl Conversations {
    /// Bytes held, roughly (the cache's weight).
    fn bytes(&self) -> u64 {
        let tags: usize = self.sessions.iter().map(|s| s.tags.capacity() * 4).sum();
        let texts = |i: &read::Interner| i.texts.iter().map(|t| t.len() + 48).sum::<usize>();
        let t = &self.texts;
        (self.sessions.len() * (std::mem::size_of::<Session>() + 48)
            + tags
            + self.ids.keys().map(|k| k.len() + 40).sum::<usize>()
            + texts(&t.participants)
            + texts(&t.experiments)
            + texts(&t.platforms)
            + self.links.len() * std::mem::size_of::<Link>()
            + self.messages.len() * std::mem::size_of::<Message>()
            + self.traces.len() * std::mem::size_of::<Trace>()) as u64
    }
}

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
    async fn conversations(
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
    let parts = read::whole(db, team.0, from_ms).await?;
    let (messages, traces) = read::events(db, team.0, &parts.1.index, from_ms, None)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a message names no session")))?;
    Ok(Kept {
        conversations: Arc::new(read::conversations(parts, messages, traces)),
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
        let Some((m, t)) = read::events(db, team.0, &c.ids, range.0, Some(range.1)).await? else {
            return Ok(None);
        };
        messages = replaced(&messages, |m| m.ms, range, m);
        traces = replaced(&traces, |t| t.ms, range, t);
    }
    let conversations = Conversations {
        sessions: c.sessions.clone(),
        ids: c.ids.clone(),
        texts: c.texts.clone(),
        tags: c.tags.clone(),
        links: c.links.clone(),
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

/// One request's view of the kept conversations: fetched on first use (a request whose
/// panels are all cached never touches them), then shared by its scans.
pub struct Columns {
    store: Arc<ConversationStore>,
    db: DatabaseConnection,
    changes: Arc<PanelCache>,
    team: TeamId,
    /// The earliest instant the request reads (the previous window's start).
    from_ms: i64,
    cell: OnceCell<Arc<Conversations>>,
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("team", &self.team).finish()
    }
}

impl Columns {
    /// The request's view, or `None` when the store keeps nothing.
    pub fn of(
        store: &Arc<ConversationStore>,
        db: &DatabaseConnection,
        changes: &Arc<PanelCache>,
        scope: &TeamScope,
        from_ms: i64,
    ) -> Option<Arc<Columns>> {
        store.enabled().then(|| {
            Arc::new(Columns {
                store: store.clone(),
                db: db.clone(),
                changes: changes.clone(),
                team: scope.team_id(),
                from_ms,
                cell: OnceCell::new(),
            })
        })
    }

    /// The kept conversations, brought up to date once per request.
    pub async fn get(&self) -> AppResult<Arc<Conversations>> {
        self.cell
            .get_or_try_init(|| {
                self.store
                    .conversations(&self.db, &self.changes, self.team, self.from_ms)
            })
            .await
            .cloned()
    }
}

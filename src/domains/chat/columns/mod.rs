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
//! TTL) reads the team again. See ARCHITECTURE.md, "The path of a dashboard request".

mod compute;
mod read;
mod store;

pub use compute::Passing;
pub use store::ConversationStore;

use super::filter::ChatFilter;
use crate::kernel::cache::PanelCache;
use crate::kernel::interner::Interner;
use crate::kernel::{AppError, AppResult, TeamId, TeamScope};
use read::Interners;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::OnceCell;

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

/// One `human` or `ai` message (16 bytes: its session's writer is kept beside it, so a
/// scan over messages touches sessions only once per session and bucket).
#[derive(Debug, Clone, Copy)]
struct Message {
    ms: i64,
    session: u32,
    /// The session's participant, shifted left once; the low bit says `human`.
    writer: u32,
}

impl Message {
    fn new(ms: i64, session: u32, participant: u32, human: bool) -> Self {
        Message {
            ms,
            session,
            writer: participant << 1 | u32::from(human),
        }
    }

    fn human(&self) -> bool {
        self.writer & 1 == 1
    }

    fn participant(&self) -> usize {
        (self.writer >> 1) as usize
    }
}

/// A participant: its platform and when it was created (the all-time participants KPI).
#[derive(Debug, Clone, Copy)]
struct Participant {
    platform: Option<u32>,
    created_ms: i64,
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

/// What a team's conversations are made of, besides messages and traces: read whole, shared
/// by every splice.
struct Base {
    sessions: Vec<Session>,
    /// Session ids and their numbers.
    ids: Interner,
    texts: Interners,
    /// By participant number (`texts.participants`).
    participants: Vec<Participant>,
    tags: Vec<Tag>,
    /// Message tag links from the kept instant on, by time.
    links: Vec<Link>,
}

/// A team's conversations as kept.
pub struct Conversations {
    base: Arc<Base>,
    /// Counted messages from the kept instant on, by time.
    messages: Vec<Message>,
    /// Traces from the kept instant on, by time.
    traces: Vec<Trace>,
}

impl Conversations {
    /// Bytes held, roughly (the cache's weight).
    pub(super) fn bytes(&self) -> u64 {
        let b = &self.base;
        let tags: usize = b.sessions.iter().map(|s| s.tags.capacity() * 4).sum();
        let t = &b.texts;
        (b.sessions.len() * (std::mem::size_of::<Session>() + 48)
            + tags
            + b.ids.bytes()
            + t.participants.bytes()
            + t.experiments.bytes()
            + t.platforms.bytes()
            + b.participants.len() * std::mem::size_of::<Participant>()
            + b.links.len() * std::mem::size_of::<Link>()
            + self.messages.len() * std::mem::size_of::<Message>()
            + self.traces.len() * std::mem::size_of::<Trace>()) as u64
    }
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
    cell: OnceCell<(Arc<Conversations>, Arc<Passing>)>,
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

    /// The kept conversations, brought up to date once per request, and the sessions
    /// passing the request's `filter`. A whole read runs on a task of its own: a request that
    /// gives up (its timeout) does not take the read of the team with it, so the next one
    /// finds it done instead of starting over.
    pub async fn get(&self, filter: &ChatFilter) -> AppResult<(Arc<Conversations>, Arc<Passing>)> {
        self.cell
            .get_or_try_init(|| async {
                let (store, db) = (self.store.clone(), self.db.clone());
                let (changes, team, from) = (self.changes.clone(), self.team, self.from_ms);
                let load = async move { store.conversations(&db, &changes, team, from).await };
                let timing = crate::db::timing::current();
                let kept = tokio::spawn(crate::db::timing::carry(timing, load))
                    .await
                    .map_err(|e| AppError::internal(anyhow::anyhow!("chat columns: {e}")))??;
                let passing = Arc::new(kept.passing(filter));
                Ok::<_, AppError>((kept, passing))
            })
            .await
            .cloned()
    }
}

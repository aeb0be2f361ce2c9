//! Live subscriptions: a dashboard subscription gets its answer at once, then a new one after
//! each change of the team's data that changes it, or when its window rolls over.
//!
//! Subscriptions of one team with the same role, normalised document, variables and operation
//! (and, when the document names a preset, the same user: presets may be private) share one
//! *entry*: one task that computes the answer — through the panel cache, like a query — and
//! publishes it on a `watch` channel every subscriber reads. A change therefore costs one
//! computation per distinct query, however many connections carry it; a slow subscriber
//! only ever sees the latest answer (the ones it missed are counted as dropped). See
//! ARCHITECTURE.md, "Live subscriptions".

mod document;
mod entry;
mod root;

pub use root::LiveRoot;

use super::DashgateSchema;
use super::bounds::DocumentBounds;
use super::dashboard::WindowsSeen;
use crate::kernel::{AppError, Principal, Role, TeamId};
use crate::state::AppState;
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Request, Response, ServerError, Value};
use document::{live_field, normalised};
use entry::Answer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What makes two subscriptions the same computation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    team: TeamId,
    role: Role,
    /// Only when the document names a preset (presets may be private to their owner).
    user: Option<String>,
    document: String,
    variables: String,
    operation: Option<String>,
}

/// One distinct live query and its latest answer.
struct Entry {
    dashboard: &'static str,
    answers: watch::Sender<Option<Arc<Answer>>>,
}

/// Every live query of this instance.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    schema: DashgateSchema,
    state: AppState,
    entries: Mutex<HashMap<Key, Arc<Entry>>>,
    /// Running subscriptions per team.
    teams: Mutex<HashMap<TeamId, usize>>,
}

/// The dashboards that can be subscribed to, by root field name.
const DASHBOARDS: [&str; 5] = ["apiUsage", "chat", "publishing", "executive", "product"];

/// What a request over WebSocket is.
pub enum Kind {
    /// A query or mutation: executed once.
    Once,
    /// A subscription to this dashboard.
    Live(&'static str),
}

impl Live {
    pub fn new(schema: DashgateSchema, state: AppState) -> Self {
        Live {
            inner: Arc::new(Inner {
                schema,
                state,
                entries: Mutex::default(),
                teams: Mutex::default(),
            }),
        }
    }

    /// How many distinct live queries run (entries), for tests.
    pub fn distinct(&self) -> usize {
        self.inner.entries.lock().map_or(0, |e| e.len())
    }

    /// What `request` asks for, read within the document bounds (an error answers it).
    pub fn kind(&self, request: &Request) -> Result<Kind, Box<Response>> {
        let bounds = DocumentBounds::of(&self.inner.state.settings);
        if let Err(e) = bounds.check(&request.query) {
            let err = AppError::bad_input("query", e.message());
            return Err(Box::new(error_response(err)));
        }
        let doc = async_graphql::parser::parse_query(&request.query).map_err(|e| {
            let mut err: ServerError = e.into();
            let mut codes = async_graphql::ErrorExtensionValues::default();
            codes.set("code", "GRAPHQL_PARSE_FAILED");
            err.extensions = Some(codes);
            Box::new(Response::from_errors(vec![err]))
        })?;
        live_field(&doc, request.operation_name.as_deref()).map_err(|m| {
            let err = AppError::bad_input("query", m);
            Box::new(error_response(err))
        })
    }

    /// The answers of subscription `request` (to `dashboard`) for `principal`: the first at
    /// once, then each that differs. An answer without data (the document does not
    /// validate, the arguments are wrong) is the last.
    pub fn subscribe(
        &self,
        principal: Principal,
        request: Request,
        dashboard: &'static str,
    ) -> BoxStream<'static, Response> {
        let inner = &self.inner;
        let team = principal.team.id;
        let cap = inner.state.settings.live.live_max_subscriptions_per_team;
        {
            let Ok(mut teams) = inner.teams.lock() else {
                return once_error(AppError::internal(anyhow::anyhow!("live registry")));
            };
            let running = teams.entry(team).or_insert(0);
            if *running >= cap {
                return once_error(AppError::Unavailable {
                    retry_after_seconds: 5,
                    message: format!(
                        "this team runs {cap} live subscriptions on this instance already"
                    ),
                });
            }
            *running += 1;
        }
        let ticket = Ticket {
            live: self.clone(),
            team,
            dashboard,
        };
        inner.state.metrics.live.subscription(dashboard, 1);
        let key = Key {
            team,
            role: principal.role,
            user: request
                .query
                .contains("presetId")
                .then(|| principal.user.clone()),
            document: normalised(&request.query),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
            operation: request.operation_name.clone(),
        };
        let mut answers = {
            let Ok(mut entries) = inner.entries.lock() else {
                return once_error(AppError::internal(anyhow::anyhow!("live registry")));
            };
            let entry = entries.entry(key.clone()).or_insert_with(|| {
                let entry = Arc::new(Entry {
                    dashboard,
                    answers: watch::channel(None).0,
                });
                let task = entry::Task {
                    live: self.clone(),
                    key,
                    entry: entry.clone(),
                    principal,
                    request,
                };
                tokio::spawn(task.run());
                entry
            });
            entry.answers.subscribe()
        };
        answers.mark_changed();
        let metrics = inner.state.metrics.clone();
        let reader = Reader {
            answers,
            seen: 0,
            _ticket: ticket,
        };
        stream::unfold(reader, move |mut r| {
            let metrics = metrics.clone();
            async move {
                let answer = r.next().await?;
                metrics.live.pushed(dashboard, answer.delay());
                Some((answer.response(), r))
            }
        })
        .boxed()
    }

    /// Drops the entry of `key` if nobody reads it any more; `false` when someone does.
    fn remove_if_unread(&self, key: &Key) -> bool {
        let Ok(mut entries) = self.inner.entries.lock() else {
            return true;
        };
        match entries.get(key) {
            Some(e) if e.answers.receiver_count() > 0 => false,
            _ => {
                entries.remove(key);
                true
            }
        }
    }
}

/// A subscriber's end of an entry's answers.
struct Reader {
    answers: watch::Receiver<Option<Arc<Answer>>>,
    /// The number of the last answer read (0: none yet).
    seen: u64,
    _ticket: Ticket,
}

impl Reader {
    /// The next answer this subscriber has not read; `None` once the entry has ended.
    async fn next(&mut self) -> Option<Arc<Answer>> {
        loop {
            if self.seen > 0 && self.answers.borrow().as_ref().is_some_and(|a| a.last) {
                return None;
            }
            self.answers.changed().await.ok()?;
            let Some(answer) = self.answers.borrow_and_update().clone() else {
                continue;
            };
            if answer.number <= self.seen {
                continue;
            }
            if self.seen > 0 && answer.number > self.seen + 1 {
                let live = &self._ticket.live.inner.state.metrics.live;
                live.dropped(self._ticket.dashboard, answer.number - self.seen - 1);
            }
            self.seen = answer.number;
            return Some(answer);
        }
    }
}

/// A running subscription, counted per team and dashboard until dropped.
struct Ticket {
    live: Live,
    team: TeamId,
    dashboard: &'static str,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let inner = &self.live.inner;
        inner.state.metrics.live.subscription(self.dashboard, -1);
        if let Ok(mut teams) = inner.teams.lock()
            && let Some(n) = teams.get_mut(&self.team)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                teams.remove(&self.team);
            }
        }
    }
}

/// A response carrying only `err`.
pub fn error_response(err: AppError) -> Response {
    let err: async_graphql::Error = err.into();
    Response::from_errors(vec![err.into_server_error(Default::default())])
}

fn once_error(err: AppError) -> BoxStream<'static, Response> {
    stream::once(async move { error_response(err) }).boxed()
}

/// A digest of an answer as clients see it, to send only answers that differ.
fn digest(data: &Value, errors: &[ServerError]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(data).unwrap_or_default());
    h.update(serde_json::to_vec(errors).unwrap_or_default());
    h.finalize().into()
}

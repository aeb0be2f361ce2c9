//! What one connection shares between its loop and the executor async-graphql calls: the
//! authenticated caller, its running subscriptions, what it was last heard of; and the
//! executor itself (queries once, subscriptions through the live registry).

use super::super::HttpState;
use crate::graphql::live::{Kind, Live, error_response};
use crate::kernel::{AppError, Principal};
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Data, Executor, Request, Response};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// What the executor and the connection loop of one connection share.
#[derive(Default)]
pub(super) struct Conn {
    pub(super) principal: OnceLock<Principal>,
    /// Subscriptions running.
    pub(super) running: AtomicUsize,
    /// Milliseconds since `opened` of the last frame received / of the last subscription
    /// ending (or the connection opening).
    pub(super) heard: AtomicU64,
    pub(super) idle_since: AtomicU64,
    /// Why the input ended early: a close code and reason.
    pub(super) refused: Mutex<Option<(u16, String)>>,
    /// Subscriptions the client completed: the protocol sends no `complete` back for them.
    pub(super) stopped: Mutex<HashSet<String>>,
    /// Ids of operations running (a second `subscribe` with one of them is refused, 4409).
    pub(super) active: Mutex<HashSet<String>>,
    /// When the connection's token expires (epoch seconds; API keys: never).
    pub(super) expires: OnceLock<i64>,
}

/// Runs a connection's requests as its authenticated caller.
#[derive(Clone)]
pub(super) struct ConnExecutor {
    pub(super) http: HttpState,
    pub(super) live: Live,
    pub(super) conn: Arc<Conn>,
    pub(super) opened: Instant,
}

impl ConnExecutor {
    pub(super) fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }
}

impl Executor for ConnExecutor {
    async fn execute(&self, request: Request) -> Response {
        let principal = self.conn.principal.get().cloned();
        match super::super::graphql::run_graphql(&self.http, request, principal).await {
            Ok(response) => response,
            Err(e) => error_response(e),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        _: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let Some(principal) = self.conn.principal.get().cloned() else {
            return once(error_response(AppError::Unauthenticated));
        };
        match self.live.kind(&request) {
            Err(response) => once(*response),
            Ok(Kind::Once) => {
                let this = self.clone();
                stream::once(async move { this.execute(request).await }).boxed()
            }
            Ok(Kind::Live(dashboard)) => {
                let cap = self
                    .http
                    .app
                    .settings
                    .live
                    .live_max_subscriptions_per_connection;
                if self.conn.running.fetch_add(1, Ordering::AcqRel) >= cap {
                    self.conn.running.fetch_sub(1, Ordering::AcqRel);
                    return once(error_response(AppError::Unavailable {
                        retry_after_seconds: 5,
                        message: format!("a connection runs at most {cap} subscriptions"),
                    }));
                }
                let running = Running(self.clone());
                self.live
                    .subscribe(principal, request, dashboard)
                    .map(move |r| {
                        let _ = &running;
                        r
                    })
                    .boxed()
            }
        }
    }
}

/// A subscription of a connection, counted until it ends.
struct Running(ConnExecutor);

impl Drop for Running {
    fn drop(&mut self) {
        let conn = &self.0.conn;
        if conn.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            conn.idle_since.store(self.0.now_ms(), Ordering::Release);
        }
    }
}

fn once(response: Response) -> BoxStream<'static, Response> {
    stream::once(async move { response }).boxed()
}

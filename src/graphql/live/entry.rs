//! One distinct live query: compute, publish if the answer changed, wait for a change that
//! reaches its dashboard (or its window's roll-over), keep at most one computation per
//! `DASHGATE_LIVE_MIN_INTERVAL_MS`, and stop once nobody reads.

use super::{Entry, Key, Live, WindowsSeen, digest, error_response};
use crate::graphql::dashboard::LiveRecheck;
use crate::kernel::{AppError, Principal};
use async_graphql::futures_util::StreamExt;
use async_graphql::{Request, Response, ServerError, Value};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// An answer as every subscriber of an entry gets it.
pub(super) struct Answer {
    /// 1, 2, … per entry: a subscriber that skips numbers missed (dropped) answers.
    pub number: u64,
    data: Value,
    errors: Vec<ServerError>,
    /// When the earliest change this answer is the first to reflect reached the instance.
    changed_at: Option<Instant>,
    /// Nothing follows (the subscription failed before its first answer).
    pub last: bool,
}

impl Answer {
    pub fn response(&self) -> Response {
        let mut r = Response::new(self.data.clone());
        r.errors = self.errors.clone();
        r
    }

    /// Seconds from the change this answer reflects to now.
    pub fn delay(&self) -> Option<f64> {
        self.changed_at.map(|at| at.elapsed().as_secs_f64())
    }
}

/// Why an entry computes again.
enum Wake {
    /// A change reached the dashboard at this instant.
    Changed(Instant),
    /// Time moved: the window rolls over.
    Time,
    /// The change feed is down: recompute past the panel cache.
    Recheck,
    /// Nobody reads any more.
    Stop,
}

/// The task of one entry.
pub(super) struct Task {
    pub live: Live,
    pub key: Key,
    pub entry: Arc<Entry>,
    pub principal: Principal,
    pub request: Request,
}

impl Task {
    pub async fn run(self) {
        let state = self.live.inner.state.clone();
        let mut changes = state.cache.listen();
        let min = Duration::from_millis(state.settings.live.live_min_interval_ms);
        let (mut number, mut last_digest) = (0u64, None);
        let mut changed_at: Option<Instant> = None;
        let mut afresh = false;
        loop {
            let started = Instant::now();
            let (response, rolls_over) = self.compute(afresh).await;
            state.metrics.live.computed(self.entry.dashboard);
            let failed = response.data == Value::Null && !response.errors.is_empty();
            // Failing before any answer (wrong arguments, a document that does not validate)
            // is said once, and ends the subscription.
            let last = failed && number == 0;
            if failed && !last {
                // A passing failure (database away, timeout): subscribers keep the last
                // answer; try again at the next change or recheck.
                tracing::debug!(errors = ?response.errors, "live computation failed");
            } else {
                let d = digest(&response.data, &response.errors);
                if last_digest != Some(d) {
                    last_digest = Some(d);
                    number += 1;
                    self.entry.answers.send_replace(Some(Arc::new(Answer {
                        number,
                        data: response.data,
                        errors: response.errors,
                        changed_at: changed_at.take(),
                        last,
                    })));
                }
            }
            changed_at = None;
            if last {
                self.entry.answers.closed().await;
                self.live.remove_if_unread(&self.key);
                return;
            }
            afresh = false;
            match self.wait(&mut changes, rolls_over).await {
                Wake::Stop => return,
                Wake::Changed(at) => changed_at = Some(at),
                Wake::Time => {}
                Wake::Recheck => afresh = true,
            }
            // At most one computation per interval; changes meanwhile are covered by it.
            let next = started + min;
            tokio::select! {
                () = tokio::time::sleep_until(next.into()) => {}
                () = self.entry.answers.closed() => {
                    if self.live.remove_if_unread(&self.key) {
                        return;
                    }
                }
            }
            loop {
                match changes.try_recv() {
                    Ok(c) if c.reaches(self.key.team, self.entry.dashboard) => {
                        changed_at.get_or_insert(c.at);
                    }
                    Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        }
    }

    /// One answer (`afresh`: past the panel cache), and when its windows roll over.
    async fn compute(&self, afresh: bool) -> (Response, Option<DateTime<Utc>>) {
        let state = &self.live.inner.state;
        let seen = Arc::new(WindowsSeen::default());
        let mut request = self.request_copy().data(seen.clone());
        if afresh {
            request = request.data(LiveRecheck);
        }
        let timeout_ms = state.settings.request_timeout_ms;
        let schema = self.live.inner.schema.clone();
        // A task of its own: the answer is computed on a fresh, shallow stack.
        let run = tokio::spawn(async move { schema.execute_stream(request).next().await });
        let response = match tokio::time::timeout(Duration::from_millis(timeout_ms), run).await {
            Ok(Ok(Some(response))) => response,
            Ok(_) => error_response(AppError::internal(anyhow::anyhow!("no live answer"))),
            Err(_) => error_response(AppError::Timeout(timeout_ms)),
        };
        let rolls_over = seen.0.lock().ok().and_then(|seen| {
            seen.iter()
                .filter_map(|(_, resolved)| resolved.window.rolls_over_at())
                .min()
        });
        (response, rolls_over)
    }

    /// The subscription request again, for one computation.
    fn request_copy(&self) -> Request {
        let r = &self.request;
        let mut copy = Request::new(r.query.clone())
            .variables(r.variables.clone())
            .data(self.principal.clone());
        if let Some(name) = &r.operation_name {
            copy = copy.operation_name(name.clone());
        }
        copy
    }

    /// Waits for a change that reaches this entry's dashboard of its team, the roll-over
    /// instant, a recheck while the change feed is down, or the last reader leaving.
    async fn wait(
        &self,
        changes: &mut tokio::sync::broadcast::Receiver<crate::kernel::changes::Changed>,
        rolls_over: Option<DateTime<Utc>>,
    ) -> Wake {
        let state = &self.live.inner.state;
        let clock = state.clock.clone();
        let mut moves = clock.moves();
        let recheck = Duration::from_secs(state.settings.live.live_recheck_seconds.max(1));
        let until = |at: DateTime<Utc>| (at - clock.now()).to_std().unwrap_or_default();
        // Without a roll-over the timer is never polled (the `if` below).
        let roll = tokio::time::sleep(rolls_over.map_or(Duration::ZERO, until));
        tokio::pin!(roll);
        // While the change feed is down: a recheck after `recheck`; otherwise never woken.
        let mut deafness = state.cache.deafness();
        let deaf = async {
            loop {
                if *deafness.borrow_and_update() {
                    tokio::time::sleep(recheck).await;
                    if *deafness.borrow() {
                        return;
                    }
                    continue;
                }
                if deafness.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::pin!(deaf);
        loop {
            tokio::select! {
                () = self.entry.answers.closed() => {
                    if self.live.remove_if_unread(&self.key) {
                        return Wake::Stop;
                    }
                }
                told = changes.recv() => match told {
                    Ok(c) if c.reaches(self.key.team, self.entry.dashboard) => {
                        return Wake::Changed(c.at);
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return Wake::Changed(Instant::now()),
                    Err(RecvError::Closed) => return Wake::Stop,
                },
                () = &mut roll, if rolls_over.is_some() => {
                    if rolls_over.is_some_and(|at| clock.now() >= at) {
                        return Wake::Time;
                    }
                    // A clock that is set, not running: wait for it to be moved (below).
                    let later = rolls_over.map_or(Duration::ZERO, until).max(Duration::from_secs(60));
                    roll.as_mut().reset(tokio::time::Instant::now() + later);
                }
                moved = async {
                    match moves.as_mut() {
                        Some(m) => m.changed().await.is_ok(),
                        None => std::future::pending().await,
                    }
                } => {
                    if !moved {
                        moves = None;
                    } else if rolls_over.is_some_and(|at| clock.now() >= at) {
                        return Wake::Time;
                    }
                }
                () = &mut deaf => return Wake::Recheck,
            }
        }
    }
}

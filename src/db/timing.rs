//! Time spent in the database on behalf of one request: the connection's statement callback
//! adds each statement's duration to the accumulator of the task that ran it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

tokio::task_local! {
    static CURRENT: Accumulator;
}

/// Microseconds of database work, shared by the tasks of one request.
#[derive(Clone, Default, Debug)]
pub struct Accumulator(Arc<AtomicU64>);

impl Accumulator {
    pub fn add(&self, took: Duration) {
        self.0.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn millis(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 1_000.0
    }
}

/// Runs `work` with `acc` collecting its statements' durations.
pub async fn measure<F: Future>(acc: &Accumulator, work: F) -> F::Output {
    CURRENT.scope(acc.clone(), work).await
}

/// The accumulator of the running task, to carry into a task it spawns.
pub fn current() -> Option<Accumulator> {
    CURRENT.try_with(Accumulator::clone).ok()
}

/// `work` measured into `acc` when there is one (for spawned tasks).
pub async fn carry<F: Future>(acc: Option<Accumulator>, work: F) -> F::Output {
    match acc {
        Some(acc) => CURRENT.scope(acc, work).await,
        None => work.await,
    }
}

/// Adds a statement's duration to the running task's accumulator, if any.
pub fn record(took: Duration) {
    let _ = CURRENT.try_with(|acc| acc.add(took));
}

//! How many panel computations run at once, and how many may wait: load is shed by these two
//! named limits, never by a connection-wait timeout. A computation past the running limit
//! waits its turn (its request's timeout bounds the wait, so a busy gateway answers slower);
//! one arriving when the waiting line is full is refused at once with `SERVICE_UNAVAILABLE`
//! and `Retry-After` (the gateway is at capacity — the database is not down).

use super::error::{AppError, AppResult};
use crate::telemetry::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits on panel computations (see the module comment).
#[derive(Clone)]
pub struct ComputeGate {
    running: Arc<Semaphore>,
    max_running: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    metrics: Arc<Metrics>,
}

/// A running computation's place; the next one in line starts when it is dropped.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
    gate: ComputeGate,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.gate.report();
    }
}

/// Decrements the waiting count however the wait ends (admitted, or the request gave up).
struct Waiting<'a>(&'a ComputeGate);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
        self.0.report();
    }
}

impl ComputeGate {
    /// At most `max_running` computations at once (at least one) and `max_waiting` in line.
    pub fn new(max_running: usize, max_waiting: usize, metrics: Arc<Metrics>) -> Self {
        let max_running = max_running.max(1);
        ComputeGate {
            running: Arc::new(Semaphore::new(max_running)),
            max_running,
            waiting: Arc::default(),
            max_waiting,
            metrics,
        }
    }

    /// Waits for a turn to compute; refused at once when the line is full.
    pub async fn enter(&self) -> AppResult<Turn> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            self.report();
            return Ok(self.turn(permit));
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.metrics.rate_limited("computations");
            return Err(AppError::Unavailable {
                retry_after_seconds: 1,
                message: format!(
                    "the gateway is at capacity: {} panel computations running and {} waiting; \
                     retry shortly",
                    self.max_running, self.max_waiting
                ),
            });
        }
        let waiting = Waiting(self);
        self.report();
        let permit = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        drop(waiting);
        Ok(self.turn(permit))
    }

    fn turn(&self, permit: OwnedSemaphorePermit) -> Turn {
        Turn {
            _permit: permit,
            gate: self.clone(),
        }
    }

    /// Computations running now.
    pub fn running(&self) -> usize {
        self.max_running - self.running.available_permits()
    }

    /// Computations waiting for a turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    fn report(&self) {
        self.metrics
            .set_computations(self.running(), self.waiting(), self.max_running);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_up_to_the_limit_queues_the_rest_and_refuses_past_the_line() {
        let gate = ComputeGate::new(2, 1, Arc::new(Metrics::new()));
        let a = gate.enter().await.unwrap();
        let _b = gate.enter().await.unwrap();
        assert_eq!(gate.running(), 2);
        let queued = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.map(|_| ()) })
        };
        while gate.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let refused = gate.enter().await.err().expect("the line is full");
        assert_eq!(refused.code(), "SERVICE_UNAVAILABLE");
        assert_eq!(refused.retry_after(), Some(1));
        drop(a);
        queued.await.unwrap().unwrap();
        assert_eq!(gate.waiting(), 0);
        assert_eq!(gate.running(), 1);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_line() {
        let gate = ComputeGate::new(1, 4, Arc::new(Metrics::new()));
        let _held = gate.enter().await.unwrap();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(20), gate.enter()).await;
        assert!(gave_up.is_err());
        assert_eq!(gate.waiting(), 0);
    }
}

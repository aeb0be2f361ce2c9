//! The injectable clock: presets and "now"-relative metrics read time only from here.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::watch;

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// For a clock that is set rather than running (tests): told each new instant, so what
    /// waits for an instant (live subscriptions' window roll-overs) wakes. `None` for a clock
    /// that moves with real time.
    fn moves(&self) -> Option<watch::Receiver<DateTime<Utc>>> {
        None
    }
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock pinned to one instant (`DASHGATE_NOW`, tests).
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock standing at an instant until it is set to another (tests of what time moves).
pub struct SetClock(watch::Sender<DateTime<Utc>>);

impl SetClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        SetClock(watch::channel(at).0)
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.0.send_replace(at);
    }
}

impl Clock for SetClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    fn moves(&self) -> Option<watch::Receiver<DateTime<Utc>>> {
        Some(self.0.subscribe())
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The system clock, or a fixed one when `pinned` is set.
pub fn clock_from(pinned: Option<DateTime<Utc>>) -> SharedClock {
    match pinned {
        Some(at) => Arc::new(FixedClock(at)),
        None => Arc::new(SystemClock),
    }
}

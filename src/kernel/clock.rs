//! The injectable clock: presets and "now"-relative metrics read time only from here.

use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
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

pub type SharedClock = Arc<dyn Clock>;

/// The system clock, or a fixed one when `pinned` is set.
pub fn clock_from(pinned: Option<DateTime<Utc>>) -> SharedClock {
    match pinned {
        Some(at) => Arc::new(FixedClock(at)),
        None => Arc::new(SystemClock),
    }
}

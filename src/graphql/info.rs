//! What the GraphQL layer learns about one request while running it — the operation's type
//! and name, and how long parsing, validation and execution took — for the HTTP layer's
//! status codes, metrics, traces and `Server-Timing`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Filled in by the `Limits` extension when the request carries one in its data.
#[derive(Debug, Default)]
pub struct RequestInfo {
    /// The `operationName` the request asked for.
    requested: Option<String>,
    operation: Mutex<Option<(&'static str, Option<String>)>>,
    parse_us: AtomicU64,
    validate_us: AtomicU64,
    execute_us: AtomicU64,
}

/// The phases of a request whose durations are kept.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    Parse,
    Validate,
    Execute,
}

impl RequestInfo {
    /// The record of a request that asked for the operation `name` (or the only one).
    pub fn new(name: Option<&str>) -> Self {
        RequestInfo {
            requested: name.map(str::to_string),
            ..Default::default()
        }
    }

    /// The `operationName` the request asked for.
    pub fn requested_name(&self) -> Option<&str> {
        self.requested.as_deref()
    }

    /// Records the operation chosen for execution: `query`, `mutation` or `subscription`.
    pub fn set_operation(&self, kind: &'static str, name: Option<&str>) {
        if let Ok(mut op) = self.operation.lock() {
            *op = Some((kind, name.map(str::to_string)));
        }
    }

    /// The operation's type (`None` when the document never parsed).
    pub fn operation_type(&self) -> Option<&'static str> {
        self.operation
            .lock()
            .ok()
            .and_then(|op| op.as_ref().map(|o| o.0))
    }

    /// The operation's name, when it has one.
    pub fn operation_name(&self) -> Option<String> {
        self.operation
            .lock()
            .ok()
            .and_then(|op| op.as_ref().and_then(|o| o.1.clone()))
    }

    pub fn add(&self, phase: Phase, took: Duration) {
        let slot = match phase {
            Phase::Parse => &self.parse_us,
            Phase::Validate => &self.validate_us,
            Phase::Execute => &self.execute_us,
        };
        slot.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Milliseconds spent in a phase.
    pub fn millis(&self, phase: Phase) -> f64 {
        let slot = match phase {
            Phase::Parse => &self.parse_us,
            Phase::Validate => &self.validate_us,
            Phase::Execute => &self.execute_us,
        };
        slot.load(Ordering::Relaxed) as f64 / 1_000.0
    }
}

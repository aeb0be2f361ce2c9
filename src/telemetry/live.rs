//! Metrics of live subscriptions: how many run, what they cost, how fast they push.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Dashboard {
    dashboard: String,
}

/// The dashboards live subscriptions can follow (the label's bounded set).
pub const DASHBOARDS: [&str; 5] = ["apiUsage", "chat", "publishing", "executive", "product"];

/// Metrics of live subscriptions, by dashboard.
pub struct LiveMetrics {
    connections: Gauge,
    subscriptions: Family<Dashboard, Gauge>,
    computations: Family<Dashboard, Counter>,
    pushes: Family<Dashboard, Counter>,
    dropped: Family<Dashboard, Counter>,
    push_delay: Histogram,
}

fn label(dashboard: &str) -> Dashboard {
    let known = DASHBOARDS.iter().find(|d| **d == dashboard);
    Dashboard {
        dashboard: known.copied().unwrap_or("other").to_string(),
    }
}

impl LiveMetrics {
    /// The metrics, registered in `registry`, each dashboard's series at zero.
    pub fn registered(registry: &mut Registry) -> Self {
        let m = LiveMetrics {
            connections: Gauge::default(),
            subscriptions: Family::default(),
            computations: Family::default(),
            pushes: Family::default(),
            dropped: Family::default(),
            // 1 ms … ~33 s.
            push_delay: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
        };
        registry.register(
            "live_connections",
            "Open WebSocket connections (graphql-transport-ws)",
            m.connections.clone(),
        );
        registry.register(
            "live_subscriptions",
            "Running live subscriptions, by dashboard",
            m.subscriptions.clone(),
        );
        registry.register(
            "live_computations",
            "Answers computed for live subscriptions: one per distinct query per change",
            m.computations.clone(),
        );
        registry.register(
            "live_pushes",
            "Results sent to live subscribers",
            m.pushes.clone(),
        );
        registry.register(
            "live_dropped",
            "Results a live subscriber never got because a newer one replaced them (coalesced)",
            m.dropped.clone(),
        );
        registry.register(
            "live_push_delay_seconds",
            "From a change reaching this instance to a result that reflects it being sent",
            m.push_delay.clone(),
        );
        for d in DASHBOARDS {
            let _ = m.subscriptions.get_or_create(&label(d));
            let _ = m.computations.get_or_create(&label(d));
            let _ = m.pushes.get_or_create(&label(d));
            let _ = m.dropped.get_or_create(&label(d));
        }
        m
    }

    /// A WebSocket connection opened (`+1`) or closed (`-1`).
    pub fn connection(&self, delta: i64) {
        self.connections.inc_by(delta);
    }

    /// A subscription to `dashboard` started (`+1`) or ended (`-1`).
    pub fn subscription(&self, dashboard: &str, delta: i64) {
        self.subscriptions
            .get_or_create(&label(dashboard))
            .inc_by(delta);
    }

    /// An answer for `dashboard`'s subscribers was computed.
    pub fn computed(&self, dashboard: &str) {
        self.computations.get_or_create(&label(dashboard)).inc();
    }

    /// How many answers for `dashboard`'s subscribers were computed so far.
    pub fn computations(&self, dashboard: &str) -> u64 {
        self.computations.get_or_create(&label(dashboard)).get()
    }

    /// A result was sent; `delay`: seconds since the change it reflects, if one.
    pub fn pushed(&self, dashboard: &str, delay: Option<f64>) {
        self.pushes.get_or_create(&label(dashboard)).inc();
        if let Some(seconds) = delay {
            self.push_delay.observe(seconds);
        }
    }

    /// `n` results were replaced before a subscriber took them.
    pub fn dropped(&self, dashboard: &str, n: u64) {
        self.dropped.get_or_create(&label(dashboard)).inc_by(n);
    }
}

//! Settings of live subscriptions (GraphQL over WebSocket): how often, how many, how long.

use clap::Args;

/// Limits and pacing of live subscriptions.
#[derive(Args, Debug, Clone)]
pub struct LiveSettings {
    /// A subscription gets at most one new result per this many milliseconds (the latest;
    /// results in between are dropped).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_MIN_INTERVAL_MS",
        default_value_t = 1_000
    )]
    pub live_min_interval_ms: u64,
    /// WebSocket connections open at once on this instance; one more is answered 503 before
    /// the upgrade.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_MAX_CONNECTIONS",
        default_value_t = 10_000
    )]
    pub live_max_connections: usize,
    /// WebSocket connections of one team open at once on this instance; one more is closed
    /// with 4429 at `connection_init`.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_MAX_CONNECTIONS_PER_TEAM",
        default_value_t = 2_000
    )]
    pub live_max_connections_per_team: usize,
    /// Subscriptions one connection may run at once; one more is answered with an `error`
    /// message (`SERVICE_UNAVAILABLE`).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 100
    )]
    pub live_max_subscriptions_per_connection: usize,
    /// Subscriptions of one team running at once on this instance; one more is answered with
    /// an `error` message (`SERVICE_UNAVAILABLE`).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_MAX_SUBSCRIPTIONS_PER_TEAM",
        default_value_t = 20_000
    )]
    pub live_max_subscriptions_per_team: usize,
    /// A connection must send `connection_init` within this many milliseconds (else it is
    /// closed with 4408).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_INIT_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub live_init_timeout_ms: u64,
    /// The server pings every connection this often (WebSocket ping frames); a connection
    /// that sends nothing — not even a pong — for three intervals is closed.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_PING_SECONDS",
        default_value_t = 30
    )]
    pub live_ping_seconds: u64,
    /// A connection running no subscription for this many seconds is closed (1000).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_IDLE_SECONDS",
        default_value_t = 300
    )]
    pub live_idle_seconds: u64,
    /// While other instances' changes cannot be heard (the change feed is down), every live
    /// subscription is recomputed this often instead.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LIVE_RECHECK_SECONDS",
        default_value_t = 5
    )]
    pub live_recheck_seconds: u64,
}

//! Settings of the HTTP server and its routes: connections, timeouts, CORS, ingest memory.

use clap::Args;

/// How the HTTP server protects itself and which browser origins it serves.
#[derive(Args, Debug, Clone)]
pub struct ServerSettings {
    /// Open connections at most; one more is answered 503 and closed at once.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_CONNECTIONS",
        default_value_t = 1_024
    )]
    pub max_connections: usize,
    /// A request's headers must arrive within this many milliseconds of its first byte (a new
    /// connection's first request: of the connection's accept).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_HTTP_HEADER_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub http_header_timeout_ms: u64,
    /// A keep-alive connection with no request for this many milliseconds is closed.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_HTTP_IDLE_TIMEOUT_MS",
        default_value_t = 75_000
    )]
    pub http_idle_timeout_ms: u64,
    /// A request body may take this many milliseconds, plus one second per
    /// `DASHGATE_HTTP_BODY_MIN_RATE` bytes (408 `TIMEOUT` otherwise).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_HTTP_BODY_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub http_body_timeout_ms: u64,
    /// The slowest average rate, in bytes per second, at which a request body may arrive.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_HTTP_BODY_MIN_RATE",
        default_value_t = 8_192
    )]
    pub http_body_min_rate: u64,
    /// The slowest average rate, in bytes per second, at which an ingestion body may arrive
    /// (after `DASHGATE_HTTP_BODY_TIMEOUT_MS`); batches are large, so a sender below it is cut
    /// sooner than on other routes.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_INGEST_BODY_MIN_RATE",
        default_value_t = 65_536
    )]
    pub ingest_body_min_rate: u64,
    /// On SIGTERM or Ctrl-C: how long in-flight requests may take to finish before exit.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_SHUTDOWN_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub shutdown_timeout_ms: u64,
    /// Ingestion bodies being processed at once, in bytes, across all clients; a batch that
    /// does not fit is answered 503 with `Retry-After`.
    #[arg(long, global = true, env = "DASHGATE_INGEST_INFLIGHT_BYTES", default_value_t = 256 << 20)]
    pub ingest_inflight_bytes: usize,
    /// Browser origins allowed to call `/graphql`, `/v1/export` and `/schema.graphql`
    /// (comma-separated, `*` for any; empty: same origin only).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CORS_ALLOWED_ORIGINS",
        default_value = ""
    )]
    pub cors_allowed_origins: String,
    /// Browser origins allowed to call `/v1/ingest/…` (comma-separated, `*` for any; empty:
    /// same origin only).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_INGEST_ALLOWED_ORIGINS",
        default_value = ""
    )]
    pub ingest_allowed_origins: String,
    /// Trusted-documents mode: a manifest (Apollo's persisted-query manifest, or an object of
    /// id → document); only its operations run, by `documentId`, by hash or in full.
    #[arg(long, global = true, env = "DASHGATE_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<std::path::PathBuf>,
}

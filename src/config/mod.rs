//! Typed settings: defaults < environment (`DASHGATE_*`, optionally from `.env`) < flags.
//! Unknown `DASHGATE_*` variables are rejected so a typo never goes unnoticed.

mod live;
mod server;

pub use live::LiveSettings;
pub use server::ServerSettings;

use chrono::{DateTime, Utc};
use clap::{Args, CommandFactory, Parser};

/// Every setting of the gateway; each flag also reads the environment variable it names.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Database URL: `sqlite://path.db` (embedded, created on first start) or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DATABASE_URL",
        default_value = "sqlite://dashgate.db"
    )]
    pub database_url: String,
    /// Address the HTTP server listens on.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: String,
    /// HS256 secret for JWTs. Unset: a random secret is generated once and kept in the database.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// Pins the clock to an RFC 3339 instant (reproducible demos and tests). Unset: real time.
    #[arg(long, global = true, env = "DASHGATE_NOW")]
    pub now: Option<DateTime<Utc>>,
    /// Serve dashboards from rollup tables where they cover the window (`false`: read raw rows
    /// only; the rollups are still maintained, for comparing the two).
    #[arg(long, global = true, env = "DASHGATE_ROLLUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rollups: bool,
    /// Seed the `demo` team on first start of an empty SQLite database.
    #[arg(long, global = true, env = "DASHGATE_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,
    /// Bytes the in-process panel cache may hold (each panel weighed by its serialised size
    /// plus its key); least-used panels are evicted beyond it. 0 disables the cache.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_MAX_BYTES",
        default_value_t = 256 << 20
    )]
    pub cache_max_bytes: u64,
    /// Bytes of decoded product telemetry kept in memory, per team (events from the earliest
    /// window read on, memberships, their texts); least-used teams are evicted beyond it.
    /// Kept telemetry follows ingested changes; 0 reads every product request's rows anew.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_PRODUCT_CACHE_MAX_BYTES",
        default_value_t = 512 << 20
    )]
    pub product_cache_max_bytes: u64,
    /// Bytes of chat conversations kept in memory, per team (sessions with their tags, and
    /// the counted messages, traces and message tag links from the earliest window read on);
    /// least-used teams are evicted beyond it. Kept conversations follow ingested messages and
    /// traces; 0 computes every chat request with SQL over rollups and rows.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CHAT_CACHE_MAX_BYTES",
        default_value_t = 512 << 20
    )]
    pub chat_cache_max_bytes: u64,
    /// Seconds a cached panel stays valid (data written by other systems shows up after this).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_TTL_SECONDS",
        default_value_t = 60
    )]
    pub cache_ttl_seconds: u64,
    /// Seconds an expired panel is still served (once, while one request recomputes it in the
    /// background) before it must be recomputed in the foreground.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_STALE_SECONDS",
        default_value_t = 60
    )]
    pub cache_stale_seconds: u64,
    /// Milliseconds a reader of a team whose data just changed waits for the new answer of a
    /// panel before it is answered the previous one (marked stale in `extensions.cache`);
    /// the new answer is still computed, for the next reader. A failure that says "not now"
    /// (timeout, database unavailable) also gets the previous answer instead of an error.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_CHANGED_WAIT_MS",
        default_value_t = 5_000
    )]
    pub cache_changed_wait_ms: u64,
    /// A PostgreSQL read replica (`postgres://…`) for dashboard reads; ingestion, presets and
    /// accounts stay on the primary, and a team that just wrote reads from the primary until
    /// the replica has replayed its write.
    #[arg(long, global = true, env = "DASHGATE_DATABASE_READ_URL")]
    pub database_read_url: Option<String>,
    /// Redis shared by several instances (`redis://host:6379/0`): per-team rate limits count
    /// across all of them. Optional; when Redis is slow or down, each instance falls back to
    /// its own limits and `/readyz` reports it as degraded.
    #[arg(long, global = true, env = "DASHGATE_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key this deployment writes (several deployments, or tests, can
    /// share one Redis).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_REDIS_PREFIX",
        default_value = "dashgate"
    )]
    pub redis_prefix: String,
    /// Milliseconds a Redis command may take before the instance goes on without it.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_REDIS_TIMEOUT_MS",
        default_value_t = 100
    )]
    pub redis_timeout_ms: u64,
    /// On PostgreSQL, tell other instances on the same database of every change this one
    /// writes (`NOTIFY`), and listen for theirs (`LISTEN`), so each sees the others' batches at
    /// once instead of after the cache TTL.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_NOTIFY_CHANGES",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub notify_changes: bool,
    /// Seconds an API key's or a team's lookup is reused by authentication (0: every request
    /// looks up); a revoked key or a changed team takes effect within this time.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_AUTH_CACHE_SECONDS",
        default_value_t = 5
    )]
    pub auth_cache_seconds: u64,
    /// Maximum database connections in the pool.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub db_max_connections: u32,
    /// The longest a statement waits for a connection from the pool (busy connections
    /// finishing, or a new one opening), in milliseconds. A busy database makes answers slower
    /// (requests are bounded by their own timeout), it does not make them fail: whether the
    /// database can be reached at all is told by `DASHGATE_DB_CONNECT_TIMEOUT_MS`.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub db_acquire_timeout_ms: u64,
    /// After this long without an answer, a request checks whether the database can be reached
    /// at all (a TCP connection to it, given this long to open); only when it cannot does the
    /// request answer `DATABASE_UNAVAILABLE`. In milliseconds.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_CONNECT_TIMEOUT_MS",
        default_value_t = 1_000
    )]
    pub db_connect_timeout_ms: u64,
    /// Panel computations (cache misses) running at once; more wait for a turn, within their
    /// request's timeout. 0 = the database pool's size.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_CONCURRENT_COMPUTATIONS",
        default_value_t = 0
    )]
    pub max_concurrent_computations: usize,
    /// Panel computations that may wait for a turn; past this, requests needing a computation
    /// are answered `SERVICE_UNAVAILABLE` with `Retry-After` (the gateway is at capacity).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_WAITING_COMPUTATIONS",
        default_value_t = 512
    )]
    pub max_waiting_computations: usize,
    /// Refresh a table's planner statistics (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`)
    /// after a batch grows it by more than this percentage (0 = never).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ANALYZE_GROWTH_PERCENT",
        default_value_t = 10
    )]
    pub analyze_growth_percent: u64,
    /// Statement timeout on PostgreSQL, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub db_statement_timeout_ms: u64,
    /// Statement timeout inside a write transaction (a large batch's bulk statements), on
    /// PostgreSQL, in milliseconds (0 = none).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_WRITE_STATEMENT_TIMEOUT_MS",
        default_value_t = 120_000
    )]
    pub db_write_statement_timeout_ms: u64,
    /// How long a batch waits for its turn: one team's batches (every batch on SQLite) are
    /// written one at a time, in arrival order; past this wait it is answered 503.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_WRITE_QUEUE_TIMEOUT_MS",
        default_value_t = 60_000
    )]
    pub write_queue_timeout_ms: u64,
    /// Whole-request timeout for GraphQL, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_REQUEST_TIMEOUT_MS",
        default_value_t = 15_000
    )]
    pub request_timeout_ms: u64,
    /// Maximum GraphQL request body, in bytes.
    #[arg(long, global = true, env = "DASHGATE_BODY_LIMIT_BYTES", default_value_t = 1 << 20)]
    pub body_limit_bytes: usize,
    /// Maximum ingestion request body, in bytes.
    #[arg(long, global = true, env = "DASHGATE_INGEST_BODY_LIMIT_BYTES", default_value_t = 64 << 20)]
    pub ingest_body_limit_bytes: usize,
    /// Deepest nesting of brackets in a GraphQL document (`{`, `[`, `(` together) and in a JSON
    /// body, checked before either is parsed.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_NESTING",
        default_value_t = 32
    )]
    pub max_nesting: usize,
    /// Most lexical tokens in a GraphQL document, checked before it is parsed.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_TOKENS",
        default_value_t = 10_000
    )]
    pub max_tokens: usize,
    /// Maximum query depth (GraphiQL's introspection needs at least 15).
    #[arg(long, global = true, env = "DASHGATE_MAX_DEPTH", default_value_t = 20)]
    pub max_depth: usize,
    /// Maximum query complexity (one point per selected field, lists × their `limit`).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_COMPLEXITY",
        default_value_t = 5_000
    )]
    pub max_complexity: usize,
    /// Maximum number of aliased fields in one operation.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_ALIASES",
        default_value_t = 30
    )]
    pub max_aliases: usize,
    /// Maximum number of root fields in one operation.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_ROOT_FIELDS",
        default_value_t = 10
    )]
    pub max_root_fields: usize,
    /// Most fields one operation (or fragment) selects once its fragment spreads are expanded,
    /// counted before validation without expanding them.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_EXPANDED_FIELDS",
        default_value_t = 5_000
    )]
    pub max_expanded_fields: usize,
    /// Maximum number of points in one series.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_MAX_BUCKETS",
        default_value_t = 1_000
    )]
    pub max_buckets: usize,
    /// Maximum `limit` of a top-N list.
    #[arg(long, global = true, env = "DASHGATE_MAX_TOP_N", default_value_t = 100)]
    pub max_top_n: usize,
    /// GraphQL requests and ingestion batches per team and minute (0 = unlimited).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_RATE_LIMIT_PER_MINUTE",
        default_value_t = 1_200
    )]
    pub rate_limit_per_minute: u32,
    /// `refresh: FORCE` dashboard requests per team and minute (0 = unlimited).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_FORCE_REFRESH_PER_MINUTE",
        default_value_t = 6
    )]
    pub force_refresh_per_minute: u32,
    /// Executive alert: uptime below this ratio is CRITICAL.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ALERT_UPTIME_MIN",
        default_value_t = 0.999
    )]
    pub alert_uptime_min: f64,
    /// Executive alert: NRR below this ratio is a WARNING.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ALERT_NRR_MIN",
        default_value_t = 1.0
    )]
    pub alert_nrr_min: f64,
    /// Executive alert: gross margin below this ratio is a WARNING.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ALERT_GROSS_MARGIN_MIN",
        default_value_t = 0.5
    )]
    pub alert_gross_margin_min: f64,
    /// Executive alert: book-to-bill below this ratio is a WARNING.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ALERT_BOOK_TO_BILL_MIN",
        default_value_t = 1.0
    )]
    pub alert_book_to_bill_min: f64,
    /// Executive alert: backlog coverage below this many months is a WARNING.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_ALERT_COVERAGE_MONTHS_MIN",
        default_value_t = 3.0
    )]
    pub alert_coverage_months_min: f64,
    /// Quality gates over real-user timing events: `name=maxP95Ms` pairs, comma-separated.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_QUALITY_GATES",
        default_value = "switch_range_or_granularity=200,drilldown=200,page_load=2000"
    )]
    pub quality_gates: QualityGates,
    /// Browser origins allowed to send `POST /v1/events` (comma-separated, `*` for any;
    /// empty: same origin only).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_EVENTS_ALLOWED_ORIGINS",
        default_value = ""
    )]
    pub events_allowed_origins: String,
    /// Browser events (`POST /v1/events`) per team and minute (0 = unlimited); separate from
    /// the request rate limit.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_EVENTS_PER_MINUTE",
        default_value_t = 6_000
    )]
    pub events_per_minute: u32,
    /// Maximum body of one `POST /v1/events` request, in bytes.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_EVENTS_BODY_LIMIT_BYTES",
        default_value_t = 16 << 10
    )]
    pub events_body_limit_bytes: usize,
    /// The HTTP server's own limits and allowed origins.
    #[command(flatten)]
    pub server: ServerSettings,
    /// Limits and pacing of live subscriptions.
    #[command(flatten)]
    pub live: LiveSettings,
    /// Log lines as `text` (for people) or `json` (one object per line, for log shippers).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,dashgate=debug`.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LOG",
        default_value = "info,sea_orm_migration=warn,sqlx::postgres::notice=warn"
    )]
    pub log: String,
}

/// How log lines are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Quality gates: the p95 of an event's `duration_ms` must stay at or below a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityGates(pub Vec<(String, f64)>);

impl std::str::FromStr for QualityGates {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut gates: Vec<(String, f64)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, ms) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: write gates as name=maxP95Ms"))?;
            let name = name.trim();
            let ms: f64 = ms
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("`{part}`: the threshold is a number of ms ≥ 0"))?;
            if name.is_empty() || gates.iter().any(|(n, _)| n == name) {
                return Err(format!("`{part}`: each gate names one event, once"));
            }
            gates.push((name.to_string(), ms));
        }
        Ok(QualityGates(gates))
    }
}

#[derive(Parser)]
struct DefaultsOnly {
    #[command(flatten)]
    settings: Settings,
}

impl Default for Settings {
    /// Built-in defaults plus `DASHGATE_*` from the environment.
    fn default() -> Self {
        DefaultsOnly::parse_from(["dashgate"]).settings
    }
}

impl Settings {
    /// Whether the database is the embedded SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The database URL with what sqlx needs added (SQLite files are created when missing).
    pub fn connect_url(&self) -> String {
        if self.is_sqlite() && !self.database_url.contains("mode=") {
            let sep = if self.database_url.contains('?') {
                '&'
            } else {
                '?'
            };
            format!("{}{sep}mode=rwc", self.database_url)
        } else {
            self.database_url.clone()
        }
    }
}

/// Rejects `DASHGATE_*` variables that no setting reads (`DASHGATE_TEST_*` belong to tests).
pub fn reject_unknown_env() -> Result<(), String> {
    let names = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
    check_env_names(names)
}

/// The check behind `reject_unknown_env`, over any list of variable names.
pub fn check_env_names(names: impl IntoIterator<Item = String>) -> Result<(), String> {
    let command = DefaultsOnly::command();
    let known: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
        .collect();
    let unknown: Vec<String> = names
        .into_iter()
        .filter(|k| k.starts_with("DASHGATE_") && !k.starts_with("DASHGATE_TEST_"))
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "unknown setting(s) {}; known: {}",
            unknown.join(", "),
            known.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_dashgate_variables_are_rejected() {
        let ok = [
            "DASHGATE_DATABASE_URL",
            "DASHGATE_TEST_POSTGRES_URL",
            "PATH",
        ]
        .map(String::from);
        assert!(check_env_names(ok).is_ok());
        let err = check_env_names(["DASHGATE_DATABSE_URL".to_string()]).unwrap_err();
        assert!(err.contains("DASHGATE_QUALITY_GATES"));
        assert!(err.contains("DASHGATE_DATABSE_URL") && err.contains("DASHGATE_DATABASE_URL"));
    }

    #[test]
    fn quality_gates_parse_and_reject_nonsense() {
        let gates: QualityGates = "page_load=2000, drilldown = 150.5".parse().unwrap();
        assert_eq!(
            gates.0,
            vec![("page_load".into(), 2000.0), ("drilldown".into(), 150.5)]
        );
        assert_eq!("".parse::<QualityGates>().unwrap().0, vec![]);
        assert!("page_load".parse::<QualityGates>().is_err());
        assert!("page_load=fast".parse::<QualityGates>().is_err());
        assert!("a=1,a=2".parse::<QualityGates>().is_err());
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let s = Settings {
            database_url: "sqlite://x.db".into(),
            ..Settings::default()
        };
        assert_eq!(s.connect_url(), "sqlite://x.db?mode=rwc");
        let pg = Settings {
            database_url: "postgres://h/db".into(),
            ..Settings::default()
        };
        assert_eq!(pg.connect_url(), "postgres://h/db");
    }
}

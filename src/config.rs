//! Typed settings: defaults < environment (`DASHGATE_*`, optionally from `.env`) < flags.
//! Unknown `DASHGATE_*` variables are rejected so a typo never goes unnoticed.

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
    /// Seed the `demo` team on first start of an empty SQLite database.
    #[arg(long, global = true, env = "DASHGATE_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,
    /// Maximum number of cached panel results (0 disables the cache).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_CAPACITY",
        default_value_t = 10_000
    )]
    pub cache_capacity: u64,
    /// Seconds a cached panel stays valid (data written by other systems shows up after this).
    #[arg(
        long,
        global = true,
        env = "DASHGATE_CACHE_TTL_SECONDS",
        default_value_t = 60
    )]
    pub cache_ttl_seconds: u64,
    /// Maximum database connections in the pool.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub db_max_connections: u32,
    /// Statement timeout on PostgreSQL, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub db_statement_timeout_ms: u64,
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
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,dashgate=debug`.
    #[arg(
        long,
        global = true,
        env = "DASHGATE_LOG",
        default_value = "info,sea_orm_migration=warn,sqlx::postgres::notice=warn"
    )]
    pub log: String,
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
        assert!(err.contains("DASHGATE_DATABSE_URL") && err.contains("DASHGATE_DATABASE_URL"));
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

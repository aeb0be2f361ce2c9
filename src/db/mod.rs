//! Connecting to the database, running migrations, and timing statements per request.

pub mod changes;
pub mod reach;
pub mod redis;
pub mod replica;
pub mod statistics;
pub mod timing;
pub mod writers;

use crate::config::Settings;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Opens a pool on `settings.database_url`; `schema` selects a PostgreSQL schema (tests).
pub async fn connect(
    settings: &Settings,
    schema: Option<&str>,
) -> Result<DatabaseConnection, DbErr> {
    connect_to(settings, settings.connect_url(), schema).await
}

/// The schema a PostgreSQL pool works in (`None` for `public` and on SQLite).
pub async fn current_schema(db: &DatabaseConnection) -> Option<String> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let sql = "SELECT current_schema() AS s";
    let stmt = sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql);
    let row = sea_orm::ConnectionTrait::query_one_raw(db, stmt)
        .await
        .ok()??;
    row.try_get::<String>("", "s")
        .ok()
        .filter(|s| s != "public")
}

/// Opens a pool on the read replica (`DASHGATE_DATABASE_READ_URL`), if one is configured.
pub async fn connect_replica(
    settings: &Settings,
    schema: Option<&str>,
) -> Result<Option<DatabaseConnection>, DbErr> {
    match settings.database_read_url.as_deref() {
        Some(url) if !url.is_empty() && !settings.is_sqlite() => {
            Ok(Some(connect_to(settings, url.to_string(), schema).await?))
        }
        _ => Ok(None),
    }
}

async fn connect_to(
    settings: &Settings,
    url: String,
    schema: Option<&str>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(settings.db_max_connections)
        .min_connections(1)
        // A busy pool queues (bounded by each request's timeout); a database that cannot be
        // reached is told apart by `reach`, not by this wait.
        .acquire_timeout(Duration::from_millis(settings.db_acquire_timeout_ms))
        .sqlx_logging(false);
    if settings.is_sqlite() {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opts.statement_timeout(Duration::from_millis(settings.db_statement_timeout_ms));
        // Dashboard aggregates sort ~10^5 rows (distinct counts, percentiles); the default
        // 4 MB spills those sorts to disk.
        // Custom plans always: sqlx prepares every statement, and after five executions
        // PostgreSQL may switch to a generic plan, in which `IN ($2, …, $501)` is no longer a
        // list of constants — it is then searched linearly for every row instead of hashed
        // (a 500-key delete chunk went from 2 ms to 120 ms, making large deletes quadratic).
        opts.map_sqlx_postgres_opts(|o| {
            o.options([
                ("work_mem", "64MB"),
                ("plan_cache_mode", "force_custom_plan"),
            ])
        });
        if let Some(schema) = schema {
            opts.set_schema_search_path(schema.to_string());
        }
    }
    let mut db = Database::connect(opts).await?;
    observe(&mut db, None);
    Ok(db)
}

/// Times every statement into the running request's accumulator; with `log`, also keeps
/// every statement's SQL there (tests count statements with it).
pub fn observe(db: &mut DatabaseConnection, log: Option<Arc<Mutex<Vec<String>>>>) {
    db.set_metric_callback(move |info| {
        timing::record(info.elapsed);

        if let Some(log) = &log
            && let Ok(mut log) = log.lock()
        {
            log.push(info.statement.sql.clone());
        }
    });
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that read first could not upgrade to a writer
/// after another connection committed (`SQLITE_BUSY_SNAPSHOT`, which no busy timeout waits
/// out), while an immediate one simply waits its turn. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

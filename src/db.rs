//! Connecting to the database and running migrations.

use crate::config::Settings;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Opens a pool on `settings.database_url`; `schema` selects a PostgreSQL schema (tests).
pub async fn connect(
    settings: &Settings,
    schema: Option<&str>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(settings.connect_url());
    opts.max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
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
        opts.map_sqlx_postgres_opts(|o| o.options([("work_mem", "64MB")]));
        if let Some(schema) = schema {
            opts.set_schema_search_path(schema.to_string());
        }
    }
    Database::connect(opts).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

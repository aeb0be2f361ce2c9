//! PostgreSQL: rollup tables keep half of every page free, so that the constant updates of
//! their rows (every batch adds to the rows of its hours, days and keys) are HOT updates — the
//! new version stays on the page and no index entry is written — instead of a new tuple
//! elsewhere plus a primary-key entry each. SQLite has no such setting.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every rollup table.
const ROLLUP_TABLES: [&str; 5] = [
    "request_log_rollups",
    "chat_message_rollups",
    "chat_trace_rollups",
    "pub_log_rollups",
    "pub_job_rollups",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        for table in ROLLUP_TABLES {
            let sql = format!("ALTER TABLE \"{table}\" SET (fillfactor = 50)");
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

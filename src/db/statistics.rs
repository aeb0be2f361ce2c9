//! Planner statistics after bulk loads: when the rows inserted into a table since its last
//! analysis exceed a set share of it (`DASHGATE_ANALYZE_GROWTH_PERCENT`, 10 % by default) or
//! `ANALYZE_AFTER_ROWS`, whichever comes first, the table is analyzed (PostgreSQL `ANALYZE`;
//! SQLite `PRAGMA optimize`) in the background, so the next read or write gets a good plan even
//! where autovacuum is slow or off.
//!
//! The absolute bound is for a team that is new to a large shared table: until the statistics
//! know its `team_id`, PostgreSQL takes it for a handful of rows and plans its next batch (an
//! update's lookups, its rollup maintenance) as if so — 50 000 fresh rows in a table of a million
//! are 5 %, under any sensible share. An analysis reads a fixed-size sample, so it costs the same
//! at any table size.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// What the gateway knows of each table's size, and which tables are being analyzed.
#[derive(Default)]
pub struct Statistics {
    /// Growth (in percent of the table) that triggers an analysis; 0 turns it off.
    growth_percent: u64,
    rows: Mutex<HashMap<&'static str, u64>>,
    /// Rows inserted per table since its last analysis.
    since: Mutex<HashMap<&'static str, u64>>,
    running: Mutex<HashSet<&'static str>>,
    analyzed: std::sync::atomic::AtomicU64,
}

/// Rows inserted since a table's last analysis that trigger one whatever the table's size.
pub const ANALYZE_AFTER_ROWS: u64 = 50_000;

impl Statistics {
    /// Analyzes a table after a batch grows it by more than `growth_percent` (0: never).
    pub fn new(growth_percent: u64) -> Self {
        Statistics {
            growth_percent,
            ..Default::default()
        }
    }

    /// How many times a table was analyzed (for tests).
    pub fn analyzed(&self) -> u64 {
        self.analyzed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Notes that `inserted` rows went into `table`; analyzes it in the background when the rows
    /// inserted since its last analysis grew it by more than the set share or reach
    /// `ANALYZE_AFTER_ROWS` — and `with` too (a table that grows along, e.g. its rollup).
    pub fn after_batch(
        self: &Arc<Self>,
        db: &DatabaseConnection,
        table: &'static str,
        with: Option<&'static str>,
        inserted: u64,
    ) {
        if inserted == 0 || self.growth_percent == 0 {
            return;
        }
        if let Ok(mut since) = self.since.lock() {
            *since.entry(table).or_default() += inserted;
        }
        let starting = self
            .running
            .lock()
            .map(|mut r| r.insert(table))
            .unwrap_or(false);
        if !starting {
            // Being analyzed now: count the rows, the next batch decides.
            if let Ok(mut rows) = self.rows.lock()
                && let Some(n) = rows.get_mut(table)
            {
                *n += inserted;
            }
            return;
        }
        let (this, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            let known = this.rows.lock().ok().and_then(|r| r.get(table).copied());
            let before = match known {
                Some(n) => Some(n),
                None => estimate(&db, table)
                    .await
                    .map(|n| n.saturating_sub(inserted)),
            };
            let mut after = before.unwrap_or(0) + inserted;
            let since = this
                .since
                .lock()
                .map(|s| s.get(table).copied().unwrap_or(inserted))
                .unwrap_or(inserted);
            // The table's size at its last analysis (as far as this process knows).
            let analyzed_at = after.saturating_sub(since);
            if before.is_none()
                || since * 100 > analyzed_at * this.growth_percent
                || since >= ANALYZE_AFTER_ROWS
            {
                if let Ok(mut s) = this.since.lock() {
                    // Rows that arrive while it runs count towards the next one.
                    s.entry(table).and_modify(|n| *n = n.saturating_sub(since));
                }
                if let Some(other) = with
                    && let Err(e) = analyze(&db, other).await
                {
                    tracing::warn!(table = other, error = %e, "could not refresh statistics");
                }
                match analyze(&db, table).await {
                    Ok(()) => {
                        this.analyzed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        after = estimate(&db, table).await.unwrap_or(after).max(after);
                    }
                    Err(e) => tracing::warn!(table, error = %e, "could not refresh statistics"),
                }
            }
            if let Ok(mut rows) = this.rows.lock() {
                rows.insert(table, after);
            }
            if let Ok(mut running) = this.running.lock() {
                running.remove(table);
            }
        });
    }
}

/// The planner's idea of a table's rows (PostgreSQL), or its count (SQLite).
async fn estimate(db: &DatabaseConnection, table: &str) -> Option<u64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "SELECT GREATEST(reltuples, 0)::BIGINT AS n FROM pg_class WHERE oid = to_regclass('{table}')"
        ),
        _ => format!("SELECT COUNT(*) AS n FROM {table}"),
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .ok()??;
    row.try_get::<i64>("", "n").ok().map(|n| n.max(0) as u64)
}

/// Refreshes the planner's statistics of one table.
async fn analyze(db: &DatabaseConnection, table: &str) -> Result<(), sea_orm::DbErr> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!("ANALYZE {table}"),
        // 0x10000: every table, not only those this connection used; 0x02: analyze.
        _ => "PRAGMA optimize=0x10002".to_string(),
    };
    db.execute_unprepared(&sql).await.map(|_| ())
}

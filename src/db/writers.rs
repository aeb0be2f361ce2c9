//! Turns for writers: one team's batches (on SQLite, every batch) are written one at a time,
//! in arrival order, with a bounded wait.
//!
//! Without it, concurrent large batches into one team raced for the same rollup rows
//! (PostgreSQL: lock waits past the statement timeout, and deadlocks between two batches
//! upserting the same rollup rows in different orders) or for SQLite's single write lock
//! ("database is locked" once its busy timeout ran out). Writers now queue in the process —
//! without holding a connection while they wait — and, on PostgreSQL, also take the team's
//! advisory lock inside their transaction, so writers on other instances queue the same way.
//! A writer still waiting after `wait` is answered 503 with `Retry-After`.

use crate::kernel::{AppError, AppResult, TeamId};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{Mutex as Turn, OwnedMutexGuard};

/// Marks advisory-lock keys as dashgate's team write locks (the high bits of the key).
const ADVISORY_TAG: i64 = 0x6467 << 48;

/// The queues of writers.
pub struct Writers {
    /// The primary, which every write goes to.
    db: DatabaseConnection,
    /// SQLite has one writer per database: one queue for every team.
    whole: Option<Arc<Turn<()>>>,
    teams: Mutex<HashMap<TeamId, Weak<Turn<()>>>>,
    wait: Duration,
    /// Statement timeout inside a write transaction (PostgreSQL; 0 = none).
    statement_timeout_ms: u64,
}

/// A writer's turn: held until its transaction is committed or rolled back.
pub struct WriteTurn(#[allow(dead_code)] OwnedMutexGuard<()>);

impl Writers {
    pub fn new(db: DatabaseConnection, wait: Duration, statement_timeout_ms: u64) -> Self {
        let sqlite = db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
        Writers {
            db,
            whole: sqlite.then(|| Arc::new(Turn::new(()))),
            teams: Mutex::default(),
            wait,
            statement_timeout_ms,
        }
    }

    fn queue(&self, team: TeamId) -> Arc<Turn<()>> {
        if let Some(whole) = &self.whole {
            return whole.clone();
        }
        let mut teams = self.teams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(turn) = teams.get(&team).and_then(Weak::upgrade) {
            return turn;
        }
        if teams.len() > 1_024 {
            teams.retain(|_, turn| turn.strong_count() > 0);
        }
        let turn = Arc::new(Turn::new(()));
        teams.insert(team, Arc::downgrade(&turn));
        turn
    }

    fn busy(&self) -> AppError {
        AppError::Unavailable {
            retry_after_seconds: 2,
            message: format!(
                "other batches for this team are being written; this one waited {} ms — retry shortly",
                self.wait.as_millis()
            ),
        }
    }

    /// Waits for `team`'s turn (at most `wait`), then begins its write transaction: on
    /// PostgreSQL with the team's advisory lock (waited for within what is left of `wait`) and
    /// the write statement timeout.
    pub async fn begin(&self, team: TeamId) -> AppResult<(WriteTurn, DatabaseTransaction)> {
        let db = &self.db;
        let started = tokio::time::Instant::now();
        let turn = tokio::time::timeout(self.wait, self.queue(team).lock_owned())
            .await
            .map_err(|_| self.busy())?;
        let txn = super::begin_write(db).await?;
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let left = self
                .wait
                .saturating_sub(started.elapsed())
                .as_millis()
                .max(1);
            txn.execute_unprepared(&format!(
                "SET LOCAL lock_timeout = {left}; SET LOCAL statement_timeout = {}",
                self.statement_timeout_ms
            ))
            .await?;
            let key = ADVISORY_TAG | (team.0 & 0xFFFF_FFFF_FFFF);
            let lock = txn
                .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
                .await;
            if let Err(e) = lock {
                let text = e.to_string();
                if text.contains("lock timeout") || text.contains("55P03") {
                    return Err(self.busy());
                }
                return Err(e.into());
            }
            txn.execute_unprepared("SET LOCAL lock_timeout = 0").await?;
        }
        Ok((WriteTurn(turn), txn))
    }
}

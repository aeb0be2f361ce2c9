//! Dashboard reads on a PostgreSQL read replica, without losing a team's own writes: after a
//! team writes, the primary's WAL position (LSN) is noted, and the team reads from the primary
//! until the replica has replayed that far. Other instances learn the position with the change
//! announcement (`db::changes`). Any replica failure falls back to the primary.

use crate::kernel::TeamId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::HashMap;
use std::sync::Mutex;

/// The replica and the writes it has yet to replay.
pub struct Replica {
    reader: DatabaseConnection,
    primary: DatabaseConnection,
    /// Per team: the primary's LSN after its latest write not yet seen replayed.
    pending: Mutex<HashMap<TeamId, u64>>,
}

/// `16/B374D848` → one comparable number.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

async fn lsn(db: &DatabaseConnection, sql: &str) -> Option<u64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .ok()??;
    parse_lsn(&row.try_get::<Option<String>>("", "lsn").ok()??)
}

impl Replica {
    pub fn new(reader: DatabaseConnection, primary: DatabaseConnection) -> Replica {
        Replica {
            reader,
            primary,
            pending: Mutex::default(),
        }
    }

    /// The primary's current WAL position (after a write commits).
    pub async fn primary_lsn(&self) -> Option<u64> {
        lsn(&self.primary, "SELECT pg_current_wal_lsn()::text AS lsn").await
    }

    /// `team` wrote up to `at`: it reads from the primary until the replica is there.
    pub fn wrote(&self, team: TeamId, at: u64) {
        if let Ok(mut pending) = self.pending.lock() {
            let entry = pending.entry(team).or_insert(at);
            *entry = (*entry).max(at);
        }
    }

    /// Where `team`'s dashboards read: the replica, unless it has not replayed the team's
    /// latest write yet (or cannot say).
    pub async fn for_reads(&self, team: TeamId) -> &DatabaseConnection {
        let waiting = self.pending.lock().ok().and_then(|p| p.get(&team).copied());
        let Some(wrote) = waiting else {
            return &self.reader;
        };
        match lsn(&self.reader, "SELECT pg_last_wal_replay_lsn()::text AS lsn").await {
            Some(replayed) if replayed >= wrote => {
                if let Ok(mut pending) = self.pending.lock()
                    && pending.get(&team) == Some(&wrote)
                {
                    pending.remove(&team);
                }
                &self.reader
            }
            _ => &self.primary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_lsn;

    #[test]
    fn lsns_compare_as_numbers() {
        assert_eq!(parse_lsn("0/3000000"), Some(0x300_0000));
        assert!(parse_lsn("1/0").unwrap() > parse_lsn("0/FFFFFFFF").unwrap());
        assert_eq!(parse_lsn("nope"), None);
    }
}

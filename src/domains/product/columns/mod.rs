//! The product column cache: every team's product telemetry, decoded once and kept in memory
//! (bounded by bytes, least used evicted), so a product request computes from memory instead
//! of reading and decoding ~40 events per learner from the database each time. It is what
//! rollups are to the other dashboards.
//!
//! A team's kept telemetry is every event from an instant on (the earliest any request read),
//! the registrations and users' earliest events before it, and all memberships — a superset of
//! what a window reads (`metrics::reads`) which changes no answer (`kept::Kept::cut`). It stays
//! current through the change log (`kernel::changes`):
//! events are append-only, so a batch's rows all lie in its span and only the kept events in
//! those spans are read again and spliced in; anything else (a membership change, a delete,
//! an erasure, another instance's unannounced change, or age beyond the panel cache's TTL, for
//! rows written by other systems) reads the team again. See ARCHITECTURE.md, "The path of a
//! dashboard request".

mod kept;

use super::metrics::{self, Selection, Telemetry, events, reads, rows};
use crate::kernel::cache::PanelCache;
use crate::kernel::changes::{Mark, TimeSpan};
use crate::kernel::columns::{ColumnStore, KeptRows, Stamp};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamId, TeamScope};
use crate::telemetry::Metrics;
use kept::Kept;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every team's kept telemetry.
pub struct TelemetryStore(ColumnStore<Kept>);

impl KeptRows for Kept {
    fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    fn weight(&self) -> u32 {
        Kept::weight(self)
    }
}

impl TelemetryStore {
    /// Keeps up to `max_bytes` of telemetry (0: nothing); a team is read again as a whole
    /// after `ttl`.
    pub fn new(max_bytes: u64, ttl: Duration, metrics: Arc<Metrics>) -> Self {
        TelemetryStore(ColumnStore::new("product", max_bytes, ttl, metrics))
    }

    /// How many times a team was read as a whole, and how many times kept telemetry was
    /// brought up to date by reading only changed spans (for tests and the benchmark).
    pub fn counts(&self) -> (u64, u64) {
        self.0.counts()
    }

    /// Bytes kept (after pending evictions), for tests and the benchmark.
    pub async fn weighted_bytes(&self) -> u64 {
        self.0.weighted_bytes().await
    }

    /// The telemetry a window's sections read: from the kept rows brought up to date, or (when
    /// nothing is kept) read now.
    pub async fn telemetry(
        &self,
        db: &DatabaseConnection,
        changes: &PanelCache,
        scope: &TeamScope,
        w: &TimeWindow,
    ) -> AppResult<Telemetry> {
        let team = scope.team_id();
        let (from, to) = reads(w);
        let whole = |from, mark| read(db, team, from, mark);
        let spliced = |old: Arc<Kept>, spans, mark| async move {
            Ok(Some(splice(db, team, &old, spans, mark).await?))
        };
        match self.0.get(changes, team, from, whole, spliced).await? {
            Some(kept) => Ok(kept.cut(to)),
            None => metrics::load(db, scope, w).await,
        }
    }
}

/// A team's telemetry from `from_ms` on, read now.
async fn read(db: &DatabaseConnection, team: TeamId, from_ms: i64, mark: Mark) -> AppResult<Kept> {
    let read_at = Instant::now();
    let selection = Selection {
        from: from_ms,
        to: None,
        inside: None,
    };
    let (events, memberships, symbols) = rows(db, team, selection).await?;
    let at = Stamp {
        mark,
        read_at,
        from_ms,
    };
    Ok(Kept::new(at, events, memberships, symbols))
}

/// `old` with its events inside `spans` (sorted, disjoint) read again (only events change by span: memberships
/// are versioned, so their changes name no span and read the team again).
async fn splice(
    db: &DatabaseConnection,
    team: TeamId,
    old: &Kept,
    spans: Vec<TimeSpan>,
    mark: Mark,
) -> AppResult<Kept> {
    let mut symbols = (*old.symbols).clone();
    let mut fresh = Vec::with_capacity(spans.len());
    for span in &spans {
        let selection = Selection {
            from: old.stamp.from_ms,
            to: None,
            inside: Some(*span),
        };
        fresh.push(events(db, team, selection, &mut symbols).await?);
    }
    Ok(old.spliced(&spans, fresh, symbols, mark))
}

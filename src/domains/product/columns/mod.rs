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
//! rows written by other systems) reads the team again. See ARCHITECTURE.md, "Product column
//! cache".

mod kept;

use super::metrics::{self, Selection, Telemetry, events, reads, rows};
use crate::kernel::cache::PanelCache;
use crate::kernel::changes::{Mark, Since, TimeSpan};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppError, AppResult, TeamId, TeamScope};
use crate::telemetry::Metrics;
use kept::Kept;
use moka::future::Cache;
use moka::ops::compute::Op;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The change log's name for the product dashboard's data.
const DASHBOARD: &str = "product";
/// How kept telemetry was brought up to date (the `kind` of the loads metric).
const WHOLE: &str = "whole";
const SPLICE: &str = "splice";

/// Every team's kept telemetry.
pub struct TelemetryStore {
    /// `None`: nothing is kept (`DASHGATE_PRODUCT_CACHE_MAX_BYTES=0`).
    teams: Option<Cache<TeamId, Arc<Kept>>>,
    /// A team is read again as a whole after this (rows written by other systems).
    ttl: Duration,
    /// Where whole reads and splices are counted.
    metrics: Arc<Metrics>,
}

impl TelemetryStore {
    /// Keeps up to `max_bytes` of telemetry; a team is read again as a whole after `ttl`.
    pub fn new(max_bytes: u64, ttl: Duration, metrics: Arc<Metrics>) -> Self {
        let teams = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_: &TeamId, kept: &Arc<Kept>| kept.weight())
                .time_to_idle(ttl)
                .build()
        });
        TelemetryStore {
            teams,
            ttl,
            metrics,
        }
    }

    /// How many times a team was read as a whole, and how many times kept telemetry was
    /// brought up to date by reading only changed spans (for tests and the benchmark).
    pub fn counts(&self) -> (u64, u64) {
        let loads = |kind| self.metrics.column_cache_loads(DASHBOARD, kind);
        (loads(WHOLE), loads(SPLICE))
    }

    /// Bytes kept (after pending evictions), for tests and the benchmark.
    pub async fn weighted_bytes(&self) -> u64 {
        match &self.teams {
            Some(teams) => {
                teams.run_pending_tasks().await;
                teams.weighted_size()
            }
            None => 0,
        }
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
        let Some(teams) = &self.teams else {
            return metrics::load(db, scope, w).await;
        };
        let team = scope.team_id();
        let (from, to) = reads(w);
        let ttl = self.ttl;
        let result = teams
            .entry(team)
            .and_try_compute_with(|entry| {
                let old = entry.map(|e| e.into_value());
                let old = old.filter(|k| k.from_ms <= from && k.read_at.elapsed() < ttl);
                brought_up_to_date(db, changes, team, from, old, &self.metrics)
            })
            .await?;
        let kept = result
            .into_entry()
            .map(|e| e.into_value())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("product telemetry not kept")))?;
        Ok(kept.cut(to))
    }
}

/// What becomes of a team's kept telemetry (`old`, unless too old or too short for `from`).
async fn brought_up_to_date(
    db: &DatabaseConnection,
    changes: &PanelCache,
    team: TeamId,
    from: i64,
    old: Option<Arc<Kept>>,
    metrics: &Metrics,
) -> AppResult<Op<Arc<Kept>>> {
    // Before reading: a change landing meanwhile is still newer than the mark.
    let mark = changes.mark(team, DASHBOARD);
    let since = match &old {
        Some(old) => changes.since(team, DASHBOARD, old.mark),
        None => Since::Everything,
    };
    let kept = match (old, since) {
        (Some(_), Since::Nothing) => return Ok(Op::Nop),
        (Some(old), Since::Spans(spans)) => {
            metrics.column_cache_loaded(DASHBOARD, SPLICE);
            splice(db, team, &old, spans, mark).await?
        }
        (old, _) => {
            metrics.column_cache_loaded(DASHBOARD, WHOLE);
            let from = old.map_or(from, |o| o.from_ms.min(from));
            read(db, team, from, mark).await?
        }
    };
    Ok(Op::Put(Arc::new(kept)))
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
    let at = (mark, read_at, from_ms);
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
            from: old.from_ms,
            to: None,
            inside: Some(*span),
        };
        fresh.push(events(db, team, selection, &mut symbols).await?);
    }
    Ok(old.spliced(&spans, fresh, symbols, mark))
}

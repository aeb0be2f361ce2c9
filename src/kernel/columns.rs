//! Column caches: a dashboard's rows of each team decoded once and kept in memory (moka,
//! weighed in bytes, least used evicted), brought up to date through the change log
//! (`kernel::changes`) before use. What is kept and how it is read belong to the dashboard
//! (`product::columns`, `chat::columns`); this is the part they share: a `Mark` taken before
//! reading; `Since` nothing (use as kept), spans of append-only rows (the dashboard re-reads
//! them and splices them in) or anything (read the team whole); a team read whole again once
//! older than the TTL (rows written by other systems) or when a request reads earlier than
//! what is kept; one computation per team at a time. See ARCHITECTURE.md.

use super::cache::PanelCache;
use super::changes::{Mark, Since, TimeSpan};
use super::{AppError, AppResult, TeamId};
use crate::telemetry::Metrics;
use moka::future::Cache;
use moka::ops::compute::Op;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How kept rows were brought up to date (the `kind` of the loads metric).
const WHOLE: &str = "whole";
const SPLICE: &str = "splice";

/// When and from where kept rows were read.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// Where the team's data stood before the rows were read.
    pub mark: Mark,
    /// When the team was last read whole.
    pub read_at: Instant,
    /// Rows are kept from this instant on.
    pub from_ms: i64,
}

impl Stamp {
    /// The same rows brought up to date to `mark`.
    pub fn at(self, mark: Mark) -> Stamp {
        Stamp { mark, ..self }
    }
}

/// Rows a column cache keeps for a team.
pub trait KeptRows: Send + Sync + 'static {
    fn stamp(&self) -> &Stamp;
    /// Bytes held, roughly.
    fn weight(&self) -> u32;
}

/// Every team's kept rows of one dashboard.
pub struct ColumnStore<T: KeptRows> {
    /// The change log's (and the metrics') name for the dashboard.
    dashboard: &'static str,
    /// `None`: nothing is kept (a maximum of 0 bytes).
    teams: Option<Cache<TeamId, Arc<T>>>,
    ttl: Duration,
    metrics: Arc<Metrics>,
}

impl<T: KeptRows> ColumnStore<T> {
    /// Keeps up to `max_bytes`; a team is read whole again after `ttl`.
    pub fn new(
        dashboard: &'static str,
        max_bytes: u64,
        ttl: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let teams = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_: &TeamId, kept: &Arc<T>| kept.weight())
                .time_to_idle(ttl)
                .build()
        });
        ColumnStore {
            dashboard,
            teams,
            ttl,
            metrics,
        }
    }

    /// Whether anything is kept.
    pub fn enabled(&self) -> bool {
        self.teams.is_some()
    }

    /// How many times a team was read whole, and brought up to date by splicing spans.
    pub fn counts(&self) -> (u64, u64) {
        let loads = |kind| self.metrics.column_cache_loads(self.dashboard, kind);
        (loads(WHOLE), loads(SPLICE))
    }

    /// Bytes kept (after pending evictions).
    pub async fn weighted_bytes(&self) -> u64 {
        match &self.teams {
            Some(teams) => {
                teams.run_pending_tasks().await;
                teams.weighted_size()
            }
            None => 0,
        }
    }

    /// The team's rows from `from_ms` on, brought up to date (`None` when nothing is kept):
    /// `whole(from, mark)` reads the team; `splice(old, spans, mark)` re-reads the spans into
    /// `old` (`None`: it cannot, read whole).
    pub async fn get<W, WF, S, SF>(
        &self,
        changes: &PanelCache,
        team: TeamId,
        from_ms: i64,
        whole: W,
        splice: S,
    ) -> AppResult<Option<Arc<T>>>
    where
        W: FnOnce(i64, Mark) -> WF,
        WF: Future<Output = AppResult<T>>,
        S: FnOnce(Arc<T>, Vec<TimeSpan>, Mark) -> SF,
        SF: Future<Output = AppResult<Option<T>>>,
    {
        let Some(teams) = &self.teams else {
            return Ok(None);
        };
        let (ttl, dashboard, metrics) = (self.ttl, self.dashboard, &self.metrics);
        let result = teams
            .entry(team)
            .and_try_compute_with(|entry| async move {
                let old = entry.map(|e| e.into_value());
                let old = old
                    .filter(|k| k.stamp().from_ms <= from_ms && k.stamp().read_at.elapsed() < ttl);
                // Before reading: a change landing meanwhile is still newer than the mark.
                let mark = changes.mark(team, dashboard);
                let since = match &old {
                    Some(old) => changes.since(team, dashboard, old.stamp().mark),
                    None => Since::Everything,
                };
                let from = old
                    .as_ref()
                    .map_or(from_ms, |o| o.stamp().from_ms.min(from_ms));
                let kept = match (old, since) {
                    (Some(_), Since::Nothing) => return Ok::<_, AppError>(Op::Nop),
                    (Some(old), Since::Spans(spans)) => match splice(old, spans, mark).await? {
                        Some(kept) => {
                            metrics.column_cache_loaded(dashboard, SPLICE);
                            kept
                        }
                        None => {
                            metrics.column_cache_loaded(dashboard, WHOLE);
                            whole(from, mark).await?
                        }
                    },
                    _ => {
                        metrics.column_cache_loaded(dashboard, WHOLE);
                        whole(from, mark).await?
                    }
                };
                Ok(Op::Put(Arc::new(kept)))
            })
            .await?;
        let kept = result
            .into_entry()
            .map(|e| e.into_value())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("{dashboard} rows were not kept")))?;
        Ok(Some(kept))
    }
}

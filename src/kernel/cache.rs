//! The panel cache: moka, single-flight, with the team's data generation in every key.
//!
//! A key is `(team, generation, panel, normalised arguments)`. Ingestion bumps the team's
//! generation, so the next read misses and recomputes; other writers are seen within the TTL.

use super::error::{AppError, AppResult};
use super::tenancy::{TeamId, TeamScope};
use chrono::{DateTime, Utc};
use moka::future::Cache;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// A cached panel value and when it was computed.
struct Cached {
    computed_at: DateTime<Utc>,
    value: Box<dyn Any + Send + Sync>,
}

type Entry = Arc<Cached>;

/// How one request used the cache: hits, misses and the age of the oldest answer it got.
/// Reported in the GraphQL response's `extensions.cache`.
#[derive(Debug, Default)]
pub struct CacheReport {
    inner: Mutex<ReportInner>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ReportInner {
    hits: u64,
    misses: u64,
    oldest: Option<DateTime<Utc>>,
}

impl CacheReport {
    fn record(&self, hit: bool, computed_at: DateTime<Utc>) {
        if let Ok(mut r) = self.inner.lock() {
            if hit {
                r.hits += 1;
            } else {
                r.misses += 1;
            }
            r.oldest = Some(r.oldest.map_or(computed_at, |o| o.min(computed_at)));
        }
    }

    /// `{hits, misses, computedAt}` where `computedAt` is the oldest panel's computation time.
    pub fn to_json(&self) -> serde_json::Value {
        let r = self.inner.lock().map(|r| *r).unwrap_or_default();
        serde_json::json!({
            "hits": r.hits,
            "misses": r.misses,
            "computedAt": r.oldest.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        })
    }
}

/// How a panel may use the cache.
#[derive(Clone, Copy, Default)]
pub struct Lookup<'a> {
    /// Recompute and replace the cached entry (`refresh: FORCE`).
    pub force: bool,
    /// Where to report hits and misses.
    pub report: Option<&'a CacheReport>,
}

/// Cached panel results for all teams.
pub struct PanelCache {
    entries: Option<Cache<String, Entry>>,
    generations: RwLock<HashMap<TeamId, u64>>,
    computations: AtomicU64,
}

impl PanelCache {
    /// A cache of `capacity` entries living `ttl`; capacity 0 disables caching.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        let entries = (capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build()
        });
        PanelCache {
            entries,
            generations: RwLock::default(),
            computations: AtomicU64::new(0),
        }
    }

    /// The current data generation of a team.
    pub fn generation(&self, team: TeamId) -> u64 {
        self.generations
            .read()
            .map(|g| g.get(&team).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Marks a team's data as changed: its cached panels are no longer read.
    pub fn bump(&self, team: TeamId) {
        if let Ok(mut g) = self.generations.write() {
            *g.entry(team).or_insert(0) += 1;
        }
    }

    /// How many times a panel was actually computed (a cache miss), for tests and metrics.
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    /// The cached value of `panel` for `args`, or computes it once — concurrent identical
    /// misses wait for the same computation. Errors are not cached.
    pub async fn get_or_compute<T, F>(
        &self,
        scope: &TeamScope,
        panel: &str,
        args: &impl serde::Serialize,
        lookup: Lookup<'_>,
        compute: F,
    ) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        let counted = async {
            self.computations.fetch_add(1, Ordering::Relaxed);
            let value = compute.await?;
            Ok::<Entry, AppError>(Arc::new(Cached {
                computed_at: Utc::now(),
                value: Box::new(value),
            }))
        };
        let (entry, hit) = match &self.entries {
            None => (counted.await?, false),
            Some(entries) => {
                let args = serde_json::to_string(args).map_err(AppError::internal)?;
                let team = scope.team_id();
                let key = format!("{}:{}:{panel}:{args}", team.0, self.generation(team));
                if lookup.force {
                    let entry = counted.await?;
                    entries.insert(key, entry.clone()).await;
                    (entry, false)
                } else {
                    let entry = entries
                        .entry(key)
                        .or_try_insert_with(counted)
                        .await
                        .map_err(|shared| unshare(&shared))?;
                    let hit = !entry.is_fresh();
                    (entry.into_value(), hit)
                }
            }
        };
        if let Some(report) = lookup.report {
            report.record(hit, entry.computed_at);
        }
        entry.value.downcast_ref::<T>().cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("panel cache type mismatch for `{panel}`"))
        })
    }
}

/// An owned copy of an error shared by single-flight waiters.
fn unshare(err: &AppError) -> AppError {
    match err {
        AppError::Unauthenticated => AppError::Unauthenticated,
        AppError::InvalidCredentials(m) => AppError::InvalidCredentials(m.clone()),
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::NotFound(m) => AppError::NotFound(m.clone()),
        AppError::BadInput { field, message } => AppError::bad_input(field, message),
        AppError::RateLimited {
            retry_after_seconds,
        } => AppError::RateLimited {
            retry_after_seconds: *retry_after_seconds,
        },
        AppError::Timeout(ms) => AppError::Timeout(*ms),
        AppError::DatabaseUnavailable => AppError::DatabaseUnavailable,
        AppError::Internal(e) => AppError::Internal(anyhow::anyhow!("{e:#}")),
    }
}

/// Whether a dashboard may answer from the cache.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshPolicy {
    /// Answer from the cache when possible (the default).
    #[default]
    Cached,
    /// Recompute every selected panel now and replace the cached entries. Rate-limited per
    /// team (`DASHGATE_FORCE_REFRESH_PER_MINUTE`).
    Force,
}

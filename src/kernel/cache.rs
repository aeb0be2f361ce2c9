//! The panel cache: moka, single-flight, with the team's data generation in every key.
//!
//! A key is `(team, generation, panel, normalised arguments)`. Ingestion bumps the team's
//! generation, so the next read misses and recomputes; other writers are seen within the TTL.

use super::error::{AppError, AppResult};
use super::tenancy::{TeamId, TeamScope};
use moka::future::Cache;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

type Entry = Arc<dyn Any + Send + Sync>;

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
        compute: F,
    ) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        let counted = async {
            self.computations.fetch_add(1, Ordering::Relaxed);
            compute.await
        };
        let Some(entries) = &self.entries else {
            return counted.await;
        };
        let args = serde_json::to_string(args).map_err(AppError::internal)?;
        let team = scope.team_id();
        let key = format!("{}:{}:{panel}:{args}", team.0, self.generation(team));
        let entry = entries
            .try_get_with(key, async { counted.await.map(|v| Arc::new(v) as Entry) })
            .await
            .map_err(|shared| unshare(&shared))?;
        entry.downcast_ref::<T>().cloned().ok_or_else(|| {
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
        AppError::TooComplex(m) => AppError::TooComplex(m.clone()),
        AppError::Timeout(ms) => AppError::Timeout(*ms),
        AppError::DatabaseUnavailable => AppError::DatabaseUnavailable,
        AppError::Internal(e) => AppError::Internal(anyhow::anyhow!("{e:#}")),
    }
}

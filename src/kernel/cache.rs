//! The panel cache: moka, single-flight, with the team's data generation in every key.
//!
//! A key is `(team, generation, dashboard generation, panel, hash of the normalised
//! arguments)` — a batch into one dashboard's datasets bumps only that dashboard's generation;
//! the arguments are hashed, so a
//! request with long filter lists costs the cache 32 bytes of key, not the lists. Entries are
//! weighed by their serialised size and the cache by bytes. Ingestion bumps the team's
//! generation, so the next read misses and recomputes; other writers are seen within the TTL.
//! Entries stay fresh for the TTL less a random part of up to a fifth (so entries computed
//! together do not expire together), then stale for `stale_for`: a stale entry is served at
//! once while one background task recomputes it. A reader of a team whose data just changed
//! waits at most `Lifetimes::changed_wait` for the new answer, and gets the previous one (stale)
//! when the new one is slower or fails for a passing reason (timeout, database unavailable).

use super::changes::{Changes, Mark, Reads, Since, TimeSpan};
use super::error::{AppError, AppResult};
use super::gate::ComputeGate;
use super::shared_tier::{SharedTier, Slot};
use super::tenancy::{TeamId, TeamScope};
use crate::telemetry::Metrics;
use chrono::{DateTime, Utc};
use moka::Expiry;
use moka::future::Cache;
use rand::Rng;
use serde::{Serialize, de::DeserializeOwned};
use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// A cached panel value, when it was computed and until when it is fresh.
struct Cached {
    /// Read from the tier the instances share, not computed here.
    shared: bool,
    computed_at: DateTime<Utc>,
    fresh_until: Instant,
    /// Fresh life plus stale life: when moka drops the entry.
    lifetime: Duration,
    /// What the entry costs the cache: its value's serialised size plus bookkeeping.
    weight: u32,
    value: Box<dyn Any + Send + Sync>,
}

type Entry = Arc<Cached>;

/// Entries live their own (jittered) lifetime.
struct Lifetime;

impl Expiry<String, Entry> for Lifetime {
    fn expire_after_create(&self, _: &String, value: &Entry, _: Instant) -> Option<Duration> {
        Some(value.lifetime)
    }

    fn expire_after_update(
        &self,
        _: &String,
        value: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

/// How a request used the cache: hits (stale ones among them), misses and the age of the
/// oldest answer it got. Reported in the GraphQL response's `extensions.cache`.
#[derive(Debug, Default)]
pub struct CacheReport {
    inner: Mutex<ReportInner>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ReportInner {
    hits: u64,
    stale: u64,
    misses: u64,
    oldest: Option<DateTime<Utc>>,
}

/// How one panel was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Hit,
    Stale,
    Miss,
}

impl CacheReport {
    fn record(&self, outcome: Outcome, computed_at: DateTime<Utc>) {
        if let Ok(mut r) = self.inner.lock() {
            match outcome {
                Outcome::Hit => r.hits += 1,
                Outcome::Stale => {
                    r.hits += 1;
                    r.stale += 1;
                }
                Outcome::Miss => r.misses += 1,
            }
            r.oldest = Some(r.oldest.map_or(computed_at, |o| o.min(computed_at)));
        }
    }

    /// `{hits, stale, misses, computedAt, freshness}`: `computedAt` is the oldest panel's
    /// computation time; `freshness` is `STALE` when any panel was served stale.
    pub fn to_json(&self) -> serde_json::Value {
        let r = self.inner.lock().map(|r| *r).unwrap_or_default();
        serde_json::json!({
            "hits": r.hits,
            "stale": r.stale,
            "misses": r.misses,
            "computedAt": r.oldest.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "freshness": if r.stale > 0 { "STALE" } else { "FRESH" },
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
    /// The time range the panel reads, when it reads nothing outside it: changes whose rows
    /// all lie elsewhere leave its entry valid. `None`: any change of its dashboard's data
    /// reaches it.
    pub reads: Option<Reads>,
}

/// How long entries live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Fresh for at most this long (at least four fifths of it).
    pub ttl: Duration,
    /// Then served stale (while recomputing) for at most this long.
    pub stale_for: Duration,
    /// How long a reader of a team whose data changed waits for the new answer before it gets
    /// the previous one (stale); the computation goes on and the next reader gets it.
    pub changed_wait: Duration,
}

/// What a background revalidation needs, shared with its task.
#[derive(Clone)]
struct Shared {
    entries: Cache<String, Entry>,
    /// The latest answer of each panel and arguments, whatever the team's generation: served
    /// (stale) to readers of a team whose data just changed while the new answer is slow or
    /// fails for a passing reason. Lives as long as an entry's fresh plus stale life.
    latest: Cache<String, Entry>,
    revalidating: Arc<Mutex<HashSet<String>>>,
}

/// Errors that say "not now" rather than "never": a reader with a previous answer gets that.
fn passing(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Timeout(_) | AppError::DatabaseUnavailable | AppError::Unavailable { .. }
    )
}

/// Cached panel results for all teams.
pub struct PanelCache {
    shared: Option<Shared>,
    /// What changed, by team, dashboard and time (see `kernel::changes`).
    changes: Changes,
    /// The tier several instances share (Redis), when configured.
    tier: RwLock<Option<Arc<dyn SharedTier>>>,
    computations: Arc<AtomicU64>,
    /// Turns for computations: how many run at once and how many may wait.
    gate: ComputeGate,
    metrics: Arc<Metrics>,
    lifetimes: Lifetimes,
}

/// Where a panel lives in the shared tier, if there is one.
struct Sharing {
    tier: Arc<dyn SharedTier>,
    team: TeamId,
    panel: String,
    args: String,
    /// `refresh: FORCE`: recompute, then share the new value.
    force: bool,
}

/// Reads a panel from the shared tier (waiting for another instance computing it), or
/// computes it here, shares it, and wraps it as an entry with a jittered lifetime.
async fn compute_entry<T: Serialize + DeserializeOwned + Send + Sync + 'static>(
    compute: impl Future<Output = AppResult<T>>,
    panel: String,
    lifetimes: Lifetimes,
    computations: Arc<AtomicU64>,
    gate: ComputeGate,
    metrics: Arc<Metrics>,
    sharing: Option<Sharing>,
) -> AppResult<Entry> {
    let slot = match sharing {
        Some(s) => Slot::of(s.tier, s.team, &s.panel, &s.args)
            .await
            .map(|slot| (slot, s.force)),
        None => None,
    };
    let fresh = lifetimes.ttl.mul_f64(rand::rng().random_range(0.8..=1.0));
    let entry = |value: T, computed_at, shared| {
        Arc::new(Cached {
            shared,
            computed_at,
            fresh_until: Instant::now() + fresh,
            lifetime: fresh + lifetimes.stale_for,
            weight: weigh(&value),
            value: Box::new(value),
        })
    };
    if let Some((slot, false)) = &slot
        && let Some((value, computed_at)) = slot.find::<T>(lifetimes.ttl).await
    {
        metrics.cache_lookup("shared_hit");
        return Ok(entry(value, computed_at, true));
    }
    let turn = gate.enter().await?;
    computations.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let value = compute.await?;
    drop(turn);
    metrics.panel_computed(&panel, started.elapsed().as_secs_f64());
    let computed_at = Utc::now();
    if let Some((slot, _)) = &slot {
        slot.keep(&value, computed_at, lifetimes.ttl).await;
    }
    Ok(entry(value, computed_at, false))
}

/// Bytes an entry costs beyond its value: the key, the entry and moka's bookkeeping.
const ENTRY_OVERHEAD: usize = 256;

/// The serialised size of a value plus the entry's overhead (counted, not allocated).
fn weigh<T: Serialize>(value: &T) -> u32 {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(ENTRY_OVERHEAD);
    let _ = serde_json::to_writer(&mut count, value);
    count.0.min(u32::MAX as usize) as u32
}

/// The cache key's last part: a SHA-256 of the normalised arguments (128 bits, as hex).
fn args_digest(args: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(args.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PanelCache {
    /// A cache of at most `max_bytes` (entries weighed by size); 0 disables caching.
    pub fn new(
        max_bytes: u64,
        lifetimes: Lifetimes,
        gate: ComputeGate,
        metrics: Arc<Metrics>,
    ) -> Self {
        let computations = Arc::new(AtomicU64::new(0));
        let shared = (max_bytes > 0).then(|| Shared {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| {
                    entry.weight.saturating_add(key.len() as u32)
                })
                .expire_after(Lifetime)
                .build(),
            latest: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| {
                    entry.weight.saturating_add(key.len() as u32)
                })
                .time_to_live(lifetimes.ttl + lifetimes.stale_for)
                .build(),
            revalidating: Arc::default(),
        });
        PanelCache {
            shared,
            changes: Changes::default(),
            tier: RwLock::new(None),
            computations,
            gate,
            metrics,
            lifetimes,
        }
    }

    /// The current data generation of a team.
    pub fn generation(&self, team: TeamId) -> u64 {
        self.changes.team(team)
    }

    /// Puts the tier the instances share behind this cache.
    pub fn share_through(&self, tier: Arc<dyn SharedTier>) {
        if let Ok(mut t) = self.tier.write() {
            *t = Some(tier);
        }
    }

    /// Marks every team's data as changed (e.g. other instances' changes may have been
    /// missed while the change feed was down).
    pub fn bump_all(&self) {
        self.changes.all_changed();
    }

    /// Marks a team's data as changed: its cached panels are no longer read.
    pub fn bump(&self, team: TeamId) {
        self.changes.team_changed(team);
    }

    /// Bytes the in-process entries weigh (after pending evictions), for tests and metrics.
    pub async fn weighted_bytes(&self) -> u64 {
        match &self.shared {
            Some(shared) => {
                shared.entries.run_pending_tasks().await;
                shared.entries.weighted_size()
            }
            None => 0,
        }
    }

    /// Marks rows of the data one dashboard of a team reads as changed, all inside `span`
    /// (`None`: anywhere): its panels that may read them are no longer read; its other panels
    /// and the team's other dashboards keep theirs.
    pub fn dashboard_changed(&self, team: TeamId, dashboard: &str, span: Option<TimeSpan>) {
        self.changes.dashboard_changed(team, dashboard, span);
    }

    /// Where `dashboard`'s data of `team` stands now (for caches of decoded rows).
    pub fn mark(&self, team: TeamId, dashboard: &str) -> Mark {
        self.changes.mark(team, dashboard)
    }

    /// What changed of `dashboard`'s data of `team` since `mark`.
    pub fn since(&self, team: TeamId, dashboard: &str, mark: Mark) -> Since {
        self.changes.since(team, dashboard, mark)
    }

    /// The data of these dashboards changed, each inside its span — or, with none named,
    /// anything of the team (`bump`). What a local write and another instance's announcement
    /// both come to.
    pub fn changed(&self, team: TeamId, dashboards: &[(&str, Option<TimeSpan>)]) {
        if dashboards.is_empty() {
            self.bump(team);
        }
        for (dashboard, span) in dashboards {
            self.dashboard_changed(team, dashboard, *span);
        }
    }

    /// Every change from now on (see `Changes::listen`).
    pub fn listen(&self) -> tokio::sync::broadcast::Receiver<super::changes::Changed> {
        self.changes.listen()
    }

    /// Whether other instances' changes may be going unheard (the change feed is down), as
    /// it changes.
    pub fn deafness(&self) -> tokio::sync::watch::Receiver<bool> {
        self.changes.deafness()
    }

    /// The change feed went down (`true`) or came back (`false`).
    pub fn set_deaf(&self, deaf: bool) {
        self.changes.set_deaf(deaf);
    }

    /// How many times a panel was actually computed (a cache miss), for tests and metrics.
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    /// Recomputes a stale entry in the background, once per key at a time.
    fn revalidate(
        shared: &Shared,
        key: String,
        computed: impl Future<Output = AppResult<Entry>> + Send + 'static,
    ) {
        let started = shared
            .revalidating
            .lock()
            .map(|mut set| set.insert(key.clone()))
            .unwrap_or(false);
        if !started {
            return;
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            match computed.await {
                Ok(entry) => shared.entries.insert(key.clone(), entry).await,
                Err(e) => tracing::warn!(key, error = e.code(), "background revalidation failed"),
            }
            if let Ok(mut set) = shared.revalidating.lock() {
                set.remove(&key);
            }
        });
    }

    /// The cached value of `panel` for `args`, or computes it once — concurrent identical
    /// misses wait for the same computation. A stale entry is answered at once and
    /// recomputed in the background. Errors are not cached.
    pub async fn get_or_compute<T, F>(
        &self,
        scope: &TeamScope,
        panel: &str,
        args: &impl serde::Serialize,
        lookup: Lookup<'_>,
        compute: F,
    ) -> AppResult<T>
    where
        T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
        F: Future<Output = AppResult<T>> + Send + 'static,
    {
        let args = serde_json::to_string(args).map_err(AppError::internal)?;
        let team = scope.team_id();
        let sharing = self
            .tier
            .read()
            .ok()
            .and_then(|t| t.clone())
            .map(|tier| Sharing {
                tier,
                team,
                panel: panel.to_string(),
                args: args.clone(),
                force: lookup.force,
            });
        // Built here, run in whichever branch needs it (it owns what it uses); boxed, so a
        // dashboard's many panels do not each carry it on the stack.
        let computed = Box::pin(compute_entry(
            compute,
            panel.to_string(),
            self.lifetimes,
            self.computations.clone(),
            self.gate.clone(),
            self.metrics.clone(),
            sharing,
        ));
        let (entry, outcome) = match &self.shared {
            None => (computed.await?, Outcome::Miss),
            Some(shared) => {
                let digest = args_digest(&args);
                let key = format!(
                    "{}:{}.{}:{panel}:{digest}",
                    team.0,
                    self.generation(team),
                    self.changes.panel(team, panel, lookup.reads)
                );
                let latest_key = format!("{}:{panel}:{digest}", team.0);
                let cached = if lookup.force {
                    None
                } else {
                    shared.entries.get(&key).await
                };
                match cached {
                    Some(entry) if Instant::now() < entry.fresh_until => (entry, Outcome::Hit),
                    Some(entry) => {
                        Self::revalidate(shared, key, computed);
                        (entry, Outcome::Stale)
                    }
                    None if lookup.force => {
                        let entry = computed.await?;
                        shared.entries.insert(key, entry.clone()).await;
                        shared.latest.insert(latest_key, entry.clone()).await;
                        (entry, Outcome::Miss)
                    }
                    None => {
                        let entries = shared.entries.clone();
                        let single_flight = async move {
                            let entry = entries
                                .entry(key)
                                .or_try_insert_with(computed)
                                .await
                                .map_err(|shared| unshare(&shared))?;
                            // Another request's computation (or another instance's, through
                            // the shared tier) answered this one: a hit.
                            let outcome = if entry.is_fresh() && !entry.value().shared {
                                Outcome::Miss
                            } else {
                                Outcome::Hit
                            };
                            Ok::<_, AppError>((entry.into_value(), outcome))
                        };
                        let (entry, outcome) = match shared.latest.get(&latest_key).await {
                            None => single_flight.await?,
                            Some(previous) => {
                                // The team's data changed since `previous`: the new answer is
                                // computed on its own task (it goes on if this reader stops
                                // waiting); the reader waits a while, then takes `previous`.
                                let task = tokio::spawn(single_flight);
                                match tokio::time::timeout(self.lifetimes.changed_wait, task).await
                                {
                                    Ok(Ok(Ok(found))) => found,
                                    Ok(Ok(Err(e))) if passing(&e) => (previous, Outcome::Stale),
                                    Ok(Ok(Err(e))) => return Err(e),
                                    Ok(Err(joined)) => return Err(AppError::internal(joined)),
                                    Err(_) => (previous, Outcome::Stale),
                                }
                            }
                        };
                        if outcome != Outcome::Stale {
                            shared.latest.insert(latest_key, entry.clone()).await;
                        }
                        (entry, outcome)
                    }
                }
            }
        };
        self.metrics.cache_lookup(match (outcome, lookup.force) {
            (_, true) => "bypass",
            (Outcome::Hit, _) => "hit",
            (Outcome::Stale, _) => "stale",
            (Outcome::Miss, _) => "miss",
        });
        if let Some(report) = lookup.report {
            report.record(outcome, entry.computed_at);
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
        AppError::Unavailable {
            retry_after_seconds,
            message,
        } => AppError::Unavailable {
            retry_after_seconds: *retry_after_seconds,
            message: message.clone(),
        },
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

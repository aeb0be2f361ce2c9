//! The application state every layer reads: database, cache, clock, settings, keys and
//! rate limiters. It sits at the bottom of the house: nothing here imports the GraphQL or HTTP
//! layers that read it.

use crate::accounts::{self, JwtKeys};
use crate::config::Settings;
use crate::db;
use crate::db::changes::ChangeFeed;
use crate::db::reach::Reach;
use crate::db::redis::SharedRedis;
use crate::db::replica::Replica;
use crate::db::statistics::Statistics;
use crate::db::writers::{WriteTurn, Writers};
use crate::domains::chat::columns::ConversationStore;
use crate::domains::product::columns::TelemetryStore;
use crate::domains::{registry, rollups};
use crate::kernel::TeamId;
use crate::kernel::cache::{Lifetimes, PanelCache};
use crate::kernel::changes::TimeSpan;
use crate::kernel::clock::{SharedClock, clock_from};
use crate::kernel::gate::ComputeGate;
use crate::kernel::rate_limit::RateLimiter;
use crate::telemetry::Metrics;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// Everything a request needs: database, cache, clock, settings and JWT keys.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: Arc<PanelCache>,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// Per-team request rate limit.
    pub requests: Arc<RateLimiter>,
    /// Per-team limit of forced refreshes.
    pub refreshes: Arc<RateLimiter>,
    /// Per-team limit of browser events (`POST /v1/events`).
    pub events: Arc<RateLimiter>,
    /// Recent credential lookups (API keys, teams), kept `DASHGATE_AUTH_CACHE_SECONDS`.
    pub lookups: accounts::Lookups,
    /// The gateway's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Table sizes, for refreshing planner statistics after bulk loads.
    pub statistics: Arc<Statistics>,
    /// Other instances on the same PostgreSQL hear of this one's changes, and it of theirs.
    pub changes: Option<Arc<ChangeFeed>>,
    /// Redis shared by the instances (`DASHGATE_REDIS_URL`), for per-team rate limits.
    pub redis: Option<Arc<SharedRedis>>,
    /// The read replica for dashboard reads (`DASHGATE_DATABASE_READ_URL`).
    pub replica: Option<Arc<Replica>>,
    /// Writers' turns: one batch per team (per database on SQLite) at a time.
    pub writers: Arc<Writers>,
    /// Whether the primary database can be reached, checked when a request waits long.
    pub reach: Arc<Reach>,
    /// Every team's decoded product telemetry (`DASHGATE_PRODUCT_CACHE_MAX_BYTES`).
    pub product_telemetry: Arc<TelemetryStore>,
    /// Every team's kept chat conversations (`DASHGATE_CHAT_CACHE_MAX_BYTES`).
    pub chat_conversations: Arc<ConversationStore>,
    /// Set when the server is shutting down: long-lived connections (live subscriptions)
    /// close themselves (1001) instead of being cut.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// `team`'s data changed: its cached panels are no longer read, here and (on PostgreSQL)
    /// on every other instance.
    pub async fn data_changed(&self, team: TeamId) {
        self.cache.bump(team);
        self.announce_change(team, &[]).await;
    }

    /// Rows of `datasets` of `team` changed, each batch's rows all inside its span (`None`:
    /// anywhere in time): the cached panels of the dashboards that read them — those of them
    /// whose range the span reaches — are no longer read here; the team's other dashboards
    /// keep theirs. Other instances hear the same (the change feed carries dashboards and
    /// spans); the shared Redis tier starts those dashboards over.
    pub async fn datasets_changed(&self, team: TeamId, datasets: &[(&str, Option<TimeSpan>)]) {
        // A dataset no dashboard owns: anything of the team (no dashboards named).
        let reached: Vec<(&str, Option<TimeSpan>)> = datasets
            .iter()
            .map(|(dataset, span)| registry::dashboard_of(dataset).map(|d| (d, *span)))
            .collect::<Option<_>>()
            .unwrap_or_default();
        self.cache.changed(team, &reached);
        self.announce_change(team, &reached).await;
    }

    /// Tells other instances (Redis, the change feed) that data of `team` changed: of these
    /// dashboards in these spans, or (none named) anything.
    async fn announce_change(&self, team: TeamId, dashboards: &[(&str, Option<TimeSpan>)]) {
        // Before announcing it: an instance that hears of the change reads the new generation.
        if let Some(redis) = &self.redis {
            let names: Vec<&str> = dashboards.iter().map(|(d, _)| *d).collect();
            redis.bump_generation(team, &names).await;
        }
        let wrote = match &self.replica {
            Some(replica) => {
                let at = replica.primary_lsn().await;
                if let Some(at) = at {
                    replica.wrote(team, at);
                }
                at
            }
            None => None,
        };
        if let Some(changes) = &self.changes {
            changes.announce(team, wrote, dashboards).await;
        }
    }

    /// Begins a write transaction for `team` once it is its turn (see `db::writers`); the
    /// turn is held until the returned turn is dropped, after commit or rollback.
    pub async fn begin_team_write(
        &self,
        team: TeamId,
    ) -> crate::kernel::AppResult<(WriteTurn, sea_orm::DatabaseTransaction)> {
        self.writers.begin(team).await
    }

    /// This state with dashboard reads for `team` on the read replica, when there is one
    /// and it has replayed the team's latest write.
    pub async fn for_reads(&self, team: TeamId) -> AppState {
        let mut state = self.clone();
        if let Some(replica) = &self.replica {
            state.db = replica.for_reads(team).await.clone();
        }
        state
    }

    /// Connects, migrates and loads the JWT secret. `schema` selects a PostgreSQL schema.
    pub async fn open(settings: Settings, schema: Option<&str>) -> anyhow::Result<Self> {
        let db = db::connect(&settings, schema).await?;
        db::migrate(&db).await?;
        Self::with_db(settings, db).await
    }

    /// State over an already migrated connection.
    pub async fn with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let mut rebuilt = rollups::ensure_current(&db, &registry::rollups()).await?;
        rebuilt.extend(rollups::tally::ensure_current(&db, &registry::tallies()).await?);
        if !rebuilt.is_empty() {
            tracing::info!(tables = ?rebuilt, "rollups rebuilt from raw rows");
        }
        let secret = match &settings.jwt_secret {
            Some(s) => s.clone(),
            None => accounts::tokens::load_or_create_secret(&db).await?,
        };
        let metrics = Arc::new(Metrics::new());
        let lifetimes = Lifetimes {
            ttl: Duration::from_secs(settings.cache_ttl_seconds),
            stale_for: Duration::from_secs(settings.cache_stale_seconds),
            changed_wait: Duration::from_millis(settings.cache_changed_wait_ms),
        };
        let max_running = match settings.max_concurrent_computations {
            0 => settings.db_max_connections as usize,
            n => n,
        };
        let gate = ComputeGate::new(
            max_running,
            settings.max_waiting_computations,
            metrics.clone(),
        );
        let cache = Arc::new(PanelCache::new(
            settings.cache_max_bytes,
            lifetimes,
            gate,
            metrics.clone(),
        ));
        let replica = match settings.database_read_url.is_some() {
            true => {
                let schema = db::current_schema(&db).await;
                db::connect_replica(&settings, schema.as_deref())
                    .await?
                    .map(|reader| Arc::new(Replica::new(reader, db.clone())))
            }
            false => None,
        };
        let changes = ChangeFeed::start(&settings, &db, cache.clone(), replica.clone()).await?;
        let redis = SharedRedis::start(&settings).await?;
        if let Some(redis) = &redis {
            cache.share_through(redis.clone());
        }
        let writers = Arc::new(Writers::new(
            db.clone(),
            Duration::from_millis(settings.write_queue_timeout_ms),
            settings.db_write_statement_timeout_ms,
        ));
        let reach = Arc::new(Reach::new(
            &settings.connect_url(),
            Duration::from_millis(settings.db_connect_timeout_ms),
        ));
        let product_telemetry = Arc::new(TelemetryStore::new(
            settings.product_cache_max_bytes,
            Duration::from_secs(settings.cache_ttl_seconds),
            metrics.clone(),
        ));
        let chat_conversations = Arc::new(ConversationStore::new(
            settings.chat_cache_max_bytes,
            Duration::from_secs(settings.cache_ttl_seconds),
            metrics.clone(),
        ));
        Ok(AppState {
            db,
            reach,
            closing: Arc::new(tokio::sync::watch::channel(false).0),
            product_telemetry,
            chat_conversations,
            writers,
            cache,
            changes,
            redis,
            replica,
            clock: clock_from(settings.now),
            jwt: Arc::new(JwtKeys::new(&secret)),
            requests: Arc::new(RateLimiter::new(settings.rate_limit_per_minute)),
            refreshes: Arc::new(RateLimiter::new(settings.force_refresh_per_minute)),
            events: Arc::new(RateLimiter::new(settings.events_per_minute)),
            metrics,
            lookups: accounts::Lookups::new(Duration::from_secs(settings.auth_cache_seconds)),
            statistics: Arc::new(Statistics::new(settings.analyze_growth_percent)),
            settings: Arc::new(settings),
        })
    }
}

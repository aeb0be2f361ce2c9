//! Redis shared by several instances: per-team request counts per minute, so a team's rate
//! limit holds across all of them, and the panel cache tier they share (panels, the teams'
//! data generations, claims on cold panels; `kernel::shared_tier`). Redis is never the client's problem: every command has a
//! deadline, a failure marks Redis degraded (callers fall back to what the instance knows
//! alone), and the connection comes back by itself.

use crate::config::Settings;
use crate::kernel::TeamId;
use crate::kernel::shared_tier::SharedTier;
use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// This instance's handle on the shared Redis.
pub struct SharedRedis {
    client: redis::Client,
    manager: RwLock<Option<ConnectionManager>>,
    prefix: String,
    timeout: Duration,
    /// The last command failed (or no connection yet).
    degraded: AtomicBool,
}

/// What `/readyz` says about Redis.
pub struct RedisCheck {
    pub ok: bool,
    pub ms: u64,
    pub reason: Option<String>,
}

impl SharedRedis {
    /// Connects to `DASHGATE_REDIS_URL` if set. An unreachable Redis does not stop the
    /// instance: it starts degraded and keeps trying in the background.
    pub async fn start(settings: &Settings) -> anyhow::Result<Option<Arc<SharedRedis>>> {
        let Some(url) = settings.redis_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let shared = Arc::new(SharedRedis {
            client: redis::Client::open(url)?,
            manager: RwLock::new(None),
            prefix: settings.redis_prefix.clone(),
            timeout: Duration::from_millis(settings.redis_timeout_ms.max(1)),
            degraded: AtomicBool::new(true),
        });
        if !shared.connect().await {
            let again = shared.clone();
            tokio::spawn(async move {
                while !again.connect().await {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        Ok(Some(shared))
    }

    async fn connect(&self) -> bool {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout.max(Duration::from_millis(500))))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let made = ConnectionManager::new_with_config(self.client.clone(), config).await;
        match made {
            Ok(manager) => {
                if let Ok(mut m) = self.manager.write() {
                    *m = Some(manager);
                }
                self.degraded.store(false, Ordering::Release);
                tracing::info!("connected to Redis");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable; instances do not share limits meanwhile");
                false
            }
        }
    }

    fn manager(&self) -> Option<ConnectionManager> {
        self.manager.read().ok()?.clone()
    }

    /// Runs `cmd` within the deadline; `None` (and degraded) on any failure.
    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Pipeline) -> Option<T> {
        let mut conn = self.manager()?;
        let result = tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await;
        match result {
            Ok(Ok(v)) => {
                self.degraded.store(false, Ordering::Release);
                Some(v)
            }
            Ok(Err(e)) => {
                if !self.degraded.swap(true, Ordering::AcqRel) {
                    tracing::warn!(error = %e, "Redis failed; going on without it");
                }
                None
            }
            Err(_) => {
                if !self.degraded.swap(true, Ordering::AcqRel) {
                    tracing::warn!("Redis did not answer in time; going on without it");
                }
                None
            }
        }
    }

    /// Counts one `kind` request of `team` in minute `minute` across all instances and
    /// returns the count so far; `None` when Redis is unavailable.
    pub async fn count(&self, kind: &str, team: TeamId, minute: u64) -> Option<u64> {
        let key = format!("{}:rate:{kind}:{}:{minute}", self.prefix, team.0);
        let mut pipe = redis::pipe();
        pipe.atomic().incr(&key, 1u64).expire(&key, 120).ignore();
        self.run::<(u64,)>(&pipe).await.map(|(n,)| n)
    }

    /// Bumps the generations shared by the instances of these dashboards of `team` — or,
    /// with none named, of the team as a whole (after a change this instance wrote).
    pub async fn bump_generation(&self, team: TeamId, dashboards: &[&str]) {
        let mut pipe = redis::pipe();
        if dashboards.is_empty() {
            pipe.incr(self.generation_key(team, None), 1u64).ignore();
        }
        for dashboard in dashboards {
            pipe.incr(self.generation_key(team, Some(dashboard)), 1u64)
                .ignore();
        }
        let _ = self.run::<()>(&pipe).await;
    }

    /// The key of the team's generation, or of one of its dashboards'.
    fn generation_key(&self, team: TeamId, dashboard: Option<&str>) -> String {
        match dashboard {
            None => format!("{}:gen:{}", self.prefix, team.0),
            Some(d) => format!("{}:gen:{}:{d}", self.prefix, team.0),
        }
    }

    /// A `PING` for `/readyz`.
    pub async fn check(&self) -> RedisCheck {
        let started = Instant::now();
        let mut pipe = redis::pipe();
        pipe.cmd("PING");
        let ok = self.run::<(String,)>(&pipe).await.is_some();
        RedisCheck {
            ok,
            ms: started.elapsed().as_millis() as u64,
            reason: (!ok).then(|| {
                if self.manager().is_none() {
                    "not connected yet".to_string()
                } else {
                    "Redis failed or did not answer in time".to_string()
                }
            }),
        }
    }
}

impl SharedTier for SharedRedis {
    fn generation(&self, team: TeamId, dashboard: &str) -> BoxFuture<'_, Option<(u64, u64)>> {
        let keys = [
            self.generation_key(team, None),
            self.generation_key(team, Some(dashboard)),
        ];
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.get(&keys[0]).get(&keys[1]);
            self.run::<(Option<u64>, Option<u64>)>(&pipe)
                .await
                .map(|(whole, own)| (whole.unwrap_or(0), own.unwrap_or(0)))
        })
    }

    fn get(&self, key: String) -> BoxFuture<'_, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.get(format!("{}:{key}", self.prefix));
            self.run::<(Option<Vec<u8>>,)>(&pipe)
                .await
                .and_then(|(v,)| v)
        })
    }

    fn put(&self, key: String, value: Vec<u8>, ttl: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.set_ex(
                format!("{}:{key}", self.prefix),
                value,
                ttl.as_secs().max(1),
            )
            .ignore();
            let _ = self.run::<()>(&pipe).await;
        })
    }

    fn claim(&self, key: String, ttl: Duration) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            let opts = redis::SetOptions::default()
                .conditional_set(redis::ExistenceCheck::NX)
                .with_expiration(redis::SetExpiry::PX(ttl.as_millis().max(1) as u64));
            pipe.set_options(format!("{}:{key}", self.prefix), 1u8, opts);
            // Redis unavailable: nobody can be waited for, so compute here.
            self.run::<(Option<String>,)>(&pipe)
                .await
                .is_none_or(|(set,)| set.is_some())
        })
    }
}

//! The cache tier several instances share (Redis, `db::redis`), behind each instance's own
//! panel cache: on a local miss an instance reads the panel there before computing it, an
//! instance that computes a panel puts it there, and only one instance computes a cold panel
//! while the others wait for it briefly. Keys carry the generations kept in the shared tier
//! of the team as a whole (bumped by changes that may touch anything: erasure, deletes of
//! unowned data) and of the panel's dashboard (bumped by batches into the datasets it reads),
//! so a batch into `chat_messages` leaves shared `apiUsage` panels in place. Every failure
//! means "not there": the instance computes as if alone.

use super::changes::dashboard_of;
use super::tenancy::TeamId;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A store shared by the instances.
pub trait SharedTier: Send + Sync {
    /// The generations there of the team as a whole and of one of its dashboards (`None`:
    /// unavailable).
    fn generation(&self, team: TeamId, dashboard: &str) -> BoxFuture<'_, Option<(u64, u64)>>;
    /// The bytes under `key`, if any.
    fn get(&self, key: String) -> BoxFuture<'_, Option<Vec<u8>>>;
    /// Stores `value` under `key` for `ttl`.
    fn put(&self, key: String, value: Vec<u8>, ttl: Duration) -> BoxFuture<'_, ()>;
    /// Claims computing `key` for `ttl`; `false` when another instance holds the claim.
    fn claim(&self, key: String, ttl: Duration) -> BoxFuture<'_, bool>;
}

/// Largest panel kept in the shared tier (larger ones stay in each instance's own cache).
pub const MAX_SHARED_BYTES: usize = 1 << 20;

/// How long an instance waits for another one computing the same cold panel.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(3);

/// A panel as stored in the shared tier.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    computed_at: DateTime<Utc>,
    value: T,
}

/// One panel's place in the shared tier.
pub struct Slot {
    tier: Arc<dyn SharedTier>,
    key: String,
}

impl Slot {
    /// The slot of `panel` with `args` (JSON) for `team`, at the shared generation; `None`
    /// when the tier cannot say.
    pub async fn of(
        tier: Arc<dyn SharedTier>,
        team: TeamId,
        panel: &str,
        args: &str,
    ) -> Option<Slot> {
        let (whole, own) = tier.generation(team, dashboard_of(panel)).await?;
        let digest = Sha256::digest(args.as_bytes());
        let hash: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let key = format!("panel:{}:{whole}.{own}:{panel}:{hash}", team.0);
        Some(Slot { tier, key })
    }

    async fn read<T: DeserializeOwned>(&self) -> Option<(T, DateTime<Utc>)> {
        let bytes = self.tier.get(self.key.clone()).await?;
        let stored: Stored<T> = serde_json::from_slice(&bytes).ok()?;
        Some((stored.value, stored.computed_at))
    }

    /// The panel another instance computed: at once, or after waiting for the instance that
    /// claimed it. `None`: compute it here (this instance holds the claim, or waited enough).
    pub async fn find<T: DeserializeOwned>(
        &self,
        claim_for: Duration,
    ) -> Option<(T, DateTime<Utc>)> {
        if let Some(found) = self.read().await {
            return Some(found);
        }
        if self
            .tier
            .claim(format!("{}:claim", self.key), claim_for)
            .await
        {
            return None;
        }
        let started = Instant::now();
        while started.elapsed() < WAIT_FOR_OTHERS {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(found) = self.read().await {
                return Some(found);
            }
        }
        None
    }

    /// Shares a panel computed here.
    pub async fn keep<T: Serialize>(&self, value: &T, computed_at: DateTime<Utc>, ttl: Duration) {
        let stored = Stored { computed_at, value };
        if let Ok(bytes) = serde_json::to_vec(&stored)
            && bytes.len() <= MAX_SHARED_BYTES
        {
            self.tier.put(self.key.clone(), bytes, ttl).await;
        }
    }
}

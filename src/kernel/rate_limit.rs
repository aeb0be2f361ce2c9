//! Per-team token buckets: a steady rate per minute with bursts up to the same number.

use super::error::{AppError, AppResult};
use super::tenancy::TeamId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Allows `per_minute` events per team and minute (0 = unlimited).
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<TeamId, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::default(),
        }
    }

    /// Events allowed per team and minute (0: unlimited).
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one token for `team`, or answers `RATE_LIMITED` with the seconds to wait.
    pub fn check(&self, team: TeamId) -> AppResult<()> {
        self.check_at(team, Instant::now())
    }

    fn check_at(&self, team: TeamId, now: Instant) -> AppResult<()> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("rate limiter poisoned")))?;
        let (tokens, last) = buckets.entry(team).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / per_second).ceil().max(1.0) as u64;
            Err(AppError::RateLimited {
                retry_after_seconds: wait,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_over_time_per_team() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(limiter.check_at(TeamId(1), t0).is_ok());
        assert!(limiter.check_at(TeamId(1), t0).is_ok());
        let err = limiter.check_at(TeamId(1), t0).unwrap_err();
        assert!(matches!(
            err,
            AppError::RateLimited {
                retry_after_seconds: 30
            }
        ));
        assert!(
            limiter.check_at(TeamId(2), t0).is_ok(),
            "other teams have their own bucket"
        );
        assert!(
            limiter
                .check_at(TeamId(1), t0 + Duration::from_secs(30))
                .is_ok()
        );
        assert!(RateLimiter::new(0).check_at(TeamId(1), t0).is_ok());
    }
}

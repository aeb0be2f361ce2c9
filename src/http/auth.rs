//! `Authorization: Bearer …` (or a publishable key in the URL) → `Principal`.

use crate::accounts;
use crate::kernel::rate_limit::RateLimiter;
use crate::kernel::{AppError, AppResult, Principal};
use crate::state::AppState;
use axum::http::HeaderMap;

/// The bearer credential of the request; `None` without an `Authorization` header.
fn bearer(headers: &HeaderMap) -> AppResult<Option<&str>> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::InvalidCredentials("unreadable header".into()))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(Some)
        .ok_or_else(|| AppError::InvalidCredentials("use `Authorization: Bearer <token>`".into()))
}

/// The principal of a credential (an API key `dg_…` or a JWT).
pub async fn authenticate(state: &AppState, credential: &str) -> AppResult<Principal> {
    let now = state.clock.now().timestamp();
    accounts::authenticate(&state.db, &state.jwt, &state.lookups, credential, now).await
}

/// The principal of an optional credential, after a take from the team's `limit`.
async fn limited(
    state: &AppState,
    credential: Option<&str>,
    limit: &RateLimiter,
) -> AppResult<Option<Principal>> {
    let Some(credential) = credential else {
        return Ok(None);
    };
    let principal = authenticate(state, credential).await?;
    let which = if std::ptr::eq(limit, &*state.events) {
        "events"
    } else {
        "requests"
    };
    if let Err(e) = shared_check(state, which, principal.team.id, limit).await {
        state.metrics.rate_limited(which);
        return Err(e);
    }
    Ok(Some(principal))
}

/// With Redis, the team's count in this wall-clock minute across every instance; without
/// it (or while it fails), this instance's own token bucket.
async fn shared_check(
    state: &AppState,
    which: &str,
    team: crate::kernel::TeamId,
    local: &crate::kernel::rate_limit::RateLimiter,
) -> AppResult<()> {
    let per_minute = local.per_minute();
    if let (Some(redis), true) = (&state.redis, per_minute > 0) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if let Some(count) = redis.count(which, team, secs / 60).await {
            return if count > u64::from(per_minute) {
                Err(crate::kernel::AppError::RateLimited {
                    retry_after_seconds: (60 - secs % 60).max(1),
                })
            } else {
                Ok(())
            };
        }
    }
    local.check(team)
}

/// The caller of a request: its principal (if any), after the team's rate limit.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Principal>> {
    limited(state, bearer(headers)?, &state.requests).await
}

/// The sender of a browser event: the bearer credential, else `key` from the URL (for
/// `navigator.sendBeacon`, which cannot set headers). Counted against the team's event rate
/// limit, not its request rate limit, so busy pages never starve its dashboards.
pub async fn event_sender(
    state: &AppState,
    headers: &HeaderMap,
    url_key: Option<&str>,
) -> AppResult<Option<Principal>> {
    let from_url = url_key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(credential) = bearer(headers)? {
        return limited(state, Some(credential), &state.events).await;
    }
    // A URL ends up in logs and histories: only a publishable key, which can do nothing but
    // send events, belongs there. Anything else is refused before it is even looked up.
    if from_url.is_some_and(|k| !k.starts_with(accounts::api_keys::PUBLISHABLE_PREFIX)) {
        return Err(AppError::InvalidCredentials(
            "only a publishable key (`dg_pk_…`) may be sent in the URL; send other credentials in `Authorization: Bearer`".into(),
        ));
    }
    let principal = limited(state, from_url, &state.events).await?;
    if principal
        .as_ref()
        .is_some_and(|p| p.role != crate::kernel::Role::Publishable)
    {
        return Err(AppError::InvalidCredentials(
            "only a publishable key may be sent in the URL".into(),
        ));
    }
    Ok(principal)
}

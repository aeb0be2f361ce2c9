//! `Authorization: Bearer …` → `Principal`.

use crate::accounts;
use crate::app::AppState;
use crate::kernel::{AppError, AppResult, Principal};
use axum::http::HeaderMap;

/// The principal of the request's bearer credential; `None` without an `Authorization` header.
async fn principal_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<Option<Principal>> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::InvalidCredentials("unreadable header".into()))?;
    let credential = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            AppError::InvalidCredentials("use `Authorization: Bearer <token>`".into())
        })?;
    let now = state.clock.now().timestamp();
    accounts::authenticate(&state.db, &state.jwt, credential, now)
        .await
        .map(Some)
}

/// The caller of a request: its principal (if any), after the team's rate limit.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Principal>> {
    let principal = principal_from_headers(state, headers).await?;
    if let Some(p) = &principal {
        state.requests.check(p.team.id)?;
    }
    Ok(principal)
}

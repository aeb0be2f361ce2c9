//! `POST /v1/erase` (ADMIN): removes one person's rows from every dataset of the caller's team
//! in one transaction, records the erasure in the audit log and answers the counts.

use super::HttpState;
use super::auth::caller;
use crate::domains::erase::erase;
use crate::kernel::{AppError, AppResult, Role, TeamScope};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// `{"userId": "…"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EraseRequest {
    user_id: String,
}

/// Erases one person from the caller's team.
pub async fn post_erase(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    match run(&http, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn run(http: &HttpState, headers: &HeaderMap, body: Body) -> AppResult<Response> {
    let state = &http.app;
    let principal = caller(state, headers).await?;
    let scope = TeamScope::require(principal.as_ref(), Role::Admin)?;
    let principal = principal.ok_or(AppError::Unauthenticated)?;
    let hint = "send the erasure as `application/json`";
    if let Some(response) = super::body::unsupported_media(headers, &["application/json"], hint) {
        return Ok(response);
    }
    let bytes = match super::body::read(body, 4_096).await {
        Ok(b) => b,
        Err(e) => return Ok(e.response(false)),
    };
    let request: EraseRequest = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::bad_input("userId", format!("send {{\"userId\": \"…\"}}: {e}")))?;
    let user = request.user_id.trim();
    if user.is_empty() || user.chars().count() > 200 || user.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "userId",
            "1–200 characters, no control characters",
        ));
    }
    let (_turn, txn) = state.begin_team_write(scope.team_id()).await?;
    let erased = erase(&txn, &scope, user).await?;
    let counts = json!(erased);
    let arguments = json!({ "userId": user });
    crate::audit::record(
        &txn,
        &principal,
        "erase",
        &arguments,
        &counts,
        state.clock.now(),
    )
    .await?;
    txn.commit().await?;
    state.data_changed(scope.team_id()).await;
    tracing::info!(team = scope.team().slug, "erased a person");
    Ok(Json(json!({ "userId": user, "deleted": counts })).into_response())
}

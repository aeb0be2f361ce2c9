//! `POST /v1/events`: one real-user timing event from a browser. Authenticated by a
//! publishable key (or any token of the team), small body, CORS for configured origins; the
//! event is a row of the `rum_events` dataset (a missing `id` and `occurred_at` are filled in);
//! validation errors answer 422.

use super::HttpState;
use super::auth::event_sender;
use super::params::QueryParams;
use crate::domains::datasets::{self, write};
use crate::domains::executive::ingest::{RUM_EVENTS, from_browser};
use crate::kernel::{AppError, Role, TeamScope};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// The query string of `POST /v1/events`.
#[derive(Deserialize)]
pub struct EventParams {
    /// A publishable key, for senders that cannot set headers.
    key: Option<String>,
}

/// Stores one event for the sender's team.
pub async fn post_event(
    State(http): State<HttpState>,
    QueryParams(params): QueryParams<EventParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match run(&http, params, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn run(
    http: &HttpState,
    params: EventParams,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let state = &http.app;
    let principal = event_sender(state, headers, params.key.as_deref()).await?;
    let scope = TeamScope::require(principal.as_ref(), Role::Publishable)?;
    let limit = state.settings.events_body_limit_bytes;
    let bytes = match super::body::read(body, limit).await {
        Ok(b) => b,
        Err(e) => return Ok(e.response(false)),
    };
    if crate::kernel::json_depth::nests_deeper_than(&bytes, state.settings.max_nesting) {
        return Err(AppError::bad_input("", "the event nests JSON too deeply"));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::bad_input("", format!("the body is not JSON: {e}")))?;
    let value = from_browser(value, state.clock.now());
    let row = datasets::validate(&RUM_EVENTS, &value)
        .map_err(|e| AppError::bad_input(e.field, e.message))?;
    let (_turn, txn) = state.begin_team_write(scope.team_id()).await?;
    let written = write(&txn, &scope, &RUM_EVENTS, std::slice::from_ref(&row)).await?;
    txn.commit().await?;
    // No cache generation bump: a page sends events all the time, and invalidating the team's
    // dashboards on each would defeat the cache. Quality gates see new events within the TTL.
    let body = json!({ "id": row.id, "inserted": written.inserted > 0 });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

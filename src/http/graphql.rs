//! `POST /graphql` (body limit, auth, timeout) and the GraphiQL page.

use super::HttpState;
use super::auth::principal_from_headers;
use crate::kernel::AppError;
use async_graphql::http::GraphiQLSource;
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

fn graphql_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

fn rate_limited(e: AppError) -> Response {
    let retry = match e {
        AppError::RateLimited {
            retry_after_seconds,
        } => retry_after_seconds,
        _ => 60,
    };
    let body = json!({ "data": null, "errors": [{ "message": e.message(),
        "extensions": { "code": e.code(), "retryAfterSeconds": retry } }] });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response.headers_mut().insert("retry-after", retry.into());
    response
}

/// Executes one GraphQL request for the caller's principal.
pub async fn execute(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let state = &http.app;
    let limit = state.settings.body_limit_bytes;
    let Ok(bytes) = to_bytes(body, limit).await else {
        let msg = format!("the request body is larger than {limit} bytes");
        return graphql_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &msg);
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("the body must be a GraphQL request as JSON: {e}");
            return graphql_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &msg);
        }
    };
    let principal = match principal_from_headers(state, &headers).await {
        Ok(p) => p,
        Err(e) => return graphql_error(StatusCode::UNAUTHORIZED, e.code(), &e.message()),
    };
    if let Some(p) = &principal
        && let Err(e) = state.requests.check(p.team.id)
    {
        return rate_limited(e);
    }
    let request = match principal {
        Some(p) => request.data(p),
        None => request,
    };
    let timeout_ms = state.settings.request_timeout_ms;
    match tokio::time::timeout(
        Duration::from_millis(timeout_ms),
        http.schema.execute(request),
    )
    .await
    {
        Ok(response) => async_graphql_axum::GraphQLResponse::from(response).into_response(),
        Err(_) => {
            let e = AppError::Timeout(timeout_ms);
            graphql_error(StatusCode::OK, e.code(), &e.message())
        }
    }
}

/// The GraphiQL playground.
pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("dashgate GraphiQL")
            .finish(),
    )
}

/// The schema in SDL.
pub async fn schema_sdl() -> String {
    crate::graphql::sdl()
}

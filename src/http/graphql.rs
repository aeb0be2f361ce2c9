//! `POST /graphql` (body limit, auth, timeout) and the GraphiQL page.

use super::HttpState;
use super::auth::caller;
use crate::kernel::{AppError, Principal};
use async_graphql::Pos;
use async_graphql::http::GraphiQLSource;
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// A GraphQL-shaped answer for an error raised before or around execution. It goes through
/// the same `AppError` → GraphQL error conversion as resolver errors (code, field, retry).
fn graphql_error(status: StatusCode, e: AppError) -> Response {
    let retry = match &e {
        AppError::RateLimited {
            retry_after_seconds,
        } => Some(*retry_after_seconds),
        _ => None,
    };
    let error = async_graphql::Error::from(e).into_server_error(Pos::default());
    let mut response = (
        status,
        Json(async_graphql::Response::from_errors(vec![error])),
    )
        .into_response();
    if let Some(seconds) = retry {
        response.headers_mut().insert("retry-after", seconds.into());
    }
    response
}

/// A protocol-level error (the body itself is unusable).
fn protocol_error(status: StatusCode, code: &str, message: String) -> Response {
    let body =
        json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

/// Executes a request for `principal` within the request timeout.
pub(super) async fn run_graphql(
    http: &HttpState,
    request: async_graphql::Request,
    principal: Option<Principal>,
) -> Result<async_graphql::Response, AppError> {
    let request = match principal {
        Some(p) => request.data(p),
        None => request,
    };
    let timeout_ms = http.app.settings.request_timeout_ms;
    tokio::time::timeout(
        Duration::from_millis(timeout_ms),
        http.schema.execute(request),
    )
    .await
    .map_err(|_| AppError::Timeout(timeout_ms))
}

/// Executes one GraphQL request for the caller's principal.
pub async fn execute(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let limit = http.app.settings.body_limit_bytes;
    let Ok(bytes) = to_bytes(body, limit).await else {
        let msg = format!("the request body is larger than {limit} bytes");
        return protocol_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", msg);
    };
    let nesting = http.app.settings.max_nesting;
    if crate::kernel::json_depth::nests_deeper_than(&bytes, nesting) {
        let msg = format!("the JSON body nests more than {nesting} levels deep");
        return protocol_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", msg);
    }
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("the body must be a GraphQL request as JSON: {e}");
            return protocol_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
        }
    };
    let principal = match caller(&http.app, &headers).await {
        Ok(p) => p,
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return graphql_error(status, e);
        }
    };
    match run_graphql(&http, request, principal).await {
        Ok(response) => async_graphql_axum::GraphQLResponse::from(response).into_response(),
        // GraphQL clients expect 200 for an answer that is an error list.
        Err(e) => graphql_error(StatusCode::OK, e),
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

//! `POST /v1/ingest/{dataset}`: validate every row first, then write all rows in one
//! transaction (or none), idempotent by `id`.

use super::HttpState;
use super::auth::principal_from_headers;
use crate::domains::api_usage;
use crate::kernel::record::{RowError, parse_rows};
use crate::kernel::{AppError, Role, TeamScope};
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::TransactionTrait;
use serde_json::json;

/// At most this many row errors are listed in one answer.
const MAX_LISTED_ERRORS: usize = 100;

fn rejected(errors: Vec<RowError>) -> Response {
    let first = &errors[0];
    let message = match &first.field {
        Some(f) => format!("line {}, field `{f}`: {}", first.line, first.message),
        None => format!("line {}: {}", first.line, first.message),
    };
    let body = json!({ "error": {
        "code": "BAD_USER_INPUT",
        "message": message,
        "line": first.line,
        "field": first.field,
        "errors": errors.iter().take(MAX_LISTED_ERRORS).collect::<Vec<_>>(),
        "errorCount": errors.len(),
        "inserted": 0,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Validates and stores one batch of a dataset for the caller's team.
pub async fn ingest(
    State(http): State<HttpState>,
    Path(dataset): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match run(&http, &dataset, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn run(
    http: &HttpState,
    dataset: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let state = &http.app;
    let principal = principal_from_headers(state, headers).await?;
    let scope = TeamScope::require(principal.as_ref(), Role::Editor)?;
    state.requests.check(scope.team_id())?;
    if dataset != "request_logs" {
        return Err(AppError::NotFound(format!(
            "dataset `{dataset}` (known: request_logs)"
        )));
    }
    let limit = state.settings.ingest_body_limit_bytes;
    let Ok(bytes) = to_bytes(body, limit).await else {
        let body = json!({ "error": { "code": "PAYLOAD_TOO_LARGE",
            "message": format!("the batch is larger than {limit} bytes; split it") } });
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response());
    };
    let values = match parse_rows(&bytes) {
        Ok(v) => v,
        Err(e) => return Ok(rejected(vec![e])),
    };
    let mut rows = Vec::with_capacity(values.len());
    let mut errors = Vec::new();
    for (line, value) in &values {
        match api_usage::ingest::validate(value) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(RowError {
                line: *line,
                field: Some(e.field).filter(|f| !f.is_empty()),
                message: e.message,
            }),
        }
    }
    if !errors.is_empty() {
        return Ok(rejected(errors));
    }
    let txn = state.db.begin().await?;
    let inserted = api_usage::ingest::write(&txn, &scope, &rows).await?;
    txn.commit().await?;
    if inserted > 0 {
        state.cache.bump(scope.team_id());
    }
    let duplicates = rows.len() as u64 - inserted;
    tracing::info!(
        dataset,
        team = scope.team().slug,
        inserted,
        duplicates,
        "ingested"
    );
    Ok(
        Json(json!({ "dataset": dataset, "inserted": inserted, "duplicates": duplicates }))
            .into_response(),
    )
}

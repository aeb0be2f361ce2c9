//! `POST /v1/ingest/{dataset}` and `DELETE /v1/ingest/{dataset}`: one description per
//! dataset drives both. A batch is JSON or NDJSON (415 otherwise) and counts against a budget
//! of bytes being ingested at once, charged as the bytes arrive (503 with `Retry-After` over
//! it). Its rows are parsed,
//! validated and written chunk by chunk inside one transaction — all rows or none.

use super::HttpState;
use super::auth::caller;
use super::params::QueryParams;
use crate::domains::datasets::{self, Dataset, Outcome};
use crate::domains::registry;
use crate::kernel::json_depth::nests_deeper_than;
use crate::kernel::record::{RowError, rows};
use crate::kernel::{AppError, AppResult, Principal, Role, TeamScope};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// At most this many row errors are listed in one answer.
const MAX_LISTED_ERRORS: usize = 100;

/// The media types an ingestion body may declare (none declared: read as JSON or NDJSON).
const ACCEPTED_TYPES: [&str; 6] = [
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/json-lines",
];

pub(super) fn rejected(errors: Vec<RowError>) -> Response {
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

/// The dataset named in the path.
fn dataset(name: &str) -> AppResult<&'static Dataset> {
    registry::find(name).ok_or_else(|| {
        AppError::NotFound(format!(
            "dataset `{name}` (known: {})",
            registry::names().join(", ")
        ))
    })
}

/// What a request to a dataset carries, once read: the caller, the dataset, the body, and
/// the share of the byte budget it holds until it is answered.
struct Opened {
    principal: Principal,
    scope: TeamScope,
    ds: &'static Dataset,
    bytes: Bytes,
    _budget: tokio::sync::OwnedSemaphorePermit,
}

/// The caller (at least `role`), the dataset and the body, read within the byte budget.
async fn open(
    http: &HttpState,
    name: &str,
    headers: &HeaderMap,
    body: Body,
    role: Role,
) -> AppResult<Result<Opened, Response>> {
    let state = &http.app;
    let principal = caller(state, headers).await?;
    let scope = TeamScope::require(principal.as_ref(), role)?;
    let principal = principal.ok_or(AppError::Unauthenticated)?;
    let ds = dataset(name)?;
    let hint = "a batch is JSON or NDJSON (send `Content-Type: application/x-ndjson` or `application/json`)";
    if let Some(response) = super::body::unsupported_media(headers, &ACCEPTED_TYPES, hint) {
        return Ok(Err(response));
    }
    let limit = state.settings.ingest_body_limit_bytes;
    let (bytes, permit) = match super::body::read_charged(body, limit, &http.ingest_budget).await {
        Ok(read) => read,
        Err(super::body::Charged::Body(e)) => return Ok(Err(e.response(false))),
        Err(super::body::Charged::OverBudget) => {
            state.metrics.rate_limited("ingest_bytes");
            return Err(AppError::Unavailable {
                retry_after_seconds: 2,
                message: "the gateway is ingesting as much as it takes at once; retry shortly"
                    .into(),
            });
        }
    };
    // One more level than elsewhere: a JSON array batch's own brackets.
    let nesting = state.settings.max_nesting;
    if nests_deeper_than(&bytes, nesting + 1) {
        let message = format!("the body nests JSON more than {nesting} levels deep");
        return Ok(Err(rejected(vec![RowError {
            line: 0,
            field: None,
            message,
        }])));
    }
    Ok(Ok(Opened {
        principal,
        scope,
        ds,
        bytes,
        _budget: permit,
    }))
}

/// Validates and stores one batch of a dataset for the caller's team.
pub async fn ingest(
    State(http): State<HttpState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match post(&http, &name, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn post(
    http: &HttpState,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let opened = match open(http, name, headers, body, Role::Editor).await? {
        Ok(opened) => opened,
        Err(response) => return Ok(response),
    };
    let (scope, ds) = (&opened.scope, opened.ds);
    let state = &http.app;
    let (_turn, txn) = state.begin_team_write(scope.team_id()).await?;
    let outcome = datasets::ingest(&txn, scope, ds, opened.bytes.clone()).await?;
    let written = match outcome {
        Ok(written) => written,
        Err(errors) => {
            txn.rollback().await?;
            state
                .metrics
                .ingested(ds.name, "rejected", errors.len() as u64);
            return Ok(rejected(errors));
        }
    };
    txn.commit().await?;
    let o = written.outcome;
    if o.changed() {
        let changed = [(ds.name, written.span)];
        state.datasets_changed(scope.team_id(), &changed).await;
        // The rollup grows with its dataset: its statistics are refreshed with the dataset's.
        let rollup = ds.rollup.map(|r| r.table);
        state
            .statistics
            .after_batch(&state.db, ds.name, rollup, o.inserted);
    }
    for (outcome, n) in [
        ("inserted", o.inserted),
        ("updated", o.updated),
        ("unchanged", o.unchanged),
        ("stale", o.stale),
        ("duplicate", o.duplicates),
    ] {
        state.metrics.ingested(ds.name, outcome, n);
    }
    tracing::info!(
        dataset = ds.name,
        team = scope.team().slug,
        inserted = o.inserted,
        updated = o.updated,
        unchanged = o.unchanged,
        stale = o.stale,
        duplicates = o.duplicates,
        chunks = written.chunks,
        "ingested"
    );
    Ok(Json(answer(ds.name, o)).into_response())
}

/// `{dataset, inserted, updated, unchanged, stale, duplicates}`.
fn answer(name: &str, o: Outcome) -> serde_json::Value {
    json!({ "dataset": name, "inserted": o.inserted, "updated": o.updated,
        "unchanged": o.unchanged, "stale": o.stale, "duplicates": o.duplicates })
}

/// `?cascade=true` also deletes the rows that reference the deleted ones.
#[derive(Deserialize, Default)]
pub struct DeleteParams {
    #[serde(default)]
    cascade: bool,
}

/// Deletes rows of a dataset by key, all or nothing.
pub async fn delete(
    State(http): State<HttpState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<DeleteParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match remove(&http, &name, params.cascade, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn remove(
    http: &HttpState,
    name: &str,
    cascade: bool,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let opened = match open(http, name, headers, body, Role::Editor).await? {
        Ok(opened) => opened,
        Err(response) => return Ok(response),
    };
    let (principal, scope, ds) = (&opened.principal, &opened.scope, opened.ds);
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for row in rows(&opened.bytes) {
        match row {
            Ok((line, value)) => match datasets::key_of(ds, &value) {
                Ok(key) => keys.push(key),
                Err(e) => errors.push(RowError {
                    line,
                    field: Some(e.field).filter(|f| !f.is_empty()),
                    message: e.message,
                }),
            },
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Ok(rejected(errors));
    }
    let state = &http.app;
    let all: Vec<&'static Dataset> = registry::all().collect();
    let (_turn, txn) = state.begin_team_write(scope.team_id()).await?;
    let done = match datasets::delete(&txn, scope, &all, ds, &keys, cascade).await? {
        Ok(done) => done,
        Err(referenced) => {
            txn.rollback().await?;
            let first = &referenced[0];
            let message = format!(
                "{} {} row(s) still reference these rows (field `{}`); nothing was deleted — delete them first, or send `?cascade=true` to delete them too",
                first.rows, first.dataset, first.field
            );
            let body = json!({ "error": { "code": "REFERENCED", "message": message,
                "referencedBy": referenced } });
            return Ok((StatusCode::CONFLICT, Json(body)).into_response());
        }
    };
    let deleted = done.deleted.get(ds.name).copied().unwrap_or(0);
    let cascaded: serde_json::Map<String, serde_json::Value> = done
        .deleted
        .iter()
        .filter(|(n, rows)| **n != ds.name && **rows > 0)
        .map(|(n, rows)| (n.to_string(), json!(rows)))
        .collect();
    let counts = json!({ "deleted": deleted, "missing": done.missing, "cascaded": cascaded });
    let arguments = json!({ "dataset": ds.name, "keys": keys.len(), "cascade": cascade });
    crate::audit::record(
        &txn,
        principal,
        "delete",
        &arguments,
        &counts,
        state.clock.now(),
    )
    .await?;
    txn.commit().await?;
    // Deleted rows may have happened at any time.
    let touched: Vec<_> = done
        .deleted
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(name, _)| (*name, None))
        .collect();
    if !touched.is_empty() {
        state.datasets_changed(scope.team_id(), &touched).await;
    }
    let mut body = json!({ "dataset": ds.name, "deleted": deleted, "missing": done.missing });
    if cascade {
        body["cascaded"] = counts["cascaded"].clone();
    }
    Ok(Json(body).into_response())
}

//! `POST /v1/ingest/{dataset}`: validate every row first, then write all rows in one
//! transaction (or none), idempotent by `id`. Bodies are JSON or NDJSON (415 otherwise) and
//! count against a budget of bytes being ingested at once (503 with `Retry-After` over it).
//! Rows are validated as they are read, so a batch never holds its parsed JSON all at once.

use super::HttpState;
use super::auth::caller;
use crate::domains::registry;
use crate::domains::tables::{self, Dataset, Written};
use crate::domains::{api_usage, executive, product};
use crate::kernel::json_depth::nests_deeper_than;
use crate::kernel::record::{FieldError, RowError, for_each_row};
use crate::kernel::{AppError, AppResult, Role, TeamScope};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;

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

/// 415 for a declared media type that is neither JSON nor NDJSON.
fn unsupported_media(headers: &HeaderMap) -> Option<Response> {
    let declared = headers.get(header::CONTENT_TYPE)?.to_str().unwrap_or("?");
    let essence = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ACCEPTED_TYPES.contains(&essence.as_str()) {
        return None;
    }
    let message = format!(
        "a batch is JSON or NDJSON; `{essence}` is neither (send `Content-Type: application/x-ndjson` or `application/json`)"
    );
    let body = json!({ "error": { "code": "UNSUPPORTED_MEDIA_TYPE", "message": message } });
    Some((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response())
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

/// The dataset named in the path.
fn target(dataset: &str) -> AppResult<Target> {
    Ok(match dataset {
        "request_logs" => Target::RequestLogs,
        executive::ingest::RUM_EVENTS => Target::RumEvents,
        product::ingest::PRODUCT_EVENTS => Target::ProductEvents,
        name => match registry::find(name) {
            Some(ds) => Target::Table(ds),
            None => {
                let mut known = vec![
                    "request_logs",
                    executive::ingest::RUM_EVENTS,
                    product::ingest::PRODUCT_EVENTS,
                ];
                known.extend(registry::all().map(|d| d.name));
                return Err(AppError::NotFound(format!(
                    "dataset `{dataset}` (known: {})",
                    known.join(", ")
                )));
            }
        },
    })
}

async fn run(
    http: &HttpState,
    dataset: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let state = &http.app;
    let principal = caller(state, headers).await?;
    let scope = TeamScope::require(principal.as_ref(), Role::Editor)?;
    let target = target(dataset)?;
    if let Some(response) = unsupported_media(headers) {
        return Ok(response);
    }
    let limit = state.settings.ingest_body_limit_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Charged what the client declares, or the whole route limit for a body of unknown length.
    let charge = declared
        .unwrap_or(limit)
        .clamp(1, limit)
        .min(u32::MAX as usize) as u32;
    let Ok(_permit) = http.ingest_budget.clone().try_acquire_many_owned(charge) else {
        state.metrics.rate_limited("ingest_bytes");
        return Err(AppError::Unavailable {
            retry_after_seconds: 2,
            message: "the gateway is ingesting as much as it takes at once; retry shortly".into(),
        });
    };
    let bytes = match super::body::read(body, limit).await {
        Ok(b) => b,
        Err(e) => return Ok(e.response(false)),
    };
    // One more level than elsewhere: the batch's own array.
    let nesting = state.settings.max_nesting;
    if nests_deeper_than(&bytes, nesting + 1) {
        let message = format!("the body nests JSON more than {nesting} levels deep");
        return Ok(rejected(vec![RowError {
            line: 0,
            field: None,
            message,
        }]));
    }
    let written = match target {
        Target::RequestLogs => {
            let write: Writer<_> = |t, s, r| Box::pin(api_usage::ingest::write(t, s, r));
            write_rows(state, &scope, &bytes, api_usage::ingest::validate, write).await?
        }
        Target::RumEvents => {
            let validate = |v: &_| executive::ingest::validate_event(v, None);
            let write: Writer<_> = |t, s, r| Box::pin(executive::ingest::write_events(t, s, r));
            write_rows(state, &scope, &bytes, validate, write).await?
        }
        Target::ProductEvents => {
            let validate = |v: &_| product::ingest::validate_event(v, None);
            let write: Writer<_> = |t, s, r| Box::pin(product::ingest::write_events(t, s, r));
            write_rows(state, &scope, &bytes, validate, write).await?
        }
        Target::Table(ds) => write_table(state, &scope, ds, &bytes).await?,
    };
    let Counts {
        total,
        written: Written { inserted, replaced },
    } = match written {
        Ok(counts) => counts,
        Err(errors) => {
            state
                .metrics
                .ingested(dataset, "rejected", errors.len() as u64);
            return Ok(rejected(errors));
        }
    };
    if inserted + replaced > 0 {
        state.cache.bump(scope.team_id());
    }
    let duplicates = total - inserted - replaced;
    state.metrics.ingested(dataset, "inserted", inserted);
    state.metrics.ingested(dataset, "replaced", replaced);
    state.metrics.ingested(dataset, "duplicate", duplicates);
    tracing::info!(
        dataset,
        team = scope.team().slug,
        inserted,
        replaced,
        duplicates,
        "ingested"
    );
    Ok(Json(
        json!({ "dataset": dataset, "inserted": inserted, "replaced": replaced,
        "duplicates": duplicates }),
    )
    .into_response())
}

/// Where a dataset's rows go.
enum Target {
    RequestLogs,
    RumEvents,
    ProductEvents,
    Table(&'static Dataset),
}

/// The rows of a batch and what writing them did.
struct Counts {
    total: u64,
    written: Written,
}

/// A batch written (`Ok`), rejected row by row (`Err`), or failed (`AppError`).
type Outcome = Result<Result<Counts, Vec<RowError>>, AppError>;

fn row_error(line: usize, e: FieldError) -> RowError {
    RowError {
        line,
        field: Some(e.field).filter(|f| !f.is_empty()),
        message: e.message,
    }
}

/// A fingerprint of a row's whole content (JSON objects keep their keys sorted).
fn fingerprint(value: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    value.to_string().hash(&mut h);
    h.finish()
}

/// Reads and validates every row of a body as it is parsed: all rows with their lines, or
/// every problem. A row repeating an earlier row's `id` with other content is a problem (the
/// batch would otherwise keep whichever came first); an identical repeat is a duplicate.
pub(super) fn validate_all<T>(
    body: &[u8],
    validate: impl Fn(&Value) -> Result<T, FieldError>,
) -> Result<Vec<(usize, T)>, Vec<RowError>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    let read = for_each_row(body, |line, value| {
        if let Some(id) = value.get("id").and_then(Value::as_str) {
            let print = fingerprint(&value);
            match seen.entry(id.to_string()) {
                Entry::Occupied(first) if first.get().1 != print => {
                    let message = format!(
                        "`{id}` is already given on line {} with other content; send one version of a row per batch",
                        first.get().0
                    );
                    errors.push(RowError {
                        line,
                        field: Some("id".into()),
                        message,
                    });
                    return;
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(slot) => {
                    slot.insert((line, print));
                }
            }
        }
        match validate(&value) {
            Ok(row) => rows.push((line, row)),
            Err(e) => errors.push(row_error(line, e)),
        }
    });
    if let Err(e) = read {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Writes validated rows of one dataset inside `txn`; returns how many were new.
type Writer<T> = for<'a> fn(
    &'a DatabaseTransaction,
    &'a TeamScope,
    &'a [T],
) -> Pin<Box<dyn Future<Output = AppResult<u64>> + Send + 'a>>;

/// Validates every row with `validate`, then writes them all with `write` in one transaction
/// (or rejects the batch row by row).
async fn write_rows<T: Send + Sync>(
    state: &AppState,
    scope: &TeamScope,
    body: &[u8],
    validate: impl Fn(&Value) -> Result<T, FieldError>,
    write: Writer<T>,
) -> Outcome {
    let rows: Vec<T> = match validate_all(body, validate) {
        Ok(rows) => rows.into_iter().map(|(_, r)| r).collect(),
        Err(errors) => return Ok(Err(errors)),
    };
    let txn = state.db.begin().await?;
    let n = write(&txn, scope, &rows).await?;
    txn.commit().await?;
    Ok(Ok(Counts {
        total: rows.len() as u64,
        written: Written {
            inserted: n,
            replaced: 0,
        },
    }))
}

/// Validates, checks references and writes one table-driven dataset, all or nothing.
async fn write_table(state: &AppState, scope: &TeamScope, ds: &Dataset, body: &[u8]) -> Outcome {
    let rows = match validate_all(body, |v| tables::validate(ds, v)) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    let repeated = tables::repeated_keys(ds, &rows);
    if !repeated.is_empty() {
        return Ok(Err(repeated));
    }
    let txn = state.db.begin().await?;
    let missing = tables::check_references(&txn, scope, ds, &rows).await?;
    if !missing.is_empty() {
        txn.rollback().await?;
        return Ok(Err(missing));
    }
    let rows: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
    let written = tables::write(&txn, scope, ds, &rows).await?;
    txn.commit().await?;
    Ok(Ok(Counts {
        total: rows.len() as u64,
        written,
    }))
}

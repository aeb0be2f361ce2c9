//! `POST /v1/ingest/{dataset}`: validate every row first, then write all rows in one
//! transaction (or none), idempotent by `id`.

use super::HttpState;
use super::auth::caller;
use crate::domains::registry;
use crate::domains::tables::{self, Dataset, Written};
use crate::domains::{api_usage, executive, product};
use crate::kernel::record::{FieldError, RowError, parse_rows};
use crate::kernel::{AppError, AppResult, Role, TeamScope};
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

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
    let principal = caller(state, headers).await?;
    let scope = TeamScope::require(principal.as_ref(), Role::Editor)?;
    let target = match dataset {
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
    };
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
    let written = match target {
        Target::RequestLogs => {
            let validate = api_usage::ingest::validate;
            let write: Writer<_> = |t, s, r| Box::pin(api_usage::ingest::write(t, s, r));
            write_rows(state, &scope, &values, validate, write).await?
        }
        Target::RumEvents => {
            let validate = |v: &_| executive::ingest::validate_event(v, None);
            let write: Writer<_> = |t, s, r| Box::pin(executive::ingest::write_events(t, s, r));
            write_rows(state, &scope, &values, validate, write).await?
        }
        Target::ProductEvents => {
            let validate = |v: &_| product::ingest::validate_event(v, None);
            let write: Writer<_> = |t, s, r| Box::pin(product::ingest::write_events(t, s, r));
            write_rows(state, &scope, &values, validate, write).await?
        }
        Target::Table(ds) => write_table(state, &scope, ds, &values).await?,
    };
    let Counts {
        total,
        written: Written { inserted, replaced },
    } = match written {
        Ok(counts) => counts,
        Err(errors) => return Ok(rejected(errors)),
    };
    if inserted + replaced > 0 {
        state.cache.bump(scope.team_id());
    }
    let duplicates = total - inserted - replaced;
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

fn inserted(total: usize, inserted: u64) -> Counts {
    Counts {
        total: total as u64,
        written: Written {
            inserted,
            replaced: 0,
        },
    }
}

fn row_error(line: usize, e: FieldError) -> RowError {
    RowError {
        line,
        field: Some(e.field).filter(|f| !f.is_empty()),
        message: e.message,
    }
}

/// Validates every row with `validate`: all of them with their lines, or every problem.
pub(super) fn validate_all<T>(
    values: &[(usize, serde_json::Value)],
    validate: impl Fn(&serde_json::Value) -> Result<T, FieldError>,
) -> Result<Vec<(usize, T)>, Vec<RowError>> {
    let mut rows = Vec::with_capacity(values.len());
    let mut errors = Vec::new();
    for (line, value) in values {
        match validate(value) {
            Ok(row) => rows.push((*line, row)),
            Err(e) => errors.push(row_error(*line, e)),
        }
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
    values: &[(usize, serde_json::Value)],
    validate: impl Fn(&serde_json::Value) -> Result<T, FieldError>,
    write: Writer<T>,
) -> Outcome {
    let rows: Vec<T> = match validate_all(values, validate) {
        Ok(rows) => rows.into_iter().map(|(_, r)| r).collect(),
        Err(errors) => return Ok(Err(errors)),
    };
    let txn = state.db.begin().await?;
    let n = write(&txn, scope, &rows).await?;
    txn.commit().await?;
    Ok(Ok(inserted(rows.len(), n)))
}

/// Validates, checks references and writes one table-driven dataset, all or nothing.
async fn write_table(
    state: &AppState,
    scope: &TeamScope,
    ds: &Dataset,
    values: &[(usize, serde_json::Value)],
) -> Outcome {
    let rows = match validate_all(values, |v| tables::validate(ds, v)) {
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

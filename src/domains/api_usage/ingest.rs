//! Validation and writing of the `request_logs` dataset.

use super::entity::{Column, Entity};
use crate::kernel::record::{FieldError, MAX_DURATION_MS, Record};
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::Value;

/// One validated request log, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLogRow {
    pub id: String,
    pub created_at_ms: i64,
    pub endpoint: String,
    pub status_code: i32,
    pub latency_ms: f64,
    pub model_name: Option<String>,
    pub country_code: Option<String>,
    pub cost_micros: Option<i64>,
    pub tokens: Option<i64>,
    pub user_id: Option<String>,
}

const FIELDS: [&str; 10] = [
    "id",
    "created_at",
    "endpoint",
    "status_code",
    "latency_ms",
    "model_name",
    "country_code",
    "cost_usd",
    "tokens",
    "user_id",
];

/// Validates one row of the dataset (spec/api_usage.md).
pub fn validate(value: &Value) -> Result<RequestLogRow, FieldError> {
    let r = Record::new(value, &FIELDS)?;
    let country_code = match r.opt_string("country_code", 2)? {
        Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            return Err(FieldError {
                field: "country_code".into(),
                message: "must be two letters (ISO 3166-1 alpha-2)".into(),
            });
        }
        None => None,
    };
    Ok(RequestLogRow {
        id: r.string("id", 64)?,
        created_at_ms: r.instant("created_at")?.timestamp_millis(),
        endpoint: r.string("endpoint", 128)?,
        status_code: r.int("status_code", 100, 599)? as i32,
        latency_ms: r.number("latency_ms", 0.0, MAX_DURATION_MS)?,
        model_name: r.opt_string("model_name", 128)?,
        country_code,
        cost_micros: r.opt_micros("cost_usd")?,
        tokens: r.opt_int("tokens", 0, 1_000_000_000)?,
        user_id: r.opt_string("user_id", 64)?,
    })
}

/// Inserts rows for the team inside `txn`, skipping ids the team already has.
/// Returns how many rows were inserted.
pub async fn write(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    rows: &[RequestLogRow],
) -> AppResult<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(1000) {
        let mut insert = Query::insert();
        insert.into_table(Entity).columns([
            Column::TeamId,
            Column::Id,
            Column::CreatedAtMs,
            Column::Endpoint,
            Column::StatusCode,
            Column::LatencyMs,
            Column::ModelName,
            Column::CountryCode,
            Column::CostMicros,
            Column::Tokens,
            Column::UserId,
        ]);
        for row in chunk {
            insert.values_panic([
                scope.team_id().0.into(),
                row.id.clone().into(),
                row.created_at_ms.into(),
                row.endpoint.clone().into(),
                row.status_code.into(),
                row.latency_ms.into(),
                row.model_name.clone().into(),
                row.country_code.clone().into(),
                row.cost_micros.into(),
                row.tokens.into(),
                row.user_id.clone().into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([Column::TeamId, Column::Id])
                .do_nothing()
                .to_owned(),
        );
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    Ok(inserted)
}

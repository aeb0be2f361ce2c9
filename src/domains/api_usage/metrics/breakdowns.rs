//! The apiUsage top-N panels: errors by status code, models, countries.

use super::ApiUsageQuery;
use crate::domains::api_usage::entity::Column;
use crate::kernel::AppResult;
use crate::kernel::breakdown::Breakdown;
use crate::kernel::sql::{avg_f64, count_if, get, sum_float};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection};

/// Error requests (status ≥ 400) by status code, as `(code, count)` groups.
pub async fn errors(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    limit: usize,
) -> AppResult<Breakdown> {
    let stmt = q
        .plain(Condition::all().add(Column::StatusCode.gte(400)))
        .column(Column::StatusCode)
        .expr(Expr::cust("COUNT(*)"))
        .group_by_col(Column::StatusCode)
        .to_owned();
    let mut groups = Vec::new();
    for row in db.query_all(&stmt).await? {
        let code: i32 = get(&row, 0)?;
        let n: i64 = get(&row, 1)?;
        groups.push((code.to_string(), n as f64));
    }
    Ok(Breakdown::from_groups(groups, limit))
}

/// One model's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub model: String,
    pub requests: i64,
    /// Σ cost in USD of the model's requests that have one; null when none has.
    pub cost: Option<f64>,
    pub avg_latency_ms: Option<f64>,
    pub errors: i64,
}

/// Every model of the window (non-empty `model_name`) with its figures.
pub async fn models(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<ModelRow>> {
    let stmt = q
        .plain(Condition::all().add(Column::ModelName.is_not_null()))
        .column(Column::ModelName)
        .expr(Expr::cust("COUNT(*)"))
        .expr(sum_float(Expr::col(Column::CostMicros)))
        .expr(avg_f64(Expr::col(Column::LatencyMs)))
        .expr(count_if(Expr::col(Column::StatusCode).gte(400)))
        .group_by_col(Column::ModelName)
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&stmt).await? {
        rows.push(ModelRow {
            model: get(&row, 0)?,
            requests: get(&row, 1)?,
            cost: get::<Option<f64>>(&row, 2)?.map(|m| m / 1e6),
            avg_latency_ms: get(&row, 3)?,
            errors: get::<Option<i64>>(&row, 4)?.unwrap_or(0),
        });
    }
    Ok(rows)
}

/// One country's request count.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryRow {
    pub code: String,
    pub requests: i64,
}

/// Every country of the window (non-empty `country_code`) with its request count.
pub async fn countries(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<CountryRow>> {
    let stmt = q
        .plain(Condition::all().add(Column::CountryCode.is_not_null()))
        .column(Column::CountryCode)
        .expr(Expr::cust("COUNT(*)"))
        .group_by_col(Column::CountryCode)
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&stmt).await? {
        rows.push(CountryRow {
            code: get(&row, 0)?,
            requests: get(&row, 1)?,
        });
    }
    Ok(rows)
}

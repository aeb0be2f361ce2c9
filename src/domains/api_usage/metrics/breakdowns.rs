//! The apiUsage top-N panels: errors by status code, models, countries.

use super::ApiUsageQuery;
use crate::kernel::AppResult;
use crate::kernel::breakdown::Breakdown;
use crate::kernel::sql::{get, sum_f64, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Error requests (status ≥ 400) by status code, as `(code, count)` groups.
pub async fn errors(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    limit: usize,
) -> AppResult<Breakdown> {
    let stmt = Query::select()
        .column(Alias::new("key"))
        .expr(sum_i64(col("errors")))
        .from_subquery(
            q.source(db.get_database_backend(), "status", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
        .and_having(col("errors").sum().gt(0))
        .to_owned();
    let mut groups = Vec::new();
    for row in db.query_all(&stmt).await? {
        let code: String = get(&row, 0)?;
        let n: i64 = get(&row, 1)?;
        groups.push((code, n as f64));
    }
    Ok(Breakdown::from_groups(groups, limit))
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
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
    let stmt = Query::select()
        .column(Alias::new("key"))
        .expr(sum_i64(col("n")))
        .expr(sum_f64(col("cost_micros")))
        .expr(sum_i64(col("cost_n")))
        .expr(sum_f64(col("latency_ms")))
        .expr(sum_i64(col("errors")))
        .from_subquery(
            q.source(db.get_database_backend(), "model", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&stmt).await? {
        let requests: i64 = get(&row, 1)?;
        let with_cost: i64 = get(&row, 3)?;
        let latency: f64 = get(&row, 4)?;
        rows.push(ModelRow {
            model: get(&row, 0)?,
            requests,
            cost: (with_cost > 0)
                .then(|| get::<f64>(&row, 2))
                .transpose()?
                .map(|m| m / 1e6),
            avg_latency_ms: (requests > 0).then(|| latency / requests as f64),
            errors: get(&row, 5)?,
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
    let stmt = Query::select()
        .column(Alias::new("key"))
        .expr(sum_i64(col("n")))
        .from_subquery(
            q.source(db.get_database_backend(), "country", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
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

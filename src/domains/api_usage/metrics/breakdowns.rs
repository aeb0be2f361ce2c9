//! The apiUsage top-N panels: errors by status code, models, countries.

use super::ApiUsageQuery;
use crate::kernel::AppResult;
use crate::kernel::breakdown::Breakdown;
use crate::kernel::sql::{rows_as, sum_f64, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Error requests (status ≥ 400) by status code, as `(code, count)` groups.
pub async fn errors(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    limit: usize,
) -> AppResult<Breakdown> {
    let stmt = Query::select()
        .column(Alias::new("key"))
        .expr_as(sum_i64(col("errors")), Alias::new("n"))
        .from_subquery(
            q.source(db.get_database_backend(), "status", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
        .and_having(col("errors").sum().gt(0))
        .to_owned();
    let groups = rows_as::<KeyCount>(db, &stmt)
        .await?
        .into_iter()
        .map(|g| (g.key, g.n as f64))
        .collect();
    Ok(Breakdown::from_groups(groups, limit))
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// A key and a count.
#[derive(FromQueryResult)]
struct KeyCount {
    key: String,
    n: i64,
}

/// A model's sums, as read.
#[derive(FromQueryResult)]
struct ModelSums {
    key: String,
    n: i64,
    cost_micros: f64,
    cost_n: i64,
    latency_ms: f64,
    errors: i64,
}

/// One model's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
        .expr_as(sum_i64(col("n")), Alias::new("n"))
        .expr_as(sum_f64(col("cost_micros")), Alias::new("cost_micros"))
        .expr_as(sum_i64(col("cost_n")), Alias::new("cost_n"))
        .expr_as(sum_f64(col("latency_ms")), Alias::new("latency_ms"))
        .expr_as(sum_i64(col("errors")), Alias::new("errors"))
        .from_subquery(
            q.source(db.get_database_backend(), "model", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
        .to_owned();
    let rows = rows_as::<ModelSums>(db, &stmt).await?;
    Ok(rows
        .into_iter()
        .map(|m| ModelRow {
            model: m.key,
            requests: m.n,
            cost: (m.cost_n > 0).then_some(m.cost_micros / 1e6),
            avg_latency_ms: (m.n > 0).then(|| m.latency_ms / m.n as f64),
            errors: m.errors,
        })
        .collect())
}

/// One country's request count.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CountryRow {
    pub code: String,
    pub requests: i64,
}

/// Every country of the window (non-empty `country_code`) with its request count.
pub async fn countries(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<CountryRow>> {
    let stmt = Query::select()
        .column(Alias::new("key"))
        .expr_as(sum_i64(col("n")), Alias::new("n"))
        .from_subquery(
            q.source(db.get_database_backend(), "country", &q.window_bounds()),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("key"))
        .to_owned();
    let rows = rows_as::<KeyCount>(db, &stmt).await?;
    Ok(rows
        .into_iter()
        .map(|c| CountryRow {
            code: c.key,
            requests: c.n,
        })
        .collect())
}

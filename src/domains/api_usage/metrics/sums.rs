//! One scan, many panels: counts, errors, cost, latency and token sums per bucket of the
//! window. The requests, costs and latency series and most KPIs are read from it, so a
//! dashboard scans its window once for all of them; the previous window is a scan of its own,
//! run only when a KPI card's `previous` or `delta` is selected.

use super::ApiUsageQuery;
use crate::kernel::AppResult;
use crate::kernel::sql::{buckets_as, ms, sum_f64, sum_i64};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Sums of the rows of one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, FromQueryResult)]
pub struct Sums {
    #[sea_orm(alias = "n")]
    pub count: i64,
    pub errors: i64,
    /// Σ cost in micro-units (summed as a double: exact below 2^53, never overflowing).
    pub cost_micros: f64,
    pub latency_ms: f64,
    pub tokens: f64,
}

impl Sums {
    /// Mean latency, null for an empty bucket.
    pub fn avg_latency(&self) -> Option<f64> {
        (self.count > 0).then(|| self.latency_ms / self.count as f64)
    }

    fn add(&mut self, other: &Sums) {
        self.count += other.count;
        self.errors += other.errors;
        self.cost_micros += other.cost_micros;
        self.latency_ms += other.latency_ms;
        self.tokens += other.tokens;
    }
}

/// The sums of each bucket of the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowSums {
    pub buckets: Vec<Sums>,
}

impl WindowSums {
    /// The whole window.
    pub fn current(&self) -> Sums {
        let mut total = Sums::default();
        self.buckets.iter().for_each(|b| total.add(b));
        total
    }
}

/// Scans the window, grouped by its buckets.
pub async fn window_sums(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<WindowSums> {
    let buckets = sums_by(db, q, &q.window.bucket_bounds()).await?;
    Ok(WindowSums { buckets })
}

/// Scans the previous window as one bucket.
pub async fn previous_sums(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Sums> {
    let bounds = [ms(q.window.previous_start), ms(q.window.start)];
    Ok(sums_by(db, q, &bounds).await?.remove(0))
}

/// The sums of each range between consecutive `bounds`.
async fn sums_by(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    bounds: &[i64],
) -> AppResult<Vec<Sums>> {
    let col = |c: &str| Expr::col(Alias::new(c));
    let stmt = Query::select()
        .column(Alias::new("b"))
        .expr_as(sum_i64(col("n")), Alias::new("n"))
        .expr_as(sum_i64(col("errors")), Alias::new("errors"))
        .expr_as(sum_f64(col("cost_micros")), Alias::new("cost_micros"))
        .expr_as(sum_f64(col("latency_ms")), Alias::new("latency_ms"))
        .expr_as(sum_f64(col("tokens")), Alias::new("tokens"))
        .from_subquery(
            q.source(db.get_database_backend(), "total", bounds),
            Alias::new("t"),
        )
        .group_by_col(Alias::new("b"))
        .to_owned();
    Ok(buckets_as(db, bounds.len() - 1, &stmt).await?)
}

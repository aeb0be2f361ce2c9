//! Latency percentiles: exact (`percentile_cont`) over raw rows while a request's window holds
//! at most `EXACT_UP_TO` rows, from the latency sketch rollup above that (relative error
//! ≤ 1/128 ≈ 0.78 %, see `rollups::sketch`). Under a filter, with rollups off, or when no range
//! holds a whole UTC day (the sketch is kept per day: it would be computed from every raw row,
//! slower than the exact answer), always exact.

use super::ApiUsageQuery;
use crate::domains::api_usage::entity::Column;
use crate::domains::rollups::sketch;
use crate::kernel::AppResult;
use crate::kernel::sql::{self, rows_as, sum_i64};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::BTreeMap;

/// Rows of a window up to which percentiles are computed exactly.
pub const EXACT_UP_TO: i64 = 20_000;

/// The `per_mille` percentiles of latency for each range between consecutive `bounds` that has
/// rows (keyed by range index).
pub async fn latency_percentiles(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    bounds: &[i64],
    per_mille: &[i64],
) -> AppResult<BTreeMap<i32, Vec<f64>>> {
    if q.rolled() && holds_a_day(bounds) {
        let bins = sketch_bins(db, q, bounds).await?;
        let rows: i64 = bins.values().flat_map(|b| b.values()).sum();
        if rows > EXACT_UP_TO {
            return Ok(bins
                .into_iter()
                .filter_map(|(b, bins)| Some((b, sketch::percentiles(&bins, per_mille)?)))
                .collect());
        }
    }
    let inner = q.by_bounds(bounds, &[Column::LatencyMs], None);
    let ranked = Query::select()
        .column(Alias::new("b"))
        .expr_as(Expr::col(Column::LatencyMs), Alias::new("v"))
        .from_subquery(inner, Alias::new("s"))
        .to_owned();
    Ok(sql::percentiles(db, ranked, per_mille).await?)
}

/// Whether a range between consecutive `bounds` holds a whole UTC day.
fn holds_a_day(bounds: &[i64]) -> bool {
    const DAY: i64 = 86_400_000;
    bounds
        .windows(2)
        .any(|r| (r[0] + DAY - 1).div_euclid(DAY) * DAY + DAY <= r[1])
}

/// Latency counts per sketch bin, per range.
async fn sketch_bins(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    bounds: &[i64],
) -> AppResult<BTreeMap<i32, BTreeMap<i64, i64>>> {
    let source = q.tiered(db.get_database_backend(), &["latency_day"], bounds);
    let stmt = Query::select()
        .column(Alias::new("b"))
        .column(Alias::new("key"))
        .expr_as(sum_i64(Expr::col(Alias::new("n"))), Alias::new("n"))
        .from_subquery(source, Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .group_by_col(Alias::new("key"))
        .to_owned();
    let mut out: BTreeMap<i32, BTreeMap<i64, i64>> = BTreeMap::new();
    #[derive(FromQueryResult)]
    struct BinCount {
        b: i32,
        key: String,
        n: i64,
    }
    for BinCount { b, key, n } in rows_as(db, &stmt).await? {
        let bin = key.parse::<i64>().unwrap_or(0);
        *out.entry(b).or_default().entry(bin).or_insert(0) += n;
    }
    Ok(out)
}

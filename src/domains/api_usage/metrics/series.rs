//! The apiUsage time series: requests, costs and latency per bucket, dense.

use super::ApiUsageQuery;
use crate::domains::api_usage::entity::Column;
use crate::kernel::AppResult;
use crate::kernel::sql::{P50, P95, avg_f64, count_if, get, percentiles, sum_i64};
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection};

/// Requests in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct RequestPoint {
    /// Bucket start (clipped to the window).
    pub start: DateTime<FixedOffset>,
    /// Bucket end (clipped to the window).
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge, or still in progress.
    pub is_partial: bool,
    /// Requests with status < 400.
    pub success: f64,
    /// Requests with status ≥ 400.
    pub error: f64,
    /// All requests.
    pub total: f64,
}

/// Cost in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct CostPoint {
    /// Bucket start (clipped to the window).
    pub start: DateTime<FixedOffset>,
    /// Bucket end (clipped to the window).
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge, or still in progress.
    pub is_partial: bool,
    /// Σ cost in USD of the bucket's requests that have a cost (0 when none).
    pub value: f64,
}

/// Latency in one bucket (null when the bucket has no requests).
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct LatencyPoint {
    /// Bucket start (clipped to the window).
    pub start: DateTime<FixedOffset>,
    /// Bucket end (clipped to the window).
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge, or still in progress.
    pub is_partial: bool,
    /// Mean latency in milliseconds.
    pub avg_ms: Option<f64>,
    /// Median latency (exact, interpolated like `percentile_cont`).
    pub p50_ms: Option<f64>,
    /// 95th percentile latency (exact, interpolated like `percentile_cont`).
    pub p95_ms: Option<f64>,
}

type Frame = (DateTime<FixedOffset>, DateTime<FixedOffset>, bool);

fn frames(q: &ApiUsageQuery) -> Vec<Frame> {
    q.window
        .buckets()
        .iter()
        .map(|b| (q.window.local(b.start), q.window.local(b.end), b.is_partial))
        .collect()
}

/// `success`, `error`, `total` per bucket.
pub async fn requests(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<RequestPoint>> {
    let inner = q.bucketed(&[Column::StatusCode], None);
    let stmt = Query::select()
        .column(Alias::new("b"))
        .expr(Expr::cust("COUNT(*)"))
        .expr(count_if(Expr::col(Column::StatusCode).gte(400)))
        .from_subquery(inner, Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    let frames = frames(q);
    let mut counts = vec![(0i64, 0i64); frames.len()];
    for row in db.query_all(&stmt).await? {
        let b: i32 = get(&row, 0)?;
        if let Some(slot) = counts.get_mut(b as usize) {
            *slot = (get(&row, 1)?, get::<Option<i64>>(&row, 2)?.unwrap_or(0));
        }
    }
    Ok(frames
        .into_iter()
        .zip(counts)
        .map(|((start, end, is_partial), (total, error))| RequestPoint {
            start,
            end,
            is_partial,
            success: (total - error) as f64,
            error: error as f64,
            total: total as f64,
        })
        .collect())
}

/// Σ cost per bucket.
pub async fn costs(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<CostPoint>> {
    let inner = q.bucketed(
        &[Column::CostMicros],
        Some(Condition::all().add(Column::CostMicros.is_not_null())),
    );
    let stmt = Query::select()
        .column(Alias::new("b"))
        .expr(sum_i64(Expr::col(Column::CostMicros)))
        .from_subquery(inner, Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    let frames = frames(q);
    let mut sums = vec![0i64; frames.len()];
    for row in db.query_all(&stmt).await? {
        let b: i32 = get(&row, 0)?;
        if let Some(slot) = sums.get_mut(b as usize) {
            *slot = get::<Option<i64>>(&row, 1)?.unwrap_or(0);
        }
    }
    Ok(frames
        .into_iter()
        .zip(sums)
        .map(|((start, end, is_partial), micros)| CostPoint {
            start,
            end,
            is_partial,
            value: micros as f64 / 1e6,
        })
        .collect())
}

/// Mean, median and p95 latency per bucket.
pub async fn latency(db: &DatabaseConnection, q: &ApiUsageQuery) -> AppResult<Vec<LatencyPoint>> {
    let inner = q.bucketed(&[Column::LatencyMs], None);
    let avg = Query::select()
        .column(Alias::new("b"))
        .expr(avg_f64(Expr::col(Column::LatencyMs)))
        .from_subquery(inner.clone(), Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    let ranked = Query::select()
        .column(Alias::new("b"))
        .expr_as(Expr::col(Column::LatencyMs), Alias::new("v"))
        .from_subquery(inner, Alias::new("s"))
        .to_owned();
    let (avg_rows, pct) =
        tokio::try_join!(db.query_all(&avg), percentiles(db, ranked, &[P50, P95]))?;
    let frames = frames(q);
    let mut avgs: Vec<Option<f64>> = vec![None; frames.len()];
    for row in avg_rows {
        let b: i32 = get(&row, 0)?;
        if let Some(slot) = avgs.get_mut(b as usize) {
            *slot = get(&row, 1)?;
        }
    }
    Ok(frames
        .into_iter()
        .enumerate()
        .map(|(i, (start, end, is_partial))| {
            let p = pct.get(&(i as i32));
            LatencyPoint {
                start,
                end,
                is_partial,
                avg_ms: avgs[i],
                p50_ms: p.map(|v| v[0]),
                p95_ms: p.map(|v| v[1]),
            }
        })
        .collect())
}

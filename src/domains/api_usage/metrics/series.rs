//! The apiUsage time series: requests, costs and latency per bucket, dense.
//! Counts and sums come from the shared window scan (`sums`); only percentiles query alone.

use super::ApiUsageQuery;
use super::sums::WindowSums;
use crate::kernel::AppResult;
use crate::kernel::sql::{P50, P95};
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::sync::Arc;

/// Requests in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencyPoint {
    /// Bucket start (clipped to the window).
    pub start: DateTime<FixedOffset>,
    /// Bucket end (clipped to the window).
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge, or still in progress.
    pub is_partial: bool,
    /// Mean latency in milliseconds.
    pub avg_ms: Option<f64>,
    /// Median latency, interpolated like `percentile_cont`: exact while the window holds at most
    /// 20 000 requests (or a filter is set), above that from the latency sketch (relative error
    /// at most 0.78 %).
    pub p50_ms: Option<f64>,
    /// 95th percentile latency, computed like `p50Ms`.
    pub p95_ms: Option<f64>,
}

/// `success`, `error`, `total` per bucket.
pub fn requests(q: &ApiUsageQuery, sums: &WindowSums) -> Vec<RequestPoint> {
    q.window
        .frames()
        .zip(&sums.buckets)
        .map(|((start, end, is_partial), b)| RequestPoint {
            start,
            end,
            is_partial,
            success: (b.count - b.errors) as f64,
            error: b.errors as f64,
            total: b.count as f64,
        })
        .collect()
}

/// Σ cost per bucket.
pub fn costs(q: &ApiUsageQuery, sums: &WindowSums) -> Vec<CostPoint> {
    q.window
        .frames()
        .zip(&sums.buckets)
        .map(|((start, end, is_partial), b)| CostPoint {
            start,
            end,
            is_partial,
            value: b.cost_micros / 1e6,
        })
        .collect()
}

/// Mean (from the window sums), and — only `with_percentiles` — the median and p95
/// latency per bucket.
pub async fn latency(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    with_percentiles: bool,
    sums: impl Future<Output = AppResult<Arc<WindowSums>>>,
) -> AppResult<Vec<LatencyPoint>> {
    let percentiles = async {
        if !with_percentiles {
            return Ok(Default::default());
        }
        super::latency_percentiles(db, q, &q.window.bucket_bounds(), &[P50, P95]).await
    };
    let (sums, pct) = tokio::try_join!(sums, percentiles)?;
    Ok(q.window
        .frames()
        .zip(&sums.buckets)
        .enumerate()
        .map(|(i, ((start, end, is_partial), b))| {
            let p = pct.get(&(i as i32));
            LatencyPoint {
                start,
                end,
                is_partial,
                avg_ms: b.avg_latency(),
                p50_ms: p.map(|v| v[0]),
                p95_ms: p.map(|v| v[1]),
            }
        })
        .collect())
}

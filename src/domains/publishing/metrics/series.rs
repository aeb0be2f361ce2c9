//! The windowed series: publications by outcome and the processing time of successful ones.

use super::PublishingQuery;
use crate::domains::publishing::entity::PubPublishLogs as L;
use crate::kernel::AppResult;
use crate::kernel::sql::{
    P95, avg_f64, bucket_index, buckets_as, count_if, native_percentile, percentiles,
};
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Publications in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublicationPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Logs in status `success`, by `published_at`.
    pub success: i64,
    /// Logs in status `failed`, by `created_at`.
    pub failed: i64,
    /// Every log, by `created_at` (publication requests made).
    pub requested: i64,
}

/// Processing time (`published_at − requested_at`) of the bucket's successful publications.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProcessingTimePoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Mean in ms; null when none.
    pub avg_ms: Option<f64>,
    /// 95th percentile in ms (exact, like `percentile_cont`); null when none.
    pub p95_ms: Option<f64>,
}

/// `SELECT <bucket of time_col> AS b, … FROM pub_publish_logs` in the window.
fn bucketed(q: &PublishingQuery, time_col: L, bounds: &[i64]) -> SelectStatement {
    let t = || Expr::col((L::Table, time_col));
    Query::select()
        .expr_as(bucket_index(t(), bounds), Alias::new("b"))
        .expr_as(Expr::col((L::Table, L::Status)), Alias::new("s"))
        .expr_as(
            Expr::col((L::Table, L::PublishedAtMs)).sub(Expr::col((L::Table, L::RequestedAtMs))),
            Alias::new("v"),
        )
        .from(L::Table)
        .cond_where(q.logs())
        .and_where(t().gte(bounds[0]))
        .and_where(t().lt(bounds[bounds.len() - 1]))
        .to_owned()
}

/// Successful publications of a bucket, as read.
#[derive(Debug, Clone, Default, FromQueryResult)]
struct Succeeded {
    n: i64,
    avg_ms: Option<f64>,
    /// On PostgreSQL, from the same scan; on SQLite, null here and ranked separately.
    p95_ms: Option<f64>,
}

/// Requests made in a bucket, as read.
#[derive(Debug, Clone, Default, FromQueryResult)]
struct Made {
    failed: Option<i64>,
    requested: i64,
}

/// Both series (they share the success scan).
pub async fn publications_and_processing(
    db: &DatabaseConnection,
    q: &PublishingQuery,
) -> AppResult<(Vec<PublicationPoint>, Vec<ProcessingTimePoint>)> {
    let bounds = q.window.bucket_bounds();
    let n = bounds.len() - 1;
    let success = bucketed(q, L::PublishedAtMs, &bounds)
        .and_where(Expr::col((L::Table, L::Status)).eq("success"))
        .to_owned();
    // The count, mean and (PostgreSQL) exact p95 of successful publications in one scan.
    let native = native_percentile(db.get_database_backend(), P95);
    let success_counts = Query::select()
        .column(Alias::new("b"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .expr_as(avg_f64(Expr::col(Alias::new("v"))), Alias::new("avg_ms"))
        .expr_as(
            native.clone().unwrap_or(Expr::cust("NULL")),
            Alias::new("p95_ms"),
        )
        .from_subquery(success.clone(), Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    let created = Query::select()
        .column(Alias::new("b"))
        .expr_as(
            count_if(Expr::col(Alias::new("s")).eq("failed")),
            Alias::new("failed"),
        )
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("requested"))
        .from_subquery(bucketed(q, L::CreatedAtMs, &bounds), Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    // SQLite ranks the values in a statement of their own.
    let ranked = async {
        if native.is_some() {
            return Ok(Default::default());
        }
        let values = Query::select()
            .column(Alias::new("b"))
            .column(Alias::new("v"))
            .from_subquery(success, Alias::new("t"))
            .and_where(Expr::col(Alias::new("v")).is_not_null())
            .to_owned();
        Ok::<_, crate::kernel::AppError>(percentiles(db, values, &[P95]).await?)
    };
    let (succeeded, made, ranked) = tokio::try_join!(
        async { Ok(buckets_as::<Succeeded>(db, n, &success_counts).await?) },
        async { Ok(buckets_as::<Made>(db, n, &created).await?) },
        ranked
    )?;
    let mut publications = Vec::with_capacity(n);
    let mut processing = Vec::with_capacity(n);
    for (i, (start, end, is_partial)) in q.window.frames().enumerate() {
        publications.push(PublicationPoint {
            start,
            end,
            is_partial,
            success: succeeded[i].n,
            failed: made[i].failed.unwrap_or(0),
            requested: made[i].requested,
        });
        processing.push(ProcessingTimePoint {
            start,
            end,
            is_partial,
            avg_ms: succeeded[i].avg_ms,
            p95_ms: succeeded[i]
                .p95_ms
                .or_else(|| ranked.get(&(i as i32)).and_then(|v| v.first().copied())),
        });
    }
    Ok((publications, processing))
}

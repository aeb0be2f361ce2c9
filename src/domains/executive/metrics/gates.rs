//! Quality gates: the exact p95 of `duration_ms` of each gated event name over the window's
//! real-user timing events, against its threshold. Two grouped queries for all gates.

use super::ExecutiveQuery;
use crate::domains::executive::entity::RumEvents as E;
use crate::kernel::AppResult;
use crate::kernel::sql::{P95, buckets_as, ms, percentiles};
use async_graphql::SimpleObject;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Timed events of one gate.
#[derive(Debug, Clone, Copy, Default, FromQueryResult)]
struct Samples {
    n: i64,
}

/// One quality gate over the window.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QualityGate {
    /// The event name, e.g. `page_load`.
    pub name: String,
    /// 95th percentile of `duration_ms` (exact, like `percentile_cont`); null without samples.
    pub p95_ms: Option<f64>,
    /// Events of this name with a duration in the window.
    pub samples: i32,
    /// The p95 must stay at or below this.
    pub threshold_ms: f64,
    /// `p95Ms <= thresholdMs`; null without samples.
    pub passed: Option<bool>,
}

/// The window's timed events of the gated names, `b` = gate index, `v` = duration.
fn timed(q: &ExecutiveQuery, gates: &[(String, f64)]) -> SelectStatement {
    let mut index = Expr::case(Expr::col(E::Name).eq(gates[0].0.clone()), 0);
    for (i, (name, _)) in gates.iter().enumerate().skip(1) {
        index = index.case(Expr::col(E::Name).eq(name.clone()), i as i32);
    }
    Query::select()
        .expr_as(index.finally(-1), Alias::new("b"))
        .expr_as(Expr::col(E::DurationMs), Alias::new("v"))
        .from(E::Table)
        .and_where(Expr::col(E::TeamId).eq(q.team()))
        .and_where(Expr::col(E::OccurredAtMs).gte(ms(q.window.start)))
        .and_where(Expr::col(E::OccurredAtMs).lt(ms(q.window.end)))
        .and_where(Expr::col(E::DurationMs).is_not_null())
        .and_where(Expr::col(E::Name).is_in(gates.iter().map(|(n, _)| n.clone())))
        .to_owned()
}

/// Every configured gate over the window, in configuration order.
pub async fn quality_gates(
    db: &DatabaseConnection,
    q: &ExecutiveQuery,
    gates: &[(String, f64)],
) -> AppResult<Vec<QualityGate>> {
    if gates.is_empty() {
        return Ok(Vec::new());
    }
    let counts = Query::select()
        .column(Alias::new("b"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(timed(q, gates), Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    let (p95, counts) = tokio::try_join!(
        async { Ok::<_, crate::kernel::AppError>(percentiles(db, timed(q, gates), &[P95]).await?) },
        async { Ok(buckets_as::<Samples>(db, gates.len(), &counts).await?) },
    )?;
    let samples: Vec<i64> = counts.into_iter().map(|s| s.n).collect();
    Ok(gates
        .iter()
        .enumerate()
        .map(|(i, (name, threshold))| {
            let p95_ms = p95.get(&(i as i32)).and_then(|v| v.first().copied());
            QualityGate {
                name: name.clone(),
                p95_ms,
                samples: i32::try_from(samples[i]).unwrap_or(i32::MAX),
                threshold_ms: *threshold,
                passed: p95_ms.map(|p| p <= *threshold),
            }
        })
        .collect())
}

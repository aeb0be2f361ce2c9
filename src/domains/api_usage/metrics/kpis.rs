//! The apiUsage KPIs over the window and its previous window.

use super::ApiUsageQuery;
use super::sums::WindowSums;
use crate::kernel::kpi::{Pair, ratio};
use crate::kernel::sql::{P95, ms, rows_as};
use crate::kernel::{AppError, AppResult};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

/// Every apiUsage KPI.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum KpiKey {
    TotalRequests,
    SuccessfulRequests,
    ErrorRate,
    AvgLatencyMs,
    P95LatencyMs,
    TotalCost,
    AvgCostPerRequest,
    TotalTokens,
    ActiveUsers,
}

/// `(current, previous)` values of each requested KPI; `previous` is `None` throughout unless
/// `with_previous` (a card's `previous` or `delta` was selected).
///
/// Counts, sums and the mean come from the shared window scan (`sums`) and, for the previous
/// window, a scan of its own; distinct users and the exact p95 are their own queries, run
/// concurrently and only when selected.
pub async fn kpi_values(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    keys: &BTreeSet<KpiKey>,
    with_previous: bool,
    sums: impl Future<Output = AppResult<Arc<WindowSums>>>,
) -> AppResult<BTreeMap<KpiKey, Pair<Option<f64>>>> {
    use KpiKey::*;
    // Index 0 is the previous window (when asked for), the last the window.
    let bounds: Vec<i64> = if with_previous {
        vec![
            ms(q.window.previous_start),
            ms(q.window.start),
            ms(q.window.end),
        ]
    } else {
        vec![ms(q.window.start), ms(q.window.end)]
    };
    let needs_sums = keys
        .iter()
        .any(|k| !matches!(k, ActiveUsers | P95LatencyMs));
    let sums = async {
        if !needs_sums {
            return Ok((None, None));
        }
        let previous = async {
            if with_previous {
                super::sums::previous_sums(db, q).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let (current, previous) = tokio::try_join!(sums, previous)?;
        Ok::<_, AppError>((Some(current.current()), previous))
    };
    let users = async {
        if !keys.contains(&ActiveUsers) {
            return Ok([None, None]);
        }
        // `DISTINCT` then `COUNT(*)`: PostgreSQL hashes the pairs instead of sorting the keys
        // (twice as fast as `COUNT(DISTINCT key)` here).
        let pairs = Query::select()
            .columns([Alias::new("b"), Alias::new("key")])
            .distinct()
            .from_subquery(
                q.tiered(db.get_database_backend(), &["user_day"], &bounds),
                Alias::new("t"),
            )
            .to_owned();
        let stmt = Query::select()
            .column(Alias::new("b"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(pairs, Alias::new("d"))
            .group_by_col(Alias::new("b"))
            .to_owned();
        let last = bounds.len() as i32 - 2;
        let mut users = [with_previous.then_some(0.0), Some(0.0)];
        #[derive(FromQueryResult)]
        struct Users {
            b: i32,
            n: i64,
        }
        for Users { b, n } in rows_as(db, &stmt).await? {
            let slot = if b == last { 1 } else { 0 };
            users[slot] = Some(n as f64);
        }
        Ok::<_, AppError>(users)
    };
    let p95 = async {
        let mut p95 = [None, None];
        if keys.contains(&P95LatencyMs) {
            let last = bounds.len() as i32 - 2;
            for (b, values) in super::latency_percentiles(db, q, &bounds, &[P95]).await? {
                let slot = if b == last { 1 } else { 0 };
                p95[slot] = values.first().copied();
            }
        }
        Ok::<_, AppError>(p95)
    };
    let ((current, previous), users, p95) = tokio::try_join!(sums, users, p95)?;
    let periods = [previous, current];
    let value = |key: KpiKey, i: usize| -> Option<f64> {
        if i == 0 && !with_previous {
            return None;
        }
        let p = &periods[i].unwrap_or_default();
        let total = p.count as f64;
        let cost = p.cost_micros / 1e6;
        match key {
            TotalRequests => Some(total),
            SuccessfulRequests => Some((p.count - p.errors) as f64),
            ErrorRate => ratio(p.errors as f64, total),
            AvgLatencyMs => p.avg_latency(),
            P95LatencyMs => p95[i],
            TotalCost => Some(cost),
            AvgCostPerRequest => ratio(cost, total),
            TotalTokens => Some(p.tokens),
            ActiveUsers => users[i],
        }
    };
    Ok(keys
        .iter()
        .map(|&k| (k, Pair::new(value(k, 1), value(k, 0))))
        .collect())
}

impl KpiKey {
    pub const ALL: [KpiKey; 9] = [
        KpiKey::TotalRequests,
        KpiKey::SuccessfulRequests,
        KpiKey::ErrorRate,
        KpiKey::AvgLatencyMs,
        KpiKey::P95LatencyMs,
        KpiKey::TotalCost,
        KpiKey::AvgCostPerRequest,
        KpiKey::TotalTokens,
        KpiKey::ActiveUsers,
    ];

    /// Key, label, unit and direction of the KPI.
    pub fn def(self) -> crate::kernel::kpi::KpiDef {
        use crate::kernel::kpi::{BetterWhen::*, KpiDef, Unit::*};
        let (key, label, unit, better_when) = match self {
            KpiKey::TotalRequests => ("totalRequests", "Total requests", Count, Neutral),
            KpiKey::SuccessfulRequests => ("successfulRequests", "Successful requests", Count, Up),
            KpiKey::ErrorRate => ("errorRate", "Error rate", Ratio, Down),
            KpiKey::AvgLatencyMs => ("avgLatencyMs", "Average latency", Milliseconds, Down),
            KpiKey::P95LatencyMs => ("p95LatencyMs", "p95 latency", Milliseconds, Down),
            KpiKey::TotalCost => ("totalCost", "Total cost", Currency, Neutral),
            KpiKey::AvgCostPerRequest => (
                "avgCostPerRequest",
                "Average cost per request",
                Currency,
                Down,
            ),
            KpiKey::TotalTokens => ("totalTokens", "Total tokens", Count, Neutral),
            KpiKey::ActiveUsers => ("activeUsers", "Active users", Count, Up),
        };
        KpiDef {
            key,
            label,
            unit,
            better_when,
        }
    }

    /// The KPI whose GraphQL field is `name`.
    pub fn from_field(name: &str) -> Option<KpiKey> {
        KpiKey::ALL.into_iter().find(|k| k.def().key == name)
    }
}

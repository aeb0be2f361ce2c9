//! The apiUsage KPIs, current and previous window, in one grouped query (plus one for p95).

use super::ApiUsageQuery;
use crate::domains::api_usage::entity::Column;
use crate::kernel::AppResult;
use crate::kernel::kpi::ratio;
use crate::kernel::sql::{P95, avg_f64, count_if, get, ms, percentiles, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Every apiUsage KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// Sums of one period (0 = previous window, 1 = current window).
#[derive(Debug, Default, Clone, Copy)]
struct PeriodSums {
    total: i64,
    success: i64,
    avg_latency: Option<f64>,
    cost_micros: i64,
    tokens: i64,
    users: i64,
    p95: Option<f64>,
}

/// `(current, previous)` values of each requested KPI.
pub async fn kpi_values(
    db: &DatabaseConnection,
    q: &ApiUsageQuery,
    keys: &BTreeSet<KpiKey>,
) -> AppResult<BTreeMap<KpiKey, (Option<f64>, Option<f64>)>> {
    use KpiKey::*;
    let has = |k: &[KpiKey]| k.iter().any(|k| keys.contains(k));
    let bounds = [
        ms(q.window.previous_start),
        ms(q.window.start),
        ms(q.window.end),
    ];
    let mut columns = vec![Column::StatusCode];
    let mut outer = Query::select();
    outer.column(Alias::new("b")).expr(Expr::cust("COUNT(*)"));
    outer.expr(if has(&[SuccessfulRequests, ErrorRate]) {
        count_if(Expr::col(Column::StatusCode).lt(400))
    } else {
        Expr::val(0i64)
    });
    outer.expr(if has(&[AvgLatencyMs]) {
        avg_f64(Expr::col(Column::LatencyMs))
    } else {
        Expr::val(0.0f64)
    });
    outer.expr(if has(&[TotalCost, AvgCostPerRequest]) {
        sum_i64(Expr::col(Column::CostMicros))
    } else {
        Expr::val(0i64)
    });
    outer.expr(if has(&[TotalTokens]) {
        sum_i64(Expr::col(Column::Tokens))
    } else {
        Expr::val(0i64)
    });
    columns.extend([Column::LatencyMs, Column::CostMicros, Column::Tokens]);
    let inner = q.by_bounds(&bounds, &columns, None);
    let sums = outer
        .from_subquery(inner, Alias::new("t"))
        .group_by_col(Alias::new("b"))
        .to_owned();
    // Distinct users and p95 are separate queries (hash distinct, native percentiles) that
    // run concurrently with the sums, and only when selected.
    let users = async {
        if !has(&[ActiveUsers]) {
            return Ok(Vec::new());
        }
        let cond = Condition::all().add(Column::UserId.is_not_null());
        let distinct = q
            .by_bounds(&bounds, &[Column::UserId], Some(cond))
            .distinct()
            .to_owned();
        let stmt = Query::select()
            .column(Alias::new("b"))
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(distinct, Alias::new("d"))
            .group_by_col(Alias::new("b"))
            .to_owned();
        db.query_all(&stmt).await
    };
    let p95 = async {
        if !has(&[P95LatencyMs]) {
            return Ok(Default::default());
        }
        let inner = q.by_bounds(&bounds, &[Column::LatencyMs], None);
        let ranked = Query::select()
            .column(Alias::new("b"))
            .expr_as(Expr::col(Column::LatencyMs), Alias::new("v"))
            .from_subquery(inner, Alias::new("s"))
            .to_owned();
        percentiles(db, ranked, &[P95]).await
    };
    let (sum_rows, user_rows, p95) = tokio::try_join!(db.query_all(&sums), users, p95)?;

    let mut periods = [PeriodSums::default(); 2];
    for row in sum_rows {
        let b: i32 = get(&row, 0)?;
        let p = &mut periods[b.clamp(0, 1) as usize];
        p.total = get(&row, 1)?;
        p.success = get::<Option<i64>>(&row, 2)?.unwrap_or(0);
        p.avg_latency = get(&row, 3)?;
        p.cost_micros = get::<Option<i64>>(&row, 4)?.unwrap_or(0);
        p.tokens = get::<Option<i64>>(&row, 5)?.unwrap_or(0);
    }
    for row in user_rows {
        let b: i32 = get(&row, 0)?;
        periods[b.clamp(0, 1) as usize].users = get(&row, 1)?;
    }
    for (b, values) in p95 {
        periods[b.clamp(0, 1) as usize].p95 = values.first().copied();
    }
    let value = |key: KpiKey, p: &PeriodSums| -> Option<f64> {
        let total = p.total as f64;
        let cost = p.cost_micros as f64 / 1e6;
        match key {
            TotalRequests => Some(total),
            SuccessfulRequests => Some(p.success as f64),
            ErrorRate => ratio((p.total - p.success) as f64, total),
            AvgLatencyMs => p.avg_latency,
            P95LatencyMs => p.p95,
            TotalCost => Some(cost),
            AvgCostPerRequest => ratio(cost, total),
            TotalTokens => Some(p.tokens as f64),
            ActiveUsers => Some(p.users as f64),
        }
    };
    Ok(keys
        .iter()
        .map(|&k| (k, (value(k, &periods[1]), value(k, &periods[0]))))
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

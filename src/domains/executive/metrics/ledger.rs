//! The month rows of a request: revenue, uptime, NRR and pipeline by month, and order sums
//! by month, read in five concurrent queries. Percentages are normalised to ratios here.

use super::{ExecutiveQuery, RECURRING_TYPES, month_text};
use crate::domains::executive::entity::{
    ExecNrrMonths as N, ExecOrders as O, ExecPipelineMonths as P, ExecRevenueMonths as R,
    ExecUptimeMonths as U,
};
use crate::kernel::AppResult;
use crate::kernel::money;
use crate::kernel::sql::{rows_as, sum_f64};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Iden, Query, SelectStatement};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};
use std::collections::BTreeMap;

/// One month of `exec_revenue_months`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RevenueMonth {
    pub recognized: f64,
    pub booked: f64,
    /// Period-end backlog (null when the row has none).
    pub backlog: Option<f64>,
}

/// Orders dated in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrderMonth {
    pub amount: f64,
    pub profit: f64,
    /// Amount of `subscription` and `recurring` orders.
    pub recurring: f64,
}

/// Everything monthly the executive KPIs read, keyed by month (its 1st day).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    /// Every revenue month up to the window's end (forecasts and coverage look back).
    pub revenue: BTreeMap<NaiveDate, RevenueMonth>,
    /// Uptime ratios of the previous and current window.
    pub uptime: BTreeMap<NaiveDate, f64>,
    /// Every NRR ratio up to the window's end (the latest one counts).
    pub nrr: BTreeMap<NaiveDate, f64>,
    /// `(pipeline, win rate)` of the previous and current window.
    pub pipeline: BTreeMap<NaiveDate, (f64, f64)>,
    /// Order sums of the previous and current window (the filter applied).
    pub orders: BTreeMap<NaiveDate, OrderMonth>,
}

/// A ratio sent as a percentage (above `ratio_max`) read as a ratio.
pub fn normalise(value: f64, ratio_max: f64) -> f64 {
    if value > ratio_max {
        value / 100.0
    } else {
        value
    }
}

fn month_of(text: &str) -> Result<NaiveDate, DbErr> {
    let day = text.get(..7).map(|m| format!("{m}-01")).unwrap_or_default();
    NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .map_err(|_| DbErr::Type(format!("not a month: `{text}`")))
}

/// The team's rows of a month table from `from` (inclusive) to the window's end.
fn months_of<T: Iden + Copy + 'static>(
    q: &ExecutiveQuery,
    table: T,
    team: T,
    month: T,
    values: &[T],
    from: Option<NaiveDate>,
) -> SelectStatement {
    let mut stmt = Query::select();
    stmt.column(month)
        .columns(values.iter().copied())
        .from(table)
        .and_where(Expr::col(team).eq(q.team()))
        .and_where(Expr::col(month).lt(month_text(q.months().end())));
    if let Some(from) = from {
        stmt.and_where(Expr::col(month).gte(month_text(from)));
    }
    stmt
}

/// The rows of `stmt`, read into `R`, by month (`row` answers the month's text and value).
async fn read<R: FromQueryResult, T>(
    db: &DatabaseConnection,
    stmt: SelectStatement,
    row: impl Fn(R) -> (String, T),
) -> AppResult<BTreeMap<NaiveDate, T>> {
    let mut out = BTreeMap::new();
    for r in rows_as::<R>(db, &stmt).await? {
        let (month, value) = row(r);
        out.insert(month_of(&month)?, value);
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct RevenueRow {
    month: String,
    recognized: f64,
    booked: f64,
    backlog: Option<f64>,
}

/// A month and one figure of it.
#[derive(FromQueryResult)]
struct FigureRow {
    month: String,
    #[sea_orm(alias = "v")]
    value: f64,
}

#[derive(FromQueryResult)]
struct PipelineRow {
    month: String,
    pipeline: f64,
    win_rate: f64,
}

#[derive(FromQueryResult)]
struct OrderRow {
    month: String,
    amount: f64,
    profit: f64,
    recurring: f64,
}

/// Reads the ledger of a request.
pub async fn ledger(db: &DatabaseConnection, q: &ExecutiveQuery) -> AppResult<Ledger> {
    let from = q.months().previous().first;
    let revenue = months_of(
        q,
        R::Table,
        R::TeamId,
        R::Month,
        &[R::Recognized, R::Booked, R::Backlog],
        None,
    );
    let revenue = read(db, revenue, |r: RevenueRow| {
        let month = RevenueMonth {
            recognized: r.recognized,
            booked: r.booked,
            backlog: r.backlog,
        };
        (r.month, month)
    });
    let uptime = months_of(q, U::Table, U::TeamId, U::Month, &[], Some(from))
        .expr_as(Expr::col(U::Uptime), Alias::new("v"))
        .to_owned();
    let uptime = read(db, uptime, |r: FigureRow| {
        (r.month, normalise(r.value, 1.0))
    });
    let nrr = months_of(q, N::Table, N::TeamId, N::Month, &[], None)
        .expr_as(Expr::col(N::Nrr), Alias::new("v"))
        .to_owned();
    let nrr = read(db, nrr, |r: FigureRow| (r.month, normalise(r.value, 3.0)));
    let pipeline = months_of(
        q,
        P::Table,
        P::TeamId,
        P::Month,
        &[P::Pipeline, P::WinRate],
        Some(from),
    );
    let pipeline = read(db, pipeline, |r: PipelineRow| {
        (r.month, (r.pipeline, normalise(r.win_rate, 1.0)))
    });
    let orders = read(db, order_months(q, from), |r: OrderRow| {
        let month = OrderMonth {
            // The database summed binary floats: back to the amounts' own precision.
            amount: money::rounded(r.amount),
            profit: money::rounded(r.profit),
            recurring: money::rounded(r.recurring),
        };
        (r.month, month)
    });
    let (revenue, uptime, nrr, pipeline, orders) =
        tokio::try_join!(revenue, uptime, nrr, pipeline, orders)?;
    Ok(Ledger {
        revenue,
        uptime,
        nrr,
        pipeline,
        orders,
    })
}

/// Order sums per month (`YYYY-MM` of the order date) from `from` to the window's end.
fn order_months(q: &ExecutiveQuery, from: NaiveDate) -> SelectStatement {
    let month = Func::cust(Alias::new("SUBSTR"))
        .arg(Expr::col(O::OrderDate))
        .arg(1)
        .arg(7);
    let recurring = Expr::case(
        Expr::col(O::Type).is_in(RECURRING_TYPES.iter().copied()),
        Expr::col(O::Amount),
    )
    .finally(Expr::val(0.0));
    let mut stmt = Query::select();
    stmt.expr_as(month.clone(), Alias::new("month"))
        .expr_as(sum_f64(Expr::col(O::Amount)), Alias::new("amount"))
        .expr_as(sum_f64(Expr::col(O::Profit)), Alias::new("profit"))
        .expr_as(sum_f64(recurring.into()), Alias::new("recurring"))
        .from(O::Table)
        .and_where(Expr::col(O::TeamId).eq(q.team()))
        .and_where(Expr::col(O::OrderDate).gte(month_text(from)))
        .and_where(Expr::col(O::OrderDate).lt(month_text(q.months().end())))
        .group_by_col(Alias::new("month"));
    if !q.filter.customers.is_empty() {
        stmt.and_where(Expr::col(O::Customer).is_in(q.filter.customers.iter().cloned()));
    }
    stmt
}

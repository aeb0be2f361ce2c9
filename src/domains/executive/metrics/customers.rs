//! Customers at risk: recurring order amount (`subscription`, `recurring`) in the window below
//! that of the previous window, or stopped — one grouped query, ordered in Rust.

use super::{ExecutiveQuery, RECURRING_TYPES, month_text};
use crate::domains::executive::entity::ExecOrders as O;
use crate::kernel::AppResult;
use crate::kernel::money;
use crate::kernel::sql::{rows_as, sum_f64};
use async_graphql::SimpleObject;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// A customer whose recurring orders fell against the previous window.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AtRiskCustomer {
    /// The customer, as in `exec_orders.customer`.
    pub customer: String,
    /// Recurring order amount in the previous window.
    pub previous_amount: f64,
    /// Recurring order amount in the window.
    pub current_amount: f64,
    /// `previousAmount - currentAmount` (> 0).
    pub drop: f64,
    /// `drop / previousAmount`, a fraction (1 = stopped).
    pub drop_ratio: f64,
    /// No recurring orders at all in the window.
    pub stopped: bool,
}

/// Every customer at risk, largest drop first (ties by name), at most `limit`.
pub async fn at_risk_customers(
    db: &DatabaseConnection,
    q: &ExecutiveQuery,
    limit: usize,
) -> AppResult<Vec<AtRiskCustomer>> {
    let months = q.months();
    let start = month_text(months.first);
    let in_window = |current: bool| {
        let cond = if current {
            Expr::col(O::OrderDate).gte(start.clone())
        } else {
            Expr::col(O::OrderDate).lt(start.clone())
        };
        sum_f64(
            Expr::case(cond, Expr::col(O::Amount))
                .finally(Expr::val(0.0))
                .into(),
        )
    };
    let mut stmt = Query::select();
    stmt.column(O::Customer)
        .expr_as(in_window(false), Alias::new("previous"))
        .expr_as(in_window(true), Alias::new("current"))
        .from(O::Table)
        .and_where(Expr::col(O::TeamId).eq(q.team()))
        .and_where(Expr::col(O::Type).is_in(RECURRING_TYPES.iter().copied()))
        .and_where(Expr::col(O::OrderDate).gte(month_text(months.previous().first)))
        .and_where(Expr::col(O::OrderDate).lt(month_text(months.end())))
        .group_by_col(O::Customer);
    if !q.filter.customers.is_empty() {
        stmt.and_where(Expr::col(O::Customer).is_in(q.filter.customers.iter().cloned()));
    }
    let mut rows = Vec::new();
    #[derive(FromQueryResult)]
    struct Amounts {
        customer: String,
        previous: f64,
        current: f64,
    }
    for Amounts {
        customer,
        previous,
        current,
    } in rows_as(db, &stmt).await?
    {
        // The database summed binary floats: back to the amounts' own precision.
        let (previous, current) = (money::rounded(previous), money::rounded(current));
        if current < previous {
            rows.push(AtRiskCustomer {
                customer,
                previous_amount: previous,
                current_amount: current,
                drop: money::rounded(previous - current),
                drop_ratio: (previous - current) / previous,
                stopped: current <= 0.0,
            });
        }
    }
    rows.sort_by(|a, b| {
        b.drop
            .total_cmp(&a.drop)
            .then_with(|| a.customer.as_bytes().cmp(b.customer.as_bytes()))
    });
    rows.truncate(limit);
    Ok(rows)
}

//! The executive numbers (spec/executive.md). Monthly data is small — one row per month and
//! table — so a request reads the team's month rows and per-month order sums once (`ledger`)
//! and every KPI, drill-down and trend is computed from that in Rust; customers at risk and
//! quality gates are grouped queries of their own.

mod alerts;
mod customers;
mod gates;
mod kpis;
mod ledger;
mod trend;

pub use alerts::{Alert, AlertRules, Severity, alerts};
pub use customers::{AtRiskCustomer, at_risk_customers};
pub use gates::{QualityGate, quality_gates};
pub use kpis::ExecutiveKpiKey;
pub use ledger::{Ledger, OrderMonth, RevenueMonth, ledger};
pub use trend::{KpiPoint, RevenuePoint, UptimePoint, kpi_series, revenue_trend, uptime_series};

use super::filter::ExecutiveFilter;
use crate::kernel::TeamScope;
use crate::kernel::months::MonthSpan;
use crate::kernel::window::TimeWindow;
use serde::Serialize;

/// Order types whose amounts recur (ARR, customers at risk).
pub const RECURRING_TYPES: &[&str] = &["subscription", "recurring"];

/// One executive request: the team, the resolved month window and the filter.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutiveQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: ExecutiveFilter,
}

impl ExecutiveQuery {
    pub fn team(&self) -> i64 {
        self.scope.team_id().0
    }

    /// The window's months.
    pub fn months(&self) -> MonthSpan {
        self.window.month_span()
    }
}

/// `YYYY-MM-01` of a month.
fn month_text(month: chrono::NaiveDate) -> String {
    month.format("%Y-%m-%d").to_string()
}

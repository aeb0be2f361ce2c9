//! The nine executive KPIs as pure functions of the ledger and a run of months, so the same
//! definition gives the card (window and previous window) and every point of its drill-down.

use super::ledger::Ledger;
use crate::kernel::calendar::add_months;
use crate::kernel::kpi::Unit;
use crate::kernel::kpi::{KpiDef, ratio};
use crate::kernel::money;
use crate::kernel::months::MonthSpan;
use async_graphql::Enum;
use serde::Serialize;

/// The executive KPIs.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ExecutiveKpiKey {
    /// Σ recognized revenue over the months.
    Revenue,
    /// Backlog of the last month that has one (period-end, not a sum).
    Backlog,
    /// Mean uptime of the months that have one.
    Uptime,
    /// Latest NRR of a month up to the end month.
    Nrr,
    /// Σ profit / Σ amount of orders dated in the months.
    GrossMargin,
    /// Σ booked / Σ recognized.
    BookToBill,
    /// Ending backlog / mean recognized revenue of the 6 months up to the end month.
    CoverageMonths,
    /// 12 × recurring order amount of the end month.
    Arr,
    /// Next month's revenue: pipeline × win rate of the end month, else the mean of the 3
    /// latest recognized months × 1.02.
    Forecast,
}

impl ExecutiveKpiKey {
    /// Every KPI, in card order.
    pub const ALL: [ExecutiveKpiKey; 9] = [
        Self::Revenue,
        Self::Backlog,
        Self::Uptime,
        Self::Nrr,
        Self::GrossMargin,
        Self::BookToBill,
        Self::CoverageMonths,
        Self::Arr,
        Self::Forecast,
    ];

    /// Key, label, unit and direction of the card.
    pub fn def(self) -> KpiDef {
        match self {
            Self::Revenue => KpiDef::up("revenue", "Revenue", Unit::Currency),
            Self::Backlog => KpiDef::up("backlog", "Backlog", Unit::Currency),
            Self::Uptime => KpiDef::up("uptime", "Uptime", Unit::Ratio),
            Self::Nrr => KpiDef::up("nrr", "Net revenue retention", Unit::Ratio),
            Self::GrossMargin => KpiDef::up("grossMargin", "Gross margin", Unit::Ratio),
            Self::BookToBill => KpiDef::up("bookToBill", "Book-to-bill", Unit::Ratio),
            Self::CoverageMonths => KpiDef::up("coverageMonths", "Backlog coverage", Unit::Months),
            Self::Arr => KpiDef::up("arr", "ARR", Unit::Currency),
            Self::Forecast => KpiDef::up("forecast", "Next month forecast", Unit::Currency),
        }
    }

    /// The KPI over `span` (null when there is nothing to compute it from).
    pub fn value(self, l: &Ledger, span: MonthSpan) -> Option<f64> {
        let end = span.end();
        let revenue = || l.revenue.range(span.first..end).map(|(_, r)| r);
        let orders = || l.orders.range(span.first..end).map(|(_, o)| o);
        match self {
            Self::Revenue => Some(money::sum(revenue().map(|r| r.recognized))),
            Self::Backlog => backlog(l, span),
            Self::Uptime => mean(l.uptime.range(span.first..end).map(|(_, u)| *u)),
            Self::Nrr => l.nrr.range(..end).next_back().map(|(_, n)| *n),
            Self::GrossMargin => ratio(
                money::sum(orders().map(|o| o.profit)),
                money::sum(orders().map(|o| o.amount)),
            ),
            Self::BookToBill => ratio(
                money::sum(revenue().map(|r| r.booked)),
                money::sum(revenue().map(|r| r.recognized)),
            ),
            Self::CoverageMonths => {
                let six = add_months(span.last(), -5)..end;
                let mean = mean(l.revenue.range(six).map(|(_, r)| r.recognized))?;
                ratio(backlog(l, span)?, mean)
            }
            Self::Arr => Some(money::rounded(
                12.0 * l
                    .orders
                    .get(&span.last())
                    .map(|o| o.recurring)
                    .unwrap_or(0.0),
            )),
            Self::Forecast => match l.pipeline.get(&span.last()) {
                Some((pipeline, win_rate)) => Some(pipeline * win_rate),
                None => {
                    let latest = l.revenue.range(..end).rev().take(3);
                    mean(latest.map(|(_, r)| r.recognized)).map(|m| m * 1.02)
                }
            },
        }
    }
}

/// Backlog of the last month of `span` that has one.
fn backlog(l: &Ledger, span: MonthSpan) -> Option<f64> {
    l.revenue
        .range(span.first..span.end())
        .rev()
        .find_map(|(_, r)| r.backlog)
}

/// The mean of the values, null when there are none.
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::executive::metrics::ledger::RevenueMonth;
    use chrono::NaiveDate;

    fn month(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn revenue_over_months_sums_exactly() {
        // Drill: three months of 39 200.1 answered 117600.30000000002.
        let mut l = Ledger::default();
        for m in 1..=3 {
            let r = RevenueMonth {
                recognized: 39_200.1,
                booked: 0.1,
                backlog: None,
            };
            l.revenue.insert(month(2025, m), r);
        }
        let quarter = MonthSpan {
            first: month(2025, 1),
            count: 3,
        };
        assert_eq!(ExecutiveKpiKey::Revenue.value(&l, quarter), Some(117_600.3));
        let float: f64 = [39_200.1; 3].iter().sum();
        assert_ne!(float, 117_600.3, "binary floats drift (which is why)");
    }

    #[test]
    fn coverage_and_forecast_look_back_from_the_end_month() {
        let mut l = Ledger::default();
        for (i, m) in (3..=8).enumerate() {
            let backlog = (i == 2).then_some(540.0);
            l.revenue.insert(
                month(2025, m),
                RevenueMonth {
                    recognized: 100.0 + 10.0 * i as f64,
                    booked: 0.0,
                    backlog,
                },
            );
        }
        let span = MonthSpan {
            first: month(2025, 7),
            count: 2,
        };
        // Backlog only in May: none in the window → no coverage.
        assert_eq!(ExecutiveKpiKey::Backlog.value(&l, span), None);
        assert_eq!(ExecutiveKpiKey::CoverageMonths.value(&l, span), None);
        let may = MonthSpan {
            first: month(2025, 5),
            count: 1,
        };
        // Mean of Mar..May present rows = (100+110+120)/3 = 110 → 540/110.
        let coverage = ExecutiveKpiKey::CoverageMonths.value(&l, may).unwrap();
        assert!((coverage - 540.0 / 110.0).abs() < 1e-9);
        // Forecast at August: the 3 latest months 130, 140, 150 → 140 × 1.02.
        let f = ExecutiveKpiKey::Forecast.value(&l, span).unwrap();
        assert!((f - 142.8).abs() < 1e-9);
        l.pipeline.insert(month(2025, 8), (1000.0, 0.25));
        assert_eq!(ExecutiveKpiKey::Forecast.value(&l, span), Some(250.0));
    }
}

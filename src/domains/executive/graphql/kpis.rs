//! The executive KPI cards object (one `KpiCard` field per KPI of the spec) and the KPI
//! drill-down. Cards are computed from the request's ledger, which is read once.

use super::super::metrics::{ExecutiveKpiKey, ExecutiveQuery, KpiPoint, Ledger, kpi_series};
use crate::kernel::kpi::{KpiCard, Pair};
use async_graphql::{Object, SimpleObject};
use std::sync::Arc;

/// The ledger of a request and the request (window, team currency) its cards are for.
#[derive(Clone)]
pub struct CardSource {
    pub ledger: Arc<Ledger>,
    pub q: Arc<ExecutiveQuery>,
}

impl CardSource {
    /// The card of `key` over the window, with the previous window.
    pub fn card(&self, key: ExecutiveKpiKey) -> KpiCard {
        let span = self.q.months();
        let values = Pair::new(span, span.previous()).map(|s| key.value(&self.ledger, s));
        key.def().card(values, &self.q.scope.team().currency)
    }

    /// The card of `key` and its series over the window's buckets.
    pub fn drilldown(&self, key: ExecutiveKpiKey) -> KpiDrilldown {
        KpiDrilldown {
            card: self.card(key),
            series: kpi_series(key, &self.ledger, &self.q.window),
        }
    }
}

/// A KPI card with its value per month (or quarter) of the window.
#[derive(SimpleObject, Debug, Clone)]
pub struct KpiDrilldown {
    /// The card over the whole window.
    pub card: KpiCard,
    /// The KPI computed over each month (or quarter) alone.
    pub series: Vec<KpiPoint>,
}

/// The executive KPI cards, each over the window's months with the same number of months
/// before as the previous window. Currency cards carry the team's currency.
pub struct ExecutiveKpis(pub CardSource);

/// The executive KPI cards.
#[Object]
impl ExecutiveKpis {
    /// Σ recognized revenue of the window's months.
    async fn revenue(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Revenue)
    }
    /// Backlog of the window's last month that has one (period-end, not a sum).
    async fn backlog(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Backlog)
    }
    /// Mean uptime ratio of the window's months that have one.
    async fn uptime(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Uptime)
    }
    /// Latest net revenue retention with month ≤ the window's end month (null when none).
    async fn nrr(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Nrr)
    }
    /// Σ profit / Σ amount of orders dated in the window (null when no amount).
    async fn gross_margin(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::GrossMargin)
    }
    /// Σ booked / Σ recognized over the window (null when nothing was recognized).
    async fn book_to_bill(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::BookToBill)
    }
    /// Ending backlog / mean recognized revenue of the months with a row among the 6 up to the
    /// end month (null when there is no backlog or that mean is 0).
    async fn coverage_months(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::CoverageMonths)
    }
    /// 12 × Σ amount of `subscription` and `recurring` orders dated in the window's end month.
    async fn arr(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Arr)
    }
    /// Next month's revenue: pipeline × win rate of the end month when present, otherwise the
    /// mean of the 3 latest recognized months × 1.02.
    async fn forecast(&self) -> KpiCard {
        self.0.card(ExecutiveKpiKey::Forecast)
    }
}

//! The apiUsage KPI cards object: one `KpiCard` field per KPI of the spec.

use super::super::metrics::KpiKey;
use crate::kernel::AppError;
use crate::kernel::kpi::KpiCard;
use async_graphql::{Object, Result};
use std::collections::BTreeMap;

/// The apiUsage KPI cards, each over the window with its previous window.
pub struct ApiUsageKpis {
    pub(super) cards: BTreeMap<KpiKey, KpiCard>,
}

impl ApiUsageKpis {
    fn card(&self, key: KpiKey) -> Result<KpiCard> {
        self.cards.get(&key).cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("KPI {key:?} was not computed")).into()
        })
    }
}

/// The apiUsage KPI cards, each over the window with its previous window.
#[Object]
impl ApiUsageKpis {
    /// All requests.
    async fn total_requests(&self) -> Result<KpiCard> {
        self.card(KpiKey::TotalRequests)
    }
    /// Requests with status < 400.
    async fn successful_requests(&self) -> Result<KpiCard> {
        self.card(KpiKey::SuccessfulRequests)
    }
    /// Errors (status ≥ 400) / all requests; null when there are no requests.
    async fn error_rate(&self) -> Result<KpiCard> {
        self.card(KpiKey::ErrorRate)
    }
    /// Mean latency in ms; null when there are no requests.
    async fn avg_latency_ms(&self) -> Result<KpiCard> {
        self.card(KpiKey::AvgLatencyMs)
    }
    /// 95th percentile latency in ms, interpolated like `percentile_cont`: exact while the window
    /// holds at most 20 000 requests (or a filter is set), above that from the latency sketch
    /// (relative error at most 0.78 %); null when there are no requests.
    async fn p95_latency_ms(&self) -> Result<KpiCard> {
        self.card(KpiKey::P95LatencyMs)
    }
    /// Σ cost (USD) of the requests that have a cost.
    async fn total_cost(&self) -> Result<KpiCard> {
        self.card(KpiKey::TotalCost)
    }
    /// Total cost / all requests (USD); null when there are no requests.
    async fn avg_cost_per_request(&self) -> Result<KpiCard> {
        self.card(KpiKey::AvgCostPerRequest)
    }
    /// Σ tokens.
    async fn total_tokens(&self) -> Result<KpiCard> {
        self.card(KpiKey::TotalTokens)
    }
    /// Distinct non-empty user ids.
    async fn active_users(&self) -> Result<KpiCard> {
        self.card(KpiKey::ActiveUsers)
    }
}

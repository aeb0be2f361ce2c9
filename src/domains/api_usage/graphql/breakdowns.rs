//! Row types of the apiUsage breakdowns that carry more than a label and a value.

use async_graphql::SimpleObject;

/// Models by request count: `sum(rows.value) + other = total`.
#[derive(SimpleObject, Debug, Clone)]
pub struct ModelBreakdown {
    /// Top models, requests descending, then name ascending.
    pub rows: Vec<ModelBreakdownRow>,
    /// Requests of the models past the limit.
    pub other: f64,
    /// Requests with a model.
    pub total: f64,
    /// Whether models were folded into `other`.
    pub has_more: bool,
}

/// One model.
#[derive(SimpleObject, Debug, Clone)]
pub struct ModelBreakdownRow {
    /// Model name.
    pub label: String,
    /// Requests.
    pub value: f64,
    /// `value / total`.
    pub share: Option<f64>,
    /// Σ cost (USD) of the model's requests that have one; null when none has.
    pub cost: Option<f64>,
    /// Mean latency in ms.
    pub avg_latency_ms: Option<f64>,
    /// Errors / requests of this model.
    pub error_rate: Option<f64>,
}

/// Countries by request count: `sum(rows.value) + other = total`.
#[derive(SimpleObject, Debug, Clone)]
pub struct CountryBreakdown {
    /// Top countries, requests descending, then code ascending.
    pub rows: Vec<CountryBreakdownRow>,
    /// Requests of the countries past the limit.
    pub other: f64,
    /// Requests with a country.
    pub total: f64,
    /// Whether countries were folded into `other`.
    pub has_more: bool,
}

/// One country.
#[derive(SimpleObject, Debug, Clone)]
pub struct CountryBreakdownRow {
    /// ISO 3166-1 alpha-2 code.
    pub label: String,
    /// English name (`Unknown (XX)` for codes outside ISO 3166-1).
    pub name: String,
    /// Requests.
    pub value: f64,
    /// `value / total`.
    pub share: Option<f64>,
}

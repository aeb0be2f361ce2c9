//! `ApiUsageFilterInput` (GraphQL) → `ApiUsageFilter` (serde, stored in presets) → `Condition`.

use super::entity::Column;
use crate::kernel::AppResult;
use crate::kernel::choices::ChoiceSource;
use crate::kernel::lists::normalised_list;
use async_graphql::{InputObject, SimpleObject};
use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};

/// Narrows every panel and KPI. Values within a list are OR-ed, lists are AND-ed;
/// an empty or absent list does not filter.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ApiUsageFilterInput {
    /// Model names.
    pub models: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 country codes (case-insensitive).
    pub countries: Option<Vec<String>>,
    /// Endpoints, e.g. `/v1/chat/completions`.
    pub endpoints: Option<Vec<String>>,
    /// User ids.
    pub user_ids: Option<Vec<String>>,
}

impl ApiUsageFilterInput {
    /// `explicit` laid over `self` list by list: a list given explicitly (even empty) wins.
    pub fn overlay(self, explicit: ApiUsageFilterInput) -> ApiUsageFilterInput {
        ApiUsageFilterInput {
            models: explicit.models.or(self.models),
            countries: explicit.countries.or(self.countries),
            endpoints: explicit.endpoints.or(self.endpoints),
            user_ids: explicit.user_ids.or(self.user_ids),
        }
    }
}

/// The normalised filter: sorted, deduplicated lists (so equal filters share cache entries).
/// This is also what presets store, so renaming a GraphQL input field breaks no preset.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "ApiUsageFilter")]
#[serde(default, rename_all = "camelCase")]
pub struct ApiUsageFilter {
    /// Model names (empty = all).
    pub models: Vec<String>,
    /// Upper-case country codes (empty = all).
    pub countries: Vec<String>,
    /// Endpoints (empty = all).
    pub endpoints: Vec<String>,
    /// User ids (empty = all).
    pub user_ids: Vec<String>,
}

fn list(field: &str, values: Option<Vec<String>>, upper: bool) -> AppResult<Vec<String>> {
    normalised_list(field, values, |v| {
        if upper {
            v.trim().to_ascii_uppercase()
        } else {
            v
        }
    })
}

impl ApiUsageFilter {
    /// Validates and normalises a stored filter (presets re-check what they read).
    pub fn normalised(self) -> AppResult<Self> {
        Self::from_input(self.into_input())
    }

    /// The filter as an input, every list set.
    pub fn into_input(self) -> ApiUsageFilterInput {
        ApiUsageFilterInput {
            models: Some(self.models),
            countries: Some(self.countries),
            endpoints: Some(self.endpoints),
            user_ids: Some(self.user_ids),
        }
    }

    /// Validates and normalises the GraphQL input.
    pub fn from_input(input: ApiUsageFilterInput) -> AppResult<Self> {
        Ok(ApiUsageFilter {
            models: list("models", input.models, false)?,
            countries: list("countries", input.countries, true)?,
            endpoints: list("endpoints", input.endpoints, false)?,
            user_ids: list("userIds", input.user_ids, false)?,
        })
    }

    /// The SQL condition (team and window are added by the caller).
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        let lists = [
            (Column::ModelName, &self.models),
            (Column::CountryCode, &self.countries),
            (Column::Endpoint, &self.endpoints),
            (Column::UserId, &self.user_ids),
        ];
        for (column, values) in lists {
            if !values.is_empty() {
                cond = cond.add(ColumnTrait::is_in(&column, values.iter().cloned()));
            }
        }
        cond
    }
}

/// Where the filter fields' values live (`filterChoices`): the window's request logs.
pub fn choices() -> Vec<ChoiceSource> {
    use super::entity::Entity as RequestLogs;
    [
        ("models", Column::ModelName),
        ("countries", Column::CountryCode),
        ("endpoints", Column::Endpoint),
        ("userIds", Column::UserId),
    ]
    .into_iter()
    .map(|(field, col)| ChoiceSource::new(field, RequestLogs, col).timed(Column::CreatedAtMs))
    .collect()
}

//! `ApiUsageFilterInput` (GraphQL) → `ApiUsageFilter` (serde, stored in presets) → `Condition`.

use super::entity::Column;
use crate::kernel::{AppError, AppResult};
use async_graphql::InputObject;
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

/// The normalised filter: sorted, deduplicated lists (so equal filters share cache entries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiUsageFilter {
    pub models: Vec<String>,
    pub countries: Vec<String>,
    pub endpoints: Vec<String>,
    pub user_ids: Vec<String>,
}

const MAX_VALUES: usize = 500;

fn list(field: &str, values: Option<Vec<String>>, upper: bool) -> AppResult<Vec<String>> {
    let mut values: Vec<String> = values
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            if upper {
                v.trim().to_ascii_uppercase()
            } else {
                v
            }
        })
        .collect();
    if values.len() > MAX_VALUES {
        return Err(AppError::bad_input(
            format!("filter.{field}"),
            format!("at most {MAX_VALUES} values per filter list"),
        ));
    }
    values.sort();
    values.dedup();
    Ok(values)
}

impl ApiUsageFilter {
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

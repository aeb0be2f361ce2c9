//! `ProductFilterInput` (GraphQL) → `ProductFilter` (serde, stored in presets).

use crate::kernel::AppResult;
use crate::kernel::choices::ChoiceSource;
use crate::kernel::lists::normalised_list;
use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

/// Narrows the product dashboard: events whose own `channel` / `region` / `platform`
/// properties are in the lists, and memberships of users whose attributes (those of their
/// `user_registered` event, else their first event) are.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ProductFilterInput {
    /// Acquisition channels, e.g. `organic` (case-insensitive).
    pub channels: Option<Vec<String>>,
    /// Regions, e.g. `eu` (case-insensitive).
    pub regions: Option<Vec<String>>,
    /// Platforms, e.g. `ios` (case-insensitive).
    pub platforms: Option<Vec<String>>,
}

impl ProductFilterInput {
    /// `explicit` laid over `self`: a list given explicitly (even empty) wins.
    pub fn overlay(self, explicit: ProductFilterInput) -> ProductFilterInput {
        ProductFilterInput {
            channels: explicit.channels.or(self.channels),
            regions: explicit.regions.or(self.regions),
            platforms: explicit.platforms.or(self.platforms),
        }
    }
}

/// The normalised product filter: sorted, deduplicated, lower-case lists.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProductFilter {
    /// Channels (empty = all).
    pub channels: Vec<String>,
    /// Regions (empty = all).
    pub regions: Vec<String>,
    /// Platforms (empty = all).
    pub platforms: Vec<String>,
}

impl ProductFilter {
    /// Validates and normalises the GraphQL input.
    pub fn from_input(input: ProductFilterInput) -> AppResult<Self> {
        let lower = |v: String| v.trim().to_lowercase();
        Ok(ProductFilter {
            channels: normalised_list("channels", input.channels, lower)?,
            regions: normalised_list("regions", input.regions, lower)?,
            platforms: normalised_list("platforms", input.platforms, lower)?,
        })
    }

    /// Validates and normalises a stored filter.
    pub fn normalised(self) -> AppResult<Self> {
        Self::from_input(self.into_input())
    }

    /// The filter as an input, every list set.
    pub fn into_input(self) -> ProductFilterInput {
        ProductFilterInput {
            channels: Some(self.channels),
            regions: Some(self.regions),
            platforms: Some(self.platforms),
        }
    }

    /// Whether `(channel, region, platform)` values pass every list.
    pub fn allows(
        &self,
        channel: Option<&str>,
        region: Option<&str>,
        platform: Option<&str>,
    ) -> bool {
        let ok = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|l| l == v))
        };
        ok(&self.channels, channel) && ok(&self.regions, region) && ok(&self.platforms, platform)
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.regions.is_empty() && self.platforms.is_empty()
    }
}

/// Where the filter fields' values live (`filterChoices`): the window's events.
pub fn choices() -> Vec<ChoiceSource> {
    use super::entity::ProductEvents as E;
    [
        ("channels", E::Channel),
        ("regions", E::Region),
        ("platforms", E::Platform),
    ]
    .into_iter()
    .map(|(field, col)| ChoiceSource::new(field, E::Table, col).timed(E::EventTimeMs))
    .collect()
}

//! `PublishingFilterInput` (GraphQL) → `PublishingFilter` (serde, stored in presets).

use crate::kernel::AppResult;
use crate::kernel::choices::ChoiceSource;
use crate::kernel::lists::normalised_list;
use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

/// Narrows the publishing dashboard to some platforms: jobs and publish logs on them, and
/// their rows of the platform panel. Videos, clips and campaigns have no platform.
#[derive(InputObject, Debug, Clone, Default)]
pub struct PublishingFilterInput {
    /// Platforms, e.g. `instagram` (case-insensitive).
    pub platforms: Option<Vec<String>>,
}

impl PublishingFilterInput {
    /// `explicit` laid over `self`: a list given explicitly (even empty) wins.
    pub fn overlay(self, explicit: PublishingFilterInput) -> PublishingFilterInput {
        PublishingFilterInput {
            platforms: explicit.platforms.or(self.platforms),
        }
    }
}

/// The normalised publishing filter: sorted, deduplicated, lower-case platforms.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PublishingFilter {
    /// Platforms (empty = all).
    pub platforms: Vec<String>,
}

impl PublishingFilter {
    /// Validates and normalises the GraphQL input.
    pub fn from_input(input: PublishingFilterInput) -> AppResult<Self> {
        Ok(PublishingFilter {
            platforms: normalised_list("platforms", input.platforms, |v| v.trim().to_lowercase())?,
        })
    }

    /// Validates and normalises a stored filter.
    pub fn normalised(self) -> AppResult<Self> {
        Self::from_input(self.into_input())
    }

    /// The filter as an input, every list set.
    pub fn into_input(self) -> PublishingFilterInput {
        PublishingFilterInput {
            platforms: Some(self.platforms),
        }
    }

    /// Whether a platform passes the filter.
    pub fn allows(&self, platform: &str) -> bool {
        self.platforms.is_empty() || self.platforms.iter().any(|p| p == platform)
    }
}

/// Where the filter fields' values live (`filterChoices`): the platforms of publish logs.
pub fn choices() -> Vec<ChoiceSource> {
    use super::entity::PubPublishLogs as L;
    vec![ChoiceSource::new("platforms", L::Table, L::Platform)]
}

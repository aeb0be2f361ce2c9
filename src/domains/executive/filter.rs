//! `ExecutiveFilterInput` (GraphQL) → `ExecutiveFilter` (serde, stored in presets).

use crate::kernel::AppResult;
use crate::kernel::choices::ChoiceSource;
use crate::kernel::lists::normalised_list;
use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

/// Narrows the order-based figures of the executive dashboard (`grossMargin`, `arr`,
/// `atRiskCustomers`) to some customers. Monthly revenue, uptime, NRR and pipeline figures
/// are company-wide and never filtered.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ExecutiveFilterInput {
    /// Customers, exactly as in `exec_orders.customer`.
    pub customers: Option<Vec<String>>,
}

impl ExecutiveFilterInput {
    /// `explicit` laid over `self`: a list given explicitly (even empty) wins.
    pub fn overlay(self, explicit: ExecutiveFilterInput) -> ExecutiveFilterInput {
        ExecutiveFilterInput {
            customers: explicit.customers.or(self.customers),
        }
    }
}

/// The normalised executive filter: sorted, deduplicated, trimmed customers.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ExecutiveFilter {
    /// Customers (empty = all).
    pub customers: Vec<String>,
}

impl ExecutiveFilter {
    /// Validates and normalises the GraphQL input.
    pub fn from_input(input: ExecutiveFilterInput) -> AppResult<Self> {
        Ok(ExecutiveFilter {
            customers: normalised_list("customers", input.customers, |v| v.trim().to_string())?,
        })
    }

    /// Validates and normalises a stored filter.
    pub fn normalised(self) -> AppResult<Self> {
        Self::from_input(self.into_input())
    }

    /// The filter as an input, every list set.
    pub fn into_input(self) -> ExecutiveFilterInput {
        ExecutiveFilterInput {
            customers: Some(self.customers),
        }
    }
}

/// Where the filter fields' values live (`filterChoices`): the customers of orders.
pub fn choices() -> Vec<ChoiceSource> {
    use super::entity::ExecOrders as O;
    vec![ChoiceSource::new("customers", O::Table, O::Customer)]
}

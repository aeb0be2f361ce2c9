//! apiUsage: API request logs — traffic, errors, models, cost, countries and latency
//! (spec/api_usage.md).

pub mod entity;
pub mod filter;
pub mod graphql;
pub mod ingest;
pub mod metrics;

pub use graphql::ApiUsageRoot;

//! product: product analytics of a subscription learning app over events and memberships
//! (spec/product.md). Every section is computed in Rust from one `Telemetry` — the team's
//! stored rows around the window, or rows posted inline with the request — by the same code.

pub mod columns;
pub mod entity;
pub mod filter;
pub mod graphql;
pub mod ingest;
pub mod metrics;

pub use graphql::ProductRoot;

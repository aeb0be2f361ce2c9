//! executive: finance and operations KPIs for leadership (spec/executive.md) — monthly
//! revenue, backlog, uptime, NRR, orders and pipeline, month-aligned windows, KPI cards with
//! drill-downs, alerts, and quality gates over real-user timing events (`rum_events`, also
//! accepted one at a time from browsers at `POST /v1/events`).

pub mod entity;
pub mod filter;
pub mod graphql;
pub mod ingest;
pub mod metrics;

pub use graphql::ExecutiveRoot;

//! dashgate: a GraphQL analytics gateway — typed dashboards over SQLite or PostgreSQL.

/// Teams, API keys and JWTs.
pub mod accounts;
/// The audit log of erasures, deletions and exports.
pub mod audit;
/// Typed settings from flags, environment and `.env`.
pub mod config;
/// Database connection and migrations.
pub mod db;
/// Deterministic demo and benchmark data.
pub mod demo;
/// The dashboards, one module per business domain.
pub mod domains;
/// The GraphQL schema, limits and error codes.
pub mod graphql;
/// HTTP routes and middleware.
pub mod http;
/// The shared analytics vocabulary (windows, calendar, KPIs, cache, errors).
pub mod kernel;
/// Saved, team-scoped filter presets.
pub mod presets;
/// The application state every layer reads (database, cache, clock, settings).
pub mod state;
/// Prometheus metrics with bounded labels.
pub mod telemetry;

//! The one integration-test binary: every suite runs on SQLite, and on PostgreSQL when
//! `DASHGATE_TEST_POSTGRES_URL` is set (required under `CI=true`).

mod support;

mod api_usage;
mod browser;
mod cache;
mod cache_staleness;
mod calendar;
mod chat;
mod chat_ingest;
mod chat_rollups;
mod datasets_schema;
mod deletes;
mod errors;
mod executive;
mod executive_ingest;
mod export;
mod fuzz_graphql;
mod fuzz_ingest;
mod graphql_http;
mod hardening;
mod http_server;
mod ingest;
mod ingest_hardening;
mod instances;
mod isolation;
mod live_data;
mod live_properties;
mod observability;
mod outages;
mod presets;
mod product;
mod product_growth;
mod product_learning;
mod product_monetization;
mod product_ops;
mod product_properties;
mod product_rules;
mod product_surface;
mod publishing;
mod publishing_ingest;
mod publishing_rollups;
mod rollups;
mod schema;
mod spans;
mod statistics;

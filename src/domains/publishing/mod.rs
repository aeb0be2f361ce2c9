//! publishing: the video publishing pipeline — videos, clips, jobs, campaigns and publish logs
//! (spec/publishing.md): the five datasets with their ingestion, the snapshot panels
//! (overview, queue, orchestrator, platforms, campaigns) and the windowed series.

pub mod entity;
pub mod filter;
pub mod graphql;
pub mod ingest;
pub mod metrics;

pub use graphql::PublishingRoot;

//! chat: chatbot usage — participants, sessions, messages, bots, engagement, channels and
//! tags (spec/chat.md): the nine datasets with their ingestion, the filtered universe, every
//! KPI and panel, and DataLoaders for the experiment, participant and tag objects in rows.

pub mod columns;
pub mod entity;
pub mod filter;
pub mod graphql;
pub mod ingest;
pub mod loaders;
pub mod metrics;

pub use graphql::ChatRoot;

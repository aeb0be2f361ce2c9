//! The dashboards, one folder per business domain (same files in each).

pub mod api_usage;
pub mod chat;
pub mod countries;
pub mod datasets;
pub mod erase;
pub mod executive;
pub mod product;
pub mod publishing;
pub mod registry;
pub mod rollups;

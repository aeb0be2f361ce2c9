//! dashgate's schema migrations, written with the portable schema builder (SQLite + PostgreSQL).
//! One migration per domain; no dependency on dashgate itself.

pub use sea_orm_migration::prelude::*;

mod m0001_core;
mod m0002_api_usage;
mod m0003_filter_presets;
mod m0004_chat;
mod m0005_publishing;
mod m0006_executive;
mod m0007_product;
mod m0008_live_data;
mod m0009_rollups;
mod m0010_chat_rollups;
mod m0011_publishing_rollups;
mod m0012_rollup_fillfactor;
mod m0013_reference_indexes;
mod m0014_publishing_tallies;
mod tables;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_core::Migration),
            Box::new(m0002_api_usage::Migration),
            Box::new(m0003_filter_presets::Migration),
            Box::new(m0004_chat::Migration),
            Box::new(m0005_publishing::Migration),
            Box::new(m0006_executive::Migration),
            Box::new(m0007_product::Migration),
            Box::new(m0008_live_data::Migration),
            Box::new(m0009_rollups::Migration),
            Box::new(m0010_chat_rollups::Migration),
            Box::new(m0011_publishing_rollups::Migration),
            Box::new(m0012_rollup_fillfactor::Migration),
            Box::new(m0013_reference_indexes::Migration),
            Box::new(m0014_publishing_tallies::Migration),
        ]
    }
}

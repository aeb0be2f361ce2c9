//! The product datasets: events (their `properties` kept as JSON text, with the user identity
//! and the filtered properties — channel, region, platform — as indexed columns) and
//! memberships. Keyed by `(team_id, id)`; instants are epoch ms.

use crate::tables::{C, TableDef, create_tables};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[TableDef] = &[
    (
        "product_events",
        &[
            ("user_id", C::OptStr(128)),
            ("identity", C::OptStr(128)),
            ("event_name", C::Str(64)),
            ("event_time_ms", C::Ms),
            ("channel", C::OptStr(64)),
            ("region", C::OptStr(64)),
            ("platform", C::OptStr(64)),
            ("properties", C::Text),
        ],
        &["event_time_ms", "identity", "event_name"],
    ),
    (
        "product_memberships",
        &[
            ("user_id", C::Str(128)),
            ("plan_type", C::Str(32)),
            ("start_at_ms", C::Ms),
            ("expire_at_ms", C::OptMs),
            ("status", C::Str(16)),
            ("amount", C::Number),
            ("currency", C::Str(3)),
        ],
        &["start_at_ms", "user_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager, TABLES).await
    }
}

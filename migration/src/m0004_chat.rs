//! The nine chat datasets. Every table is keyed by `(team_id, id)`; instants are epoch ms.

use crate::tables::{C, TableDef, create_tables};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[TableDef] = &[
    (
        "chat_experiments",
        &[
            ("name", C::Str(200)),
            ("is_archived", C::Bool),
            ("created_at_ms", C::Ms),
        ],
        &[],
    ),
    (
        "chat_channels",
        &[
            ("experiment_id", C::Str(64)),
            ("name", C::Str(200)),
            ("platform", C::OptStr(32)),
            ("deleted", C::Bool),
        ],
        &["experiment_id"],
    ),
    (
        "chat_participants",
        &[
            ("identifier", C::Str(200)),
            ("name", C::OptStr(200)),
            ("platform", C::OptStr(32)),
            ("created_at_ms", C::Ms),
        ],
        &[],
    ),
    (
        "chat_sessions",
        &[
            ("experiment_id", C::Str(64)),
            ("participant_id", C::Str(64)),
            ("channel_id", C::OptStr(64)),
            ("platform", C::OptStr(32)),
            ("status", C::Str(32)),
            ("created_at_ms", C::Ms),
            ("ended_at_ms", C::OptMs),
        ],
        &["experiment_id", "participant_id"],
    ),
    (
        "chat_messages",
        &[
            ("session_id", C::Str(64)),
            ("message_type", C::Str(16)),
            ("created_at_ms", C::Ms),
        ],
        &["created_at_ms", "session_id"],
    ),
    (
        "chat_tags",
        &[("name", C::Str(200)), ("category", C::Str(64))],
        &[],
    ),
    (
        "chat_message_tags",
        &[("tag_id", C::Str(64)), ("message_id", C::Str(64))],
        &["message_id"],
    ),
    (
        "chat_session_tags",
        &[("tag_id", C::Str(64)), ("session_id", C::Str(64))],
        &["session_id"],
    ),
    (
        "chat_traces",
        &[
            ("session_id", C::Str(64)),
            ("timestamp_ms", C::Ms),
            ("duration_ms", C::Number),
        ],
        &["timestamp_ms"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager, TABLES).await
    }
}

//! The nine chat datasets. Every table is keyed by `(team_id, id)`; instants are epoch ms.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Column kinds of the chat tables (mirrors `dashgate::domains::chat::datasets`).
enum C {
    Str(u32),
    OptStr(u32),
    Bool,
    Ms,
    OptMs,
    Number,
}

/// A table: name, columns after `team_id`/`id`, and columns indexed after `team_id`.
type TableDef = (
    &'static str,
    &'static [(&'static str, C)],
    &'static [&'static str],
);

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
        for (table, columns, indexes) in TABLES {
            let mut create = Table::create();
            create
                .table(Alias::new(*table))
                .if_not_exists()
                .col(big_integer(Alias::new("team_id")))
                .col(string_len(Alias::new("id"), 64));
            for (name, kind) in columns.iter() {
                let n = Alias::new(*name);
                create.col(match kind {
                    C::Str(len) => string_len(n, *len),
                    C::OptStr(len) => string_len_null(n, *len),
                    C::Bool => boolean(n),
                    C::Ms => big_integer(n),
                    C::OptMs => big_integer_null(n),
                    C::Number => double(n),
                });
            }
            create.primary_key(
                Index::create()
                    .col(Alias::new("team_id"))
                    .col(Alias::new("id")),
            );
            manager.create_table(create.to_owned()).await?;
            for column in indexes.iter() {
                manager
                    .create_index(
                        Index::create()
                            .if_not_exists()
                            .name(format!("idx_{table}_team_{column}"))
                            .table(Alias::new(*table))
                            .col(Alias::new("team_id"))
                            .col(Alias::new(*column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

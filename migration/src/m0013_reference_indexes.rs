//! Every column that references another dataset is indexed after `team_id`: deleting a
//! referenced row looks up the rows that name it (refused, or cascaded), and without an index
//! that is a scan of the team's rows per chunk of keys — quadratic for large deletes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, reference column) pairs that had no index of their own.
pub const REFERENCES: [(&str, &str); 8] = [
    ("chat_channels", "experiment_id"),
    ("chat_sessions", "channel_id"),
    ("chat_message_tags", "tag_id"),
    ("chat_session_tags", "tag_id"),
    ("chat_traces", "session_id"),
    ("pub_jobs", "video_id"),
    ("pub_jobs", "clip_id"),
    ("pub_campaigns", "clip_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in REFERENCES {
            manager
                .create_index(
                    Index::create()
                        .if_not_exists()
                        .name(format!("idx_{table}_team_{column}"))
                        .table(Alias::new(table))
                        .col(Alias::new("team_id"))
                        .col(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

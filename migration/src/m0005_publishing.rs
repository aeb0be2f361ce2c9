//! The five publishing datasets. Every table is keyed by `(team_id, id)`; instants are epoch ms.

use crate::tables::{C, TableDef, create_tables};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[TableDef] = &[
    (
        "pub_videos",
        &[("title", C::Str(300)), ("created_at_ms", C::Ms)],
        &["created_at_ms"],
    ),
    (
        "pub_clips",
        &[
            ("video_id", C::Str(64)),
            ("visual_score", C::OptNumber),
            ("created_at_ms", C::Ms),
        ],
        &["video_id", "created_at_ms"],
    ),
    (
        "pub_jobs",
        &[
            ("video_id", C::OptStr(64)),
            ("clip_id", C::OptStr(64)),
            ("status", C::Str(32)),
            ("platform", C::OptStr(32)),
            ("created_at_ms", C::Ms),
            ("updated_at_ms", C::Ms),
        ],
        &["created_at_ms", "status"],
    ),
    (
        "pub_campaigns",
        &[
            ("clip_id", C::OptStr(64)),
            ("name", C::Str(200)),
            ("status", C::Str(32)),
            ("budget", C::OptNumber),
            ("spent", C::Number),
            ("created_at_ms", C::Ms),
        ],
        &["created_at_ms"],
    ),
    (
        "pub_publish_logs",
        &[
            ("clip_id", C::Str(64)),
            ("platform", C::Str(32)),
            ("status", C::Str(32)),
            ("social_account_id", C::OptStr(64)),
            ("requested_at_ms", C::Ms),
            ("published_at_ms", C::OptMs),
            ("created_at_ms", C::Ms),
        ],
        &["created_at_ms", "clip_id", "status", "published_at_ms"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager, TABLES).await
    }
}

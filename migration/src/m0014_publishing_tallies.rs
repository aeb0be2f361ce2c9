//! `pub_platform_tallies`: per team and platform, the platforms panel's all-time figures
//! (distinct clips ready / published, the logs' clip scores), maintained by clip (see
//! `rollups::tally` in the gateway). Like every rollup table it starts empty and is rebuilt
//! from the raw rows at start when its recorded version differs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PubPlatformTallies {
    Table,
    TeamId,
    Key,
    Logs,
    ClipsReady,
    ClipsPublished,
    Scored,
    ScoreSum,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PubPlatformTallies as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(big_integer(T::TeamId))
                    .col(string_len(T::Key, 128))
                    .col(big_integer(T::Logs))
                    .col(big_integer(T::ClipsReady))
                    .col(big_integer(T::ClipsPublished))
                    .col(big_integer(T::Scored))
                    .col(double(T::ScoreSum))
                    .primary_key(Index::create().col(T::TeamId).col(T::Key))
                    .to_owned(),
            )
            .await
    }
}

//! Rollups: `request_log_rollups` (per team, dimension, UTC hour and key: counts and sums of
//! the request logs) and `rollup_versions` (which definition each rollup table was built
//! with). The tables start empty: dashgate rebuilds a rollup from the raw rows at start when its
//! recorded version differs from the code's (so existing databases are backfilled, and a
//! changed definition rebuilds itself).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestLogRollups {
    Table,
    TeamId,
    Dim,
    BucketMs,
    Key,
    N,
    Errors,
    CostMicros,
    CostN,
    LatencyMs,
    Tokens,
}

#[derive(DeriveIden)]
enum RollupVersions {
    Table,
    Name,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RequestLogRollups as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .if_not_exists()
                    .col(big_integer(R::TeamId))
                    .col(string_len(R::Dim, 16))
                    .col(big_integer(R::BucketMs))
                    .col(string_len(R::Key, 128))
                    .col(big_integer(R::N))
                    .col(big_integer(R::Errors))
                    .col(double(R::CostMicros))
                    .col(big_integer(R::CostN))
                    .col(double(R::LatencyMs))
                    .col(double(R::Tokens))
                    .primary_key(
                        Index::create()
                            .col(R::TeamId)
                            .col(R::Dim)
                            .col(R::BucketMs)
                            .col(R::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RollupVersions::Table)
                    .if_not_exists()
                    .col(string_len(RollupVersions::Name, 64).primary_key())
                    .col(integer(RollupVersions::Version))
                    .to_owned(),
            )
            .await
    }
}

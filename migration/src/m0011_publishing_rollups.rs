//! Publishing rollups, per team, UTC day and key: `pub_log_rollups` (publish logs per
//! status/platform with their processing-time sums and extremes, and the accounts of processing
//! logs) and `pub_job_rollups` (jobs per status/platform). Like every rollup table they start
//! empty and are rebuilt from the raw rows at start when their recorded version differs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PubLogRollups {
    Table,
    TeamId,
    Dim,
    BucketMs,
    Key,
    N,
    ProcessingMs,
    Processed,
    FirstRequestedMs,
    LastCreatedMs,
}

#[derive(DeriveIden, Clone, Copy)]
enum PubJobRollups {
    Table,
    TeamId,
    Dim,
    BucketMs,
    Key,
    N,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PubJobRollups as J;
        use PubLogRollups as L;
        manager
            .create_table(
                crate::m0010_chat_rollups::rollup_table(
                    L::Table,
                    [L::TeamId, L::Dim, L::BucketMs, L::Key],
                )
                .col(big_integer(L::N))
                .col(double(L::ProcessingMs))
                .col(big_integer(L::Processed))
                .col(big_integer_null(L::FirstRequestedMs))
                .col(big_integer_null(L::LastCreatedMs))
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                crate::m0010_chat_rollups::rollup_table(
                    J::Table,
                    [J::TeamId, J::Dim, J::BucketMs, J::Key],
                )
                .col(big_integer(J::N))
                .to_owned(),
            )
            .await
    }
}

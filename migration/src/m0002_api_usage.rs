//! `request_logs`, the fact table of the `apiUsage` dashboard.
//!
//! Instants are epoch milliseconds (`BIGINT`) and costs integer micro-dollars, so sums are
//! exact and both databases compare and bucket them identically.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestLogs {
    Table,
    TeamId,
    Id,
    CreatedAtMs,
    Endpoint,
    StatusCode,
    LatencyMs,
    ModelName,
    CountryCode,
    CostMicros,
    Tokens,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestLogs::Table)
                    .if_not_exists()
                    .col(big_integer(RequestLogs::TeamId))
                    .col(string_len(RequestLogs::Id, 64))
                    .col(big_integer(RequestLogs::CreatedAtMs))
                    .col(string_len(RequestLogs::Endpoint, 128))
                    .col(integer(RequestLogs::StatusCode))
                    .col(double(RequestLogs::LatencyMs))
                    .col(string_len_null(RequestLogs::ModelName, 128))
                    .col(string_len_null(RequestLogs::CountryCode, 2))
                    .col(big_integer_null(RequestLogs::CostMicros))
                    .col(big_integer_null(RequestLogs::Tokens))
                    .col(string_len_null(RequestLogs::UserId, 64))
                    .primary_key(
                        Index::create()
                            .col(RequestLogs::TeamId)
                            .col(RequestLogs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_request_logs_team_time")
                    .table(RequestLogs::Table)
                    .col(RequestLogs::TeamId)
                    .col(RequestLogs::CreatedAtMs)
                    .to_owned(),
            )
            .await
    }
}

//! Chat rollups, per team, session and UTC hour: `chat_message_rollups` (counted messages,
//! human and bot messages, the latest human message) and `chat_trace_rollups` (bot turns and
//! their total duration). Like every rollup table they start empty and are rebuilt from the raw
//! rows at start when their recorded version differs from the code's.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ChatMessageRollups {
    Table,
    TeamId,
    Dim,
    BucketMs,
    Key,
    N,
    Human,
    Ai,
    LastHumanMs,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChatTraceRollups {
    Table,
    TeamId,
    Dim,
    BucketMs,
    Key,
    N,
    DurationMs,
}

/// `(team_id, dim, bucket_ms, key)`: the primary key of every rollup table.
pub(crate) fn rollup_table(
    table: impl IntoIden + Copy,
    cols: [impl IntoIden + Copy; 4],
) -> TableCreateStatement {
    let [team, dim, bucket, key] = cols;
    Table::create()
        .table(table)
        .if_not_exists()
        .col(big_integer(team))
        .col(string_len(dim, 16))
        .col(big_integer(bucket))
        .col(string_len(key, 128))
        .primary_key(Index::create().col(team).col(dim).col(bucket).col(key))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ChatMessageRollups as M;
        use ChatTraceRollups as T;
        manager
            .create_table(
                rollup_table(M::Table, [M::TeamId, M::Dim, M::BucketMs, M::Key])
                    .col(big_integer(M::N))
                    .col(big_integer(M::Human))
                    .col(big_integer(M::Ai))
                    .col(big_integer_null(M::LastHumanMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                rollup_table(T::Table, [T::TeamId, T::Dim, T::BucketMs, T::Key])
                    .col(big_integer(T::N))
                    .col(double(T::DurationMs))
                    .to_owned(),
            )
            .await
    }
}

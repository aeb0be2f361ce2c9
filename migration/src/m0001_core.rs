//! Teams, API keys and the gateway's own key/value settings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    Slug,
    Name,
    Timezone,
    Currency,
    CreatedAtMs,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TeamId,
    Name,
    Prefix,
    KeyHash,
    Role,
    CreatedAtMs,
    RevokedAtMs,
}

#[derive(DeriveIden)]
enum GatewayMeta {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Teams::Id))
                    .col(string_len_uniq(Teams::Slug, 64))
                    .col(string_len(Teams::Name, 200))
                    .col(string_len(Teams::Timezone, 64))
                    .col(string_len(Teams::Currency, 3))
                    .col(big_integer(Teams::CreatedAtMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::TeamId))
                    .col(string_len(ApiKeys::Name, 200))
                    .col(string_len(ApiKeys::Prefix, 16))
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    .col(string_len(ApiKeys::Role, 16))
                    .col(big_integer(ApiKeys::CreatedAtMs))
                    .col(big_integer_null(ApiKeys::RevokedAtMs))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GatewayMeta::Table)
                    .if_not_exists()
                    .col(string_len(GatewayMeta::Key, 64).primary_key())
                    .col(text(GatewayMeta::Value))
                    .to_owned(),
            )
            .await
    }
}

//! Saved filter presets: a team's (or one member's) window and filter for a dashboard.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FilterPresets {
    Table,
    Id,
    TeamId,
    Owner,
    Dashboard,
    Name,
    Visibility,
    IsDefault,
    WindowJson,
    FilterJson,
    Version,
    CreatedAtMs,
    UpdatedAtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FilterPresets::Table)
                    .if_not_exists()
                    .col(big_pk_auto(FilterPresets::Id))
                    .col(big_integer(FilterPresets::TeamId))
                    .col(string_len(FilterPresets::Owner, 200))
                    .col(string_len(FilterPresets::Dashboard, 32))
                    .col(string_len(FilterPresets::Name, 100))
                    .col(string_len(FilterPresets::Visibility, 16))
                    .col(boolean(FilterPresets::IsDefault))
                    .col(text(FilterPresets::WindowJson))
                    .col(text(FilterPresets::FilterJson))
                    .col(integer(FilterPresets::Version))
                    .col(big_integer(FilterPresets::CreatedAtMs))
                    .col(big_integer(FilterPresets::UpdatedAtMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_filter_presets_team_dashboard")
                    .table(FilterPresets::Table)
                    .col(FilterPresets::TeamId)
                    .col(FilterPresets::Dashboard)
                    .to_owned(),
            )
            .await
    }
}

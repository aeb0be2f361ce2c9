//! `filter_presets`: one row per saved preset.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "filter_presets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub team_id: i64,
    pub owner: String,
    /// `DashboardKind` in SCREAMING_SNAKE_CASE.
    pub dashboard: String,
    pub name: String,
    /// `PERSONAL` or `TEAM`.
    pub visibility: String,
    pub is_default: bool,
    /// `WindowInput` as JSON.
    pub window_json: String,
    /// The dashboard's domain filter (e.g. `ApiUsageFilter`) as JSON.
    pub filter_json: String,
    pub version: i32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

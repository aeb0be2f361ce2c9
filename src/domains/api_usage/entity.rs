//! `request_logs`: one row per API request, keyed by team and the source system's id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Epoch milliseconds.
    pub created_at_ms: i64,
    pub endpoint: String,
    pub status_code: i32,
    pub latency_ms: f64,
    pub model_name: Option<String>,
    /// ISO 3166-1 alpha-2, upper-case.
    pub country_code: Option<String>,
    /// Integer micro-dollars (exact sums).
    pub cost_micros: Option<i64>,
    pub tokens: Option<i64>,
    pub user_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

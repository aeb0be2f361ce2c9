//! The executive datasets: four month-keyed tables (`(team_id, month)`, month = `YYYY-MM-01`),
//! orders keyed by `(team_id, id)`, and real-user timing events with their meta entries.

use crate::tables::{C, TableDef, create_keyed_tables, create_tables};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const MONTH_TABLES: &[TableDef] = &[
    (
        "exec_revenue_months",
        &[
            ("recognized", C::Number),
            ("booked", C::Number),
            ("backlog", C::OptNumber),
        ],
        &[],
    ),
    ("exec_uptime_months", &[("uptime", C::Number)], &[]),
    ("exec_nrr_months", &[("nrr", C::Number)], &[]),
    (
        "exec_pipeline_months",
        &[("pipeline", C::Number), ("win_rate", C::Number)],
        &[],
    ),
];

const TABLES: &[TableDef] = &[
    (
        "exec_orders",
        &[
            ("order_date", C::Str(10)),
            ("customer", C::Str(200)),
            ("amount", C::Number),
            ("profit", C::Number),
            ("type", C::Str(32)),
        ],
        &["order_date"],
    ),
    (
        "rum_events",
        &[
            ("name", C::Str(64)),
            ("occurred_at_ms", C::Ms),
            ("session_id", C::Str(128)),
            ("duration_ms", C::OptNumber),
        ],
        &["occurred_at_ms"],
    ),
];

#[derive(DeriveIden)]
enum RumEventMeta {
    Table,
    TeamId,
    EventId,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_keyed_tables(manager, "month", 10, MONTH_TABLES).await?;
        create_tables(manager, TABLES).await?;
        manager
            .create_table(
                Table::create()
                    .table(RumEventMeta::Table)
                    .if_not_exists()
                    .col(big_integer(RumEventMeta::TeamId))
                    .col(string_len(RumEventMeta::EventId, 64))
                    .col(string_len(RumEventMeta::Key, 64))
                    .col(string_len(RumEventMeta::Value, 500))
                    .primary_key(
                        Index::create()
                            .col(RumEventMeta::TeamId)
                            .col(RumEventMeta::EventId)
                            .col(RumEventMeta::Key),
                    )
                    .to_owned(),
            )
            .await
    }
}

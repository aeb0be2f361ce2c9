//! Identifiers of the executive tables for query building (created by
//! `migration::m0006_executive`). Month tables are keyed by `month` (`YYYY-MM-01` text);
//! order dates are `YYYY-MM-DD` text; event instants are epoch ms.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum ExecRevenueMonths {
    Table,
    TeamId,
    Month,
    Recognized,
    Booked,
    Backlog,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ExecUptimeMonths {
    Table,
    TeamId,
    Month,
    Uptime,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ExecNrrMonths {
    Table,
    TeamId,
    Month,
    Nrr,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ExecPipelineMonths {
    Table,
    TeamId,
    Month,
    Pipeline,
    WinRate,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ExecOrders {
    Table,
    TeamId,
    OrderDate,
    Customer,
    Amount,
    Profit,
    Type,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum RumEvents {
    Table,
    TeamId,
    Id,
    Name,
    OccurredAtMs,
    SessionId,
    DurationMs,
}

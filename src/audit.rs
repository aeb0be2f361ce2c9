//! The audit log: who erased, deleted or exported what, when, and with what result. One row
//! per action, written in the action's own transaction (an action that fails leaves no row).

use crate::kernel::{AppResult, Principal, TeamId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DeriveIden};
use serde_json::Value;

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    TeamId,
    Principal,
    Role,
    Action,
    Arguments,
    Counts,
    AtMs,
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub principal: String,
    pub role: String,
    pub action: String,
    pub arguments: Value,
    pub counts: Value,
}

/// Records that `principal` did `action` with `arguments`, and what it counted.
pub async fn record(
    db: &impl ConnectionTrait,
    principal: &Principal,
    action: &str,
    arguments: &Value,
    counts: &Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let insert = Query::insert()
        .into_table(AuditLog::Table)
        .columns([
            AuditLog::TeamId,
            AuditLog::Principal,
            AuditLog::Role,
            AuditLog::Action,
            AuditLog::Arguments,
            AuditLog::Counts,
            AuditLog::AtMs,
        ])
        .values_panic([
            principal.team.id.0.into(),
            principal.user.chars().take(200).collect::<String>().into(),
            principal.role.as_str().into(),
            action.into(),
            arguments.to_string().into(),
            counts.to_string().into(),
            at.timestamp_millis().into(),
        ])
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// The team's most recent `limit` entries, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    team: TeamId,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    let select = Query::select()
        .columns([
            AuditLog::AtMs,
            AuditLog::Principal,
            AuditLog::Role,
            AuditLog::Action,
            AuditLog::Arguments,
            AuditLog::Counts,
        ])
        .from(AuditLog::Table)
        .and_where(Expr::col(AuditLog::TeamId).eq(team.0))
        .order_by(AuditLog::AtMs, Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(limit)
        .to_owned();
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        at_ms: i64,
        principal: String,
        role: String,
        action: String,
        arguments: String,
        counts: String,
    }
    let json = |text: String| serde_json::from_str(&text).unwrap_or(Value::String(text));
    let rows = crate::kernel::sql::rows_as::<Row>(db, &select).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at: DateTime::from_timestamp_millis(r.at_ms).unwrap_or_default(),
            principal: r.principal,
            role: r.role,
            action: r.action,
            arguments: json(r.arguments),
            counts: json(r.counts),
        })
        .collect())
}

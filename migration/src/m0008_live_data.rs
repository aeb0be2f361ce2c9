//! Live data: a version column (`updated_at_ms`) on every dataset whose rows change, the
//! browser events' meta folded into a JSON column of the event, and the audit log of erasures,
//! deletions and exports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Datasets whose rows get newer versions (`pub_jobs` has carried `updated_at_ms` from the
/// start).
const VERSIONED: &[&str] = &[
    "chat_experiments",
    "chat_channels",
    "chat_participants",
    "chat_sessions",
    "chat_tags",
    "chat_message_tags",
    "chat_session_tags",
    "pub_videos",
    "pub_clips",
    "pub_campaigns",
    "pub_publish_logs",
    "product_memberships",
    "exec_orders",
];

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    TeamId,
    Principal,
    Role,
    Action,
    Arguments,
    Counts,
    AtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in VERSIONED {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(big_integer_null(Alias::new("updated_at_ms")))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("rum_events"))
                    .add_column(text_null(Alias::new("meta")))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let fold = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE rum_events e SET meta = (SELECT json_object_agg(m.key, m.value)::text \
                 FROM rum_event_meta m WHERE m.team_id = e.team_id AND m.event_id = e.id) \
                 WHERE EXISTS (SELECT 1 FROM rum_event_meta m WHERE m.team_id = e.team_id AND m.event_id = e.id)"
            }
            _ => {
                "UPDATE rum_events SET meta = (SELECT json_group_object(m.key, m.value) \
                 FROM rum_event_meta m WHERE m.team_id = rum_events.team_id AND m.event_id = rum_events.id) \
                 WHERE EXISTS (SELECT 1 FROM rum_event_meta m WHERE m.team_id = rum_events.team_id AND m.event_id = rum_events.id)"
            }
        };
        db.execute_unprepared(fold).await?;
        manager
            .drop_table(Table::drop().table(Alias::new("rum_event_meta")).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(pk_auto(AuditLog::Id))
                    .col(big_integer(AuditLog::TeamId))
                    .col(string_len(AuditLog::Principal, 200))
                    .col(string_len(AuditLog::Role, 16))
                    .col(string_len(AuditLog::Action, 32))
                    .col(text(AuditLog::Arguments))
                    .col(text(AuditLog::Counts))
                    .col(big_integer(AuditLog::AtMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_audit_log_team_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::TeamId)
                    .col(AuditLog::AtMs)
                    .to_owned(),
            )
            .await
    }
}

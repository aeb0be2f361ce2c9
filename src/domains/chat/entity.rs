//! Identifiers of the nine chat tables for query building (the tables are created by
//! `migration::m0004_chat` from the same descriptions as `ingest`). Timestamps are epoch ms.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatExperiments {
    Table,
    TeamId,
    Id,
    Name,
    IsArchived,
    CreatedAtMs,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatChannels {
    Table,
    TeamId,
    ExperimentId,
    Platform,
    Deleted,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatParticipants {
    Table,
    TeamId,
    Id,
    Identifier,
    Name,
    Platform,
    CreatedAtMs,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatSessions {
    Table,
    TeamId,
    Id,
    ExperimentId,
    ParticipantId,
    Platform,
    Status,
    CreatedAtMs,
    EndedAtMs,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatMessages {
    Table,
    TeamId,
    Id,
    SessionId,
    MessageType,
    CreatedAtMs,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatTags {
    Table,
    TeamId,
    Id,
    Name,
    Category,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatMessageTags {
    Table,
    TeamId,
    TagId,
    MessageId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatSessionTags {
    Table,
    TeamId,
    TagId,
    SessionId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ChatTraces {
    Table,
    TeamId,
    SessionId,
    TimestampMs,
    DurationMs,
}

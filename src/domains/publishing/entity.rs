//! Identifiers of the five publishing tables for query building (created by
//! `migration::m0005_publishing` from the same descriptions as `ingest`). Times are epoch ms.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum PubVideos {
    Table,
    TeamId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PubClips {
    Table,
    TeamId,
    Id,
    VisualScore,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PubJobs {
    Table,
    TeamId,
    Status,
    Platform,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PubCampaigns {
    Table,
    TeamId,
    Status,
    Budget,
    Spent,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PubPublishLogs {
    Table,
    TeamId,
    ClipId,
    Platform,
    Status,
    SocialAccountId,
    RequestedAtMs,
    PublishedAtMs,
    CreatedAtMs,
}

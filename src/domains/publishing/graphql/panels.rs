//! The snapshot panel objects of the publishing dashboard.

use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};

/// Pipeline totals (all time).
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct PublishingOverview {
    pub total_videos: i64,
    pub total_clips: i64,
    pub total_jobs: i64,
    pub total_campaigns: i64,
    pub pending_jobs: i64,
    pub processing_jobs: i64,
    pub failed_jobs: i64,
    /// Publish logs in status `success`.
    pub success_logs: i64,
    /// Publish logs in status `failed`.
    pub failed_logs: i64,
    /// Publish logs in status `pending` or `scheduled`.
    pub scheduled_publications: i64,
}

/// The publication queue now.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct PublishingQueue {
    pub pending: i64,
    pub processing: i64,
    pub success: i64,
    pub failed: i64,
    /// Mean `published_at − requested_at` of successful logs that have both; null when none.
    pub avg_processing_time_ms: Option<f64>,
    /// Now − the earliest `requested_at` of pending logs; null when none.
    pub oldest_pending_age_seconds: Option<f64>,
}

/// What the publishing orchestrator has been doing.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct PublishingOrchestrator {
    /// The latest publish log's `created_at`; null without logs.
    pub last_run_at: Option<DateTime<FixedOffset>>,
    /// Logs created in `[now − 1 h, now]`.
    pub actions_last_hour: i64,
    /// Logs created in `[now − 24 h, now]`.
    #[graphql(name = "actionsLast24h")]
    pub actions_last_24h: i64,
    /// (pending + processing) / all logs, at most 1; 0 without logs.
    pub queue_saturation: f64,
    /// Distinct social accounts among `processing` logs.
    pub active_workers: i64,
}

/// Campaigns by status, with Σ budget and Σ spent.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct PublishingCampaigns {
    pub draft: i64,
    pub active: i64,
    pub paused: i64,
    pub completed: i64,
    pub total_budget: f64,
    pub total_spent: f64,
}

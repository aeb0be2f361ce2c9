//! GraphQL surface of publishing: the root field and its panels. Thin: the numbers come from
//! `metrics` through the panel cache; "now" comes from the injected clock.

mod panels;

pub use panels::{
    PublishingCampaigns, PublishingOrchestrator, PublishingOverview, PublishingQueue,
};

use super::filter::{PublishingFilter, PublishingFilterInput};
use super::metrics::{
    self, CampaignStats, JobStats, LogStats, PlatformRow, ProcessingTimePoint, PublicationPoint,
    PublishingQuery,
};
use crate::graphql::dashboard::{Panels, RootArgs, open};
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::window::{ResolvedWindow, WindowInput};
use crate::presets::Preset;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, FixedOffset};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Root field of the publishing dashboard.
#[derive(Default)]
pub struct PublishingRoot;

/// Root field of the publishing dashboard.
#[Object]
impl PublishingRoot {
    /// The video publishing pipeline of the caller's team: overview, queue, orchestrator,
    /// platforms and campaigns (all-time snapshots), and the windowed publication series.
    pub async fn publishing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range of the series; defaults to the last 7 days.")] window: Option<
            WindowInput,
        >,
        #[graphql(desc = "Narrows jobs and publish logs to some platforms.")] filter: Option<
            PublishingFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "`FORCE` recomputes the selected panels now (rate-limited per team).")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<Publishing> {
        let args = RootArgs {
            window,
            filter,
            preset_id,
            refresh,
        };
        let saved = |p: &Preset| p.publishing_filter().map(|f| f.clone().into_input());
        let opened = open(ctx, args, saved, PublishingFilterInput::overlay).await?;
        Ok(Publishing {
            now_ms: opened.state.clock.now().timestamp_millis(),
            panels: opened.panels(),
            db: opened.state.db.clone(),
            logs: OnceCell::new(),
            jobs: OnceCell::new(),
            series: OnceCell::new(),
            q: Arc::new(PublishingQuery {
                scope: opened.scope,
                window: opened.window,
                filter: PublishingFilter::from_input(opened.filter)?,
                rollups: opened.state.settings.rollups,
            }),
        })
    }
}

/// The publishing dashboard.
pub struct Publishing {
    q: Arc<PublishingQuery>,
    now_ms: i64,
    panels: Panels,
    db: DatabaseConnection,
    logs: OnceCell<LogStats>,
    jobs: OnceCell<JobStats>,
    /// Both series come from one computation, read at most once per request.
    series: OnceCell<(Vec<PublicationPoint>, Vec<ProcessingTimePoint>)>,
}

impl Publishing {
    /// Publish logs by status, cached, read at most once per request.
    async fn logs(&self, ctx: &Context<'_>) -> Result<&LogStats> {
        self.logs
            .get_or_try_init(|| async {
                let (db, q) = (self.db.clone(), self.q.clone());
                let compute = async move { metrics::log_stats(&db, &q).await };
                self.panels
                    .get(ctx, "publishing.logs", &*self.q, compute)
                    .await
            })
            .await
    }

    /// Jobs by status and platform, cached, read at most once per request.
    async fn jobs(&self, ctx: &Context<'_>) -> Result<&JobStats> {
        self.jobs
            .get_or_try_init(|| async {
                let (db, q) = (self.db.clone(), self.q.clone());
                let compute = async move { metrics::job_stats(&db, &q).await };
                self.panels
                    .get(ctx, "publishing.jobs", &*self.q, compute)
                    .await
            })
            .await
    }

    fn at(&self, ms: Option<i64>) -> Option<DateTime<FixedOffset>> {
        ms.map(|ms| self.q.window.local_ms(ms))
    }
}

/// The publishing dashboard: all-time snapshots and the windowed series.
#[Object]
impl Publishing {
    /// The resolved window of the series (echoed back).
    async fn window(&self) -> ResolvedWindow {
        self.q.window.resolved()
    }

    /// Totals over videos, clips, jobs, campaigns and publish logs.
    async fn overview(&self, ctx: &Context<'_>) -> Result<PublishingOverview> {
        let (db, q) = (self.db.clone(), self.q.clone());
        let compute = async move { metrics::totals(&db, &q).await };
        let totals = self.panels.get(ctx, "publishing.totals", &*self.q, compute);
        let (totals, jobs, logs) = tokio::try_join!(totals, self.jobs(ctx), self.logs(ctx))?;
        Ok(PublishingOverview {
            total_videos: totals.videos,
            total_clips: totals.clips,
            total_jobs: jobs.total(),
            total_campaigns: totals.campaigns,
            pending_jobs: jobs.with_status("pending"),
            processing_jobs: jobs.with_status("processing"),
            failed_jobs: jobs.with_status("failed"),
            success_logs: logs.status("success").count,
            failed_logs: logs.status("failed").count,
            scheduled_publications: logs.status("pending").count + logs.status("scheduled").count,
        })
    }

    /// Publish logs by status, processing time and the age of the oldest pending one.
    async fn queue(&self, ctx: &Context<'_>) -> Result<PublishingQueue> {
        let logs = self.logs(ctx).await?;
        let success = logs.status("success");
        let pending = logs.status("pending");
        Ok(PublishingQueue {
            pending: pending.count,
            processing: logs.status("processing").count,
            success: success.count,
            failed: logs.status("failed").count,
            avg_processing_time_ms: (success.processed > 0)
                .then(|| success.processing_ms / success.processed as f64),
            oldest_pending_age_seconds: pending
                .first_requested_ms
                .map(|t| (self.now_ms - t) as f64 / 1000.0),
        })
    }

    /// Recent activity and load of the orchestrator ("now" is the gateway clock).
    async fn orchestrator(&self, ctx: &Context<'_>) -> Result<PublishingOrchestrator> {
        let (db, q, now_ms) = (self.db.clone(), self.q.clone(), self.now_ms);
        let args = (&*self.q, self.now_ms);
        let actions = async move { metrics::actions_since(&db, &q, now_ms).await };
        let actions = self.panels.get(ctx, "publishing.actions", &args, actions);
        let (logs, (last_hour, last_day)) = tokio::try_join!(self.logs(ctx), actions)?;
        let total = logs.total();
        let busy = logs.status("pending").count + logs.status("processing").count;
        Ok(PublishingOrchestrator {
            last_run_at: self.at(logs.last_created_ms()),
            actions_last_hour: last_hour,
            actions_last_24h: last_day,
            queue_saturation: if total == 0 {
                0.0
            } else {
                (busy as f64 / total as f64).min(1.0)
            },
            active_workers: logs.status("processing").accounts,
        })
    }

    /// One row per platform: `instagram`, `tiktok`, `youtube` and every other one present.
    async fn platforms(&self, ctx: &Context<'_>) -> Result<Vec<PlatformRow>> {
        let jobs = self.jobs(ctx).await?.clone();
        let (db, q) = (self.db.clone(), self.q.clone());
        let compute = async move { metrics::platforms(&db, &q, &jobs).await };
        self.panels
            .get(ctx, "publishing.platforms", &*self.q, compute)
            .await
    }

    /// Campaigns by status with total budget and spend.
    async fn campaigns(&self, ctx: &Context<'_>) -> Result<PublishingCampaigns> {
        let (db, q) = (self.db.clone(), self.q.clone());
        let compute = async move { metrics::campaign_stats(&db, &q).await };
        let c: CampaignStats = self
            .panels
            .get(ctx, "publishing.campaigns", &*self.q, compute)
            .await?;
        Ok(PublishingCampaigns {
            draft: c.count("draft"),
            active: c.count("active"),
            paused: c.count("paused"),
            completed: c.count("completed"),
            total_budget: c.budget(),
            total_spent: c.spent(),
        })
    }

    /// Per bucket: successful (by `published_at`), failed and requested (by `created_at`)
    /// publications.
    async fn publications(&self, ctx: &Context<'_>) -> Result<Vec<PublicationPoint>> {
        Ok(self.series(ctx).await?.0.clone())
    }

    /// Per bucket: mean and p95 processing time of successful publications.
    async fn processing_time(&self, ctx: &Context<'_>) -> Result<Vec<ProcessingTimePoint>> {
        Ok(self.series(ctx).await?.1.clone())
    }
}

impl Publishing {
    async fn series(
        &self,
        ctx: &Context<'_>,
    ) -> Result<&(Vec<PublicationPoint>, Vec<ProcessingTimePoint>)> {
        self.series
            .get_or_try_init(|| async {
                let (db, q) = (self.db.clone(), self.q.clone());
                let compute = async move { metrics::publications_and_processing(&db, &q).await };
                self.panels
                    .get(ctx, "publishing.series", &*self.q, compute)
                    .await
            })
            .await
    }
}

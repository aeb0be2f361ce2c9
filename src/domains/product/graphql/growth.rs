//! The product growth section as a GraphQL object. Each field is its own cached panel: the
//! series are computed together, retention and activation per argument value, so selecting
//! one of them runs only its own work.

use super::Inner;
use crate::domains::product::metrics;
use crate::domains::product::metrics::growth::{
    self, GrowthPoint, GrowthSeries, RetentionCohort, SegmentPoint,
};
use crate::kernel::funnel::FunnelStep;
use async_graphql::{Context, Object, Result};
use std::sync::Arc;

/// The product growth section.
pub struct ProductGrowth(pub(super) Arc<Inner>);

impl ProductGrowth {
    async fn series_panel(&self, ctx: &Context<'_>) -> Result<GrowthSeries> {
        self.0
            .section(ctx, "product.growth.series", |t, q| {
                metrics::growth_series(t, &q.window, &q.filter)
            })
            .await
    }
}

/// The product growth section: acquisition, activity by segment, retention and activation.
#[Object]
impl ProductGrowth {
    /// Per bucket: `user_registered` events (new users) and `pay_success` events (payments).
    async fn series(&self, ctx: &Context<'_>) -> Result<Vec<GrowthPoint>> {
        Ok(self.series_panel(ctx).await?.series)
    }

    /// Per bucket: distinct active users as new, returning, resurrected and unregistered
    /// (their sum is `total`).
    async fn active_users_by_segment(&self, ctx: &Context<'_>) -> Result<Vec<SegmentPoint>> {
        Ok(self.series_panel(ctx).await?.segments)
    }

    /// Per registration cohort (a bucket of the window): its size and, per offset, the share
    /// of the cohort with an event on registration day + offset (local days; null until that
    /// day has ended for someone in the cohort).
    async fn retention_cohorts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "vec![1, 7, 30]",
            desc = "Days after the registration day, 0 to 365 (at most 12, distinct)."
        )]
        offsets_days: Vec<i32>,
    ) -> Result<Vec<RetentionCohort>> {
        growth::check_offsets(&offsets_days)?;
        let args = (&*self.0.q, offsets_days.clone());
        self.0
            .panel(ctx, "product.growth.retention", &args, move |t, q| {
                metrics::retention(t, &q.window, &q.filter, &offsets_days)
            })
            .await
    }

    /// Users registered in the window: `user_registered` → `lesson_started` →
    /// `lesson_completed` → `pay_success`, each step at or after the one before and within
    /// `windowDays` × 24 h of registration. Users whose time has not run out are `inProgress`
    /// on their step, not dropped off.
    async fn activation_funnel(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 14,
            desc = "Days after registration to reach each step (1–365)."
        )]
        window_days: i32,
    ) -> Result<Vec<FunnelStep>> {
        growth::check_window_days(window_days)?;
        let args = (&*self.0.q, window_days);
        self.0
            .panel(ctx, "product.growth.activation", &args, move |t, q| {
                metrics::activation(t, &q.window, &q.filter, window_days)
            })
            .await
    }
}

//! The product sections as GraphQL objects: each wraps its computed section and cuts lists to
//! the requested `limit`.

use crate::domains::product::metrics::executive::{ProductExecutiveKpis, ProductPoint};
use crate::domains::product::metrics::learning::{
    CompletionPoint, CourseRow, LearningKpis, WordRow,
};
use crate::domains::product::metrics::monetization::{
    MembershipRevenuePoint, MonetizationKpis, PlanRow,
};
use crate::domains::product::metrics::ops::{ModelRow, OpsKpis, OpsPoint, StageRow};
use crate::domains::product::metrics::{
    ExecutiveSection, LearningSection, MonetizationSection, OpsSection,
};
use crate::graphql::dashboard::list_limit;
use crate::kernel::breakdown::Breakdown;
use crate::kernel::funnel::FunnelStep;
use crate::state::AppState;
use async_graphql::{Object, Result};

/// The product monetization section.
pub struct ProductMonetization(pub(super) MonetizationSection);

/// The product monetization section (memberships, and the paywall events).
#[Object]
impl ProductMonetization {
    /// The KPI cards, each with the previous window.
    async fn kpis(&self) -> &MonetizationKpis {
        &self.0.kpis
    }
    /// Memberships started in the window by plan: count, revenue, share of the count.
    async fn plan_mix(&self) -> &[PlanRow] {
        &self.0.plan_mix
    }
    /// Per bucket: revenue of memberships started in it.
    async fn revenue(&self) -> Vec<MembershipRevenuePoint> {
        self.0.revenue.clone()
    }
    /// Per bucket: revenue from the window start through the bucket (the LTV curve).
    async fn cumulative_revenue(&self) -> Vec<MembershipRevenuePoint> {
        self.0.revenue.clone()
    }
    /// Distinct users `app_open` → `paywall_view` → `paywall_cta_click` → `pay_success`.
    async fn membership_funnel(&self) -> &[FunnelStep] {
        &self.0.funnel
    }
}

/// The product learning section.
pub struct ProductLearning {
    pub(super) section: LearningSection,
    pub(super) state: AppState,
}

/// The product learning section.
#[Object]
impl ProductLearning {
    /// The KPI cards, each with the previous window.
    async fn kpis(&self) -> &LearningKpis {
        &self.section.kpis
    }
    /// Per bucket: lessons started, completed, and the completion rate (null without starts).
    async fn completion_rate(&self) -> &[CompletionPoint] {
        &self.section.series
    }
    /// Per `course_id`: starts, completions, completion rate, mean minutes; most starts first.
    async fn top_courses(
        &self,
        #[graphql(desc = "At most this many courses (default 10).")] limit: Option<i32>,
    ) -> Result<Vec<CourseRow>> {
        let n = list_limit(&self.state, limit, 10)?;
        Ok(self.section.courses.iter().take(n).cloned().collect())
    }
    /// Per `word` of `practice_done`: practices and error rate; most practised first.
    async fn top_words(
        &self,
        #[graphql(desc = "At most this many words (default 10).")] limit: Option<i32>,
    ) -> Result<Vec<WordRow>> {
        let n = list_limit(&self.state, limit, 10)?;
        Ok(self.section.words.iter().take(n).cloned().collect())
    }
    /// Distinct users: any event → `lesson_started` → `lesson_completed` → active on 3
    /// consecutive local days within the window.
    async fn learning_funnel(&self) -> &[FunnelStep] {
        &self.section.funnel
    }
}

/// The product ops section.
pub struct ProductOps(pub(super) OpsSection);

/// The product ops section (events `model_invoke`, `image_generation`, `tts_generation`).
#[Object]
impl ProductOps {
    /// The KPI cards, each with the previous window.
    async fn kpis(&self) -> &OpsKpis {
        &self.0.kpis
    }
    /// Per bucket: calls by outcome, mean and p95 latency.
    async fn series(&self) -> &[OpsPoint] {
        &self.0.series
    }
    /// Per `model` (`unknown` without one): calls, success rate, tokens, cost, mean latency;
    /// most calls first.
    async fn by_model(&self) -> &[ModelRow] {
        &self.0.by_model
    }
    /// Per `stage` (`unknown` without one): calls, failures, failure rate, p95 latency; most
    /// calls first. New stages appear as they are sent.
    async fn by_stage(&self) -> &[StageRow] {
        &self.0.by_stage
    }
}

/// The product executive section.
pub struct ProductExecutive {
    pub(super) section: ExecutiveSection,
    pub(super) state: AppState,
}

/// The product executive section.
#[Object]
impl ProductExecutive {
    /// The KPI cards, each with the previous window (DAU/WAU/MAU: the days just before).
    async fn kpis(&self) -> &ProductExecutiveKpis {
        &self.section.kpis
    }

    /// Per bucket: active users (distinct), new users, new members, revenue.
    async fn series(&self) -> &[ProductPoint] {
        &self.section.series
    }

    /// Registrations in the window by channel (`unknown` without one).
    async fn top_channels(
        &self,
        #[graphql(desc = "Rows before `other` (default 10).")] limit: Option<i32>,
    ) -> Result<Breakdown> {
        let limit = list_limit(&self.state, limit, 10)?;
        Ok(self.section.top_channels(limit))
    }
}

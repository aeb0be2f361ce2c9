//! SQL for every publishing panel (spec/publishing.md). Snapshot panels read all-time state
//! in a few grouped queries (never one per status or platform); the two series are windowed.

mod platforms;
mod rolled;
mod series;
mod snapshot;

pub use platforms::{PlatformRow, platforms};
pub use series::{ProcessingTimePoint, PublicationPoint, publications_and_processing};
pub use snapshot::{
    CampaignStats, JobStats, LogStats, Totals, actions_since, campaign_stats, job_stats, log_stats,
    totals,
};

use super::entity::{PubJobs as J, PubPublishLogs as L};
use super::filter::PublishingFilter;
use crate::kernel::TeamScope;
use crate::kernel::window::TimeWindow;
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Iden};
use serde::Serialize;

/// One publishing request: the team, the resolved window and the filter.
#[derive(Debug, Clone, Serialize)]
pub struct PublishingQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: PublishingFilter,
    /// Read rollups (`DASHGATE_ROLLUPS`).
    #[serde(skip)]
    pub rollups: bool,
}

impl PublishingQuery {
    pub fn team(&self) -> i64 {
        self.scope.team_id().0
    }

    /// The team's rows of `table` whose `platform` column passes the filter.
    fn on_platforms<T: Iden + Copy + 'static>(&self, table: T, team: T, platform: T) -> Condition {
        let mut cond = Condition::all().add(Expr::col((table, team)).eq(self.team()));
        if !self.filter.platforms.is_empty() {
            let platforms = self.filter.platforms.iter().cloned();
            cond = cond.add(Expr::col((table, platform)).is_in(platforms));
        }
        cond
    }

    /// The team's publish logs on the filtered platforms.
    pub fn logs(&self) -> Condition {
        self.on_platforms(L::Table, L::TeamId, L::Platform)
    }

    /// The team's jobs on the filtered platforms.
    pub fn jobs(&self) -> Condition {
        self.on_platforms(J::Table, J::TeamId, J::Platform)
    }
}

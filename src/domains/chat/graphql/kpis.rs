//! The chat KPI cards object: one `KpiCard` field per KPI of the spec.

use super::super::metrics::ChatKpiKey;
use crate::kernel::AppError;
use crate::kernel::kpi::KpiCard;
use async_graphql::{Object, Result};
use std::collections::BTreeMap;

/// The chat KPI cards, each over the window with its previous window.
pub struct ChatKpis {
    pub(super) cards: BTreeMap<ChatKpiKey, KpiCard>,
}

impl ChatKpis {
    fn card(&self, key: ChatKpiKey) -> Result<KpiCard> {
        self.cards.get(&key).cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("KPI {key:?} was not computed")).into()
        })
    }
}

/// The chat KPI cards. Windowed KPIs compare with the previous window; the all-time sets
/// (`experiments`, `participants`) compare with the rows created before the window started.
#[Object]
impl ChatKpis {
    /// Filtered, non-archived experiments (all time).
    async fn experiments(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::Experiments)
    }
    /// Filtered experiments with at least one active session in the window.
    async fn active_experiments(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::ActiveExperiments)
    }
    /// Filtered participants not on `evaluations` (all time).
    async fn participants(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::Participants)
    }
    /// Distinct participants who wrote a `human` message in the window.
    async fn active_participants(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::ActiveParticipants)
    }
    /// Active sessions: not `setup`, not on `evaluations`, with a human or ai message in the
    /// window (whenever they were created).
    async fn sessions(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::Sessions)
    }
    /// Active sessions that have ended.
    async fn completed_sessions(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::CompletedSessions)
    }
    /// Completed / active sessions; null without sessions.
    async fn completion_rate(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::CompletionRate)
    }
    /// Human + ai messages in the window (system messages never count).
    async fn messages(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::Messages)
    }
    /// Messages / sessions; null without sessions.
    async fn avg_messages_per_session(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::AvgMessagesPerSession)
    }
    /// Sessions / active participants; null without active participants.
    async fn avg_sessions_per_participant(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::AvgSessionsPerParticipant)
    }
    /// Mean duration (s) of the window's traces of active sessions; null without traces.
    async fn avg_response_time_seconds(&self) -> Result<KpiCard> {
        self.card(ChatKpiKey::AvgResponseTimeSeconds)
    }
}

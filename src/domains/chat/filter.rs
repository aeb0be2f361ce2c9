//! `ChatFilterInput` (GraphQL) → `ChatFilter` (serde, stored in presets) → the conditions that
//! build the four filtered sets of spec/chat.md. Every filter is an existence test (`IN` over a
//! subquery), never a join, so a conversation with many tagged messages is still one session.

use super::entity::{
    ChatChannels as Ch, ChatExperiments as E, ChatMessageTags as Mt, ChatMessages as M,
    ChatParticipants as P, ChatSessionTags as St, ChatSessions as S,
};
use crate::kernel::AppResult;
use crate::kernel::choices::ChoiceSource;
use crate::kernel::lists::normalised_list;
use async_graphql::{InputObject, SimpleObject};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{Condition, Value};
use serde::{Deserialize, Serialize};

/// Narrows every panel and KPI of the chat dashboard. Values within a list are OR-ed, lists
/// are AND-ed; an empty or absent list does not filter.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ChatFilterInput {
    /// Experiment (bot) ids.
    pub experiment_ids: Option<Vec<String>>,
    /// Platforms, e.g. `web`, `whatsapp` (case-insensitive).
    pub platforms: Option<Vec<String>>,
    /// Participant ids.
    pub participant_ids: Option<Vec<String>>,
    /// Tag ids: a session qualifies when it or any of its messages carries one of them.
    pub tag_ids: Option<Vec<String>>,
}

impl ChatFilterInput {
    /// `explicit` laid over `self` list by list: a list given explicitly (even empty) wins.
    pub fn overlay(self, explicit: ChatFilterInput) -> ChatFilterInput {
        ChatFilterInput {
            experiment_ids: explicit.experiment_ids.or(self.experiment_ids),
            platforms: explicit.platforms.or(self.platforms),
            participant_ids: explicit.participant_ids.or(self.participant_ids),
            tag_ids: explicit.tag_ids.or(self.tag_ids),
        }
    }
}

/// The normalised chat filter: sorted, deduplicated lists; platforms lower-case.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ChatFilter {
    /// Experiment ids (empty = all).
    pub experiment_ids: Vec<String>,
    /// Lower-case platforms (empty = all).
    pub platforms: Vec<String>,
    /// Participant ids (empty = all).
    pub participant_ids: Vec<String>,
    /// Tag ids (empty = all).
    pub tag_ids: Vec<String>,
}

/// The platform whose sessions and participants are internal test runs, never counted.
pub const EVALUATIONS: &str = "evaluations";
/// Platforms every experiment serves without a channel of its own.
const TEAM_WIDE_PLATFORMS: [&str; 2] = ["api", "web"];

fn is_in(col: impl sea_orm::sea_query::IntoColumnRef, values: &[String]) -> Expr {
    Expr::col(col).is_in(values.iter().cloned())
}

/// `col` is null or not `evaluations`.
fn not_evaluations(col: impl sea_orm::sea_query::IntoColumnRef + Clone) -> Condition {
    Condition::any()
        .add(Expr::col(col.clone()).is_null())
        .add(Expr::col(col).ne(EVALUATIONS))
}

impl ChatFilter {
    /// Validates and normalises the GraphQL input.
    pub fn from_input(input: ChatFilterInput) -> AppResult<Self> {
        let same = |v: String| v;
        Ok(ChatFilter {
            experiment_ids: normalised_list("experimentIds", input.experiment_ids, same)?,
            platforms: normalised_list("platforms", input.platforms, |v| v.trim().to_lowercase())?,
            participant_ids: normalised_list("participantIds", input.participant_ids, same)?,
            tag_ids: normalised_list("tagIds", input.tag_ids, same)?,
        })
    }

    /// Validates and normalises a stored filter (presets re-check what they read).
    pub fn normalised(self) -> AppResult<Self> {
        Self::from_input(self.into_input())
    }

    /// The filter as an input, every list set.
    pub fn into_input(self) -> ChatFilterInput {
        ChatFilterInput {
            experiment_ids: Some(self.experiment_ids),
            platforms: Some(self.platforms),
            participant_ids: Some(self.participant_ids),
            tag_ids: Some(self.tag_ids),
        }
    }

    /// Ids of the team's sessions tagged with one of `tag_ids`, directly or through any of
    /// their messages.
    fn tagged_session_ids(&self, team: i64) -> Condition {
        let direct = Query::select()
            .column(St::SessionId)
            .from(St::Table)
            .and_where(Expr::col(St::TeamId).eq(team))
            .and_where(is_in(St::TagId, &self.tag_ids))
            .to_owned();
        let tagged_messages = Query::select()
            .column(Mt::MessageId)
            .from(Mt::Table)
            .and_where(Expr::col(Mt::TeamId).eq(team))
            .and_where(is_in(Mt::TagId, &self.tag_ids))
            .to_owned();
        let through_messages = Query::select()
            .column(M::SessionId)
            .from(M::Table)
            .and_where(Expr::col(M::TeamId).eq(team))
            .and_where(Expr::col(M::Id).in_subquery(tagged_messages))
            .to_owned();
        Condition::any()
            .add(Expr::col((S::Table, S::Id)).in_subquery(direct))
            .add(Expr::col((S::Table, S::Id)).in_subquery(through_messages))
    }

    /// The session filters that do not depend on the session's platform.
    fn session_filters(&self, team: i64) -> Condition {
        let mut cond = Condition::all();
        if !self.experiment_ids.is_empty() {
            cond = cond.add(is_in((S::Table, S::ExperimentId), &self.experiment_ids));
        }
        if !self.participant_ids.is_empty() {
            cond = cond.add(is_in((S::Table, S::ParticipantId), &self.participant_ids));
        }
        if !self.tag_ids.is_empty() {
            cond = cond.add(self.tagged_session_ids(team));
        }
        cond
    }

    /// The team's countable sessions (not `setup`, not on `evaluations`) passing every
    /// filter, on `chat_sessions`. Activity in the window is added by the caller.
    pub fn sessions(&self, team: i64) -> Condition {
        let mut cond = Condition::all()
            .add(Expr::col((S::Table, S::TeamId)).eq(team))
            .add(Expr::col((S::Table, S::Status)).ne("setup"))
            .add(not_evaluations((S::Table, S::Platform)))
            .add(self.session_filters(team));
        if !self.platforms.is_empty() {
            cond = cond.add(is_in((S::Table, S::Platform), &self.platforms));
        }
        cond
    }

    /// `SELECT <column> FROM chat_sessions WHERE <team and the non-platform filters>`: the
    /// sessions through which experiments and participants are filtered (any status, any time).
    fn sessions_select(&self, team: i64, column: S) -> SelectStatement {
        Query::select()
            .column((S::Table, column))
            .from(S::Table)
            .and_where(Expr::col((S::Table, S::TeamId)).eq(team))
            .cond_where(self.session_filters(team))
            .to_owned()
    }

    /// The team's non-archived experiments passing every filter, on `chat_experiments`.
    pub fn experiments(&self, team: i64) -> Condition {
        let mut cond = Condition::all()
            .add(Expr::col((E::Table, E::TeamId)).eq(team))
            .add(Expr::col((E::Table, E::IsArchived)).eq(Value::Bool(Some(false))));
        if !self.experiment_ids.is_empty() {
            cond = cond.add(is_in((E::Table, E::Id), &self.experiment_ids));
        }
        let team_wide_only = self
            .platforms
            .iter()
            .all(|p| TEAM_WIDE_PLATFORMS.contains(&p.as_str()));
        if !team_wide_only {
            let channels = Query::select()
                .column(Ch::ExperimentId)
                .from(Ch::Table)
                .and_where(Expr::col(Ch::TeamId).eq(team))
                .and_where(Expr::col(Ch::Deleted).eq(Value::Bool(Some(false))))
                .and_where(is_in(Ch::Platform, &self.platforms))
                .to_owned();
            cond = cond.add(Expr::col((E::Table, E::Id)).in_subquery(channels));
        }
        if !self.participant_ids.is_empty() || !self.tag_ids.is_empty() {
            let sessions = self.sessions_select(team, S::ExperimentId);
            cond = cond.add(Expr::col((E::Table, E::Id)).in_subquery(sessions));
        }
        cond
    }

    /// The team's participants not on `evaluations` passing every filter (not windowed), on
    /// `chat_participants`.
    pub fn participants(&self, team: i64) -> Condition {
        let mut cond = Condition::all()
            .add(Expr::col((P::Table, P::TeamId)).eq(team))
            .add(not_evaluations((P::Table, P::Platform)));
        if !self.participant_ids.is_empty() {
            cond = cond.add(is_in((P::Table, P::Id), &self.participant_ids));
        }
        if !self.platforms.is_empty() {
            cond = cond.add(is_in((P::Table, P::Platform), &self.platforms));
        }
        if !self.experiment_ids.is_empty() || !self.tag_ids.is_empty() {
            let sessions = self.sessions_select(team, S::ParticipantId);
            cond = cond.add(Expr::col((P::Table, P::Id)).in_subquery(sessions));
        }
        cond
    }
}

/// Where the filter fields' values live (`filterChoices`): bots that are not archived, session
/// platforms, participants and tags (ids shown by name).
pub fn choices() -> Vec<ChoiceSource> {
    use super::entity::ChatTags as T;
    use super::entity::{ChatExperiments as X, ChatParticipants as P, ChatSessions as S};
    vec![
        ChoiceSource::new("experimentIds", X::Table, X::Id)
            .labelled(X::Name)
            .only(Expr::col(X::IsArchived).eq(false)),
        ChoiceSource::new("platforms", S::Table, S::Platform),
        ChoiceSource::new("participantIds", P::Table, P::Id).labelled(P::Name),
        ChoiceSource::new("tagIds", T::Table, T::Id).labelled(T::Name),
    ]
}

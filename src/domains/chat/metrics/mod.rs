//! SQL for every chat KPI and panel (spec/chat.md). Each function takes the team-scoped query
//! and returns plain data; bucket boundaries come from the kernel calendar. The filtered
//! universe (experiments, sessions, messages, participants) is built by `ChatFilter`.

mod activity;
mod bots;
mod channels;
mod engagement;
mod kpis;
mod response;
mod sessions;
mod tags;

pub use activity::{ActivityCounts, WindowActivity, activity, window_activity};
pub use bots::{BotRow, bot_rows};
pub use channels::{ChannelRow, ChannelTotals, channels};
pub use engagement::{
    ParticipantActivity, SessionLengthBin, participant_activity, session_lengths,
};
pub use kpis::{ChatKpiKey, Shared, kpi_values};
pub use response::{TraceSums, traces_in};
pub use sessions::{ActiveSession, active_sessions};
pub use tags::{TagCount, links_with_messages, tag_counts};

use super::columns::{Columns, Conversations, Passing};
use super::entity::ChatSessions as S;
use super::filter::ChatFilter;
use super::ingest::{CHAT_MESSAGE_ROLLUP, CHAT_TRACE_ROLLUP};
use crate::domains::rollups::{self, Rollup};
use crate::kernel::sql::{ms, sum_i64};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, JoinType, Query, SelectStatement, WithClause,
};
use sea_orm::{Condition, DatabaseBackend};
use serde::Serialize;
use std::sync::Arc;

/// Messages that count: `human` (participant) and `ai` (bot); `system` never counts.
pub const COUNTED: [&str; 2] = ["human", "ai"];

/// One chat request: the team, the resolved window and the filter.
#[derive(Debug, Clone, Serialize)]
pub struct ChatQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: ChatFilter,
    /// Read rollups where they cover the window (`DASHGATE_ROLLUPS`).
    #[serde(skip)]
    pub rollups: bool,
    /// The team's kept conversations (`DASHGATE_CHAT_CACHE_MAX_BYTES`): when set, the scans
    /// compute from memory instead of SQL.
    #[serde(skip)]
    pub columns: Option<Arc<Columns>>,
}

impl ChatQuery {
    pub fn team(&self) -> i64 {
        self.scope.team_id().0
    }

    /// The kept conversations and the sessions passing the filter, when they are kept.
    pub async fn kept(&self) -> AppResult<Option<(Arc<Conversations>, Arc<Passing>)>> {
        match &self.columns {
            Some(columns) => Ok(Some(columns.get(&self.filter).await?)),
            None => Ok(None),
        }
    }

    /// The earliest instant a request reads: the previous window's start (or the first
    /// bucket's, when earlier).
    pub fn earliest(&self) -> i64 {
        let bounds = self.window.bucket_bounds();
        Ord::min(
            ms(self.window.previous_start),
            bounds.first().copied().unwrap_or(i64::MAX),
        )
    }

    /// `[start, end)` of the window in epoch ms.
    pub fn span(&self) -> (i64, i64) {
        (ms(self.window.start), ms(self.window.end))
    }

    /// `[previous_start, start)` in epoch ms.
    pub fn previous_span(&self) -> (i64, i64) {
        (ms(self.window.previous_start), ms(self.window.start))
    }

    /// The counted (`human`/`ai`) messages of `[bounds[0], bounds[last])`, grouped per bucket
    /// and session, joined to their countable, filtered session. One row per (bucket, active
    /// session) with the columns `b`, `h` (human messages), `ai` (bot messages), `last_h`
    /// (latest human message, ms) and `columns` (expressions over `chat_sessions`). Messages
    /// come per session and hour from `chat_message_rollups` for the whole hours of each bucket
    /// and from raw rows for the rest (the filter applies to the session, so every filter can
    /// read the rollup); they are aggregated before the join, which is many-to-one: nothing is
    /// counted twice.
    pub fn session_activity(
        &self,
        backend: DatabaseBackend,
        bounds: &[i64],
        columns: Vec<(Expr, &'static str)>,
    ) -> SelectStatement {
        let col = |n: &str| Expr::col(Alias::new(n));
        let per_session = Query::select()
            .expr_as(col("b"), Alias::new("b"))
            .expr_as(col("key"), Alias::new("sid"))
            .expr_as(sum_i64(col("human")), Alias::new("h"))
            .expr_as(sum_i64(col("ai")), Alias::new("ai"))
            .expr_as(col("last_human_ms").max(), Alias::new("last_h"))
            .from_subquery(self.messages(backend, bounds), Alias::new("pm"))
            .group_by_col(Alias::new("b"))
            .group_by_col(Alias::new("key"))
            .to_owned();
        let a = |n: &str| Expr::col((Alias::new("a"), Alias::new(n)));
        let mut select = Query::select();
        for n in ["b", "h", "ai", "last_h"] {
            select.expr_as(a(n), Alias::new(n));
        }
        for (expr, alias) in columns {
            select.expr_as(expr, Alias::new(alias));
        }
        // The grouped messages drive the join, one primary-key lookup per active session. On
        // SQLite (3.51, no statistics) the planner would otherwise loop over every session of
        // the team and re-read the grouped messages for each — minutes over raw rows — so the
        // rows are materialized once and `CROSS JOIN` (SQLite's way to fix the join order)
        // keeps them outside.
        let on = Expr::col((S::Table, S::TeamId))
            .eq(self.team())
            .and(Expr::col((S::Table, S::Id)).equals((Alias::new("a"), Alias::new("sid"))));
        let join = if backend == DatabaseBackend::Sqlite {
            JoinType::CrossJoin
        } else {
            JoinType::InnerJoin
        };
        let mut per_session = CommonTableExpression::new()
            .query(per_session)
            .table_name(Alias::new("a"))
            .to_owned();
        if backend == DatabaseBackend::Sqlite {
            per_session.materialized(true);
        }
        select
            .with_cte(WithClause::new().cte(per_session).to_owned())
            .from(Alias::new("a"))
            .join(join, S::Table, on.clone())
            // (SQLite's `CROSS JOIN` takes no `ON`: the condition goes to `WHERE` as well.)
            .and_where(on)
            .cond_where(self.filter.sessions(self.team()))
            .to_owned()
    }

    /// Rows `b`, `key` (the session) and the measures of `rollup` (a chat rollup per session
    /// and hour) for each bucket of `bounds`: rollup rows for whole hours, raw rows for the rest.
    fn per_session(
        &self,
        backend: DatabaseBackend,
        rollup: &Rollup,
        bounds: &[i64],
    ) -> SelectStatement {
        let tiers = [rollup.dim("session")];
        let team = self.team();
        rollups::source(
            backend,
            rollup,
            &tiers,
            team,
            bounds,
            self.rollups,
            Condition::all(),
        )
    }

    /// The counted messages of each bucket: `b`, `key` (the session), `n`, `human`, `ai`,
    /// `last_human_ms`.
    fn messages(&self, backend: DatabaseBackend, bounds: &[i64]) -> SelectStatement {
        self.per_session(backend, &CHAT_MESSAGE_ROLLUP, bounds)
    }

    /// The traces of each bucket: `b`, `key` (the session), `n`, `duration_ms`.
    pub fn traces(&self, backend: DatabaseBackend, bounds: &[i64]) -> SelectStatement {
        self.per_session(backend, &CHAT_TRACE_ROLLUP, bounds)
    }

    /// The active sessions of `[from, to)`, on `chat_sessions`: countable, filtered, with at
    /// least one `human` or `ai` message in the span (whenever the session was created).
    pub fn active_in(&self, backend: DatabaseBackend, from: i64, to: i64) -> Condition {
        let sessions = Query::select()
            .column(Alias::new("key"))
            .from_subquery(self.messages(backend, &[from, to]), Alias::new("m"))
            .to_owned();
        self.filter
            .sessions(self.team())
            .add(Expr::col((S::Table, S::Id)).in_subquery(sessions))
    }
}

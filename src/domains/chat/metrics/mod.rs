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

pub use activity::{ActivityCounts, activity};
pub use bots::{BotRow, bot_rows};
pub use channels::{ChannelRow, ChannelTotals, channels};
pub use engagement::{
    ParticipantActivity, SessionLengthBin, participant_activity, session_lengths,
};
pub use kpis::{ChatKpiKey, kpi_values};
pub use response::{TraceSums, traces_in};
pub use sessions::{ActiveSession, active_sessions};
pub use tags::{TagCount, tag_counts};

use super::entity::{ChatMessages as M, ChatSessions as S};
use super::filter::ChatFilter;
use crate::kernel::TeamScope;
use crate::kernel::sql::{bucket_index, count_if, ms};
use crate::kernel::window::TimeWindow;
use sea_orm::Condition;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use serde::Serialize;

/// Messages that count: `human` (participant) and `ai` (bot); `system` never counts.
pub const COUNTED: [&str; 2] = ["human", "ai"];

/// One chat request: the team, the resolved window and the filter.
#[derive(Debug, Clone, Serialize)]
pub struct ChatQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: ChatFilter,
}

impl ChatQuery {
    pub fn team(&self) -> i64 {
        self.scope.team_id().0
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
    /// (latest human message, ms) and `columns` (expressions over `chat_sessions`). Messages are
    /// aggregated before the join, and the join is many-to-one: nothing is counted twice, and
    /// every panel aggregates tens of thousands of session rows instead of every message.
    pub fn session_activity(
        &self,
        bounds: &[i64],
        columns: Vec<(Expr, &'static str)>,
    ) -> SelectStatement {
        let (from, to) = (bounds[0], bounds[bounds.len() - 1]);
        let col = |n: &str| Expr::col(Alias::new(n));
        let per_message = self
            .counted_messages(from, to)
            .expr_as(
                bucket_index(Expr::col(M::CreatedAtMs), bounds),
                Alias::new("b"),
            )
            .expr_as(Expr::col(M::SessionId), Alias::new("sid"))
            .expr_as(Expr::col(M::MessageType), Alias::new("t"))
            .expr_as(Expr::col(M::CreatedAtMs), Alias::new("at"))
            .to_owned();
        let human = col("t").eq("human");
        let per_session = Query::select()
            .columns([Alias::new("b"), Alias::new("sid")])
            .expr_as(count_if(human.clone()), Alias::new("h"))
            .expr_as(count_if(col("t").eq("ai")), Alias::new("ai"))
            .expr_as(
                Expr::expr(Expr::case(human, col("at"))).max(),
                Alias::new("last_h"),
            )
            .from_subquery(per_message, Alias::new("pm"))
            .group_by_col(Alias::new("b"))
            .group_by_col(Alias::new("sid"))
            .to_owned();
        let a = |n: &str| Expr::col((Alias::new("a"), Alias::new(n)));
        let mut select = Query::select();
        for n in ["b", "h", "ai", "last_h"] {
            select.expr_as(a(n), Alias::new(n));
        }
        for (expr, alias) in columns {
            select.expr_as(expr, Alias::new(alias));
        }
        select
            .from_subquery(per_session, Alias::new("a"))
            .inner_join(
                S::Table,
                Expr::col((S::Table, S::TeamId))
                    .eq(self.team())
                    .and(Expr::col((S::Table, S::Id)).equals((Alias::new("a"), Alias::new("sid")))),
            )
            .cond_where(self.filter.sessions(self.team()))
            .to_owned()
    }

    /// `FROM chat_messages WHERE <team, [from, to), human or ai>`; the caller adds columns.
    fn counted_messages(&self, from: i64, to: i64) -> SelectStatement {
        Query::select()
            .from(M::Table)
            .and_where(Expr::col(M::TeamId).eq(self.team()))
            .and_where(Expr::col(M::CreatedAtMs).gte(from))
            .and_where(Expr::col(M::CreatedAtMs).lt(to))
            .and_where(Expr::col(M::MessageType).is_in(COUNTED))
            .to_owned()
    }

    /// The active sessions of `[from, to)`, on `chat_sessions`: countable, filtered, with at
    /// least one `human` or `ai` message in the span (whenever the session was created).
    pub fn active_in(&self, from: i64, to: i64) -> Condition {
        self.filter.sessions(self.team()).add(
            Expr::col((S::Table, S::Id)).in_subquery(
                self.counted_messages(from, to)
                    .column(M::SessionId)
                    .to_owned(),
            ),
        )
    }
}

//! One scan, many panels: the window's active sessions, one row each with its message counts
//! and the session fields the panels group by. Bot performance, engagement, session lengths
//! and the channel breakdown are computed from it in Rust (exact distinct counts with sets),
//! so a dashboard reads the window's messages once for all of them.

use super::ChatQuery;
use crate::domains::chat::entity::ChatSessions as S;
use crate::kernel::AppResult;
use crate::kernel::sql::rows_as;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// One active session of the window (a row of `ChatQuery::session_activity`).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ActiveSession {
    #[sea_orm(alias = "pid")]
    pub participant_id: String,
    #[sea_orm(alias = "e")]
    pub experiment_id: String,
    /// The session's platform, `unknown` when it has none.
    #[sea_orm(alias = "p")]
    pub platform: String,
    /// Human messages in the window.
    #[sea_orm(alias = "h")]
    pub human: i64,
    /// Bot messages in the window.
    pub ai: i64,
    /// The latest human message in the window (epoch ms).
    #[sea_orm(alias = "last_h")]
    pub last_human_ms: Option<i64>,
    /// `ended_at − created_at` in ms, for sessions that ended.
    #[sea_orm(alias = "d")]
    pub length_ms: Option<i64>,
}

impl ActiveSession {
    /// Human + bot messages.
    pub fn messages(&self) -> i64 {
        self.human + self.ai
    }
}

/// Every active session of the window (countable, filtered, with a human or ai message).
pub async fn active_sessions(
    db: &DatabaseConnection,
    q: &ChatQuery,
) -> AppResult<Vec<ActiveSession>> {
    let (start, end) = q.span();
    if let Some((kept, passing)) = q.kept().await? {
        return Ok(kept.active_sessions(&passing, start, end));
    }
    let platform = Func::coalesce([Expr::col((S::Table, S::Platform)), Expr::val("unknown")]);
    let length = Expr::col((S::Table, S::EndedAtMs)).sub(Expr::col((S::Table, S::CreatedAtMs)));
    let stmt = q.session_activity(
        db.get_database_backend(),
        &[start, end],
        vec![
            (Expr::col((S::Table, S::ParticipantId)), "pid"),
            (Expr::col((S::Table, S::ExperimentId)), "e"),
            (platform.into(), "p"),
            (length, "d"),
        ],
    );
    Ok(rows_as(db, &stmt).await?)
}

//! Tags: message-level tag links on the window's messages (any type), per tag, without the
//! `experiment_version` category. Link and tag both belong to the reading team.

use super::ChatQuery;
use crate::domains::chat::entity::{
    ChatMessageTags as Mt, ChatMessages as M, ChatSessions as S, ChatTags as T,
};
use crate::kernel::AppResult;
use crate::kernel::sql::rows_as;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// How often one tag was put on the window's messages.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, serde::Serialize, serde::Deserialize)]
pub struct TagCount {
    pub tag_id: String,
    pub name: String,
    /// Raw category (empty = user-defined).
    pub category: String,
    pub count: i64,
}

/// Every tag used in the window with its count (unordered).
/// `FROM chat_message_tags JOIN chat_messages` (each link with its message; many-to-one)
/// for the team's links, columns left to the caller.
pub fn links_with_messages(team: i64) -> SelectStatement {
    Query::select()
        .from(Mt::Table)
        .inner_join(
            M::Table,
            Expr::col((M::Table, M::TeamId))
                .equals((Mt::Table, Mt::TeamId))
                .and(Expr::col((M::Table, M::Id)).equals((Mt::Table, Mt::MessageId))),
        )
        .and_where(Expr::col((Mt::Table, Mt::TeamId)).eq(team))
        .to_owned()
}

pub async fn tag_counts(db: &DatabaseConnection, q: &ChatQuery) -> AppResult<Vec<TagCount>> {
    let (start, end) = q.span();
    if let Some((kept, passing)) = q.kept().await? {
        return Ok(kept.tag_counts(&passing, start, end));
    }
    let team = q.team();
    let sessions = Query::select()
        .column((S::Table, S::Id))
        .from(S::Table)
        .cond_where(q.filter.sessions(team))
        .to_owned();
    // link → message and link → tag are both many-to-one joins (primary keys): no link is
    // counted twice.
    let stmt = links_with_messages(team)
        .expr_as(Expr::col((Mt::Table, Mt::TagId)), Alias::new("tag_id"))
        .expr_as(Expr::col((T::Table, T::Name)), Alias::new("name"))
        .expr_as(Expr::col((T::Table, T::Category)), Alias::new("category"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .inner_join(
            T::Table,
            Expr::col((T::Table, T::TeamId))
                .equals((Mt::Table, Mt::TeamId))
                .and(Expr::col((T::Table, T::Id)).equals((Mt::Table, Mt::TagId))),
        )
        .and_where(Expr::col((T::Table, T::Category)).ne("experiment_version"))
        .and_where(Expr::col((M::Table, M::CreatedAtMs)).gte(start))
        .and_where(Expr::col((M::Table, M::CreatedAtMs)).lt(end))
        .and_where(Expr::col((M::Table, M::SessionId)).in_subquery(sessions))
        .group_by_col((Mt::Table, Mt::TagId))
        .group_by_col((T::Table, T::Name))
        .group_by_col((T::Table, T::Category))
        .to_owned();
    Ok(rows_as(db, &stmt).await?)
}

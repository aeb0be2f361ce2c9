//! Channel breakdown: the window's active sessions, their messages and writing participants
//! per session platform (`unknown` when a session has none).

use super::ChatQuery;
use crate::domains::chat::entity::ChatSessions as S;
use crate::kernel::AppResult;
use crate::kernel::sql::{get, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// One platform's share of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub platform: String,
    pub sessions: i64,
    pub messages: i64,
    /// Distinct participants who wrote a human message.
    pub participants: i64,
}

/// Sums over every platform: sessions and messages add up; participants are distinct over
/// all platforms (one person on two platforms counts once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelTotals {
    pub sessions: i64,
    pub messages: i64,
    pub participants: i64,
}

fn counts(inner: SelectStatement, grouped: bool) -> SelectStatement {
    let col = |n: &str| Expr::col(Alias::new(n));
    let mut stmt = Query::select();
    if grouped {
        stmt.column(Alias::new("p"));
    }
    stmt.expr(Expr::cust("COUNT(*)"))
        .expr(sum_i64(col("h").add(col("ai"))))
        .expr(Expr::expr(Expr::case(col("h").gt(0), col("pid"))).count_distinct())
        .from_subquery(inner, Alias::new("s"));
    if grouped {
        stmt.group_by_col(Alias::new("p"));
    }
    stmt
}

/// Rows per platform (unordered) and the totals.
pub async fn channels(
    db: &DatabaseConnection,
    q: &ChatQuery,
) -> AppResult<(Vec<ChannelRow>, ChannelTotals)> {
    let (start, end) = q.span();
    let platform = Func::coalesce([Expr::col((S::Table, S::Platform)), Expr::val("unknown")]);
    let inner = q.session_activity(
        &[start, end],
        vec![
            (platform.into(), "p"),
            (Expr::col((S::Table, S::ParticipantId)), "pid"),
        ],
    );
    let grouped = counts(inner.clone(), true);
    let all = counts(inner, false);
    let (rows, all) = tokio::try_join!(db.query_all(&grouped), db.query_all(&all))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(ChannelRow {
            platform: get(&row, 0)?,
            sessions: get(&row, 1)?,
            messages: get::<Option<i64>>(&row, 2)?.unwrap_or(0),
            participants: get(&row, 3)?,
        });
    }
    let totals = match all.first() {
        Some(row) => ChannelTotals {
            sessions: get(row, 0)?,
            messages: get::<Option<i64>>(row, 1)?.unwrap_or(0),
            participants: get(row, 2)?,
        },
        None => ChannelTotals::default(),
    };
    Ok((out, totals))
}

//! Engagement: participants ranked by the human messages they wrote in the window, and the
//! distribution of session lengths.

use super::ChatQuery;
use crate::domains::chat::entity::ChatSessions as S;
use crate::kernel::AppResult;
use crate::kernel::sql::{bytewise, get, sum_i64};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// One participant's activity in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantActivity {
    pub participant_id: String,
    /// Human messages written.
    pub messages: i64,
    /// Distinct sessions among those messages.
    pub sessions: i64,
    /// The latest of those messages (epoch ms).
    pub last_active_ms: i64,
}

/// The `limit` most (`most_active`) or least active participants with ≥ 1 human message;
/// ordered by messages (desc or asc), ties by participant id.
pub async fn participant_activity(
    db: &DatabaseConnection,
    q: &ChatQuery,
    most_active: bool,
    limit: usize,
) -> AppResult<Vec<ParticipantActivity>> {
    let (start, end) = q.span();
    let inner = q.session_activity(
        &[start, end],
        vec![(Expr::col((S::Table, S::ParticipantId)), "pid")],
    );
    let order = if most_active { Order::Desc } else { Order::Asc };
    let col = |n: &str| Expr::col(Alias::new(n));
    let pid = || col("pid");
    let written = sum_i64(col("h"));
    let stmt = Query::select()
        .column(Alias::new("pid"))
        .expr(written.clone())
        .expr(Expr::cust("COUNT(*)"))
        .expr(col("last_h").max())
        .from_subquery(inner, Alias::new("s"))
        .and_where(col("h").gt(0))
        .group_by_col(Alias::new("pid"))
        .order_by_expr(written, order)
        .order_by_expr(bytewise(db.get_database_backend(), pid()), Order::Asc)
        .limit(limit as u64)
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&stmt).await? {
        out.push(ParticipantActivity {
            participant_id: get(&row, 0)?,
            messages: get(&row, 1)?,
            sessions: get(&row, 2)?,
            last_active_ms: get(&row, 3)?,
        });
    }
    Ok(out)
}

/// One bin of the session-length histogram, in minutes.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq)]
pub struct SessionLengthBin {
    /// Lower edge (inclusive), minutes.
    pub start: f64,
    /// Upper edge (exclusive; the last bin includes it), minutes.
    pub end: f64,
    /// Ended active sessions whose length falls in the bin.
    pub count: i64,
}

/// Number of equal-width bins.
const BINS: i64 = 10;

/// Lengths (`ended_at − created_at`) of the window's active sessions that ended, in 10
/// equal-width bins from the shortest to the longest; the last bin is closed on the right.
/// No ended session: no bins. All equal: the last bin holds them all.
pub async fn session_lengths(
    db: &DatabaseConnection,
    q: &ChatQuery,
) -> AppResult<Vec<SessionLengthBin>> {
    let (start, end) = q.span();
    let lengths = || {
        Query::select()
            .expr_as(
                Expr::col((S::Table, S::EndedAtMs)).sub(Expr::col((S::Table, S::CreatedAtMs))),
                Alias::new("d"),
            )
            .from(S::Table)
            .cond_where(q.active_sessions(start, end))
            .and_where(Expr::col((S::Table, S::EndedAtMs)).is_not_null())
            .to_owned()
    };
    let d = || Expr::col(Alias::new("d"));
    let range = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .expr(d().min())
        .expr(d().max())
        .from_subquery(lengths(), Alias::new("l"))
        .to_owned();
    let Some(row) = db.query_one(&range).await? else {
        return Ok(Vec::new());
    };
    let n: i64 = get(&row, 0)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let (min, max): (i64, i64) = (get(&row, 1)?, get(&row, 2)?);
    let mut counts = vec![0i64; BINS as usize];
    if max == min {
        counts[BINS as usize - 1] = n;
    } else {
        // floor((d − min) × 10 / (max − min)) in integers: exact on both databases.
        let index = d().sub(min).mul(BINS).div(max - min);
        let bin = Expr::case(index.clone().gte(BINS), Expr::val(BINS - 1)).finally(index);
        let stmt = Query::select()
            .expr_as(bin, Alias::new("bin"))
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(lengths(), Alias::new("l"))
            .group_by_col(Alias::new("bin"))
            .to_owned();
        for row in db.query_all(&stmt).await? {
            let bin: i64 = get(&row, 0)?;
            counts[bin.clamp(0, BINS - 1) as usize] += get::<i64>(&row, 1)?;
        }
    }
    let minutes = |ms: f64| ms / 60_000.0;
    let width = (max - min) as f64 / BINS as f64;
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| SessionLengthBin {
            start: minutes(min as f64 + width * i as f64),
            end: minutes(if i as i64 == BINS - 1 {
                max as f64
            } else {
                min as f64 + width * (i + 1) as f64
            }),
            count,
        })
        .collect())
}

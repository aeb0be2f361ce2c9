//! Reads a team's telemetry around a window: its events from the start of the previous window
//! (or the 62 days before the end, for DAU/WAU/MAU and their previous days, or the calendar
//! bucket before the first, for growth segments, whichever is earliest) to a month after the
//! end or now (D1, retention and activation look ahead, up to now), every `user_registered`
//! event before that (users' attributes and "registered before"), and all memberships.

use super::growth::MAX_LOOKAHEAD_DAYS;
use super::{Event, Membership, Props, Symbols, Telemetry};
use crate::domains::product::entity::{ProductEvents as E, ProductMemberships as M};
use crate::kernel::calendar::floor_previous;
use crate::kernel::sql::{ms, rows_as};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamScope};
use chrono::Duration;
use futures::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult, StreamTrait};

/// How far past the window end (or now, if later) events are read: retention and activation
/// count only events up to now, and D1 looks one day past the window.
const HORIZON_DAYS: i64 = 32;
/// Never more than this past the window end: the furthest retention offset or activation
/// window, its last local day, and a DST day.
const LOOKAHEAD_DAYS: i64 = MAX_LOOKAHEAD_DAYS as i64 + 2;

/// An event as read.
#[derive(FromQueryResult)]
struct EventRow {
    id: String,
    identity: Option<String>,
    event_name: String,
    event_time_ms: i64,
    properties: String,
}

/// A membership as read.
#[derive(FromQueryResult)]
struct MembershipRow {
    user_id: String,
    plan_type: String,
    start_at_ms: i64,
    expire_at_ms: Option<i64>,
    status: String,
    amount: f64,
}

/// The team's telemetry a window's sections need.
pub async fn load(
    db: &DatabaseConnection,
    scope: &TeamScope,
    w: &TimeWindow,
) -> AppResult<Telemetry> {
    let team = scope.team_id().0;
    let around = std::cmp::min(w.previous_start, w.end - Duration::days(62));
    let from = ms(std::cmp::min(
        around,
        floor_previous(w.granularity, w.tz, w.start),
    ));
    let to = ms(std::cmp::min(
        std::cmp::max(w.end, w.now) + Duration::days(HORIZON_DAYS),
        w.end + Duration::days(LOOKAHEAD_DAYS),
    ));
    let when = Expr::col(E::EventTimeMs)
        .gte(from)
        .and(Expr::col(E::EventTimeMs).lt(to))
        .or(Expr::col(E::EventName)
            .eq("user_registered")
            .and(Expr::col(E::EventTimeMs).lt(from)));
    let memberships = Query::select()
        .columns([
            M::UserId,
            M::PlanType,
            M::StartAtMs,
            M::ExpireAtMs,
            M::Status,
            M::Amount,
        ])
        .from(M::Table)
        .and_where(Expr::col(M::TeamId).eq(team))
        .to_owned();
    let mut symbols = Symbols::default();
    let (events, memberships) = tokio::try_join!(
        events(db, team, when, &mut symbols),
        rows_as::<MembershipRow>(db, &memberships)
    )?;
    let memberships = memberships
        .into_iter()
        .map(|r| Membership {
            user: symbols.intern(&r.user_id),
            plan_type: r.plan_type,
            start_ms: r.start_at_ms,
            expire_ms: r.expire_at_ms,
            status: r.status,
            amount: r.amount,
        })
        .collect();
    Ok(Telemetry {
        events,
        memberships,
        symbols,
    })
}

/// The team's events matching `when`, sorted by time and then id (as the inline path sorts
/// them). They are decoded as they stream in (no buffer of raw rows) and sorted here: an
/// `ORDER BY` made PostgreSQL walk the time index, one heap page per event, 4.5× slower than
/// reading the team's pages in order.
async fn events(
    db: &DatabaseConnection,
    team: i64,
    when: Expr,
    symbols: &mut Symbols,
) -> Result<Vec<Event>, DbErr> {
    let query = Query::select()
        .columns([
            E::Id,
            E::Identity,
            E::EventName,
            E::EventTimeMs,
            E::Properties,
        ])
        .from(E::Table)
        .and_where(Expr::col(E::TeamId).eq(team))
        .and_where(when)
        .to_owned();
    let mut rows = db.stream(&query).await?;
    let (mut out, mut keys) = (Vec::new(), Vec::new());
    while let Some(r) = rows.next().await {
        let r = EventRow::from_query_result(&r?, "")?;
        keys.push((r.event_time_ms, r.id, keys.len()));
        out.push(Event {
            identity: r.identity.map(|u| symbols.intern(&u)),
            event_name: symbols.intern(&r.event_name),
            event_time_ms: r.event_time_ms,
            props: Props::parse(&r.properties, symbols),
        });
    }
    keys.sort_unstable();
    Ok(keys.into_iter().map(|(_, _, i)| out[i]).collect())
}

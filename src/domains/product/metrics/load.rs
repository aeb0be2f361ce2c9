//! Reads a team's telemetry around a window: its events from the start of the previous window
//! (or the 62 days before the end, for DAU/WAU/MAU and their previous days, or the calendar
//! bucket before the first, for growth segments, whichever is earliest) to a month after the
//! end or now (D1, retention and activation look ahead, up to now), every `user_registered`
//! event before that ("registered before" and users' attributes), each user's earliest events
//! before it (the attributes of users without a registration), and all memberships.

use super::growth::MAX_LOOKAHEAD_DAYS;
use super::{Event, Membership, Props, Symbols, Telemetry};
use crate::domains::product::entity::{ProductEvents as E, ProductMemberships as M};
use crate::kernel::calendar::floor_previous;
use crate::kernel::changes::TimeSpan;
use crate::kernel::sql::{ms, rows_as};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamId, TeamScope};
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

/// The instants a window's sections read (epoch ms): every event in `[from, to)`, and before
/// `from` only registrations and users' earliest events (see `Selection`).
pub fn reads(w: &TimeWindow) -> (i64, i64) {
    let around = std::cmp::min(w.previous_start, w.end - Duration::days(62));
    let from = ms(std::cmp::min(
        around,
        floor_previous(w.granularity, w.tz, w.start),
    ));
    let to = ms(std::cmp::min(
        std::cmp::max(w.end, w.now) + Duration::days(HORIZON_DAYS),
        w.end + Duration::days(LOOKAHEAD_DAYS),
    ));
    (from, to)
}

/// Which events to read: those from `from` on (before `to`, when set) and, before `from`, the
/// registrations and each user's earliest events (their attributes when they have no
/// registration: spec/product.md) — of them, only those inside `inside` (both ends included),
/// when set. Sections read nothing else before `from`.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub from: i64,
    pub to: Option<i64>,
    pub inside: Option<TimeSpan>,
}

impl Selection {
    fn condition(&self, team: TeamId) -> Expr {
        let t = || Expr::col(E::EventTimeMs);
        let inside = |e: Expr| match self.inside {
            Some(span) => t().gte(span.from_ms).and(t().lte(span.to_ms)).and(e),
            None => e,
        };
        let mut later = t().gte(self.from);
        if let Some(to) = self.to {
            later = later.and(t().lt(to));
        }
        // Every event at a user's earliest instant: the sort by id decides which is first.
        let firsts = Query::select()
            .column(E::Identity)
            .expr(t().min())
            .from(E::Table)
            .and_where(Expr::col(E::TeamId).eq(team.0))
            .and_where(inside(t().lt(self.from)))
            .and_where(Expr::col(E::Identity).is_not_null())
            .group_by_col(E::Identity)
            .to_owned();
        let first = Expr::tuple([Expr::col(E::Identity), t()]).in_subquery(firsts);
        let earlier = t()
            .lt(self.from)
            .and(Expr::col(E::EventName).eq("user_registered").or(first));
        inside(later.or(earlier))
    }
}

/// The team's telemetry a window's sections need, read now.
pub async fn load(
    db: &DatabaseConnection,
    scope: &TeamScope,
    w: &TimeWindow,
) -> AppResult<Telemetry> {
    let (from, to) = reads(w);
    let selection = Selection {
        from,
        to: Some(to),
        inside: None,
    };
    let (events, memberships, symbols) = rows(db, scope.team_id(), selection).await?;
    Ok(Telemetry::new(events, memberships, symbols))
}

/// The team's events of `selection` and all its memberships, with the texts they name.
pub async fn rows(
    db: &DatabaseConnection,
    team: TeamId,
    selection: Selection,
) -> Result<(Vec<Event>, Vec<Membership>, Symbols), DbErr> {
    let mut symbols = Symbols::default();
    let (events, memberships) = tokio::try_join!(
        events(db, team, selection, &mut symbols),
        membership_rows(db, team)
    )?;
    let memberships = interned(memberships, &mut symbols);
    Ok((events, memberships, symbols))
}

/// The team's memberships as read, not yet interned.
async fn membership_rows(
    db: &DatabaseConnection,
    team: TeamId,
) -> Result<Vec<MembershipRow>, DbErr> {
    let query = Query::select()
        .columns([
            M::UserId,
            M::PlanType,
            M::StartAtMs,
            M::ExpireAtMs,
            M::Status,
            M::Amount,
        ])
        .from(M::Table)
        .and_where(Expr::col(M::TeamId).eq(team.0))
        .to_owned();
    rows_as::<MembershipRow>(db, &query).await
}

/// Memberships with their users interned.
fn interned(rows: Vec<MembershipRow>, symbols: &mut Symbols) -> Vec<Membership> {
    rows.into_iter()
        .map(|r| Membership {
            user: symbols.intern(&r.user_id),
            plan_type: r.plan_type,
            start_ms: r.start_at_ms,
            expire_ms: r.expire_at_ms,
            status: r.status,
            amount: r.amount,
        })
        .collect()
}

/// The team's events of `selection`, sorted by time and then id (as the inline path sorts
/// them). They are decoded as they stream in (no buffer of raw rows) and sorted here: an
/// `ORDER BY` made PostgreSQL walk the time index, one heap page per event, 4.5× slower than
/// reading the team's pages in order.
pub async fn events(
    db: &DatabaseConnection,
    team: TeamId,
    selection: Selection,
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
        .and_where(Expr::col(E::TeamId).eq(team.0))
        .and_where(selection.condition(team))
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

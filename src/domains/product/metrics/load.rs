//! Reads a team's telemetry around a window: its events from the start of the previous window
//! (or the 62 days before the end, for DAU/WAU/MAU and their previous days, or the calendar
//! bucket before the first, for growth segments, whichever is earliest) to a month after the
//! end or now (D1, retention and activation look ahead, up to now), every `user_registered`
//! event before that (users' attributes and "registered before"), and all memberships.

use super::growth::MAX_LOOKAHEAD_DAYS;
use super::{Event, Membership, Props, Telemetry};
use crate::domains::product::entity::{ProductEvents as E, ProductMemberships as M};
use crate::kernel::calendar::floor_previous;
use crate::kernel::sql::{get, ms};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamScope};
use chrono::Duration;
use futures::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, StreamTrait};

/// How far past the window end (or now, if later) events are read: retention and activation
/// count only events up to now, and D1 looks one day past the window.
const HORIZON_DAYS: i64 = 32;
/// Never more than this past the window end: the furthest retention offset or activation
/// window, its last local day, and a DST day.
const LOOKAHEAD_DAYS: i64 = MAX_LOOKAHEAD_DAYS as i64 + 2;

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
    let events = Query::select()
        .columns([E::Identity, E::EventName, E::EventTimeMs, E::Properties])
        .from(E::Table)
        .and_where(Expr::col(E::TeamId).eq(team))
        .and_where(
            Expr::col(E::EventTimeMs)
                .gte(from)
                .and(Expr::col(E::EventTimeMs).lt(to))
                .or(Expr::col(E::EventName)
                    .eq("user_registered")
                    .and(Expr::col(E::EventTimeMs).lt(from))),
        )
        .order_by(E::EventTimeMs, sea_orm::Order::Asc)
        .order_by(E::Id, sea_orm::Order::Asc)
        .to_owned();
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
    // Events are decoded as they stream in: no buffer of raw rows for the whole window.
    let events = async {
        let mut rows = db.stream(&events).await?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().await {
            let r = r?;
            let text: String = get(&r, 3)?;
            out.push(Event {
                identity: get(&r, 0)?,
                event_name: get(&r, 1)?,
                event_time_ms: get(&r, 2)?,
                props: Props::parse(&text),
            });
        }
        Ok::<_, DbErr>(out)
    };
    let (events, memberships) = tokio::try_join!(events, db.query_all(&memberships))?;
    let memberships = memberships
        .iter()
        .map(|r| {
            Ok(Membership {
                user_id: get(r, 0)?,
                plan_type: get(r, 1)?,
                start_ms: get(r, 2)?,
                expire_ms: get(r, 3)?,
                status: get(r, 4)?,
                amount: get(r, 5)?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(Telemetry {
        events,
        memberships,
    })
}

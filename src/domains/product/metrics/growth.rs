//! The product `growth` section: registrations, payments and active users by segment per
//! bucket; retention of registration cohorts; the activation funnel with the users still in
//! progress.

use super::{Sym, SymSet, Telemetry, View, names};
use crate::domains::product::filter::ProductFilter;
use crate::kernel::calendar::{floor, floor_previous, local_date, start_of_day};
use crate::kernel::funnel::{FunnelStep, Progress, funnel};
use crate::kernel::kpi::ratio;
use crate::kernel::local_days::LocalDays;
use crate::kernel::sql::ms;
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppError, AppResult};
use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use foldhash::{HashMap, HashSet, HashSetExt};

/// Largest retention offset and activation window, in days.
pub const MAX_LOOKAHEAD_DAYS: i32 = 365;
/// Most retention offsets one request may ask for.
pub const MAX_OFFSETS: usize = 12;
/// The steps of the activation funnel, in order.
pub const ACTIVATION_STEPS: [&str; 4] = [
    "user_registered",
    "lesson_started",
    "lesson_completed",
    "pay_success",
];
/// The same steps' event names.
const ACTIVATION_NAMES: [Sym; 4] = [
    names::USER_REGISTERED,
    names::LESSON_STARTED,
    names::LESSON_COMPLETED,
    names::PAY_SUCCESS,
];

/// One bucket of the growth series.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrowthPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge or not over yet.
    pub is_partial: bool,
    /// `user_registered` events.
    pub new_users: i32,
    /// `pay_success` events.
    pub payments: i32,
}

/// The distinct active users of one bucket, by segment; the four segments add up to `total`.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Registered in the bucket.
    pub new: i32,
    /// Not new, and active in the previous calendar bucket too.
    pub returning: i32,
    /// Registered before the bucket, not active in the previous calendar bucket.
    pub resurrected: i32,
    /// Neither of the above: no registration up to the bucket's end (e.g. device-only users),
    /// not active in the previous calendar bucket.
    pub unregistered: i32,
    /// Distinct users with an event in the bucket.
    pub total: i32,
}

/// The share of a cohort active on registration day + `offsetDays`.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetentionCell {
    pub offset_days: i32,
    /// Cohort users whose day `offsetDays` has ended (local calendar).
    pub eligible: i32,
    /// Of those, the users with an event on that day.
    pub retained: i32,
    /// `retained / eligible`; null while no cohort user's day has ended.
    pub rate: Option<f64>,
}

/// Users registered in one bucket, and their retention.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetentionCohort {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Users whose first `user_registered` event falls in the bucket.
    pub size: i32,
    /// One cell per requested offset, in the order asked.
    pub offsets: Vec<RetentionCell>,
}

/// The growth series, computed together.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GrowthSeries {
    pub series: Vec<GrowthPoint>,
    pub segments: Vec<SegmentPoint>,
}

/// Checks retention offsets: 1 to `MAX_OFFSETS` distinct values in `0..=MAX_LOOKAHEAD_DAYS`.
pub fn check_offsets(offsets: &[i32]) -> AppResult<()> {
    let distinct: HashSet<_> = offsets.iter().collect();
    let in_range = offsets.iter().all(|o| (0..=MAX_LOOKAHEAD_DAYS).contains(o));
    if offsets.is_empty() || offsets.len() > MAX_OFFSETS || distinct.len() != offsets.len() {
        let msg = format!("give 1 to {MAX_OFFSETS} distinct offsets");
        return Err(AppError::bad_input("offsetsDays", msg));
    }
    if !in_range {
        let msg = format!("offsets must be between 0 and {MAX_LOOKAHEAD_DAYS} days");
        return Err(AppError::bad_input("offsetsDays", msg));
    }
    Ok(())
}

/// Checks an activation window: 1 to `MAX_LOOKAHEAD_DAYS` days.
pub fn check_window_days(days: i32) -> AppResult<()> {
    if (1..=MAX_LOOKAHEAD_DAYS).contains(&days) {
        Ok(())
    } else {
        let msg = format!("`windowDays` must be between 1 and {MAX_LOOKAHEAD_DAYS}");
        Err(AppError::bad_input("windowDays", msg))
    }
}

fn users(v: &View<'_>, from: i64, to: i64) -> SymSet {
    v.between(from, to).filter_map(|e| e.identity).collect()
}

/// Registrations, payments and segmented active users per bucket of `w`.
pub fn growth_series(t: &Telemetry, w: &TimeWindow, filter: &ProductFilter) -> GrowthSeries {
    let v = View::new(t, filter);
    let (mut series, mut segments) = (Vec::new(), Vec::new());
    for b in w.buckets() {
        let (from, to) = (ms(b.start), ms(b.end));
        let named = |name: Sym| v.between(from, to).filter(|e| e.event_name == name).count() as i32;
        series.push(GrowthPoint {
            start: w.local(b.start),
            end: w.local(b.end),
            is_partial: b.is_partial,
            new_users: named(names::USER_REGISTERED),
            payments: named(names::PAY_SUCCESS),
        });
        // The previous calendar bucket (whole, even where the window clips this one).
        let (g, tz) = (w.granularity, w.tz);
        let before = users(
            &v,
            ms(floor_previous(g, tz, b.start)),
            ms(floor(g, tz, b.start)),
        );
        let active = users(&v, from, to);
        let (mut new, mut returning, mut resurrected, mut unregistered) = (0, 0, 0, 0);
        for user in active.iter() {
            match v.registered.get(&user) {
                Some(r) if (from..to).contains(r) => new += 1,
                _ if before.contains(&user) => returning += 1,
                Some(r) if *r < from => resurrected += 1,
                _ => unregistered += 1,
            }
        }
        segments.push(SegmentPoint {
            start: w.local(b.start),
            end: w.local(b.end),
            is_partial: b.is_partial,
            new,
            returning,
            resurrected,
            unregistered,
            total: active.len() as i32,
        });
    }
    GrowthSeries { series, segments }
}

/// Users whose first registration falls in `[from, to)` (their registration event passing
/// the filter), with that instant.
fn registered_in(v: &View<'_>, from: i64, to: i64) -> Vec<(Sym, i64)> {
    let mut seen = SymSet::default();
    v.between(from, to)
        .filter(|e| e.event_name == names::USER_REGISTERED)
        .filter_map(|e| {
            let user = e.identity?;
            let first = v.registered.get(&user) == Some(&e.event_time_ms);
            (first && seen.insert(user)).then_some((user, e.event_time_ms))
        })
        .collect()
}

fn date_of(w: &TimeWindow, at_ms: i64) -> NaiveDate {
    local_date(
        w.tz,
        DateTime::from_timestamp_millis(at_ms).unwrap_or_default(),
    )
}

/// Per bucket of `w`: the users registered in it and, for each offset, the share active on
/// the local day that many days after their registration day, among those whose day has
/// ended by now (so only events up to now count, whichever source the rows come from).
pub fn retention(
    t: &Telemetry,
    w: &TimeWindow,
    filter: &ProductFilter,
    offsets: &[i32],
) -> Vec<RetentionCohort> {
    let v = View::new(t, filter);
    let (s, e, now) = (ms(w.start), ms(w.end), ms(w.now));
    // Registered in the window: (user, registration instant, local registration day).
    let cohort: Vec<(Sym, i64, NaiveDate)> = registered_in(&v, s, e)
        .into_iter()
        .map(|(u, at)| (u, at, date_of(w, at)))
        .collect();
    // Each member's registration day; then which (member, offset) days saw them active.
    let members: HashMap<Sym, NaiveDate> = cohort.iter().map(|c| (c.0, c.2)).collect();
    let mut active: HashSet<(Sym, usize)> = HashSet::new();
    let mut days = LocalDays::new(w.tz);
    for ev in v.between(s, i64::MAX) {
        if let Some((user, registered)) = ev.identity.and_then(|u| members.get_key_value(&u)) {
            let after = (days.date(ev.event_time_ms) - *registered).num_days();
            for (i, _) in offsets
                .iter()
                .enumerate()
                .filter(|(_, o)| i64::from(**o) == after)
            {
                active.insert((*user, i));
            }
        }
    }
    w.buckets()
        .iter()
        .map(|b| {
            let (from, to) = (ms(b.start), ms(b.end));
            let members: Vec<(Sym, NaiveDate)> = cohort
                .iter()
                .filter(|c| (from..to).contains(&c.1))
                .map(|c| (c.0, c.2))
                .collect();
            let cells = offsets
                .iter()
                .enumerate()
                .map(|(i, &offset)| {
                    let (mut eligible, mut retained) = (0, 0);
                    for (user, day) in &members {
                        let target = *day + Duration::days(i64::from(offset));
                        if ms(start_of_day(w.tz, target + Duration::days(1))) > now {
                            continue;
                        }
                        eligible += 1;
                        retained += i32::from(active.contains(&(*user, i)));
                    }
                    RetentionCell {
                        offset_days: offset,
                        eligible,
                        retained,
                        rate: ratio(f64::from(retained), f64::from(eligible)),
                    }
                })
                .collect();
            RetentionCohort {
                start: w.local(b.start),
                end: w.local(b.end),
                is_partial: b.is_partial,
                size: members.len() as i32,
                offsets: cells,
            }
        })
        .collect()
}

/// Users registered in the window, through `lesson_started` → `lesson_completed` →
/// `pay_success`, each step at or after the one before, within `days` × 24 h of registration
/// and by now. Users whose time has not run out by now are `inProgress` on their step.
pub fn activation(
    t: &Telemetry,
    w: &TimeWindow,
    filter: &ProductFilter,
    days: i32,
) -> Vec<FunnelStep> {
    let v = View::new(t, filter);
    let (s, e, now) = (ms(w.start), ms(w.end), ms(w.now));
    let span = i64::from(days) * 86_400_000;
    // Per user: the step reached (0 = registered), when, and the deadline.
    let mut at: HashMap<Sym, (usize, i64, i64)> = registered_in(&v, s, e)
        .into_iter()
        .map(|(u, reg)| (u, (0, reg, reg + span)))
        .collect();
    for ev in v.between(s, now.min(e.saturating_add(span)).saturating_add(1)) {
        let Some(state) = ev.identity.and_then(|u| at.get_mut(&u)) else {
            continue;
        };
        let (step, since, deadline) = *state;
        let next = ACTIVATION_NAMES.get(step + 1);
        let t = ev.event_time_ms;
        if next == Some(&ev.event_name) && t >= since && t <= deadline.min(now) {
            *state = (step + 1, t, deadline);
        }
    }
    let last = ACTIVATION_STEPS.len() - 1;
    let steps = ACTIVATION_STEPS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let reached = at.values().filter(|(step, _, _)| *step >= i).count();
            let mut progress = Progress::default();
            for (step, _, deadline) in at.values() {
                if *step == i && i < last {
                    if *deadline > now {
                        progress.in_progress += 1;
                    } else {
                        progress.dropped_off += 1;
                    }
                }
            }
            (name.to_string(), reached, Some(progress))
        })
        .collect();
    funnel(steps)
}

//! The product `executive` section: activity, DAU/WAU/MAU, registrations, memberships,
//! revenue, study time and D1 retention, with series and registrations by channel.

use super::{Sym, SymSet, Telemetry, View, names};
use crate::domains::product::filter::ProductFilter;
use crate::kernel::breakdown::Breakdown;
use crate::kernel::calendar::{local_date, start_of_day};
use crate::kernel::kpi::{KpiCard, KpiDef, Pair, Unit, ratio};
use crate::kernel::money;
use crate::kernel::sql::ms;
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, FixedOffset};
use foldhash::{HashMap, HashMapExt};

/// The executive KPI cards of the product dashboard.
#[derive(SimpleObject, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProductExecutiveKpis {
    /// Distinct users with any event in the window.
    pub active_users: KpiCard,
    /// Distinct users on the window's last local day (previous: the day before).
    pub dau: KpiCard,
    /// Distinct users in the 7 local days ending with the window (previous: the 7 before).
    pub wau: KpiCard,
    /// Distinct users in the 30 local days ending with the window (previous: the 30 before).
    pub mau: KpiCard,
    /// `user_registered` events in the window.
    pub new_users: KpiCard,
    /// Memberships active at the window end (status `active`, started, not expired).
    pub active_members: KpiCard,
    /// Memberships started in the window.
    pub new_members: KpiCard,
    /// Distinct users starting a membership / active users.
    pub member_conversion: KpiCard,
    /// Σ amount of memberships started in the window (in the team's currency).
    pub revenue: KpiCard,
    /// Revenue / active users.
    pub arpu: KpiCard,
    /// Revenue / distinct paying users.
    pub arppu: KpiCard,
    /// Σ `duration_seconds` of `study_session` and `lesson_completed` / 60 / their distinct users.
    pub avg_study_minutes: KpiCard,
    /// Of users registered in the window whose next local day has ended, the share with an
    /// event on that day.
    pub d1_retention: KpiCard,
}

/// One bucket of the executive series.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProductPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge or not over yet.
    pub is_partial: bool,
    /// Distinct users with an event in the bucket.
    pub active_users: i32,
    /// `user_registered` events.
    pub new_users: i32,
    /// Memberships started.
    pub new_members: i32,
    /// Σ amount of memberships started.
    pub revenue: f64,
}

/// The computed executive section.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExecutiveSection {
    pub kpis: ProductExecutiveKpis,
    pub series: Vec<ProductPoint>,
    /// Registrations in the window by channel (`unknown` without one).
    pub channels: Vec<(String, f64)>,
}

impl ExecutiveSection {
    /// Registrations by channel, top `limit`.
    pub fn top_channels(&self, limit: usize) -> Breakdown {
        Breakdown::from_groups(self.channels.clone(), limit)
    }
}

/// Figures of one half-open range `[from, to)` (epoch ms).
struct Period<'v, 'a> {
    v: &'v View<'a>,
    from: i64,
    to: i64,
}

impl<'v, 'a> Period<'v, 'a> {
    fn users(&self) -> SymSet {
        self.v
            .between(self.from, self.to)
            .filter_map(|e| e.identity)
            .collect()
    }
    fn named(&self, name: Sym) -> usize {
        self.v
            .between(self.from, self.to)
            .filter(|e| e.event_name == name)
            .count()
    }
    fn started(&self) -> impl Iterator<Item = &'a super::Membership> + '_ {
        self.v.started(self.from, self.to)
    }
    fn revenue(&self) -> f64 {
        self.v.revenue(self.from, self.to)
    }
    fn payers(&self) -> usize {
        self.v.payers(self.from, self.to)
    }
    fn study_minutes(&self) -> Option<f64> {
        let study = || {
            self.v.between(self.from, self.to).filter(|e| {
                e.event_name == names::STUDY_SESSION || e.event_name == names::LESSON_COMPLETED
            })
        };
        let seconds: f64 = study().filter_map(|e| e.props.duration_seconds.get()).sum();
        let users = study().filter_map(|e| e.identity).collect::<SymSet>();
        ratio(seconds / 60.0, users.len() as f64)
    }
}

/// The executive section over `w`, seen through `filter`.
pub fn executive(
    t: &Telemetry,
    w: &TimeWindow,
    filter: &ProductFilter,
    currency: &str,
) -> ExecutiveSection {
    let v = View::new(t, filter);
    let (s, e, ps) = (ms(w.start), ms(w.end), ms(w.previous_start));
    let cur = Period {
        v: &v,
        from: s,
        to: e,
    };
    let prev = Period {
        v: &v,
        from: ps,
        to: s,
    };
    let card = |d: KpiDef, value: Option<f64>, previous: Option<f64>| {
        d.card(Pair::new(value, previous), currency)
    };
    let count = |n: usize| Some(n as f64);
    // DAU / WAU / MAU: the n local days ending with the window's last day, and the n before.
    let last_day = local_date(w.tz, w.end - Duration::milliseconds(1));
    let days = |n: i64| {
        let to = ms(start_of_day(w.tz, last_day + Duration::days(1)));
        let from = ms(start_of_day(w.tz, last_day - Duration::days(n - 1)));
        let before = ms(start_of_day(w.tz, last_day - Duration::days(2 * n - 1)));
        let now = Period { v: &v, from, to }.users().len();
        let then = Period {
            v: &v,
            from: before,
            to: from,
        }
        .users()
        .len();
        (count(now), count(then))
    };
    let (dau, wau, mau) = (days(1), days(7), days(30));
    let active = (cur.users().len() as f64, prev.users().len() as f64);
    let members_at = |t: i64| v.memberships.iter().filter(|m| m.active_at(t)).count();
    let revenue = (cur.revenue(), prev.revenue());
    let kpis = ProductExecutiveKpis {
        active_users: card(
            KpiDef::up("activeUsers", "Active users", Unit::Count),
            Some(active.0),
            Some(active.1),
        ),
        dau: card(
            KpiDef::up("dau", "Daily active users", Unit::Count),
            dau.0,
            dau.1,
        ),
        wau: card(
            KpiDef::up("wau", "Weekly active users", Unit::Count),
            wau.0,
            wau.1,
        ),
        mau: card(
            KpiDef::up("mau", "Monthly active users", Unit::Count),
            mau.0,
            mau.1,
        ),
        new_users: card(
            KpiDef::up("newUsers", "New users", Unit::Count),
            count(cur.named(names::USER_REGISTERED)),
            count(prev.named(names::USER_REGISTERED)),
        ),
        active_members: card(
            KpiDef::up("activeMembers", "Active members", Unit::Count),
            count(members_at(e)),
            count(members_at(s)),
        ),
        new_members: card(
            KpiDef::up("newMembers", "New members", Unit::Count),
            count(cur.started().count()),
            count(prev.started().count()),
        ),
        member_conversion: card(
            KpiDef::up("memberConversion", "Member conversion", Unit::Ratio),
            ratio(cur.payers() as f64, active.0),
            ratio(prev.payers() as f64, active.1),
        ),
        revenue: card(
            KpiDef::up("revenue", "Revenue", Unit::Currency),
            Some(revenue.0),
            Some(revenue.1),
        ),
        arpu: card(
            KpiDef::up("arpu", "ARPU", Unit::Currency),
            ratio(revenue.0, active.0).map(money::rounded),
            ratio(revenue.1, active.1).map(money::rounded),
        ),
        arppu: card(
            KpiDef::up("arppu", "ARPPU", Unit::Currency),
            ratio(revenue.0, cur.payers() as f64).map(money::rounded),
            ratio(revenue.1, prev.payers() as f64).map(money::rounded),
        ),
        avg_study_minutes: card(
            KpiDef::up(
                "avgStudyMinutes",
                "Study minutes per learner",
                Unit::Minutes,
            ),
            cur.study_minutes(),
            prev.study_minutes(),
        ),
        d1_retention: card(
            KpiDef::up("d1Retention", "D1 retention", Unit::Ratio),
            d1(&v, w, s, e),
            d1(&v, w, ps, s),
        ),
    };
    let series = w
        .buckets()
        .iter()
        .map(|b| {
            let p = Period {
                v: &v,
                from: ms(b.start),
                to: ms(b.end),
            };
            ProductPoint {
                start: w.local(b.start),
                end: w.local(b.end),
                is_partial: b.is_partial,
                active_users: p.users().len() as i32,
                new_users: p.named(names::USER_REGISTERED) as i32,
                new_members: p.started().count() as i32,
                revenue: p.revenue(),
            }
        })
        .collect();
    let mut channels: std::collections::BTreeMap<String, f64> = Default::default();
    for ev in v
        .between(s, e)
        .filter(|ev| ev.event_name == names::USER_REGISTERED)
    {
        let channel = v.symbols.text_of(ev.props.channel).unwrap_or("unknown");
        *channels.entry(channel.to_string()).or_default() += 1.0;
    }
    ExecutiveSection {
        kpis,
        series,
        channels: channels.into_iter().collect(),
    }
}

/// D1 retention of users registered in `[from, to)` whose next local day has ended: one pass
/// over the registrations, one over the events of the next days.
fn d1(v: &View<'_>, w: &TimeWindow, from: i64, to: i64) -> Option<f64> {
    let now = ms(w.now);
    // Per eligible user: their next local day, `[start, end)`.
    let mut next_day: HashMap<Sym, (i64, i64)> = HashMap::new();
    for ev in v
        .between(from, to)
        .filter(|ev| ev.event_name == names::USER_REGISTERED)
    {
        let Some(user) = ev.identity else {
            continue;
        };
        if next_day.contains_key(&user) {
            continue;
        }
        let at = chrono::DateTime::from_timestamp_millis(ev.event_time_ms).unwrap_or_default();
        let next = local_date(w.tz, at) + Duration::days(1);
        let day = (
            ms(start_of_day(w.tz, next)),
            ms(start_of_day(w.tz, next + Duration::days(1))),
        );
        // A user whose first registration's next day is still running is not eligible, even
        // if a later registration's would be (the first one decides).
        next_day.insert(user, if day.1 > now { (0, 0) } else { day });
    }
    next_day.retain(|_, day| day.1 > 0);
    let lo = next_day.values().map(|d| d.0).min().unwrap_or(0);
    let hi = next_day.values().map(|d| d.1).max().unwrap_or(0);
    let mut retained = SymSet::default();
    for ev in v.between(lo, hi) {
        if let Some((user, (start, end))) = ev.identity.and_then(|u| next_day.get_key_value(&u))
            && (*start..*end).contains(&ev.event_time_ms)
        {
            retained.insert(*user);
        }
    }
    ratio(retained.len() as f64, next_day.len() as f64)
}

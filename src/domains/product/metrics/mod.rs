//! The product numbers (spec/product.md), computed in Rust from one `Telemetry` — the team's
//! stored rows around the window, or rows posted inline — so both sources run the very same
//! definitions.

mod event;
pub mod executive;
pub mod growth;
pub mod learning;
mod load;
pub mod monetization;
pub mod ops;
mod sym_set;

pub use event::{Event, Num, Props, Sym, Symbols, names};
pub use executive::{ExecutiveSection, ProductPoint, executive};
pub use growth::{GrowthSeries, activation, growth_series, retention};
pub use learning::{LearningSection, learning};
pub use load::load;
pub(crate) use load::{Selection, events, reads, rows};
pub use monetization::{MonetizationSection, monetization};
pub use ops::{OpsSection, ops};
pub use sym_set::SymSet;

use super::filter::ProductFilter;
use crate::domains::datasets::Row;
use crate::kernel::money;
use foldhash::{HashMap, HashMapExt};
use sea_orm::Value as SqlValue;
use std::iter::Chain;
use std::slice;
use std::sync::{Arc, OnceLock};

/// A membership, as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The user, interned with the events' identities.
    pub user: Sym,
    pub plan_type: String,
    pub start_ms: i64,
    pub expire_ms: Option<i64>,
    pub status: String,
    pub amount: f64,
}

impl Membership {
    /// From a validated `product_memberships` row (fields in dataset order).
    pub fn from_row(row: &Row, symbols: &mut Symbols) -> Membership {
        let text = |i: usize| match &row.values[i] {
            SqlValue::String(Some(s)) => s.to_string(),
            _ => String::new(),
        };
        let int = |i: usize| match &row.values[i] {
            SqlValue::BigInt(v) => *v,
            _ => None,
        };
        Membership {
            user: symbols.intern(&text(0)),
            plan_type: text(1),
            start_ms: int(2).unwrap_or_default(),
            expire_ms: int(3),
            status: text(4),
            amount: match &row.values[5] {
                SqlValue::Double(Some(v)) => *v,
                _ => 0.0,
            },
        }
    }

    /// Active at instant `t`: status `active`, started, not expired.
    pub fn active_at(&self, t: i64) -> bool {
        self.status == "active" && self.start_ms <= t && self.expire_ms.is_none_or(|e| e > t)
    }
}

/// Where the rows came from.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TelemetrySource {
    /// The team's stored rows.
    Database,
    /// Rows posted with the request (`inline`); nothing stored is read.
    Inline,
}

/// Events by time (then id), in two runs — every event of `newer` later than every event of
/// `older` — each possibly the first part of a longer list shared with the product column
/// cache (no copy per request; an append touches only the short newer run).
#[derive(Debug, Clone, Default)]
pub struct Run {
    events: Arc<Vec<Event>>,
    end: usize,
}

impl Run {
    /// The first `end` of `events`.
    pub fn new(events: Arc<Vec<Event>>, end: usize) -> Run {
        Run {
            end: end.min(events.len()),
            events,
        }
    }

    fn slice(&self) -> &[Event] {
        &self.events[..self.end]
    }
}

/// The rows a product request computes from: events by time (then id), memberships, and the
/// texts both name.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    older: Run,
    newer: Run,
    pub memberships: Arc<Vec<Membership>>,
    pub symbols: Arc<Symbols>,
    /// Every user's first registration instant, computed once for all the request's sections.
    registered: OnceLock<Arc<HashMap<Sym, i64>>>,
}

/// Events of a telemetry or view, in time order.
pub type Events<'a> = Chain<slice::Iter<'a, Event>, slice::Iter<'a, Event>>;

impl Telemetry {
    /// Telemetry of these rows (events sorted by time, then id).
    pub fn new(events: Vec<Event>, memberships: Vec<Membership>, symbols: Symbols) -> Self {
        let end = events.len();
        Self::of_runs(
            Run::new(Arc::new(events), end),
            Run::default(),
            Arc::new(memberships),
            Arc::new(symbols),
        )
    }

    /// Telemetry of two runs of events, `newer` wholly after `older`.
    pub fn of_runs(
        older: Run,
        newer: Run,
        memberships: Arc<Vec<Membership>>,
        symbols: Arc<Symbols>,
    ) -> Self {
        Telemetry {
            older,
            newer,
            memberships,
            symbols,
            registered: OnceLock::new(),
        }
    }

    /// The events, by time.
    pub fn events(&self) -> Events<'_> {
        self.older.slice().iter().chain(self.newer.slice())
    }

    /// Every user's first registration instant.
    fn registered(&self) -> Arc<HashMap<Sym, i64>> {
        self.registered
            .get_or_init(|| {
                let mut registered = HashMap::new();
                for e in self.events() {
                    if e.event_name == names::USER_REGISTERED
                        && let Some(user) = e.identity
                    {
                        registered.entry(user).or_insert(e.event_time_ms);
                    }
                }
                Arc::new(registered)
            })
            .clone()
    }
}

/// A user's channel, region and platform.
type Attributes = (Option<Sym>, Option<Sym>, Option<Sym>);

/// The telemetry seen through a filter: the events that pass (by their own properties), the
/// memberships of users whose attributes pass, and every user's registration instant.
pub struct View<'a> {
    events: [&'a [Event]; 2],
    /// Set when a filter is: the events that pass it (`events` is then unused).
    passing: Option<Vec<Event>>,
    pub memberships: Vec<&'a Membership>,
    pub registered: Arc<HashMap<Sym, i64>>,
    pub symbols: &'a Symbols,
}

impl<'a> View<'a> {
    pub fn new(t: &'a Telemetry, filter: &ProductFilter) -> View<'a> {
        let mut view = View {
            events: [t.older.slice(), t.newer.slice()],
            passing: None,
            memberships: t.memberships.iter().collect(),
            registered: t.registered(),
            symbols: &t.symbols,
        };
        if filter.is_empty() {
            return view;
        }
        let dims = |e: &Event| -> Attributes {
            let p = &e.props;
            (p.channel, p.region, p.platform)
        };
        let text = |s: Option<Sym>| s.map(|s| t.symbols.text(s));
        let passes = |a: &Attributes| filter.allows(text(a.0), text(a.1), text(a.2));
        // A user's attributes: their registration event's, else their first event's.
        let mut attributes: HashMap<Sym, (bool, Attributes)> = HashMap::new();
        for e in t.events() {
            let Some(user) = e.identity else {
                continue;
            };
            let is_registration = e.event_name == names::USER_REGISTERED;
            match attributes.get(&user) {
                Some((true, _)) => {}
                Some((false, _)) if !is_registration => {}
                _ => {
                    attributes.insert(user, (is_registration, dims(e)));
                }
            }
        }
        view.passing = Some(t.events().filter(|e| passes(&dims(e))).copied().collect());
        view.memberships
            .retain(|m| attributes.get(&m.user).is_some_and(|(_, a)| passes(a)));
        view
    }

    /// The events that pass the filter, by time, in two runs.
    fn runs(&self) -> [&[Event]; 2] {
        match &self.passing {
            Some(passing) => [passing, &[]],
            None => self.events,
        }
    }

    /// Memberships started in `[from, to)` (epoch ms).
    pub fn started(&self, from: i64, to: i64) -> impl Iterator<Item = &'a Membership> + '_ {
        self.memberships
            .iter()
            .copied()
            .filter(move |m| m.start_ms >= from && m.start_ms < to)
    }

    /// Σ amount of memberships started in `[from, to)`, summed exactly (`kernel::money`).
    pub fn revenue(&self, from: i64, to: i64) -> f64 {
        money::amount(self.revenue_mills(from, to))
    }

    /// `revenue` in thousandths of the currency unit.
    pub fn revenue_mills(&self, from: i64, to: i64) -> i64 {
        self.started(from, to).map(|m| money::mills(m.amount)).sum()
    }

    /// Distinct users starting a membership in `[from, to)`.
    pub fn payers(&self, from: i64, to: i64) -> usize {
        let users: SymSet = self.started(from, to).map(|m| m.user).collect();
        users.len()
    }

    /// Events in `[from, to)` (epoch ms).
    pub fn between(&self, from: i64, to: i64) -> Events<'_> {
        fn cut(events: &[Event], from: i64, to: i64) -> &[Event] {
            let lo = events.partition_point(|e| e.event_time_ms < from);
            let hi = events.partition_point(|e| e.event_time_ms < to);
            &events[lo..hi.max(lo)]
        }
        let [older, newer] = self.runs();
        cut(older, from, to).iter().chain(cut(newer, from, to))
    }
}

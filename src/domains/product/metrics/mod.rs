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

pub use event::{Event, Props};
pub use executive::{ExecutiveSection, ProductPoint, executive};
pub use growth::{GrowthSeries, activation, growth_series, retention};
pub use learning::{LearningSection, learning};
pub use load::load;
pub use monetization::{MonetizationSection, monetization};
pub use ops::{OpsSection, ops};

use super::filter::ProductFilter;
use crate::domains::datasets::Row;
use foldhash::{HashMap, HashMapExt, HashSet};
use sea_orm::Value as SqlValue;

/// A membership, as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub user_id: String,
    pub plan_type: String,
    pub start_ms: i64,
    pub expire_ms: Option<i64>,
    pub status: String,
    pub amount: f64,
}

impl Membership {
    /// From a validated `product_memberships` row (fields in dataset order).
    pub fn from_row(row: &Row) -> Membership {
        let text = |i: usize| match &row.values[i] {
            SqlValue::String(Some(s)) => s.to_string(),
            _ => String::new(),
        };
        let int = |i: usize| match &row.values[i] {
            SqlValue::BigInt(v) => *v,
            _ => None,
        };
        Membership {
            user_id: text(0),
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

/// The rows a product request computes from: events sorted by time (then id), and
/// memberships.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    pub events: Vec<Event>,
    pub memberships: Vec<Membership>,
}

/// A user's channel, region and platform.
type Attributes<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// The telemetry seen through a filter: the events that pass (by their own properties), the
/// memberships of users whose attributes pass, and every user's registration instant.
pub struct View<'a> {
    pub events: Vec<&'a Event>,
    pub memberships: Vec<&'a Membership>,
    pub registered: HashMap<&'a str, i64>,
}

impl<'a> View<'a> {
    pub fn new(t: &'a Telemetry, filter: &ProductFilter) -> View<'a> {
        let dims = |e: &'a Event| -> Attributes<'a> {
            let p = &e.props;
            (
                p.channel.as_deref(),
                p.region.as_deref(),
                p.platform.as_deref(),
            )
        };
        let passes = |a: &Attributes| filter.allows(a.0, a.1, a.2);
        // A user's attributes: their registration event's, else their first event's (only
        // read when a filter is set).
        let mut attributes: HashMap<&str, (bool, Attributes<'a>)> = HashMap::new();
        let mut registered = HashMap::new();
        for e in &t.events {
            let Some(user) = e.identity.as_deref() else {
                continue;
            };
            let is_registration = e.event_name == "user_registered";
            if is_registration {
                registered.entry(user).or_insert(e.event_time_ms);
            }
            if filter.is_empty() {
                continue;
            }
            match attributes.get(user) {
                Some((true, _)) => {}
                Some((false, _)) if !is_registration => {}
                _ => {
                    attributes.insert(user, (is_registration, dims(e)));
                }
            }
        }
        if filter.is_empty() {
            return View {
                events: t.events.iter().collect(),
                memberships: t.memberships.iter().collect(),
                registered,
            };
        }
        let events = t.events.iter().filter(|e| passes(&dims(e))).collect();
        let memberships = t
            .memberships
            .iter()
            .filter(|m| {
                attributes
                    .get(m.user_id.as_str())
                    .is_some_and(|(_, a)| passes(a))
            })
            .collect();
        View {
            events,
            memberships,
            registered,
        }
    }

    /// Memberships started in `[from, to)` (epoch ms).
    pub fn started(&self, from: i64, to: i64) -> impl Iterator<Item = &'a Membership> + '_ {
        self.memberships
            .iter()
            .copied()
            .filter(move |m| m.start_ms >= from && m.start_ms < to)
    }

    /// Σ amount of memberships started in `[from, to)`.
    pub fn revenue(&self, from: i64, to: i64) -> f64 {
        self.started(from, to).map(|m| m.amount).sum()
    }

    /// Distinct users starting a membership in `[from, to)`.
    pub fn payers(&self, from: i64, to: i64) -> usize {
        let users: HashSet<&str> = self.started(from, to).map(|m| m.user_id.as_str()).collect();
        users.len()
    }

    /// Events in `[from, to)` (epoch ms).
    pub fn between(&self, from: i64, to: i64) -> impl Iterator<Item = &&'a Event> {
        let lo = self.events.partition_point(|e| e.event_time_ms < from);
        let hi = self.events.partition_point(|e| e.event_time_ms < to);
        self.events[lo..hi.max(lo)].iter()
    }
}

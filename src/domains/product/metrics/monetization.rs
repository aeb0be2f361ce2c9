//! The product `monetization` section: revenue, MRR, ARPPU, churn and renewals over
//! memberships; the plan mix; revenue and cumulative revenue per bucket; the paywall funnel.

use super::{Membership, Sym, SymSet, Telemetry, View, names};
use crate::domains::product::filter::ProductFilter;
use crate::kernel::funnel::{FunnelStep, funnel};
use crate::kernel::kpi::{KpiCard, KpiDef, Pair, Unit, ratio};
use crate::kernel::money;
use crate::kernel::sql::ms;
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

/// A successor starting within this long of a membership's end renews it.
const RENEWAL_GRACE_MS: i64 = 7 * 24 * 3_600_000;

/// The monetization KPI cards.
#[derive(SimpleObject, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MonetizationKpis {
    /// Σ amount of memberships started in the window.
    pub revenue: KpiCard,
    /// Active memberships at the window end per month: monthly amount, quarterly / 3, yearly
    /// / 12 (lifetime and other plans excluded).
    pub mrr: KpiCard,
    /// Revenue / distinct paying users.
    pub arppu: KpiCard,
    /// Memberships that ended (`expire_at`) in the window, by now, with no later membership of
    /// the same user starting within 7 days of the end.
    pub churned_members: KpiCard,
    /// Of memberships expiring in the window, the share with such a successor.
    pub renewal_rate: KpiCard,
}

/// One plan of the plan mix.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanRow {
    pub plan_type: String,
    /// Memberships started in the window.
    pub count: i32,
    pub revenue: f64,
    /// `count` / all memberships started in the window.
    pub share: Option<f64>,
}

/// One bucket of revenue.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MembershipRevenuePoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Σ amount of memberships started in the bucket.
    pub revenue: f64,
    /// Revenue from the window start through this bucket (the LTV curve).
    pub cumulative: f64,
}

/// The computed monetization section.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MonetizationSection {
    pub kpis: MonetizationKpis,
    pub plan_mix: Vec<PlanRow>,
    pub revenue: Vec<MembershipRevenuePoint>,
    pub funnel: Vec<FunnelStep>,
}

/// A membership's amount per month, if its plan recurs monthly, quarterly or yearly — in
/// twelfths of a thousandth of the unit, so that MRR sums exactly and is rounded once.
fn monthly_twelfths(m: &Membership) -> Option<i64> {
    let mills = money::mills(m.amount);
    match m.plan_type.as_str() {
        "monthly" => Some(mills * 12),
        "quarterly" => Some(mills * 4),
        "yearly" => Some(mills),
        _ => None,
    }
}

/// The membership figures of one range `[from, to)`.
struct Figures {
    revenue: f64,
    payers: usize,
    /// MRR of the memberships active at `to`.
    mrr: f64,
    /// Memberships expiring in the range.
    expiring: usize,
    /// Of those, the ones with a successor.
    renewed: usize,
    /// Of those without one, the ones whose end has passed.
    churned: usize,
}

fn figures(v: &View<'_>, from: i64, to: i64, now: i64) -> Figures {
    let mut starts: HashMap<Sym, Vec<i64>> = HashMap::new();
    for m in &v.memberships {
        starts.entry(m.user).or_default().push(m.start_ms);
    }
    let has_successor = |m: &Membership, end: i64| {
        starts[&m.user]
            .iter()
            .any(|s| *s > m.start_ms && *s <= end + RENEWAL_GRACE_MS)
    };
    let mut f = Figures {
        revenue: v.revenue(from, to),
        payers: v.payers(from, to),
        mrr: {
            let twelfths: i64 = v
                .memberships
                .iter()
                .filter(|m| m.active_at(to))
                .filter_map(|m| monthly_twelfths(m))
                .sum();
            money::rounded(twelfths as f64 / 12_000.0)
        },
        expiring: 0,
        renewed: 0,
        churned: 0,
    };
    for m in &v.memberships {
        let Some(end) = m.expire_ms.filter(|e| *e >= from && *e < to) else {
            continue;
        };
        f.expiring += 1;
        if has_successor(m, end) {
            f.renewed += 1;
        } else if end <= now {
            f.churned += 1;
        }
    }
    f
}

/// The monetization section over `w`, seen through `filter`.
pub fn monetization(
    t: &Telemetry,
    w: &TimeWindow,
    filter: &ProductFilter,
    currency: &str,
) -> MonetizationSection {
    let v = View::new(t, filter);
    let (s, e, ps, now) = (ms(w.start), ms(w.end), ms(w.previous_start), ms(w.now));
    let (cur, prev) = (figures(&v, s, e, now), figures(&v, ps, s, now));
    let card = |d: KpiDef, a: Option<f64>, b: Option<f64>| d.card(Pair::new(a, b), currency);
    let kpis = MonetizationKpis {
        revenue: card(
            KpiDef::up("revenue", "Revenue", Unit::Currency),
            Some(cur.revenue),
            Some(prev.revenue),
        ),
        mrr: card(
            KpiDef::up("mrr", "MRR", Unit::Currency),
            Some(cur.mrr),
            Some(prev.mrr),
        ),
        arppu: card(
            KpiDef::up("arppu", "ARPPU", Unit::Currency),
            ratio(cur.revenue, cur.payers as f64).map(money::rounded),
            ratio(prev.revenue, prev.payers as f64).map(money::rounded),
        ),
        churned_members: card(
            KpiDef::down("churnedMembers", "Churned members", Unit::Count),
            Some(cur.churned as f64),
            Some(prev.churned as f64),
        ),
        renewal_rate: card(
            KpiDef::up("renewalRate", "Renewal rate", Unit::Ratio),
            ratio(cur.renewed as f64, cur.expiring as f64),
            ratio(prev.renewed as f64, prev.expiring as f64),
        ),
    };
    let mut plans: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for m in v.started(s, e) {
        let p = plans.entry(m.plan_type.as_str()).or_default();
        p.0 += 1;
        p.1 += money::mills(m.amount);
    }
    let total = v.started(s, e).count() as f64;
    let mut plan_mix: Vec<PlanRow> = plans
        .into_iter()
        .map(|(plan, (count, revenue))| PlanRow {
            plan_type: plan.to_string(),
            count: count as i32,
            revenue: money::amount(revenue),
            share: ratio(count as f64, total),
        })
        .collect();
    plan_mix.sort_by(|a, b| b.count.cmp(&a.count).then(a.plan_type.cmp(&b.plan_type)));
    let mut cumulative = 0i64;
    let revenue = w
        .buckets()
        .iter()
        .map(|b| {
            let r = v.revenue_mills(ms(b.start), ms(b.end));
            cumulative += r;
            MembershipRevenuePoint {
                start: w.local(b.start),
                end: w.local(b.end),
                is_partial: b.is_partial,
                revenue: money::amount(r),
                cumulative: money::amount(cumulative),
            }
        })
        .collect();
    MonetizationSection {
        kpis,
        plan_mix,
        revenue,
        funnel: paywall_funnel(&v, s, e),
    }
}

/// Distinct users `app_open` → `paywall_view` → `paywall_cta_click` → `pay_success` in the
/// window, each step a subset of the one before.
fn paywall_funnel(v: &View<'_>, s: i64, e: i64) -> Vec<FunnelStep> {
    const STEPS: [Sym; 4] = [
        names::APP_OPEN,
        names::PAYWALL_VIEW,
        names::PAYWALL_CTA_CLICK,
        names::PAY_SUCCESS,
    ];
    let mut reached: Vec<SymSet> = vec![SymSet::default(); STEPS.len()];
    for ev in v.between(s, e) {
        if let (Some(i), Some(user)) = (STEPS.iter().position(|n| *n == ev.event_name), ev.identity)
        {
            reached[i].insert(user);
        }
    }
    let mut kept = reached[0].clone();
    let mut steps = Vec::new();
    for (i, name) in STEPS.iter().enumerate() {
        kept.intersect(&reached[i]);
        steps.push((v.symbols.text(*name).to_string(), kept.len(), None));
    }
    funnel(steps)
}

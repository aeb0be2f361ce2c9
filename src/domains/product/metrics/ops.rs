//! The product `ops` section: AI generation calls (`model_invoke`, `image_generation`,
//! `tts_generation`) — volume, success, latency, cost — overall, per bucket, per model and per
//! stage (new stages appear as they are sent, no code change).

use super::{Event, Props, Sym, Symbols, Telemetry, View, names};
use crate::domains::product::filter::ProductFilter;
use crate::kernel::kpi::{KpiCard, KpiDef, Pair, Unit, percentile_cont, ratio};
use crate::kernel::sql::ms;
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

/// The events that are generation calls.
const CALL_NAMES: [Sym; 3] = [
    names::MODEL_INVOKE,
    names::IMAGE_GENERATION,
    names::TTS_GENERATION,
];

/// The ops KPI cards.
#[derive(SimpleObject, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OpsKpis {
    /// Generation calls in the window.
    pub calls: KpiCard,
    /// Calls that succeeded (`success` true, or `status` starting with "2") / calls.
    pub success_rate: KpiCard,
    /// Mean `latency_ms` of calls that report one.
    pub avg_latency_ms: KpiCard,
    /// 95th percentile of `latency_ms` (like `percentile_cont`).
    pub p95_latency_ms: KpiCard,
    /// Σ `cost` (in the team's currency).
    pub total_cost: KpiCard,
}

/// One bucket of the ops series.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpsPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    pub succeeded: i32,
    pub failed: i32,
    /// Null without latencies.
    pub avg_latency_ms: Option<f64>,
    /// Null without latencies.
    pub p95_latency_ms: Option<f64>,
}

/// Calls of one model.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelRow {
    /// `properties.model`, or `unknown`.
    pub model: String,
    pub calls: i32,
    pub success_rate: Option<f64>,
    /// Σ `tokens`.
    pub tokens: f64,
    /// Σ `cost`.
    pub cost: f64,
    pub avg_latency_ms: Option<f64>,
}

/// Calls of one pipeline stage.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageRow {
    /// `properties.stage`, or `unknown`.
    pub stage: String,
    pub calls: i32,
    pub failures: i32,
    pub failure_rate: Option<f64>,
    pub p95_latency_ms: Option<f64>,
}

/// The computed ops section.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OpsSection {
    pub kpis: OpsKpis,
    pub series: Vec<OpsPoint>,
    pub by_model: Vec<ModelRow>,
    pub by_stage: Vec<StageRow>,
}

/// Totals of a set of calls.
#[derive(Default)]
struct Calls {
    n: usize,
    ok: usize,
    latencies: Vec<f64>,
    cost: f64,
    tokens: f64,
}

impl Calls {
    fn add(&mut self, e: &Event) {
        let p = &e.props;
        self.n += 1;
        self.ok += usize::from(p.succeeded);
        self.latencies.extend(p.latency_ms.get());
        self.cost += p.cost.get().unwrap_or(0.0);
        self.tokens += p.tokens.get().unwrap_or(0.0);
    }
    fn merge(&mut self, other: Calls) {
        self.n += other.n;
        self.ok += other.ok;
        self.latencies.extend(other.latencies);
        self.cost += other.cost;
        self.tokens += other.tokens;
    }
    fn of<'a>(events: impl Iterator<Item = &'a Event>) -> Calls {
        let mut c = Calls::default();
        events.for_each(|e| c.add(e));
        c
    }
    fn avg(&self) -> Option<f64> {
        ratio(self.latencies.iter().sum(), self.latencies.len() as f64)
    }
    fn p95(&mut self) -> Option<f64> {
        percentile_cont(&mut self.latencies, 0.95)
    }
}

fn calls<'a>(v: &'a View<'_>, from: i64, to: i64) -> impl Iterator<Item = &'a Event> + 'a {
    v.between(from, to)
        .filter(|e| CALL_NAMES.contains(&e.event_name))
}

/// Rows grouped by a property (`unknown` without it), most calls first, ties by name.
fn grouped<'a>(
    symbols: &Symbols,
    events: impl Iterator<Item = &'a Event>,
    key: impl Fn(&Props) -> Option<Sym>,
) -> Vec<(String, Calls)> {
    let mut groups: HashMap<Option<Sym>, Calls> = HashMap::new();
    for e in events {
        groups.entry(key(&e.props)).or_default().add(e);
    }
    // Rows named by their text; a text equal to `unknown` joins the rows without one.
    let mut named: BTreeMap<&str, Calls> = BTreeMap::new();
    for (sym, calls) in groups {
        let name = symbols.text_of(sym).unwrap_or("unknown");
        named.entry(name).or_default().merge(calls);
    }
    let mut rows: Vec<_> = named
        .into_iter()
        .map(|(name, calls)| (name.to_string(), calls))
        .collect();
    rows.sort_by(|a, b| b.1.n.cmp(&a.1.n).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// The ops section over `w`, seen through `filter`.
pub fn ops(t: &Telemetry, w: &TimeWindow, filter: &ProductFilter, currency: &str) -> OpsSection {
    let v = View::new(t, filter);
    let (s, e, ps) = (ms(w.start), ms(w.end), ms(w.previous_start));
    let (mut cur, mut prev) = (Calls::of(calls(&v, s, e)), Calls::of(calls(&v, ps, s)));
    let card = |d: KpiDef, a: Option<f64>, b: Option<f64>| d.card(Pair::new(a, b), currency);
    let down = KpiDef::down;
    let rate = |c: &Calls| ratio(c.ok as f64, c.n as f64);
    let kpis = OpsKpis {
        calls: card(
            KpiDef::up("calls", "Generation calls", Unit::Count),
            Some(cur.n as f64),
            Some(prev.n as f64),
        ),
        success_rate: card(
            KpiDef::up("successRate", "Success rate", Unit::Ratio),
            rate(&cur),
            rate(&prev),
        ),
        avg_latency_ms: card(
            down("avgLatencyMs", "Average latency", Unit::Milliseconds),
            cur.avg(),
            prev.avg(),
        ),
        p95_latency_ms: card(
            down("p95LatencyMs", "p95 latency", Unit::Milliseconds),
            cur.p95(),
            prev.p95(),
        ),
        total_cost: card(
            down("totalCost", "Generation cost", Unit::Currency),
            Some(cur.cost),
            Some(prev.cost),
        ),
    };
    let series = w
        .buckets()
        .iter()
        .map(|b| {
            let mut c = Calls::of(calls(&v, ms(b.start), ms(b.end)));
            OpsPoint {
                start: w.local(b.start),
                end: w.local(b.end),
                is_partial: b.is_partial,
                succeeded: c.ok as i32,
                failed: (c.n - c.ok) as i32,
                avg_latency_ms: c.avg(),
                p95_latency_ms: c.p95(),
            }
        })
        .collect();
    let by_model = grouped(v.symbols, calls(&v, s, e), |p| p.model)
        .into_iter()
        .map(|(model, c)| ModelRow {
            model,
            calls: c.n as i32,
            success_rate: rate(&c),
            tokens: c.tokens,
            cost: c.cost,
            avg_latency_ms: c.avg(),
        })
        .collect();
    let by_stage = grouped(v.symbols, calls(&v, s, e), |p| p.stage)
        .into_iter()
        .map(|(stage, mut c)| StageRow {
            stage,
            calls: c.n as i32,
            failures: (c.n - c.ok) as i32,
            failure_rate: ratio((c.n - c.ok) as f64, c.n as f64),
            p95_latency_ms: c.p95(),
        })
        .collect();
    OpsSection {
        kpis,
        series,
        by_model,
        by_stage,
    }
}

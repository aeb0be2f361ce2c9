//! Two years of company figures for the executive dashboard: monthly revenue with growth and
//! a backlog, uptime (one bad month, sent as a percentage), NRR with a recent dip, pipeline for
//! the current month, subscription and one-off orders of 40 customers (three gone a year
//! ago, three halved), and a year of real-user timings of the dashboard itself.

use crate::kernel::calendar::{add_months, local_date};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Months of history, the current one included.
const MONTHS: i32 = 24;
const CUSTOMERS: usize = 40;
const BROWSERS: [&str; 3] = ["chrome", "firefox", "safari"];

fn month(d: NaiveDate) -> String {
    d.format("%Y-%m-01").to_string()
}

/// The executive datasets (table-driven) and the real-user events, for local `tz`.
pub fn generate_executive(
    now: DateTime<Utc>,
    tz: Tz,
    seed: u64,
) -> (super::DatasetRows, Vec<Value>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let current = add_months(local_date(tz, now), 0);
    let (mut revenue, mut uptime, mut nrr) = (Vec::new(), Vec::new(), Vec::new());
    let mut backlog = 400_000.0;
    for i in 0..MONTHS {
        let m = add_months(current, i - MONTHS + 1);
        let recognized = (80_000.0 * 1.03f64.powi(i) * rng.random_range(0.92..1.08)).round();
        let booked = (recognized * rng.random_range(0.9..1.3)).round();
        backlog = (backlog + booked - recognized).max(0.0);
        revenue.push(
            json!({"month": month(m), "recognized": recognized, "booked": booked,
            "backlog": backlog}),
        );
        let up = if i == MONTHS - 4 {
            99.2
        } else {
            rng.random_range(0.9992..0.99995)
        };
        uptime.push(json!({"month": month(m), "uptime": up}));
        let retention = if i >= MONTHS - 2 {
            0.97
        } else {
            rng.random_range(1.01..1.09)
        };
        nrr.push(json!({"month": month(m), "nrr": (retention * 1000.0f64).round() / 1000.0}));
    }
    let pipeline = vec![json!({"month": month(current), "pipeline": 420_000, "win_rate": 28})];
    let mut orders = Vec::new();
    for c in 0..CUSTOMERS {
        let customer = format!("Customer {:02}", c + 1);
        let base = rng.random_range(800.0..6_000.0f64).round();
        // Customers 1–3 stopped a year ago; 4–6 halved 6 months ago; the rest renew monthly.
        let stops = (c < 3).then_some(MONTHS - 12);
        let shrinks_from = (3..6).contains(&c).then_some(MONTHS - 6);
        for i in 0..stops.unwrap_or(MONTHS) {
            let m = add_months(current, i - MONTHS + 1);
            let day = rng.random_range(1..=28);
            let date = NaiveDate::from_ymd_opt(m.year(), m.month(), day).expect("day 1–28");
            let amount = match shrinks_from {
                Some(from) if i >= from => (base / 2.0).round(),
                _ => base,
            };
            let kind = if c % 2 == 0 {
                "subscription"
            } else {
                "recurring"
            };
            orders.push(
                json!({"id": format!("ord-{c:02}-{i:02}"), "order_date": date.to_string(),
                "customer": customer, "amount": amount,
                "profit": (amount * rng.random_range(0.45..0.7)).round(), "type": kind}),
            );
            if rng.random_bool(0.15) {
                let one_off = rng.random_range(500.0..9_000.0f64).round();
                orders.push(
                    json!({"id": format!("one-{c:02}-{i:02}"), "order_date": date.to_string(),
                    "customer": customer, "amount": one_off,
                    "profit": (one_off * rng.random_range(0.1..0.4)).round(), "type": "one_off"}),
                );
            }
        }
    }
    let mut events = Vec::new();
    for day in 0..365 {
        for n in 0..rng.random_range(20..40) {
            let at = now - Duration::days(day) - Duration::minutes(rng.random_range(0..1440));
            let (name, ms) = match n % 4 {
                0 => ("page_load", rng.random_range(500.0..1_900.0)),
                1 | 2 => ("drilldown", rng.random_range(40.0..240.0)),
                _ => ("switch_range_or_granularity", rng.random_range(30.0..170.0)),
            };
            events.push(json!({"id": format!("rum-{day:03}-{n:02}"), "name": name,
                "occurred_at": at.to_rfc3339(), "session_id": format!("sess-{day}-{}", n / 6),
                "duration_ms": (ms * 10.0f64).round() / 10.0,
                "meta": {"path": "/executive", "browser": BROWSERS[n % 3]}}));
        }
    }
    let tables = vec![
        ("exec_revenue_months", revenue),
        ("exec_uptime_months", uptime),
        ("exec_nrr_months", nrr),
        ("exec_pipeline_months", pipeline),
        ("exec_orders", orders),
    ];
    (tables, events)
}

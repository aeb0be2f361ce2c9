//! The executive fixture (clock 2025-08-15, team in UTC). Window `LAST_6_MONTHS` = March to
//! August 2025; its previous window = September 2024 to February 2025.
//!
//! | month   | recognized | booked | backlog | uptime | nrr  | pipeline × win rate |
//! |---------|-----------:|-------:|--------:|-------:|-----:|--------------------:|
//! | 2025-01 | 80         | 70     | 400     |        | 1.1  |                     |
//! | 2025-02 | 90         | 90     | 410     |        |      |                     |
//! | 2025-03 | 100        | 150    | 450     |        |      |                     |
//! | 2025-04 | 110        | 100    | 440     |        |      |                     |
//! | 2025-05 | 120        | 130    | 450     |        | 95 % |                     |
//! | 2025-06 | 130        | 90     | 410     | 99.5 % |      | 1000 × 0.5          |
//! | 2025-07 | 140        | 200    | (none)  | 0.9999 |      |                     |
//! | 2025-08 | (no row)   |        |         | 100 %  |      | 2000 × 25 %         |
//!
//! Orders (recurring = subscription / recurring):
//!
//! | id | date                      | customer | amount | profit | type         | window   |
//! |----|---------------------------|----------|-------:|-------:|--------------|----------|
//! | o1 | 2025-08-03T22:00:00-05:00 | Acme     | 1000   | 400    | subscription | current  |
//! | o2 | 2025-08-20                | Beta     | 500    | 100    | one_off      | current  |
//! | o3 | 2025-05-10                | Acme     | 1000   | 300    | subscription | current  |
//! | o6 | 2025-07-01                | Beta     | 200    | -50    | recurring    | current  |
//! | o4 | 2025-02-10                | Acme     | 3000   | 1500   | subscription | previous |
//! | o5 | 2025-01-05                | Gamma    | 800    | 200    | recurring    | previous |
//! | o7 | 2025-02-01                | Beta     | 100    | 20     | recurring    | previous |
//! | o8 | 2024-08-31                | Delta    | 999    | 0      | subscription | neither  |
//! | o9 | 2025-09-01                | Acme     | 50     | 0      | subscription | neither  |
//!
//! Real-user events in the window: `drilldown` 100, 120, 140, 160, 400 ms (p95 352) plus one
//! without a duration; `page_load` 1000, 1500 ms (p95 1475); one `drilldown` of 5000 ms on
//! 2025-02-28 (before the window).

use super::TestApp;
use dashgate::kernel::Principal;
use serde_json::{Value, json};

/// The instant the executive tests' clock is pinned to.
pub const EXEC_NOW: &str = "2025-08-15T12:00:00Z";

fn revenue(month: &str, recognized: f64, booked: f64, backlog: Option<f64>) -> Value {
    json!({"month": month, "recognized": recognized, "booked": booked, "backlog": backlog})
}

fn order(id: &str, date: &str, customer: &str, amount: f64, profit: f64, kind: &str) -> Value {
    json!({"id": id, "order_date": date, "customer": customer, "amount": amount,
           "profit": profit, "type": kind})
}

fn event(id: &str, name: &str, at: &str, duration: Option<f64>) -> Value {
    json!({"id": id, "name": name, "occurred_at": at, "session_id": "s1",
           "duration_ms": duration, "meta": {"dashboard": "executive"}})
}

/// Ingests the fixture for `p`'s team.
pub async fn ingest_executive_fixture(app: &TestApp, p: &Principal) {
    app.ingest_into(
        p,
        "exec_revenue_months",
        &[
            revenue("2025-01-01", 80.0, 70.0, Some(400.0)),
            revenue("2025-02-01", 90.0, 90.0, Some(410.0)),
            revenue("2025-03-01", 100.0, 150.0, Some(450.0)),
            revenue("2025-04-01", 110.0, 100.0, Some(440.0)),
            revenue("2025-05", 120.0, 130.0, Some(450.0)),
            revenue("2025-06-01", 130.0, 90.0, Some(410.0)),
            revenue("2025-07-01", 140.0, 200.0, None),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "exec_uptime_months",
        &[
            json!({"month": "2025-06-01", "uptime": 99.5}),
            json!({"month": "2025-07-01", "uptime": 0.9999}),
            json!({"month": "2025-08-01", "uptime": 100}),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "exec_nrr_months",
        &[
            json!({"month": "2025-01-01", "nrr": 1.1}),
            json!({"month": "2025-05-01", "nrr": 95}),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "exec_pipeline_months",
        &[
            json!({"month": "2025-06-01", "pipeline": 1000, "win_rate": 0.5}),
            json!({"month": "2025-08-01", "pipeline": 2000, "win_rate": 25}),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "exec_orders",
        &[
            order(
                "o1",
                "2025-08-03T22:00:00-05:00",
                "Acme",
                1000.0,
                400.0,
                "subscription",
            ),
            order("o2", "2025-08-20", "Beta", 500.0, 100.0, "one_off"),
            order("o3", "2025-05-10", "Acme", 1000.0, 300.0, "Subscription"),
            order("o6", "2025-07-01", "Beta", 200.0, -50.0, "recurring"),
            order("o4", "2025-02-10", "Acme", 3000.0, 1500.0, "subscription"),
            order("o5", "2025-01-05", "Gamma", 800.0, 200.0, "recurring"),
            order("o7", "2025-02-01", "Beta", 100.0, 20.0, "recurring"),
            order("o8", "2024-08-31", "Delta", 999.0, 0.0, "subscription"),
            order("o9", "2025-09-01", "Acme", 50.0, 0.0, "subscription"),
        ],
    )
    .await;
    let mut events: Vec<Value> = [100.0, 120.0, 140.0, 160.0, 400.0]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            event(
                &format!("d{i}"),
                "drilldown",
                "2025-07-10T09:00:00Z",
                Some(*d),
            )
        })
        .collect();
    events.push(event("d5", "drilldown", "2025-08-01T00:00:00Z", None));
    events.push(event(
        "d6",
        "drilldown",
        "2025-02-28T23:59:59Z",
        Some(5000.0),
    ));
    events.push(event(
        "p0",
        "page_load",
        "2025-03-01T00:00:00Z",
        Some(1000.0),
    ));
    events.push(event(
        "p1",
        "page_load",
        "2025-08-15T11:59:59Z",
        Some(1500.0),
    ));
    app.ingest_into(p, "rum_events", &events).await;
}

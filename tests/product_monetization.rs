//! The product `monetization` section on hand-computed values (both databases).
//! Clock 2026-03-10T12:00:00Z, UTC; `LAST_7_DAYS` = March 4–10, previous February 25 – March 3.
//!
//! | m | user | plan | amount | start | expire | status | note |
//! |---|---|---|---|---|---|---|---|
//! | a | u1 | monthly | 30 | 03-05 | 04-05 | active | |
//! | b | u2 | yearly | 120 | 03-06 | 2027-03-06 | active | MRR 10 |
//! | c | u3 | quarterly | 45 | 02-01 | 03-05 | expired | renewed by d (03-09 ≤ 03-12) |
//! | d | u3 | monthly | 30 | 03-09 | 04-09 | active | |
//! | e | u4 | monthly | 10 | 02-06 | 03-06 | cancelled | churned |
//! | f | u5 | lifetime | 200 | 03-07 | – | active | not in MRR |
//! | g | u6 | monthly | 10 | 01-28 | 02-28 | expired | churned in the previous window |
//!
//! Paywall events: u1 app_open → paywall_view → paywall_cta_click → pay_success; u2 app_open →
//! paywall_view; u3 app_open; u7 paywall_view only.

use crate::both_dbs;
use crate::support::product_fixture::membership as m;
use dashgate::kernel::Role;
use serde_json::{Value, json};

const MONETIZATION: &str = "monetization { kpis { revenue { value previous } mrr { value previous }
    arppu { value previous } churnedMembers { value previous betterWhen } renewalRate { value previous } }
  planMix { planType count revenue share }
  cumulativeRevenue { revenue cumulative }
  membershipFunnel { name count conversionFromStart conversionFromPrevious } }";

both_dbs! {
    async fn the_monetization_section_matches_hand_computed_values(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_memberships", &[
            m("a", "u1", "monthly", 30.0, "2026-03-05", Some("2026-04-05"), "active"),
            m("b", "u2", "yearly", 120.0, "2026-03-06", Some("2027-03-06"), "active"),
            m("c", "u3", "quarterly", 45.0, "2026-02-01", Some("2026-03-05"), "expired"),
            m("d", "u3", "monthly", 30.0, "2026-03-09", Some("2026-04-09"), "active"),
            m("e", "u4", "monthly", 10.0, "2026-02-06", Some("2026-03-06"), "cancelled"),
            m("f", "u5", "lifetime", 200.0, "2026-03-07", None, "active"),
            m("g", "u6", "monthly", 10.0, "2026-01-28", Some("2026-02-28"), "expired"),
        ]).await;
        let events: Vec<Value> = [
            ("u1", "app_open"), ("u1", "paywall_view"), ("u1", "paywall_cta_click"), ("u1", "pay_success"),
            ("u2", "app_open"), ("u2", "paywall_view"), ("u3", "app_open"), ("u7", "paywall_view"),
        ].iter().enumerate().map(|(i, (u, name))| json!({"id": format!("e{i}"), "user_id": u,
            "event_name": name, "event_time": "2026-03-08T10:00:00Z"})).collect();
        app.ingest_into(&p, "product_events", &events).await;
        let q = format!("{{ product(window: {{preset: LAST_7_DAYS}}) {{ {MONETIZATION} }} }}");
        let d = app.data(&p, &q).await["product"]["monetization"].clone();
        assert_eq!(d["kpis"], json!({
            "revenue": {"value": 380.0, "previous": 0.0},
            "mrr": {"value": 70.0, "previous": 0.0},
            "arppu": {"value": 95.0, "previous": null},
            "churnedMembers": {"value": 1.0, "previous": 1.0, "betterWhen": "DOWN"},
            "renewalRate": {"value": 0.5, "previous": 0.0}}));
        assert_eq!(d["planMix"], json!([
            {"planType": "monthly", "count": 2, "revenue": 60.0, "share": 0.5},
            {"planType": "lifetime", "count": 1, "revenue": 200.0, "share": 0.25},
            {"planType": "yearly", "count": 1, "revenue": 120.0, "share": 0.25}]));
        let curve: Vec<(f64, f64)> = d["cumulativeRevenue"].as_array().unwrap().iter()
            .map(|p| (p["revenue"].as_f64().unwrap(), p["cumulative"].as_f64().unwrap())).collect();
        assert_eq!(curve, [(0.0, 0.0), (30.0, 30.0), (120.0, 150.0), (200.0, 350.0), (0.0, 350.0), (30.0, 380.0), (0.0, 380.0)]);
        let (t, h) = (1.0 / 3.0, 2.0 / 3.0);
        assert_eq!(d["membershipFunnel"], json!([
            {"name": "app_open", "count": 3, "conversionFromStart": 1.0, "conversionFromPrevious": 1.0},
            {"name": "paywall_view", "count": 2, "conversionFromStart": h, "conversionFromPrevious": h},
            {"name": "paywall_cta_click", "count": 1, "conversionFromStart": t, "conversionFromPrevious": 0.5},
            {"name": "pay_success", "count": 1, "conversionFromStart": t, "conversionFromPrevious": 1.0}]));
    }
}

//! The executive dashboard: the spec's worked example, every KPI with its previous window on
//! the documented fixture (support/executive_fixture.rs), trends, drill-downs, customers at
//! risk, quality gates and alerts — hand-computed values, both databases.

use crate::both_dbs_with;
use crate::support::executive_fixture::{EXEC_NOW, ingest_executive_fixture};
use crate::support::{TestApp, code};
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

fn at_exec_now(s: &mut dashgate::config::Settings) {
    s.now = Some(EXEC_NOW.parse().unwrap());
}

/// Asserts a number equals `expected` to 1e-9.
#[track_caller]
fn close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!(
        (got - expected).abs() < 1e-9,
        "got {got}, expected {expected}"
    );
}

const CARD: &str = "{ value previous delta { absolute ratio status } unit currency }";

async fn eur_team(app: &TestApp) -> Principal {
    let team = dashgate::accounts::teams::create(&app.state.db, "acme", "Acme", "UTC", "EUR", 0)
        .await
        .unwrap();
    Principal {
        team,
        user: "cfo".into(),
        role: Role::Editor,
    }
}

both_dbs_with! { at_exec_now;
    async fn the_worked_example_of_the_spec_monthly_and_quarterly(app) {
        let p = eur_team(&app).await;
        let rows: Vec<Value> = (3..=8).map(|m| json!({"month": format!("2025-{m:02}-01"),
            "recognized": 100, "booked": 120, "backlog": 500 + 20 * (m - 3)})).collect();
        app.ingest_into(&p, "exec_revenue_months", &rows).await;
        let q = format!(r#"{{ executive(window: {{preset: LAST_6_MONTHS}}) {{
            window {{ start end previousStart granularity }} currency
            kpis {{ revenue {CARD} backlog {{ value }} bookToBill {{ value }}
                    coverageMonths {{ value unit }} forecast {{ value currency }} nrr {CARD}
                    grossMargin {{ value }} arr {{ value }} uptime {{ value }} }}
            revenueTrend {{ period recognized booked backlog isPartial }} }} }}"#);
        let e = app.data(&p, &q).await["executive"].clone();
        assert_eq!(e["window"], json!({"start": "2025-03-01T00:00:00+00:00",
            "end": "2025-09-01T00:00:00+00:00", "previousStart": "2024-09-01T00:00:00+00:00",
            "granularity": "MONTH"}));
        assert_eq!(e["currency"], "EUR");
        let k = &e["kpis"];
        assert_eq!(k["revenue"], json!({"value": 600.0, "previous": 0.0, "unit": "CURRENCY",
            "currency": "EUR", "delta": {"absolute": 600.0, "ratio": null, "status": "PREVIOUS_ZERO"}}));
        assert_eq!(k["backlog"]["value"], json!(600.0));
        close(&k["bookToBill"]["value"], 1.2);
        assert_eq!(k["coverageMonths"], json!({"value": 6.0, "unit": "MONTHS"}));
        close(&k["forecast"]["value"], 102.0);
        assert_eq!(k["forecast"]["currency"], "EUR");
        assert_eq!(k["nrr"], json!({"value": null, "previous": null, "unit": "RATIO", "currency": null,
            "delta": {"absolute": null, "ratio": null, "status": "NO_PREVIOUS_DATA"}}));
        assert_eq!(k["grossMargin"]["value"], Value::Null);
        assert_eq!(k["arr"]["value"], json!(0.0));
        assert_eq!(k["uptime"]["value"], Value::Null);
        let trend = e["revenueTrend"].as_array().unwrap();
        let periods: Vec<&str> = trend.iter().map(|p| p["period"].as_str().unwrap()).collect();
        assert_eq!(periods, ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]);
        assert_eq!(trend[0], json!({"period": "2025-03", "recognized": 100.0, "booked": 120.0,
            "backlog": 500.0, "isPartial": false}));
        assert_eq!(trend[5]["backlog"], json!(600.0));
        assert_eq!(trend[5]["isPartial"], json!(true), "August is still in progress");

        let q = r#"{ executive(window: {preset: LAST_6_MONTHS, granularity: QUARTER}) {
            revenueTrend { period recognized booked backlog isPartial } } }"#;
        let quarters = app.data(&p, q).await["executive"]["revenueTrend"].clone();
        assert_eq!(quarters, json!([
            {"period": "2025-Q1", "recognized": 100.0, "booked": 120.0, "backlog": 500.0, "isPartial": true},
            {"period": "2025-Q2", "recognized": 300.0, "booked": 360.0, "backlog": 560.0, "isPartial": false},
            {"period": "2025-Q3", "recognized": 200.0, "booked": 240.0, "backlog": 600.0, "isPartial": true},
        ]));
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}) { kpi(key: COVERAGE_MONTHS) {
            card { key value } series { period value } } } }"#;
        let d = app.data(&p, q).await["executive"]["kpi"].clone();
        assert_eq!(d["card"], json!({"key": "coverageMonths", "value": 6.0}));
        // Each month: its backlog over the mean of the rows among the 6 months up to it.
        let values: Vec<f64> = d["series"].as_array().unwrap().iter()
            .map(|p| p["value"].as_f64().unwrap()).collect();
        assert_eq!(values, [5.0, 5.2, 5.4, 5.6, 5.8, 6.0]);
        // A team's currency can change; cards carry it from the next request on.
        let team = dashgate::accounts::teams::update_settings(&app.state.db, "acme", None, Some("JPY")).await.unwrap();
        assert_eq!((team.currency.as_str(), team.timezone.name()), ("JPY", "UTC"));
        let body = r#"{"query": "{ executive { currency kpis { arr { currency } } } }"}"#;
        let (_, r) = app.http("POST", "/graphql", Some(&app.token(&p)), body).await;
        assert_eq!(r["data"]["executive"], json!({"currency": "JPY", "kpis": {"arr": {"currency": "JPY"}}}));
        let bad = dashgate::accounts::teams::update_settings(&app.state.db, "acme", Some("Mars/Base"), None).await;
        assert!(matches!(bad, Err(dashgate::kernel::AppError::BadInput { .. })));
    }

    async fn every_kpi_against_its_previous_window(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        ingest_executive_fixture(&app, &p).await;
        let q = format!(r#"{{ executive(window: {{preset: LAST_6_MONTHS}}) {{ kpis {{
            revenue {CARD} backlog {CARD} uptime {CARD} nrr {CARD} grossMargin {CARD}
            bookToBill {CARD} coverageMonths {CARD} arr {CARD} forecast {CARD} }} }} }}"#);
        let k = app.data(&p, &q).await["executive"]["kpis"].clone();
        let pair = |key: &str, value: f64, previous: f64| {
            close(&k[key]["value"], value);
            close(&k[key]["previous"], previous);
        };
        pair("revenue", 600.0, 170.0);
        close(&k["revenue"]["delta"]["ratio"], 430.0 / 170.0);
        assert_eq!(k["revenue"]["currency"], "USD");
        pair("backlog", 410.0, 410.0);
        assert_eq!(k["backlog"]["delta"], json!({"absolute": 0.0, "ratio": 0.0, "status": "OK"}));
        close(&k["uptime"]["value"], (0.995 + 0.9999 + 1.0) / 3.0);
        assert_eq!(k["uptime"]["delta"]["status"], "NO_PREVIOUS_DATA");
        pair("nrr", 0.95, 1.1);
        pair("grossMargin", 750.0 / 2700.0, 1720.0 / 3900.0);
        pair("bookToBill", 670.0 / 600.0, 160.0 / 170.0);
        pair("coverageMonths", 410.0 / 120.0, 410.0 / 85.0);
        pair("arr", 12_000.0, 37_200.0);
        pair("forecast", 500.0, 85.0 * 1.02);
        assert_eq!(k["uptime"]["unit"], "RATIO");
        assert_eq!(k["uptime"]["currency"], Value::Null);

        // Before any NRR row: null, and sums of nothing are zero on both sides.
        let q = format!(r#"{{ executive(window: {{start: "2024-06-01T00:00:00Z", end: "2024-12-01T00:00:00Z"}}) {{
            window {{ preset start end }} kpis {{ nrr {CARD} revenue {CARD} }} }} }}"#);
        let e = app.data(&p, &q).await["executive"].clone();
        assert_eq!(e["window"]["preset"], "CUSTOM");
        assert_eq!(e["kpis"]["nrr"]["value"], Value::Null);
        assert_eq!(e["kpis"]["revenue"]["delta"]["status"], "BOTH_ZERO");
    }

    async fn drilldowns_and_uptime_are_per_month(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        ingest_executive_fixture(&app, &p).await;
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}) {
            backlog: kpi(key: BACKLOG) { series { value } }
            forecast: kpi(key: FORECAST) { series { period value } }
            uptime { period uptime isPartial }
            quarters: revenueTrend { backlog } } }"#;
        let e = app.data(&p, q).await["executive"].clone();
        let values = |v: &Value, field: &str| -> Vec<Value> {
            v.as_array().unwrap().iter().map(|p| p[field].clone()).collect()
        };
        assert_eq!(values(&e["backlog"]["series"], "value"),
            [json!(450.0), json!(440.0), json!(450.0), json!(410.0), Value::Null, Value::Null]);
        let forecast = values(&e["forecast"]["series"], "value");
        close(&forecast[0], 90.0 * 1.02); // March: Jan, Feb, Mar
        close(&forecast[3], 500.0); // June: its pipeline
        close(&forecast[4], 130.0 * 1.02); // July: May, Jun, Jul
        close(&forecast[5], 500.0); // August: its pipeline
        let uptime = values(&e["uptime"], "uptime");
        assert_eq!(&uptime[..3], [Value::Null, Value::Null, Value::Null]);
        close(&uptime[3], 0.995);
        close(&uptime[4], 0.9999);
        close(&uptime[5], 1.0);
        assert_eq!(e["uptime"][0]["period"], "2025-03");
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS, granularity: QUARTER}) {
            revenueTrend { period recognized booked backlog } uptime { uptime } } }"#;
        let e = app.data(&p, q).await["executive"].clone();
        assert_eq!(e["revenueTrend"], json!([
            {"period": "2025-Q1", "recognized": 100.0, "booked": 150.0, "backlog": 450.0},
            {"period": "2025-Q2", "recognized": 360.0, "booked": 320.0, "backlog": 410.0},
            {"period": "2025-Q3", "recognized": 140.0, "booked": 200.0, "backlog": null},
        ]));
        assert_eq!(e["uptime"][0]["uptime"], Value::Null);
        close(&e["uptime"][1]["uptime"], 0.995);
        close(&e["uptime"][2]["uptime"], (0.9999 + 1.0) / 2.0);
    }

    async fn customers_at_risk_gates_and_alerts(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        ingest_executive_fixture(&app, &p).await;
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}) {
            atRiskCustomers { customer previousAmount currentAmount drop stopped }
            top: atRiskCustomers(limit: 1) { customer }
            qualityGates { name p95Ms samples thresholdMs passed }
            alerts { severity kpi threshold } } }"#;
        let e = app.data(&p, q).await["executive"].clone();
        assert_eq!(e["atRiskCustomers"], json!([
            {"customer": "Acme", "previousAmount": 3000.0, "currentAmount": 2000.0, "drop": 1000.0, "stopped": false},
            {"customer": "Gamma", "previousAmount": 800.0, "currentAmount": 0.0, "drop": 800.0, "stopped": true},
        ]));
        assert_eq!(e["top"], json!([{"customer": "Acme"}]));
        // drilldown: (5 - 1) × 0.95 = 3.8 → 160 + 0.8 × (400 - 160) = 352.
        close(&e["qualityGates"][1]["p95Ms"], 352.0);
        close(&e["qualityGates"][2]["p95Ms"], 1475.0);
        let mut gates = e["qualityGates"].clone();
        for g in gates.as_array_mut().unwrap() {
            g.as_object_mut().unwrap().remove("p95Ms");
        }
        assert_eq!(gates, json!([
            {"name": "switch_range_or_granularity", "samples": 0, "thresholdMs": 200.0, "passed": null},
            {"name": "drilldown", "samples": 5, "thresholdMs": 200.0, "passed": false},
            {"name": "page_load", "samples": 2, "thresholdMs": 2000.0, "passed": true},
        ]));
        assert_eq!(e["qualityGates"][0]["p95Ms"], Value::Null);
        assert_eq!(e["alerts"], json!([
            {"severity": "CRITICAL", "kpi": "uptime", "threshold": 0.999},
            {"severity": "WARNING", "kpi": "nrr", "threshold": 1.0},
            {"severity": "WARNING", "kpi": "grossMargin", "threshold": 0.5},
            {"severity": "WARNING", "kpi": "qualityGate:drilldown", "threshold": 200.0},
        ]));
        // The whole dashboard: five ledger queries, two for the gates, one for customers at risk.
        let everything = r#"{ executive(window: {preset: QUARTER_TO_DATE}) { kpis { revenue { value }
            backlog { value } uptime { value } nrr { value } grossMargin { value } bookToBill { value }
            coverageMonths { value } arr { value } forecast { value } } revenueTrend { recognized }
            kpi(key: ARR) { series { value } } uptime { uptime } atRiskCustomers { customer }
            alerts { kpi } qualityGates { passed } } }"#;
        let statements = app.statements_of(app.data(&p, everything)).await;
        assert_eq!(statements.len(), 8, "{statements:#?}");
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}, filter: {customers: [" Gamma"]}) {
            atRiskCustomers { customer } kpis { grossMargin { value previous } arr { value } } } }"#;
        let e = app.data(&p, q).await["executive"].clone();
        assert_eq!(e["atRiskCustomers"], json!([{"customer": "Gamma"}]));
        assert_eq!(e["kpis"]["grossMargin"], json!({"value": null, "previous": 0.25}));
        assert_eq!(e["kpis"]["arr"]["value"], json!(0.0));
    }

    async fn month_windows_reject_day_presets_and_fine_granularity(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        for window in ["{preset: LAST_7_DAYS}", "{granularity: DAY}"] {
            let q = format!("{{ executive(window: {window}) {{ window {{ start }} }} }}");
            assert_eq!(code(&app.gql(Some(&p), &q).await), "BAD_USER_INPUT", "{window}");
        }
        let e = app.data(&p, "{ executive { window { preset start end } revenueTrend { period } } }").await;
        assert_eq!(e["executive"]["window"]["preset"], "LAST_12_MONTHS");
        assert_eq!(e["executive"]["revenueTrend"].as_array().unwrap().len(), 12);
        assert_eq!(e["executive"]["revenueTrend"][0]["period"], "2024-09");
    }
}

both_dbs_with! { |s: &mut dashgate::config::Settings| {
        at_exec_now(s);
        s.alert_uptime_min = 0.99;
        s.alert_gross_margin_min = 0.2;
        s.quality_gates = "drilldown=500".parse().unwrap();
    };
    async fn alert_thresholds_and_gates_come_from_configuration(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let editor = Principal { role: Role::Editor, ..p.clone() };
        ingest_executive_fixture(&app, &editor).await;
        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}) {
            alerts { severity kpi value threshold message } qualityGates { name passed } } }"#;
        let e = app.data(&p, q).await["executive"].clone();
        assert_eq!(e["qualityGates"], json!([{"name": "drilldown", "passed": true}]));
        assert_eq!(e["alerts"], json!([{"severity": "WARNING", "kpi": "nrr", "value": 0.95,
            "threshold": 1.0, "message": "Net revenue retention is 95.00 %, below 100.00 %"}]));
    }
}

//! apiUsage metrics against hand-computed values, on both databases.
//!
//! Fixture (team in UTC; window [2026-03-01, 2026-03-03), DAY; previous [02-27, 03-01)):
//!
//! | id | at | status | ms | model | country | cost | tokens | user |
//! |----|----|--------|----|-------|---------|------|--------|------|
//! | r1 | 03-01 01:00 | 200 | 100 | A | US | 0.10 | 100 | u1 |
//! | r2 | 03-01 02:00 | 500 | 300 | A | us→US | null | – | u2 |
//! | r3 | 03-01 23:59:59.999 | 200 | 50 | B | DE | "0.02" | 20 | u1 |
//! | r4 | 03-02 10:00 | 429 | 10 | B | ZZ | 0 | 0 | "" (none) |
//! | r5 | 03-02 12:00 | 200 | 20 | "" (none) | – | – | – | u3 |
//! | r6 | 03-03 00:00 = end: outside | | | | | | | |
//! | p1 | 02-28 12:00 | 200 | 200 | A | US | 0.30 | 300 | u1 |
//! | p2 | 02-27 00:00 = previous start: inside | 404 | 40 | A | FR | – | – | u4 |
//! | p0 | 02-26 23:59:59: before both | | | | | | | |

use crate::both_dbs;
use crate::support::fixtures::{api_usage_rows, log};
use crate::support::{TestApp, code};
use dashgate::kernel::Role;
use serde_json::{Value, json};

const WINDOW: &str = r#"window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", timezone: "UTC", granularity: DAY}"#;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(v: &Value, expected: f64) {
    assert!((f(v) - expected).abs() < 1e-9, "{v} != {expected}");
}

async fn seeded(app: &TestApp) -> dashgate::kernel::Principal {
    let p = app.team("acme", "UTC", Role::Editor).await;
    app.ingest(&p, &api_usage_rows()).await;
    p
}

both_dbs! {
    async fn kpis_match_hand_computed_values(app) {
        let p = seeded(&app).await;
        let q = format!("{{ apiUsage({WINDOW}) {{ kpis {{
            totalRequests {{ value previous delta {{ absolute ratio status }} unit betterWhen }}
            successfulRequests {{ value previous }}
            errorRate {{ value previous unit betterWhen }}
            avgLatencyMs {{ value previous }}
            p95LatencyMs {{ value previous }}
            totalCost {{ value previous currency unit }}
            avgCostPerRequest {{ value previous }}
            totalTokens {{ value previous }}
            activeUsers {{ value previous }}
        }} }} }}");
        let k = app.data(&p, &q).await["apiUsage"]["kpis"].clone();
        assert_eq!(k["totalRequests"], json!({"value": 5.0, "previous": 2.0,
            "delta": {"absolute": 3.0, "ratio": 1.5, "status": "OK"}, "unit": "COUNT", "betterWhen": "NEUTRAL"}));
        assert_eq!(k["successfulRequests"], json!({"value": 3.0, "previous": 1.0}));
        close(&k["errorRate"]["value"], 0.4);
        close(&k["errorRate"]["previous"], 0.5);
        assert_eq!(k["errorRate"]["unit"], "RATIO");
        assert_eq!(k["errorRate"]["betterWhen"], "DOWN");
        close(&k["avgLatencyMs"]["value"], 96.0);
        close(&k["avgLatencyMs"]["previous"], 120.0);
        // p95 of [10, 20, 50, 100, 300]: rank 3.8 → 100 + 0.8 × 200; of [40, 200]: 40 + 0.95 × 160.
        close(&k["p95LatencyMs"]["value"], 260.0);
        close(&k["p95LatencyMs"]["previous"], 192.0);
        close(&k["totalCost"]["value"], 0.12);
        close(&k["totalCost"]["previous"], 0.30);
        assert_eq!(k["totalCost"]["currency"], "USD");
        close(&k["avgCostPerRequest"]["value"], 0.024);
        close(&k["avgCostPerRequest"]["previous"], 0.15);
        assert_eq!(k["totalTokens"], json!({"value": 120.0, "previous": 300.0}));
        assert_eq!(k["activeUsers"], json!({"value": 3.0, "previous": 2.0}));
    }

    async fn series_are_dense_per_local_day(app) {
        let p = seeded(&app).await;
        let q = format!("{{ apiUsage({WINDOW}) {{
            requests {{ start end isPartial success error total }}
            costs {{ start value }}
            latency {{ avgMs p50Ms p95Ms }} }} }}");
        let d = app.data(&p, &q).await["apiUsage"].clone();
        assert_eq!(d["requests"], json!([
            {"start": "2026-03-01T00:00:00+00:00", "end": "2026-03-02T00:00:00+00:00", "isPartial": false,
             "success": 2.0, "error": 1.0, "total": 3.0},
            {"start": "2026-03-02T00:00:00+00:00", "end": "2026-03-03T00:00:00+00:00", "isPartial": false,
             "success": 1.0, "error": 1.0, "total": 2.0},
        ]));
        close(&d["costs"][0]["value"], 0.12);
        assert_eq!(d["costs"][1]["value"], json!(0.0));
        // Day 1: [50, 100, 300]; day 2: [10, 20].
        close(&d["latency"][0]["avgMs"], 150.0);
        close(&d["latency"][0]["p50Ms"], 100.0);
        close(&d["latency"][0]["p95Ms"], 280.0);
        close(&d["latency"][1]["avgMs"], 15.0);
        close(&d["latency"][1]["p50Ms"], 15.0);
        close(&d["latency"][1]["p95Ms"], 19.5);
    }

    async fn answers_without_the_previous_window_or_percentiles_keep_their_values(app) {
        // Only `value` and `avgMs` selected: the previous window and the percentiles are not
        // computed, and what is computed is unchanged.
        let p = seeded(&app).await;
        let q = format!("{{ apiUsage({WINDOW}) {{
            kpis {{ totalRequests {{ value }} p95LatencyMs {{ value unit }} activeUsers {{ value }} }}
            latency {{ avgMs }} }} }}");
        let d = app.data(&p, &q).await["apiUsage"].clone();
        assert_eq!(d["kpis"]["totalRequests"], json!({"value": 5.0}));
        close(&d["kpis"]["p95LatencyMs"]["value"], 260.0);
        assert_eq!(d["kpis"]["activeUsers"], json!({"value": 3.0}));
        close(&d["latency"][0]["avgMs"], 150.0);
        close(&d["latency"][1]["avgMs"], 15.0);
        let with_delta = format!("{{ apiUsage({WINDOW}) {{ kpis {{ totalRequests {{ delta {{ absolute }} }} }} }} }}");
        let d = app.data(&p, &with_delta).await["apiUsage"].clone();
        assert_eq!(d["kpis"]["totalRequests"]["delta"]["absolute"], json!(3.0));
    }

    async fn breakdowns_rank_fold_and_name(app) {
        let p = seeded(&app).await;
        let q = format!("{{ apiUsage({WINDOW}) {{
            errorsBreakdown(limit: 1) {{ rows {{ label value share }} other total hasMore }}
            topModels {{ rows {{ label value share cost avgLatencyMs errorRate }} other total hasMore }}
            topCountries(limit: 2) {{ rows {{ label name value }} other total hasMore }} }} }}");
        let d = app.data(&p, &q).await["apiUsage"].clone();
        assert_eq!(d["errorsBreakdown"], json!({"rows": [{"label": "429", "value": 1.0, "share": 0.5}],
            "other": 1.0, "total": 2.0, "hasMore": true}));
        let models = &d["topModels"];
        assert_eq!((models["total"].clone(), models["other"].clone(), models["hasMore"].clone()),
            (json!(4.0), json!(0.0), json!(false)));
        assert_eq!(models["rows"][0]["label"], "A");
        close(&models["rows"][0]["cost"], 0.10);
        close(&models["rows"][0]["avgLatencyMs"], 200.0);
        close(&models["rows"][0]["errorRate"], 0.5);
        assert_eq!(models["rows"][1]["label"], "B");
        close(&models["rows"][1]["cost"], 0.02);
        close(&models["rows"][1]["avgLatencyMs"], 30.0);
        assert_eq!(d["topCountries"], json!({"rows": [
            {"label": "US", "name": "United States of America", "value": 2.0},
            {"label": "DE", "name": "Germany", "value": 1.0}],
            "other": 1.0, "total": 4.0, "hasMore": true}));
        let all = app.data(&p, &format!("{{ apiUsage({WINDOW}) {{ topCountries {{ rows {{ label name }} }} }} }}")).await;
        assert_eq!(all["apiUsage"]["topCountries"]["rows"][2], json!({"label": "ZZ", "name": "Unknown (ZZ)"}));
    }

    async fn combined_filters_narrow_every_panel(app) {
        let p = seeded(&app).await;
        let q = |filter: &str| format!("{{ apiUsage({WINDOW}, filter: {filter}) {{
            kpis {{ totalRequests {{ value previous }} }} requests {{ total }} topModels {{ total }} }} }}");
        let d = app.data(&p, &q(r#"{models: ["A"], countries: ["us"]}"#)).await["apiUsage"].clone();
        assert_eq!(d["kpis"]["totalRequests"], json!({"value": 2.0, "previous": 1.0}));
        assert_eq!(d["requests"], json!([{"total": 2.0}, {"total": 0.0}]));
        let d = app.data(&p, &q(r#"{models: ["A", "B"], userIds: ["u1"], endpoints: ["/v1/chat/completions"]}"#)).await;
        assert_eq!(d["apiUsage"]["kpis"]["totalRequests"], json!({"value": 1.0, "previous": 1.0}));
        let d = app.data(&p, &q(r#"{models: [], countries: []}"#)).await;
        assert_eq!(d["apiUsage"]["kpis"]["totalRequests"]["value"], json!(5.0));
    }

    async fn an_empty_window_has_zero_counts_and_null_averages(app) {
        let p = seeded(&app).await;
        let q = r#"{ apiUsage(window: {start: "2025-01-01T00:00:00Z", end: "2025-01-02T00:00:00Z", timezone: "UTC"}) {
            window { granularity }
            kpis { totalRequests { value delta { status } } errorRate { value delta { status } }
                   avgLatencyMs { value } p95LatencyMs { value } totalCost { value } avgCostPerRequest { value } }
            requests { total } latency { avgMs p95Ms } topModels { rows { label } total hasMore } } }"#;
        let d = app.data(&p, q).await["apiUsage"].clone();
        assert_eq!(d["window"]["granularity"], "HOUR");
        let k = &d["kpis"];
        assert_eq!(k["totalRequests"], json!({"value": 0.0, "delta": {"status": "BOTH_ZERO"}}));
        assert_eq!(k["errorRate"], json!({"value": null, "delta": {"status": "NO_PREVIOUS_DATA"}}));
        assert_eq!(k["avgLatencyMs"]["value"], Value::Null);
        assert_eq!(k["p95LatencyMs"]["value"], Value::Null);
        assert_eq!(k["totalCost"]["value"], json!(0.0));
        assert_eq!(k["avgCostPerRequest"]["value"], Value::Null);
        assert_eq!(d["requests"].as_array().unwrap().len(), 24);
        assert!(d["requests"].as_array().unwrap().iter().all(|p| p["total"] == json!(0.0)));
        assert!(d["latency"].as_array().unwrap().iter().all(|p| p["avgMs"].is_null() && p["p95Ms"].is_null()));
        assert_eq!(d["topModels"], json!({"rows": [], "total": 0.0, "hasMore": false}));
    }

    async fn rows_land_in_local_buckets_in_kathmandu(app) {
        // Asia/Kathmandu is UTC+05:45: local midnight of 03-02 is 03-01T18:15:00Z.
        let p = app.team("ktm", "Asia/Kathmandu", Role::Editor).await;
        app.ingest(&p, &[
            log("a", "2026-03-01T18:14:59.999Z", 200, 1.0, json!({})),
            log("b", "2026-03-01T18:15:00Z", 200, 1.0, json!({})),
            log("c", "2026-03-02T18:14:00Z", 503, 1.0, json!({})),
        ]).await;
        let q = r#"{ apiUsage(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", granularity: DAY}) {
            window { timezone start } requests { start end isPartial total error } } }"#;
        let d = app.data(&p, q).await["apiUsage"].clone();
        assert_eq!(d["window"], json!({"timezone": "Asia/Kathmandu", "start": "2026-03-01T05:45:00+05:45"}));
        assert_eq!(d["requests"], json!([
            {"start": "2026-03-01T05:45:00+05:45", "end": "2026-03-02T00:00:00+05:45", "isPartial": true, "total": 1.0, "error": 0.0},
            {"start": "2026-03-02T00:00:00+05:45", "end": "2026-03-03T00:00:00+05:45", "isPartial": false, "total": 2.0, "error": 1.0},
            {"start": "2026-03-03T00:00:00+05:45", "end": "2026-03-03T05:45:00+05:45", "isPartial": true, "total": 0.0, "error": 0.0},
        ]));
    }

    async fn limits_outside_the_allowed_range_are_rejected(app) {
        let p = seeded(&app).await;
        let r = app.gql(Some(&p), &format!("{{ apiUsage({WINDOW}) {{ topModels(limit: 0) {{ total }} }} }}")).await;
        assert_eq!(code(&r), "BAD_USER_INPUT");
        assert_eq!(r["errors"][0]["extensions"]["field"], "limit");
        let r = app.gql(Some(&p), &format!("{{ apiUsage({WINDOW}) {{ topModels(limit: 101) {{ total }} }} }}")).await;
        assert_eq!(code(&r), "BAD_USER_INPUT");
    }

    async fn only_selected_kpis_run_sql(app) {
        let p = seeded(&app).await;
        let only_total = format!("{{ apiUsage({WINDOW}) {{ kpis {{ totalRequests {{ value }} }} }} }}");
        let sql = app.statements_of(app.data(&p, &only_total)).await;
        let data: Vec<_> = sql.iter().filter(|s| s.contains("request_logs")).collect();
        assert_eq!(data.len(), 1, "{data:#?}");
        assert!(!data[0].contains("DISTINCT") && !data[0].contains("percentile"), "{}", data[0]);
        let with_p95 = format!("{{ apiUsage({WINDOW}) {{ kpis {{ p95LatencyMs {{ value }} activeUsers {{ value }} }} }} }}");
        let sql = app.statements_of(app.data(&p, &with_p95)).await;
        // Distinct users, and p95: the sketch's bins, then (≤ 20 000 rows) the exact percentile.
        assert_eq!(sql.iter().filter(|s| s.contains("request_logs")).count(), 3, "distinct users and p95 only: {sql:#?}");
        assert!(sql.iter().any(|s| s.contains("DISTINCT")));
        // KPIs, requests, costs and latency share one scan of the window (plus the percentiles).
        let shared = format!("{{ apiUsage({WINDOW}, filter: {{endpoints: [\"/v1/chat/completions\"]}}) {{
            kpis {{ totalRequests {{ value }} avgLatencyMs {{ value }} }} requests {{ total }} costs {{ value }} latency {{ avgMs p95Ms }} }} }}");
        let sql = app.statements_of(app.data(&p, &shared)).await;
        assert_eq!(sql.iter().filter(|s| s.contains("request_logs")).count(), 2, "{sql:#?}");
        let window_only = format!("{{ apiUsage({WINDOW}) {{ window {{ start }} }} }}");
        let sql = app.statements_of(app.data(&p, &window_only)).await;
        assert!(sql.iter().all(|s| !s.contains("request_logs")), "no panel selected, no panel SQL");
    }

    async fn answers_keep_the_order_of_the_query(app) {
        let p = seeded(&app).await;
        let q = format!("{{ apiUsage({WINDOW}) {{ latency {{ p95Ms avgMs }} ...K zRequests: requests {{ total }}
            window {{ timezone start }} }} }} fragment K on ApiUsage {{ kpis {{ totalCost {{ value }} activeUsers {{ value }} }} }}");
        let request = async_graphql::Request::new(q).data(p.clone());
        let text = serde_json::to_string(&app.schema.execute(request).await).unwrap();
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing in {text}"));
        let order = ["\"latency\"", "\"p95Ms\"", "\"avgMs\"", "\"kpis\"", "\"totalCost\"", "\"activeUsers\"",
            "\"zRequests\"", "\"window\"", "\"timezone\"", "\"start\""];
        let positions: Vec<usize> = order.iter().map(|n| at(n)).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}

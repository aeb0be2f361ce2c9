//! The product `ops` section on hand-computed values, stored (both databases) and inline.
//! Clock 2026-03-10T12:00:00Z, UTC; `LAST_7_DAYS` = March 4–10.
//!
//! | call | event | day | model | stage | outcome | latency | cost | tokens |
//! |---|---|---|---|---|---|---|---|---|
//! | c1 | model_invoke | 03-05 | gpt | outline | success: true | 100 | 0.5 | 1000 |
//! | c2 | model_invoke | 03-05 | gpt | outline | status "500" | 300 | 0.25 | 200 |
//! | c3 | image_generation | 03-06 | sdxl | images | status 200 | 1000 | 1.0 | – |
//! | c4 | tts_generation | 03-06 | – | voice | success: false, status "201" | – | – | – |
//! | c5 | model_invoke | 03-02 (previous window) | gpt | – | success: true | 50 | 0.1 | – |
//! | x  | lesson_started | 03-05 | not a call |

use crate::both_dbs;
use dashgate::kernel::Role;
use serde_json::{Value, json};

fn call(id: &str, name: &str, at: &str, props: Value) -> Value {
    json!({"id": id, "user_id": "u1", "event_name": name, "event_time": at, "properties": props})
}

fn rows() -> Vec<Value> {
    vec![
        call(
            "c1",
            "model_invoke",
            "2026-03-05T10:00:00Z",
            json!({"model": "gpt", "stage": "outline", "success": true, "latency_ms": 100, "cost": 0.5, "tokens": 1000}),
        ),
        call(
            "c2",
            "model_invoke",
            "2026-03-05T11:00:00Z",
            json!({"model": "gpt", "stage": "outline", "status": "500", "latency_ms": 300, "cost": 0.25, "tokens": 200}),
        ),
        call(
            "c3",
            "image_generation",
            "2026-03-06T10:00:00Z",
            json!({"model": "sdxl", "stage": "images", "status": 200, "latency_ms": 1000, "cost": 1.0}),
        ),
        call(
            "c4",
            "tts_generation",
            "2026-03-06T11:00:00Z",
            json!({"stage": "voice", "success": false, "status": "201"}),
        ),
        call(
            "c5",
            "model_invoke",
            "2026-03-02T10:00:00Z",
            json!({"model": "gpt", "success": true, "latency_ms": 50, "cost": 0.1}),
        ),
        call("x", "lesson_started", "2026-03-05T10:00:00Z", json!({})),
    ]
}

const OPS: &str = "ops { kpis { calls { value previous } successRate { value previous }
    avgLatencyMs { value previous betterWhen } p95LatencyMs { value previous } totalCost { value previous } }
  series { succeeded failed avgLatencyMs p95LatencyMs }
  byModel { model calls successRate tokens cost avgLatencyMs }
  byStage { stage calls failures failureRate p95LatencyMs } }";

#[track_caller]
fn close(v: &Value, expected: f64) {
    assert!(
        (v.as_f64().unwrap() - expected).abs() < 1e-9,
        "{v} != {expected}"
    );
}

fn check(ops: &Value) {
    let k = &ops["kpis"];
    assert_eq!(k["calls"], json!({"value": 4.0, "previous": 1.0}));
    assert_eq!(k["successRate"], json!({"value": 0.75, "previous": 1.0}));
    close(&k["avgLatencyMs"]["value"], 1400.0 / 3.0);
    assert_eq!(k["avgLatencyMs"]["betterWhen"], "DOWN");
    close(&k["p95LatencyMs"]["value"], 930.0);
    close(&k["p95LatencyMs"]["previous"], 50.0);
    assert_eq!(k["totalCost"], json!({"value": 1.75, "previous": 0.1}));
    let series = ops["series"].as_array().unwrap();
    assert_eq!(series.len(), 7);
    assert_eq!(
        (
            &series[1]["succeeded"],
            &series[1]["failed"],
            &series[1]["avgLatencyMs"]
        ),
        (&json!(1), &json!(1), &json!(200.0))
    );
    close(&series[1]["p95LatencyMs"], 290.0);
    assert_eq!(
        series[2],
        json!({"succeeded": 2, "failed": 0, "avgLatencyMs": 1000.0, "p95LatencyMs": 1000.0})
    );
    assert_eq!(
        series[0],
        json!({"succeeded": 0, "failed": 0, "avgLatencyMs": null, "p95LatencyMs": null})
    );
    assert_eq!(
        ops["byModel"],
        json!([
            {"model": "gpt", "calls": 2, "successRate": 0.5, "tokens": 1200.0, "cost": 0.75, "avgLatencyMs": 200.0},
            {"model": "sdxl", "calls": 1, "successRate": 1.0, "tokens": 0.0, "cost": 1.0, "avgLatencyMs": 1000.0},
            {"model": "unknown", "calls": 1, "successRate": 1.0, "tokens": 0.0, "cost": 0.0, "avgLatencyMs": null},
        ])
    );
    let stages = &ops["byStage"];
    assert_eq!(stages[0]["stage"], "outline");
    assert_eq!(
        (
            &stages[0]["calls"],
            &stages[0]["failures"],
            &stages[0]["failureRate"]
        ),
        (&json!(2), &json!(1), &json!(0.5))
    );
    close(&stages[0]["p95LatencyMs"], 290.0);
    assert_eq!(
        stages[1],
        json!({"stage": "images", "calls": 1, "failures": 0, "failureRate": 0.0, "p95LatencyMs": 1000.0})
    );
    assert_eq!(
        stages[2],
        json!({"stage": "voice", "calls": 1, "failures": 0, "failureRate": 0.0, "p95LatencyMs": null})
    );
}

both_dbs! {
    async fn the_ops_section_from_stored_and_inline_rows(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &rows()).await;
        let q = format!("{{ product(window: {{preset: LAST_7_DAYS}}) {{ {OPS} }} }}");
        check(&app.data(&p, &q).await["product"]["ops"]);
        let events: Vec<Value> = rows().iter().map(|r| json!({"userId": r["user_id"], "eventName": r["event_name"],
            "eventTime": r["event_time"], "properties": r["properties"]})).collect();
        let q = format!("query($i: InlineTelemetryInput) {{ product(window: {{preset: LAST_7_DAYS}}, inline: $i) {{ {OPS} }} }}");
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let request = async_graphql::Request::new(q)
            .variables(async_graphql::Variables::from_json(json!({"i": {"events": events}})))
            .data(rival);
        let r = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
        check(&r["data"]["product"]["ops"]);
    }
}

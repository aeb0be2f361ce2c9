//! `POST /v1/ingest/request_logs`: validated first, atomic, idempotent, role-checked.

use crate::both_dbs;
use crate::support::TestApp;
use crate::support::fixtures::log;
use axum::http::StatusCode;
use dashgate::kernel::{Principal, Role};
use serde_json::json;

async fn total(app: &TestApp, p: &Principal) -> f64 {
    let q = r#"{ apiUsage(window: {preset: LAST_30_DAYS}) { kpis { totalRequests { value } } } }"#;
    app.data(p, q).await["apiUsage"]["kpis"]["totalRequests"]["value"]
        .as_f64()
        .unwrap()
}

fn ndjson(rows: &[serde_json::Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

both_dbs! {
    async fn batches_are_idempotent_by_id(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let rows = [
            log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({})),
            log("b", "2026-03-09T11:00:00Z", 200, 5.0, json!({})),
            log("b", "2026-03-09T11:00:00Z", 200, 5.0, json!({})),
        ];
        assert_eq!(app.ingest(&p, &rows).await, json!({"dataset": "request_logs", "inserted": 2, "updated": 0, "unchanged": 0, "stale": 0, "duplicates": 1}));
        assert_eq!(app.ingest(&p, &rows[..2]).await, json!({"dataset": "request_logs", "inserted": 0, "updated": 0, "unchanged": 0, "stale": 0, "duplicates": 2}));
        // A JSON array body works too.
        let body = json!([log("c", "2026-03-09T12:00:00Z", 200, 5.0, json!({}))]).to_string();
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&p)), body).await;
        assert_eq!((status, r["inserted"].clone()), (StatusCode::OK, json!(1)));
        assert_eq!(total(&app, &p).await, 3.0);
    }

    async fn one_bad_row_rejects_the_batch_with_its_line(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let body = format!("{}\n\n{}\n{}\n",
            log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({})),
            log("b", "2026-03-09T10:00:00Z", 700, 5.0, json!({})),
            log("c", "2026-03-09T10:00:00Z", 200, 5.0, json!({"country_code": "USA"})));
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&p)), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r["error"]["code"], "BAD_USER_INPUT");
        assert_eq!(r["error"]["line"], 3);
        assert_eq!(r["error"]["field"], "status_code");
        assert_eq!(r["error"]["errors"][1]["line"], 4);
        assert_eq!(r["error"]["errors"][1]["field"], "country_code");
        assert_eq!(total(&app, &p).await, 0.0, "nothing of the batch is written");

        let cases = [
            (json!({"id": "x", "created_at": "yesterday", "endpoint": "/", "status_code": 200, "latency_ms": 1}), "created_at"),
            (json!({"id": "x", "created_at": "2026-03-09T10:00:00Z", "endpoint": "/", "status_code": 200, "latency_ms": -1}), "latency_ms"),
            (json!({"id": "x", "created_at": "2026-03-09T10:00:00Z", "endpoint": "/", "status_code": 200}), "latency_ms"),
            (json!({"id": "x", "created_at": "2026-03-09T10:00:00Z", "endpoint": "/", "status_code": 200, "latency_ms": 1, "cost_usd": -0.5}), "cost_usd"),
            (json!({"id": "x", "created_at": "2026-03-09T10:00:00Z", "endpoint": "/", "status_code": 200, "latency_ms": 1, "colour": "red"}), "colour"),
            (json!({"id": "x".repeat(65), "created_at": "2026-03-09T10:00:00Z", "endpoint": "/", "status_code": 200, "latency_ms": 1}), "id"),
        ];
        for (row, field) in cases {
            let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&p)), ndjson(&[row])).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r["error"]["field"], field, "{r}");
        }
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&p)), "{\"id\": \n").await;
        assert_eq!((status, r["error"]["line"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(1)));
    }

    async fn ingest_needs_an_editor(app) {
        let viewer = app.team("acme", "UTC", Role::Viewer).await;
        let body = ndjson(&[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]);
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&viewer)), body.clone()).await;
        assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")));
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", None, body.clone()).await;
        assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")));
        let editor = Principal { role: Role::Editor, ..viewer };
        let (status, r) = app.http("POST", "/v1/ingest/nope", Some(&app.token(&editor)), body).await;
        assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")));
    }

    async fn new_rows_show_on_the_next_read(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        assert_eq!(total(&app, &p).await, 1.0);
        assert_eq!(total(&app, &p).await, 1.0, "cached");
        app.ingest(&p, &[log("b", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        assert_eq!(total(&app, &p).await, 2.0, "ingest bumps the team's generation");
    }

    async fn oversized_batches_are_refused(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let body = "x".repeat(65 << 20);
        let (status, r) = app.http("POST", "/v1/ingest/request_logs", Some(&app.token(&p)), body).await;
        assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE")));
    }
}

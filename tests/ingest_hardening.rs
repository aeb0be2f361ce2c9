//! Ingestion drills: values outside finite, documented ranges are refused with the field named;
//! aggregates of the largest accepted values still answer; bodies that are not JSON are 415;
//! a batch repeating an id with other content is refused; the in-flight byte budget holds.

use crate::both_dbs;
use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use serde_json::{Value, json};

fn ndjson(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

const AT: &str = "2026-03-09T10:00:00Z";

both_dbs! {
    async fn values_outside_their_ranges_are_refused_naming_the_field(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let cases = [
            // Drill: two logs with latency 1.7e308 broke the team's KPIs on PostgreSQL.
            ("request_logs", log("a", AT, 200, 1.7e308, json!({})), "latency_ms"),
            ("request_logs", log("a", AT, 200, 86_400_001.0, json!({})), "latency_ms"),
            ("request_logs", log("a", "0000-01-01T00:00:00Z", 200, 1.0, json!({})), "created_at"),
            ("request_logs", log("a", "2200-01-01T00:00:00Z", 200, 1.0, json!({})), "created_at"),
            ("request_logs", log("a", AT, 200, 1.0, json!({"cost_usd": 1e308})), "cost_usd"),
            ("request_logs", log("a", AT, 200, 1.0, json!({"tokens": 9_000_000_000_000i64})), "tokens"),
            // Drill: a NUL in an id answered 500 INTERNAL on PostgreSQL.
            ("request_logs", log("a\u{0}b", AT, 200, 1.0, json!({})), "id"),
            ("request_logs", log("a", AT, 200, 1.0, json!({"endpoint": "/x\u{7}"})), "endpoint"),
            ("exec_orders", json!({"id": "o", "order_date": "2026-03-01", "customer": "c", "amount": 1e308, "profit": 0, "type": "new"}), "amount"),
            ("exec_orders", json!({"id": "o", "order_date": "2026-03-01", "customer": "c", "amount": 1, "profit": -1e13, "type": "new"}), "profit"),
            ("exec_revenue_months", json!({"month": "2026-03", "recognized": 1e300}), "recognized"),
            ("rum_events", json!({"id": "r", "name": "page_load", "occurred_at": AT, "session_id": "s", "meta": {"k": "a\u{0}"}}), "meta.k"),
            ("product_events", json!({"id": "e", "event_name": "app_open", "event_time": AT, "properties": {"note": "x\u{0}y"}}), "properties"),
            ("product_events", json!({"id": "e", "event_name": "app_open", "event_time": AT, "properties": {"cost": 1e300}}), "properties.cost"),
            ("chat_experiments", json!({"id": "x", "name": "n\u{0}", "created_at": AT}), "name"),
        ];
        for (dataset, row, field) in cases {
            let (status, r) = app.post_rows(&p, dataset, std::slice::from_ref(&row)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{dataset} {row}: {r}");
            assert_eq!(r["error"]["field"], field, "{dataset} {row}: {r}");
        }
    }

    async fn the_largest_accepted_values_still_aggregate(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let max = json!({"cost_usd": "1000000000", "tokens": 1_000_000_000});
        let rows: Vec<Value> = (0..3)
            .map(|i| log(&format!("m{i}"), AT, 200, 86_400_000.0, max.clone()))
            .chain([log("z", AT, 200, -0.0, json!({}))])
            .collect();
        app.ingest(&p, &rows).await;
        let q = r#"{ apiUsage(window: {preset: LAST_7_DAYS}) {
            kpis { totalCost { value } avgLatencyMs { value } p95LatencyMs { value } totalRequests { value } totalTokens { value } }
            costs { value } latency { avgMs } topModels { total } } }"#;
        let d = app.data(&p, q).await;
        let k = &d["apiUsage"]["kpis"];
        assert_eq!(k["totalCost"]["value"], 3e9);
        assert_eq!(k["totalRequests"]["value"], 4.0);
        assert_eq!(k["avgLatencyMs"]["value"], 3.0 * 86_400_000.0 / 4.0);
        assert_eq!(k["totalTokens"]["value"], 3e9);
        let costs: f64 = d["apiUsage"]["costs"].as_array().unwrap().iter().map(|c| c["value"].as_f64().unwrap()).sum();
        assert_eq!(costs, 3e9);
        // -0 was read as 0: the smallest latency is a plain zero.
        let exec = json!({"id": "o1", "order_date": "2026-03-01", "customer": "c", "amount": 1e12, "profit": -0.0, "type": "new"});
        app.ingest_into(&p, "exec_orders", &[exec, json!({"id": "o2", "order_date": "2026-03-02", "customer": "c", "amount": 1e12, "profit": -1e12, "type": "new"})]).await;
        let d = app.data(&p, r#"{ executive(window: {preset: LAST_6_MONTHS}) { kpis { grossMargin { value } } } }"#).await;
        assert_eq!(d["executive"]["kpis"]["grossMargin"]["value"], -0.5);
    }

    async fn bodies_that_are_not_json_are_refused_with_415(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let token = format!("Bearer {}", app.token(&p));
        let body = ndjson(&[log("a", AT, 200, 1.0, json!({}))]);
        for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"] {
            let r = app.send("POST", "/v1/ingest/request_logs", &[("authorization", &token), ("content-type", ct)], body.clone()).await;
            assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}: {}", r.body);
            assert_eq!(r.json()["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
        }
        for ct in ["application/x-ndjson", "application/json; charset=utf-8", "application/jsonl"] {
            let r = app.send("POST", "/v1/ingest/request_logs", &[("authorization", &token), ("content-type", ct)], body.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{ct}: {}", r.body);
        }
        // Without a Content-Type the body is read as JSON or NDJSON.
        let r = app.send("POST", "/v1/ingest/request_logs", &[("authorization", &token)], body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    async fn a_batch_repeating_an_id_with_other_content_is_refused(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let a = log("a", AT, 200, 1.0, json!({}));
        let changed = log("a", AT, 500, 1.0, json!({}));
        let (status, r) = app.post_rows(&p, "request_logs", &[a.clone(), log("b", AT, 200, 1.0, json!({})), changed]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_eq!((r["error"]["line"].clone(), r["error"]["field"].clone()), (json!(3), json!("id")));
        assert!(r["error"]["message"].as_str().unwrap().contains("line 1"), "{r}");
        // The same row twice is a duplicate, as before.
        let r = app.ingest(&p, &[a.clone(), a]).await;
        assert_eq!((r["inserted"].clone(), r["duplicates"].clone()), (json!(1), json!(1)));
        // Table-driven datasets too.
        let v1 = json!({"id": "v", "title": "A", "created_at": AT});
        let v2 = json!({"id": "v", "title": "B", "created_at": AT});
        let (status, r) = app.post_rows(&p, "pub_videos", &[v1, v2]).await;
        assert_eq!((status, r["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("id")));
    }
}

#[tokio::test]
async fn ingestion_over_the_in_flight_byte_budget_is_answered_503() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.server.ingest_inflight_bytes = 4_000)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Editor).await;
    let token = format!("Bearer {}", app.token(&p));
    let rows: Vec<Value> = (0..40)
        .map(|i| log(&format!("r{i}"), AT, 200, 1.0, json!({})))
        .collect();
    let big = ndjson(&rows);
    assert!(big.len() > 4_000);
    let length = big.len().to_string();
    let r = app
        .send(
            "POST",
            "/v1/ingest/request_logs",
            &[("authorization", &token), ("content-length", &length)],
            big,
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.header("retry-after"), "2");
    assert_eq!(r.json()["error"]["code"], "SERVICE_UNAVAILABLE");
    // A batch that fits is taken, and its bytes are given back afterwards.
    for round in 0..3 {
        let small = ndjson(&rows[round * 10..round * 10 + 10]);
        let length = small.len().to_string();
        let r = app
            .send(
                "POST",
                "/v1/ingest/request_logs",
                &[("authorization", &token), ("content-length", &length)],
                small,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

#[tokio::test]
async fn trickled_uploads_do_not_starve_other_clients_batches() {
    // Drill: four requests declaring 64 MiB and sending 12 KB/s held the whole 256 MiB
    // in-flight budget; every other client's 1-row batch got 503 while they trickled.
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Editor).await;
    let token = app.token(&p);
    let addr = app.serve().await;
    let mut tricklers = Vec::new();
    for _ in 0..4 {
        let head = format!(
            "POST /v1/ingest/request_logs HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\n\r\n",
            64 << 20
        );
        let mut s = crate::support::wire::connect(addr, head.as_bytes()).await;
        use tokio::io::AsyncWriteExt;
        s.write_all(&[b' '; 12_000]).await.unwrap();
        tricklers.push(s);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let row = ndjson(&[log("one", AT, 200, 1.0, json!({}))]);
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/x-ndjson"),
    ];
    let (status, body) = crate::support::wire::call_port(
        addr.port(),
        "POST",
        "/v1/ingest/request_logs",
        &headers,
        row,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    drop(tricklers);
}

both_dbs! {
    async fn concurrent_large_batches_into_one_team_all_succeed(app) {
        // Drill: 8 × 100 k rows into one team: 5 of 8 answered 503 on PostgreSQL (statement
        // timeout, and `deadlock detected` on the rollup rows), 6 of 8 on SQLite ("database is
        // locked"). Batches of one team now take turns.
        let p = app.team("acme", "UTC", Role::Editor).await;
        let batches: Vec<String> = (0..8)
            .map(|b| {
                let rows: Vec<Value> = (0..4_000)
                    .map(|i| {
                        let at = format!("2026-03-0{}T{:02}:{:02}:00Z", 1 + i % 9, i % 24, b * 7 % 60);
                        log(&format!("b{b}-{i}"), &at, 200 + (i % 2) as i64 * 300, 1.0 + i as f64, json!({"model_name": format!("m{}", i % 5)}))
                    })
                    .collect();
                ndjson(&rows)
            })
            .collect();
        let token = app.token(&p);
        let sends = batches.into_iter().map(|body| {
            let token = token.clone();
            let app = &app;
            async move { app.http("POST", "/v1/ingest/request_logs", Some(&token), body).await }
        });
        for (status, r) in futures::future::join_all(sends).await {
            assert_eq!(status, StatusCode::OK, "{r}");
            assert_eq!(r["inserted"], json!(4_000), "{r}");
        }
        assert_eq!(app.count_rows("request_logs").await, 32_000);
        for rollup in dashgate::domains::registry::rollups() {
            let differences = dashgate::domains::rollups::check(&app.state.db, rollup, Some(p.team.id.0)).await.unwrap();
            assert!(differences.is_empty(), "{}: {differences:?}", rollup.table);
        }
    }
}

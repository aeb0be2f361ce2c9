//! Executive data in: month-keyed datasets (replaced when re-sent), orders, real-user events
//! in batches and one at a time from browsers (`POST /v1/events`), presets, export, isolation.

use crate::support::executive_fixture::{EXEC_NOW, ingest_executive_fixture};
use crate::support::{TestApp, code};
use crate::{both_dbs, both_dbs_with};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use dashgate::accounts::api_keys;
use dashgate::kernel::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let stmt = sea_orm::Statement::from_string(app.state.db.get_database_backend(), sql);
    let row = app.state.db.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

both_dbs! {
    async fn month_rows_are_validated_and_replaced_when_re_sent(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let bad = |rows: Vec<Value>, line: u64, field: &str| {
            let app = &app;
            let p = &p;
            let field = field.to_string();
            async move {
                let (status, r) = app.post_rows(p, "exec_revenue_months", &rows).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r:#}");
                assert_eq!((r["error"]["line"].as_u64(), r["error"]["field"].as_str()),
                    (Some(line), Some(field.as_str())), "{r:#}");
            }
        };
        bad(vec![json!({"month": "2025-03-15", "recognized": 1})], 1, "month").await;
        bad(vec![json!({"month": "2025-03-01", "recognized": -1})], 1, "recognized").await;
        bad(vec![json!({"month": "2025-03-01"}), json!({"month": "2025-03", "booked": 2})], 2, "month").await;
        bad(vec![json!({"month": "2025-03-01", "id": "x"})], 1, "id").await;
        let (status, r) = app.post_rows(&p, "exec_uptime_months", &[json!({"month": "2025-03-01", "uptime": 101})]).await;
        assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("uptime")));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM exec_revenue_months").await, 0, "nothing half-written");

        let first = [json!({"month": "2025-03-01", "recognized": 10, "booked": 5}),
                     json!({"month": "2025-04-01", "recognized": 20})];
        assert_eq!(app.ingest_into(&p, "exec_revenue_months", &first).await,
            json!({"dataset": "exec_revenue_months", "inserted": 2, "updated": 0, "unchanged": 0, "stale": 0, "duplicates": 0}));
        let fix = [json!({"month": "2025-03", "recognized": 15, "booked": 5, "backlog": 7})];
        assert_eq!(app.ingest_into(&p, "exec_revenue_months", &fix).await["updated"], 1);
        let stmt = sea_orm::Statement::from_string(app.state.db.get_database_backend(),
            "SELECT recognized, backlog FROM exec_revenue_months WHERE month = '2025-03-01'");
        let row = app.state.db.query_one_raw(stmt).await.unwrap().unwrap();
        assert_eq!(row.try_get_by_index::<f64>(0).unwrap(), 15.0);
        assert_eq!(row.try_get_by_index::<Option<f64>>(1).unwrap(), Some(7.0));
    }

    async fn orders_and_event_batches_are_validated(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let order = json!({"id": "o1", "order_date": "03/05/2025", "customer": "A", "amount": 1,
            "profit": 0, "type": "one_off"});
        let (status, r) = app.post_rows(&p, "exec_orders", &[order]).await;
        assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("order_date")));
        let order = json!({"id": "o1", "order_date": "2025-03-05", "customer": "A", "amount": 1,
            "profit": "lots", "type": "one_off"});
        let (_, r) = app.post_rows(&p, "exec_orders", &[order]).await;
        assert_eq!(r["error"]["field"], "profit");
        let events = [
            json!({"id": "e1", "name": "page_load", "occurred_at": EXEC_NOW, "session_id": "s", "meta": {"a": "b"}}),
            json!({"id": "e2", "name": "page_load", "occurred_at": EXEC_NOW, "session_id": "s", "meta": {"a": 1}}),
        ];
        let (status, r) = app.post_rows(&p, "rum_events", &events).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((r["error"]["line"].as_u64(), r["error"]["field"].as_str()), (Some(2), Some("meta.a")));
        let (_, r) = app.post_rows(&p, "rum_events", &[json!({"name": "x", "occurred_at": EXEC_NOW, "session_id": "s"})]).await;
        assert_eq!(r["error"]["field"], "id", "a batch names its ids");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM rum_events").await, 0);
        assert_eq!(app.ingest_into(&p, "rum_events", &events[..1]).await["inserted"], 1);
        assert_eq!(app.ingest_into(&p, "rum_events", &events[..1]).await["duplicates"], 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM rum_events WHERE meta = '{\"a\":\"b\"}'").await, 1);
    }
}

async fn send(app: &TestApp, path: &str, bearer: Option<&str>, body: &str) -> (StatusCode, Value) {
    app.http("POST", path, bearer, body.to_string()).await
}

both_dbs_with! { |s: &mut dashgate::config::Settings| {
        s.events_allowed_origins = "https://app.example.com".into();
        s.events_body_limit_bytes = 512;
    };
    async fn browsers_send_events_with_a_publishable_key(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        let key = api_keys::create(&app.state.db, "acme", "site", Role::Publishable, 0).await.unwrap();
        assert!(key.secret.starts_with("dg_pk_"));
        let body = r#"{"name": "page_load", "session_id": "s9", "duration_ms": 1234,
            "meta": {"path": "/executive", "browser": "firefox"}}"#;
        let (status, r) = send(&app, "/v1/events", Some(&key.secret), body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r:#}");
        assert!(r["id"].as_str().unwrap().starts_with("rum_"));
        assert_eq!(r["inserted"], json!(true));
        let now_ms = crate::support::test_now().timestamp_millis();
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM rum_events WHERE occurred_at_ms = {now_ms}")).await, 1);
        let meta = r#"SELECT COUNT(*) FROM rum_events WHERE meta = '{"browser":"firefox","path":"/executive"}'"#;
        assert_eq!(count(&app, meta).await, 1, "the meta map, kept as JSON");
        // An explicit id is idempotent; the key may ride in the URL (sendBeacon).
        let body = r#"{"id": "b1", "name": "drilldown", "session_id": "s9", "occurred_at": "2026-03-10T11:00:00Z"}"#;
        let path = format!("/v1/events?key={}", key.secret);
        assert_eq!(send(&app, &path, None, body).await.1["inserted"], json!(true));
        assert_eq!(send(&app, &path, None, body).await.1["inserted"], json!(false));
        // Bad events: 422 naming the field, nothing written.
        for (body, field) in [
            (r#"{"name": "x", "session_id": "s", "duration_ms": -5}"#, "duration_ms"),
            (r#"{"name": "x", "session_id": "s", "meta": {"k": 3}}"#, "meta.k"),
            (r#"{"session_id": "s"}"#, "name"),
            (r#"{"name": "x", "session_id": "s", "extra": 1}"#, "extra"),
        ] {
            let (status, r) = send(&app, "/v1/events", Some(&key.secret), body).await;
            assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}");
            assert_eq!(r["error"]["code"], "BAD_USER_INPUT");
        }
        let (status, _) = send(&app, "/v1/events", Some(&key.secret), "not json").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let big = format!(r#"{{"name": "x", "session_id": "{}"}}"#, "s".repeat(600));
        assert_eq!(send(&app, "/v1/events", Some(&key.secret), &big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM rum_events").await, 2);
        // No credential: 401. A member's token works too.
        assert_eq!(send(&app, "/v1/events", None, r#"{"name":"x","session_id":"s"}"#).await.0, StatusCode::UNAUTHORIZED);
        let (status, _) = send(&app, "/v1/events", Some(&app.token(&p)), r#"{"name":"x","session_id":"s"}"#).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        // A publishable key reads nothing and ingests nothing.
        let (_, r) = send(&app, "/graphql", Some(&key.secret), r#"{"query": "{ executive { currency } }"}"#).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let (status, _) = send(&app, "/v1/ingest/rum_events", Some(&key.secret), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // CORS: the configured origin may send, another may not.
        let preflight = |origin: &'static str| Request::builder().method("OPTIONS").uri("/v1/events")
            .header("origin", origin).header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type").body(Body::empty()).unwrap();
        let ok = app.router.clone().oneshot(preflight("https://app.example.com")).await.unwrap();
        assert_eq!(ok.headers()["access-control-allow-origin"], "https://app.example.com");
        let other = app.router.clone().oneshot(preflight("https://evil.example")).await.unwrap();
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }
}

both_dbs_with! { |s: &mut dashgate::config::Settings| s.now = Some(EXEC_NOW.parse().unwrap());
    async fn presets_export_and_isolation_cover_the_executive_dashboard(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let rival = app.team("rival", "UTC", Role::Admin).await;
        ingest_executive_fixture(&app, &p).await;
        let created = app.data(&p, r#"mutation { createFilterPreset(input: { dashboard: EXECUTIVE,
            name: "Gamma", window: {preset: LAST_6_MONTHS}, executive: {customers: ["Gamma"]} }) {
            preset { id dashboard executive { customers } } userErrors { code } } }"#).await;
        let preset = &created["createFilterPreset"]["preset"];
        assert_eq!(preset["executive"], json!({"customers": ["Gamma"]}));
        let q = format!(r#"{{ executive(presetId: "{}") {{ window {{ preset }} atRiskCustomers {{ customer }} }} }}"#,
            preset["id"].as_str().unwrap());
        let e = app.data(&p, &q).await["executive"].clone();
        assert_eq!(e, json!({"window": {"preset": "LAST_6_MONTHS"}, "atRiskCustomers": [{"customer": "Gamma"}]}));
        for (input, code) in [
            (r#"name: "D", window: {preset: LAST_7_DAYS}"#, "INVALID_WINDOW"),
            (r#"name: "C", chat: {platforms: ["web"]}"#, "WRONG_DASHBOARD_FILTER"),
        ] {
            let q = format!("mutation {{ createFilterPreset(input: {{ dashboard: EXECUTIVE, {input} }}) {{ userErrors {{ code }} }} }}");
            assert_eq!(app.data(&p, &q).await["createFilterPreset"]["userErrors"][0]["code"], code);
        }

        let query = r#"{ executive(window: {preset: LAST_6_MONTHS, granularity: QUARTER}) { revenueTrend { period recognized backlog } } }"#;
        let body = json!({"query": query, "format": "csv"}).to_string();
        let req = Request::post("/v1/export").header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", app.token(&p))).body(Body::from(body)).unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains("executive-revenueTrend"), "{disposition}");
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        assert_eq!(String::from_utf8(bytes.to_vec()).unwrap(),
            "period,recognized,backlog\r\n2025-Q1,100.0,450.0\r\n2025-Q2,360.0,410.0\r\n2025-Q3,140.0,\r\n");

        let q = r#"{ executive(window: {preset: LAST_6_MONTHS}) { kpis { revenue { value previous } arr { value } nrr { value } }
            revenueTrend { recognized } uptime { uptime } atRiskCustomers { customer }
            qualityGates { samples } alerts { kpi } kpi(key: BACKLOG) { series { value } } } }"#;
        let theirs = app.data(&rival, q).await["executive"].clone();
        assert_eq!(theirs["kpis"], json!({"revenue": {"value": 0.0, "previous": 0.0}, "arr": {"value": 0.0}, "nrr": {"value": null}}));
        assert!(theirs["revenueTrend"].as_array().unwrap().iter().all(|p| p["recognized"] == json!(0.0)));
        assert!(theirs["uptime"].as_array().unwrap().iter().all(|p| p["uptime"].is_null()));
        assert!(theirs["kpi"]["series"].as_array().unwrap().iter().all(|p| p["value"].is_null()));
        assert_eq!(theirs["atRiskCustomers"], json!([]));
        assert_eq!(theirs["alerts"], json!([]));
        assert!(theirs["qualityGates"].as_array().unwrap().iter().all(|g| g["samples"] == json!(0)));
    }
}

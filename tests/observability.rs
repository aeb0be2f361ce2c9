//! Metrics, Server-Timing, security headers, CORS per route group and credential errors
//! without parser details.

use crate::both_dbs;
use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use serde_json::json;

/// The value of a metric line `name{labels} value` (labels in any order), if present.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

both_dbs! {
    async fn metrics_count_requests_operations_cache_and_ingestion(app) {
        let p = app.team("secret-team-slug", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({})), log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        let token = format!("Bearer {}", app.token(&p));
        let q = json!({"query": "query Named { apiUsage { kpis { totalRequests { value } } } }"}).to_string();
        for _ in 0..2 {
            app.send("POST", "/graphql", &[("authorization", &token), ("content-type", "application/json")], q.clone()).await;
        }
        app.send("POST", "/graphql", &[("content-type", "application/json")], r#"{"query": "{ nope"}"#).await;
        // What Prometheus asks for: OpenMetrics (counters typed by their family name).
        let prometheus = [("accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")];
        let r = app.send("GET", "/metrics", &prometheus, "").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.header("content-type").contains("openmetrics-text"));
        assert!(r.body.ends_with("# EOF\n"));
        let families = [
            "dashgate_http_requests_total", "dashgate_http_request_duration_seconds",
            "dashgate_graphql_operations_total", "dashgate_panel_compute_duration_seconds",
            "dashgate_cache_requests_total", "dashgate_ingest_rows_total",
            "dashgate_db_pool_connections", "dashgate_db_pool_max_connections", "dashgate_rate_limited_total",
        ];
        for family in families {
            assert!(r.body.contains(&format!("# TYPE {} ", family.trim_end_matches("_total"))), "{family} missing:\n{}", r.body);
        }
        // Anyone else: the classic text format (a counter's TYPE names its samples).
        let r = app.send("GET", "/metrics", &[], "").await;
        assert!(r.header("content-type").starts_with("text/plain; version=0.0.4"), "{}", r.header("content-type"));
        assert!(!r.body.contains("# EOF"));
        for family in families {
            assert!(r.body.contains(&format!("# TYPE {family} ")), "{family} missing:\n{}", r.body);
        }
        let m = &r.body;
        assert_eq!(metric(m, "dashgate_http_requests_total", &[("route", "/graphql"), ("status", "200")]), Some(3.0), "{m}");
        assert_eq!(metric(m, "dashgate_graphql_operations_total", &[("type", "query"), ("code", "OK")]), Some(2.0));
        assert_eq!(metric(m, "dashgate_graphql_operations_total", &[("type", "unknown"), ("code", "GRAPHQL_PARSE_FAILED")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_cache_requests_total", &[("result", "miss")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_cache_requests_total", &[("result", "hit")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_panel_compute_duration_seconds_count", &[("dashboard", "apiUsage"), ("panel", "kpis")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_ingest_rows_total", &[("dataset", "request_logs"), ("outcome", "inserted")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_ingest_rows_total", &[("dataset", "request_logs"), ("outcome", "duplicate")]), Some(1.0));
        assert_eq!(metric(m, "dashgate_db_pool_max_connections", &[]), Some(4.0));
        assert_eq!(metric(m, "dashgate_http_request_duration_seconds_count", &[("route", "/v1/ingest/{dataset}")]), Some(1.0));
        // Bounded labels: no team, no user, no operation name.
        assert!(!m.contains("secret-team-slug") && !m.contains("Named"));
    }

    async fn graphql_answers_carry_server_timing(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let token = format!("Bearer {}", app.token(&p));
        let body = json!({"query": "{ apiUsage { kpis { totalRequests { value } } } }"}).to_string();
        let r = app.send("POST", "/graphql", &[("authorization", &token), ("content-type", "application/json")], body).await;
        let timing = r.header("server-timing");
        for name in ["auth;dur=", "parse;dur=", "validate;dur=", "exec;dur=", "db;dur=", "cache;desc=\"0 hits, 1 misses\"", "total;dur="] {
            assert!(timing.contains(name), "{name} missing in {timing}");
        }
        let db: f64 = timing.split("db;dur=").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
        assert!(db > 0.0, "database time measured: {timing}");
    }
}

#[tokio::test]
async fn pages_carry_a_strict_csp_and_every_answer_nosniff() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let r = app.send("GET", "/graphiql", &[], "").await;
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("x-frame-options"), "DENY");
    // Every script and stylesheet the page names is served by the gateway itself.
    for src in r
        .body
        .split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
    {
        let a = app.send("GET", src, &[], "").await;
        assert_eq!(a.status, StatusCode::OK, "{src}");
        assert!(a.body.len() > 20, "{src}");
    }
    assert!(
        !r.body.contains("http://") && !r.body.contains("https://"),
        "{}",
        r.body
    );
    let r = app.send("GET", "/healthz", &[], "").await;
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("content-security-policy"), "");
}

#[tokio::test]
async fn cors_is_same_origin_unless_configured_per_route_group() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let preflight = [
        ("origin", "https://evil.example"),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "authorization, content-type",
        ),
    ];
    // Drill: a preflight from any origin was allowed on every route.
    for path in [
        "/graphql",
        "/v1/ingest/request_logs",
        "/v1/export",
        "/v1/events",
    ] {
        let r = app.send("OPTIONS", path, &preflight, "").await;
        assert_eq!(r.header("access-control-allow-origin"), "", "{path}");
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.server.cors_allowed_origins = "https://dash.example".into();
        s.server.ingest_allowed_origins = "https://etl.example".into();
    })
    .await
    .unwrap();
    let from = |origin| {
        [
            ("origin", origin),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization"),
        ]
    };
    let r = app
        .send("OPTIONS", "/graphql", &from("https://dash.example"), "")
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://dash.example"
    );
    assert!(
        r.header("access-control-allow-headers")
            .contains("authorization")
    );
    let r = app
        .send("OPTIONS", "/graphql", &from("https://etl.example"), "")
        .await;
    assert_eq!(r.header("access-control-allow-origin"), "");
    let r = app
        .send(
            "OPTIONS",
            "/v1/ingest/request_logs",
            &from("https://etl.example"),
            "",
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://etl.example"
    );
    let r = app
        .send(
            "OPTIONS",
            "/v1/ingest/request_logs",
            &from("https://dash.example"),
            "",
        )
        .await;
    assert_eq!(r.header("access-control-allow-origin"), "");
}

#[tokio::test]
async fn credential_errors_say_unauthenticated_without_parser_details() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let good = app.token(&p);
    let (head, rest) = good.split_once('.').unwrap();
    let tampered = format!("{head}.{}x", rest);
    for token in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.e30.",
        tampered.as_str(),
        "dg_notakey",
    ] {
        let bearer = format!("Bearer {token}");
        let r = app
            .send(
                "POST",
                "/graphql",
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/json"),
                ],
                r#"{"query":"{ health }"}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token}");
        let e = &r.json()["errors"][0];
        assert_eq!(e["extensions"]["code"], "UNAUTHENTICATED");
        let message = e["message"].as_str().unwrap();
        for leak in [
            "Base64",
            "Json",
            "InvalidToken",
            "Utf8",
            "serde",
            "Error(",
            "kind",
        ] {
            assert!(!message.contains(leak), "{token}: {message}");
        }
    }
}

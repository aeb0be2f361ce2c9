//! Every error has a stable `extensions.code`; limits hold; nothing panics.

use crate::both_dbs;
use crate::support::{Backend, TestApp, code};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use serde_json::json;

const INTROSPECTION: &str = include_str!("support/introspection.graphql");

async fn viewer(app: &TestApp) -> dashgate::kernel::Principal {
    app.team("acme", "UTC", Role::Viewer).await
}

both_dbs! {
    async fn bad_queries_get_their_codes(app) {
        let p = viewer(&app).await;
        let cases = [
            ("{ apiUsage { ", "GRAPHQL_PARSE_FAILED"),
            ("{ apiUsage { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
            (r#"{ apiUsage(window: {timezone: "Mars/Olympus"}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(window: {start: "2026-03-02T00:00:00Z", end: "2026-03-01T00:00:00Z"}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-01T00:00:00Z"}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(window: {preset: LAST_365_DAYS, granularity: HOUR}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(window: {preset: TODAY, start: "2026-03-01T00:00:00Z"}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(window: {start: "yesterday", end: "2026-03-01T00:00:00Z"}) { window { start } } }"#, "BAD_USER_INPUT"),
            (r#"{ apiUsage(presetId: "42") { window { start } } }"#, "NOT_FOUND"),
        ];
        for (query, expected) in cases {
            let r = app.gql(Some(&p), query).await;
            assert_eq!(code(&r), expected, "{query} → {r}");
        }
        let r = app.gql(Some(&p), r#"{ apiUsage(window: {timezone: "Mars/Olympus"}) { window { start } } }"#).await;
        assert_eq!(r["errors"][0]["extensions"]["field"], "window.timezone");
    }

    async fn data_needs_credentials_but_introspection_and_health_do_not(app) {
        let r = app.gql(None, "{ apiUsage { kpis { totalRequests { value } } } }").await;
        assert_eq!(code(&r), "UNAUTHENTICATED");
        let r = app.gql(None, "{ viewer { user } }").await;
        assert_eq!(code(&r), "UNAUTHENTICATED");
        let r = app.gql(None, "{ health }").await;
        assert_eq!(r["data"]["health"], "ok");
        let r = app.gql(None, INTROSPECTION).await;
        assert!(r.get("errors").is_none(), "{r}");
        assert!(r["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
        let (status, body) = app.http("POST", "/graphql", Some("not-a-token"), r#"{"query":"{ health }"}"#).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }

    async fn depth_alias_root_and_body_limits_hold(app) {
        let p = viewer(&app).await;
        let deep = format!(
            "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
            "ofType { ".repeat(18),
            "} ".repeat(18)
        );
        assert_eq!(code(&app.gql(Some(&p), &deep).await), "QUERY_TOO_COMPLEX");
        let aliases: String = (0..40).map(|i| format!("h{i}: health ")).collect();
        assert_eq!(code(&app.gql(Some(&p), &format!("{{ {aliases} }}")).await), "QUERY_TOO_COMPLEX");
        let roots: String = (0..12).map(|_| "health ".to_string()).collect();
        assert_eq!(code(&app.gql(Some(&p), &format!("{{ {roots} }}")).await), "QUERY_TOO_COMPLEX");
        let huge = json!({ "query": format!("{{ health }} # {}", "x".repeat(2 << 20)) }).to_string();
        let (status, body) = app.http("POST", "/graphql", None, huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
        let (status, body) = app.http("POST", "/graphql", None, "not json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }

    async fn health_endpoints_answer(app) {
        let (status, body) = app.http("GET", "/healthz", None, "").await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
        let (status, body) = app.http("GET", "/readyz", None, "").await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")));
        let (status, _) = app.http("GET", "/graphiql", None, "").await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn slow_requests_time_out_with_a_code() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.request_timeout_ms = 1)
        .await
        .unwrap();
    let now = crate::support::test_now();
    let team = dashgate::demo::seed(&app.state.db, "slow", 20_000, now)
        .await
        .unwrap()
        .team;
    let p = dashgate::kernel::Principal {
        team,
        user: "u".into(),
        role: Role::Viewer,
    };
    let query = "{ apiUsage(window: {preset: LAST_90_DAYS}) { kpis { p95LatencyMs { value } activeUsers { value } }
        latency { p95Ms } topCountries { total } topModels { total } } }";
    let body = json!({ "query": query }).to_string();
    let (status, body) = app
        .http("POST", "/graphql", Some(&app.token(&p)), body)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT");
}

#[tokio::test]
async fn complexity_counts_top_n_limits() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.max_complexity = 500)
        .await
        .unwrap();
    let p = viewer(&app).await;
    let small = "{ apiUsage { topModels(limit: 5) { rows { label value share } } } }";
    assert!(app.gql(Some(&p), small).await.get("errors").is_none());
    let big = "{ apiUsage { topModels(limit: 100) { rows { label value share cost avgLatencyMs errorRate } } } }";
    assert_eq!(code(&app.gql(Some(&p), big).await), "QUERY_TOO_COMPLEX");
}

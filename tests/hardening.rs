//! Drills from the hardening issue, each a regression test: nothing a client sends crashes,
//! stalls or exhausts the gateway.

use crate::both_dbs;
use crate::support::code;
use crate::support::wire::call_port;
use axum::http::StatusCode;
use serde_json::json;

/// The drill that aborted the process: a 14 KB unauthenticated document nesting lists
/// 7 000 levels deep inside an argument.
fn deep_list_document(levels: usize) -> String {
    format!(
        "{{ apiUsage(filter: {{models: {}\"x\"{}}}) {{ kpis {{ totalRequests {{ value }} }} }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

both_dbs! {
    async fn deep_documents_are_refused_before_parsing(app) {
        let deep_selections = format!("{{{}}}", "a {".repeat(7_000) + &"}".repeat(7_000));
        let deep_object = format!("{{ apiUsage(filter: {}) {{ window {{ start }} }} }}", "{a: ".repeat(7_000) + &"}".repeat(7_000));
        let deep_variable_type = format!("query q($v: {}Int{}) {{ health }}", "[".repeat(7_000), "]".repeat(7_000));
        for document in [deep_list_document(7_000), deep_selections, deep_object, deep_variable_type] {
            let r = app.gql(None, &document).await;
            assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
            let body = json!({ "query": document }).to_string();
            let (status, r) = app.http("POST", "/graphql", None, body).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(r["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{r}");
        }
        // 400 levels were enough to overflow a 2 MiB stack after the parser accepted them.
        let r = app.gql(None, &deep_list_document(400)).await;
        assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
        // Within the bound the same shape reaches validation (a list of lists is not a
        // `[String!]`), and the right shape runs.
        let r = app.gql(None, &deep_list_document(25)).await;
        assert_eq!(code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
        let r = app.gql(None, &deep_list_document(1)).await;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
    }

    async fn documents_with_too_many_tokens_are_refused(app) {
        let fields = "health ".repeat(20_000);
        let r = app.gql(None, &format!("{{ {fields} }}")).await;
        assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains("tokens"));
    }

    async fn deep_json_bodies_are_refused_before_parsing(app) {
        let variables = "[".repeat(7_000) + &"]".repeat(7_000);
        let body = format!(r#"{{"query":"query q($v: [String]) {{ health }}","variables":{{"v":{variables}}}}}"#);
        let (status, r) = app.http("POST", "/graphql", None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{r}");
    }
}

/// The 1.2 KB drill that froze the server: fragments each spreading the next one twice.
fn fan_out_document(levels: usize) -> String {
    let mut text = String::from("query Q { ...F0 }\n");
    for i in 0..levels {
        text.push_str(&format!(
            "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    text.push_str(&format!("fragment F{levels} on Query {{ health }}\n"));
    text
}

#[tokio::test]
async fn fragment_fan_out_is_refused_before_validation_while_health_answers() {
    let app = crate::support::TestApp::spawn(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let addr = app.serve().await;
    let document = fan_out_document(30);
    assert!(document.len() < 1_300);
    let body = json!({ "query": document }).to_string();
    // Two at once, as in the drill, and a health check beside them.
    let port = addr.port();
    let ct = [("content-type", "application/json")];
    let call = |method: &'static str, path: &'static str, body: String| async move {
        let (status, bytes) = call_port(port, method, path, &ct, body).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    };
    let started = std::time::Instant::now();
    let (a, b, health) = tokio::join!(
        call("POST", "/graphql", body.clone()),
        call("POST", "/graphql", body.clone()),
        call("GET", "/healthz", String::new()),
    );
    eprintln!(
        "two fan-out documents and /healthz answered in {:?}",
        started.elapsed()
    );
    assert_eq!(health.0, 200);
    for (status, answer) in [a, b] {
        assert_eq!(status, 200, "{answer}");
        let r: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("expanded")
        );
    }
    // Cycles are named, not followed; a modest fan-out still runs.
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { health ...A }";
    let r = app.gql(None, cycle).await;
    assert_eq!(code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    let r = app.gql(None, &fan_out_document(4)).await;
    assert_eq!(r["data"]["health"], "ok", "{r}");
}

both_dbs! {
    async fn small_drills_get_coded_answers(app) {
        use dashgate::kernel::Role;
        let admin = app.team("acme", "UTC", Role::Admin).await;
        let token = app.token(&admin);
        // `?cascade=yes` was a plain-text 400 without a code.
        let (status, r) = app.http("DELETE", "/v1/ingest/chat_experiments?cascade=yes", Some(&token), "[]").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_eq!(r["error"]["code"], "BAD_USER_INPUT", "{r}");
        // `/v1/erase` took any content type.
        let r = app
            .send("POST", "/v1/erase", &[("authorization", &format!("Bearer {token}")), ("content-type", "text/plain")],
                r#"{"userId": "ana@example.com"}"#)
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
        // Only a publishable key may ride in a URL; an EDITOR's JWT or key there is refused.
        let event = r#"{"name": "page_load", "session_id": "s1", "duration_ms": 5}"#;
        let editor_key = dashgate::accounts::api_keys::create(&app.state.db, "acme", "k", Role::Editor, 0).await.unwrap();
        for credential in [token.as_str(), editor_key.secret.as_str()] {
            let (status, r) = app.http("POST", &format!("/v1/events?key={credential}"), None, event).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{r}");
        }
        let publishable = dashgate::accounts::api_keys::create(&app.state.db, "acme", "pk", Role::Publishable, 0).await.unwrap();
        let (status, r) = app.http("POST", &format!("/v1/events?key={}", publishable.secret), None, event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        // A JWT whose `nbf` lies ahead (beyond a minute of clock skew) is not valid yet.
        let now = crate::support::test_now().timestamp();
        let claims = |nbf: i64| json!({"sub": "u", "team": "acme", "role": "ADMIN", "exp": now + 3600, "nbf": nbf});
        let key = jsonwebtoken::EncodingKey::from_secret(b"test-secret");
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        let early = jsonwebtoken::encode(&header, &claims(now + 600), &key).unwrap();
        let (status, r) = app.http("POST", "/graphql", Some(&early), r#"{"query": "{ health }"}"#).await;
        let _ = status;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
        let ready = jsonwebtoken::encode(&header, &claims(now - 5), &key).unwrap();
        let (_, r) = app.http("POST", "/graphql", Some(&ready), r#"{"query": "{ health }"}"#).await;
        assert_eq!(r["data"]["health"], "ok", "{r}");
    }
}

both_dbs! {
    async fn long_filter_lists_cost_the_cache_their_hash_not_their_text(app) {
        // Drill: each read with 500 distinct 1.7 KB model names kept 7.3 MB of cache keys.
        use dashgate::kernel::Role;
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let query = |round: usize, len: usize, count: usize| {
            let models: Vec<String> = (0..count).map(|i| format!("{round:04}-{i:04}-{}", "m".repeat(len - 10))).collect();
            format!(
                "{{ apiUsage(window: {{preset: LAST_7_DAYS}}, filter: {{models: {}}}) {{ kpis {{ totalRequests {{ value }} }} requests {{ total }} topModels {{ rows {{ label }} }} }} }}",
                serde_json::to_string(&models).unwrap()
            )
        };
        for round in 0..40 {
            let r = app.gql(Some(&p), &query(round, 300, 500)).await;
            assert!(r.get("errors").is_none(), "{r}");
        }
        let bytes = app.state.cache.weighted_bytes().await;
        eprintln!("panel cache after 40 reads of 500 × 300-character filters: {bytes} bytes");
        assert!(bytes < 200_000, "{bytes} bytes cached");
        // Past the bounds: a coded error naming the list, before anything runs.
        let r = app.gql(Some(&p), &query(0, 301, 1)).await;
        assert_eq!((code(&r), r["errors"][0]["extensions"]["field"].as_str()), ("BAD_USER_INPUT", Some("filter.models")), "{r}");
        let r = app.gql(Some(&p), &query(0, 20, 501)).await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
    }
}

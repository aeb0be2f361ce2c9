//! GraphQL over HTTP as clients expect: GET for queries, status codes by `Accept`, ETag and
//! Cache-Control, persisted documents and the trusted-documents mode, 429 with Retry-After.

use crate::both_dbs;
use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use serde_json::json;

const GQL_RESPONSE: &str = "application/graphql-response+json";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both_dbs! {
    async fn answers_keep_the_query_s_field_order_cached_or_not(app) {
        // Regression: the answer went through a sorted JSON map, so fields came back in
        // alphabetical order (GraphQL answers in selection order; the console's columns too).
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({"model_name": "m"}))]).await;
        let token = format!("Bearer {}", app.token(&p));
        let q = "{ viewer { user role } health apiUsage { topModels { total rows { value label } } } }";
        for _ in 0..2 {
            let r = app.send("POST", "/graphql", &[("authorization", &token), ("content-type", "application/json")],
                json!({"query": q}).to_string()).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let at = |s: &str| r.body.find(s).unwrap_or_else(|| panic!("{s} in {}", r.body));
            assert!(at("\"viewer\"") < at("\"health\"") && at("\"health\"") < at("\"apiUsage\""), "{}", r.body);
            assert!(at("\"user\"") < at("\"role\""), "{}", r.body);
            assert!(at("\"total\"") < at("\"rows\"") && at("\"value\"") < at("\"label\""), "{}", r.body);
        }
    }

    async fn queries_run_over_get_with_etag_and_cache_control(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        // In the last 30 days, not in the last 7.
        app.ingest(&p, &[log("a", "2026-02-20T10:00:00Z", 200, 5.0, json!({}))]).await;
        let token = format!("Bearer {}", app.token(&p));
        let q = "query Q($w: WindowInput) { apiUsage(window: $w) { kpis { totalRequests { value } } } }";
        let path = format!("/graphql?query={}&variables={}&operationName=Q", enc(q), enc(r#"{"w":{"preset":"LAST_7_DAYS"}}"#));
        let r = app.send("GET", &path, &[("authorization", &token)], "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], 0.0);
        assert!(r.header("cache-control").starts_with("private, max-age="), "{}", r.header("cache-control"));
        let max_age: u64 = r.header("cache-control").trim_start_matches("private, max-age=").parse().unwrap();
        assert!(max_age <= 60);
        let etag = r.header("etag").to_string();
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        assert!(r.header("vary").contains("Authorization"));
        // The same answer again: 304 without a body.
        let again = app.send("GET", &path, &[("authorization", &token), ("if-none-match", &etag)], "").await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
        // Another answer: a new ETag, 200.
        let other = app.send("GET", &path.replace("LAST_7_DAYS", "LAST_30_DAYS"), &[("authorization", &token), ("if-none-match", &etag)], "").await;
        assert_eq!(other.status, StatusCode::OK);
        assert_ne!(other.header("etag"), etag);
        // POST answers are never stored.
        let post = app.send("POST", "/graphql", &[("authorization", &token), ("content-type", "application/json")],
            json!({"query": q}).to_string()).await;
        assert_eq!(post.header("cache-control"), "no-store");
        assert_eq!(post.header("etag"), "");
    }

    async fn mutations_over_get_are_405_and_browsers_get_graphiql(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let token = format!("Bearer {}", app.token(&p));
        let m = r#"mutation { createFilterPreset(input: {dashboard: API_USAGE, name: "x"}) { userErrors { code } } }"#;
        let r = app.send("GET", &format!("/graphql?query={}", enc(m)), &[("authorization", &token)], "").await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
        assert_eq!(r.header("allow"), "POST");
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
        let presets = app.data(&p, "{ filterPresets { id } }").await;
        assert_eq!(presets["filterPresets"], json!([]), "nothing ran");
        let r = app.send("GET", "/graphql", &[("accept", "text/html,application/xhtml+xml")], "").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.header("content-type").starts_with("text/html"));
        assert!(r.body.contains("graphiql"));
        let r = app.send("GET", "/graphql", &[], "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }

    async fn graphql_response_clients_get_status_codes_json_clients_get_200(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let token = format!("Bearer {}", app.token(&p));
        let cases = [
            ("{ apiUsage { ", None, StatusCode::BAD_REQUEST, "GRAPHQL_PARSE_FAILED"),
            ("{ apiUsage { nope } }", None, StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED"),
            ("{ apiUsage { window { start } } }", None, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            (r#"{ apiUsage(window: {timezone: "Mars/Olympus"}) { window { start } } }"#, Some(&token), StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            (r#"{ apiUsage(presetId: "9") { window { start } } }"#, Some(&token), StatusCode::NOT_FOUND, "NOT_FOUND"),
        ];
        for (query, auth, status, code) in cases {
            let mut headers = vec![("content-type", "application/json"), ("accept", GQL_RESPONSE)];
            if let Some(t) = auth {
                headers.push(("authorization", t));
            }
            let body = json!({"query": query}).to_string();
            let r = app.send("POST", "/graphql", &headers, body.clone()).await;
            assert_eq!(r.status, status, "{query}: {}", r.body);
            assert!(r.header("content-type").starts_with(GQL_RESPONSE));
            assert_eq!(r.json()["errors"][0]["extensions"]["code"], code, "{query}");
            if code.starts_with("GRAPHQL_") {
                assert!(r.json().get("data").is_none(), "a request error has no data entry: {}", r.body);
            }
            headers[1] = ("accept", "application/json");
            let r = app.send("POST", "/graphql", &headers, body).await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
            assert_eq!(r.json()["errors"][0]["extensions"]["code"], code, "{query}");
        }
        // Content negotiation: q-values decide; nothing acceptable said means JSON.
        let r = app.send("POST", "/graphql", &[("content-type", "application/json"), ("accept", "application/json;q=0.9, application/graphql-response+json")],
            json!({"query": "{ health }"}).to_string()).await;
        assert!(r.header("content-type").starts_with(GQL_RESPONSE));
        let r = app.send("POST", "/graphql", &[("content-type", "text/plain")], "{ health }").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    async fn a_forced_refresh_over_its_limit_is_429_with_retry_after(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let token = format!("Bearer {}", app.token(&p));
        let body = json!({"query": "{ apiUsage(refresh: FORCE) { kpis { totalRequests { value } } } }"}).to_string();
        let mut last = None;
        for _ in 0..7 {
            last = Some(app.send("POST", "/graphql", &[("authorization", &token), ("content-type", "application/json")], body.clone()).await);
        }
        // Drill: the seventh answered 200 with RATE_LIMITED while the README promised 429.
        let r = last.unwrap();
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        let retry: u64 = r.header("retry-after").parse().unwrap();
        assert!(retry >= 1);
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        assert_eq!(r.json()["errors"][0]["extensions"]["retryAfterSeconds"], retry);
    }

    async fn apollo_persisted_queries_and_document_ids(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        let token = format!("Bearer {}", app.token(&p));
        let headers = [("authorization", token.as_str()), ("content-type", "application/json")];
        let q = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } } }";
        let hash = dashgate::http::persisted::sha256_hex(q);
        let ext = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
        // Unknown hash: the client is told to send the document.
        let r = app.send("POST", "/graphql", &headers, json!({"extensions": ext}).to_string()).await;
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{}", r.body);
        // Document and hash: it runs and is remembered.
        let r = app.send("POST", "/graphql", &headers, json!({"query": q, "extensions": ext}).to_string()).await;
        assert_eq!(r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], 1.0, "{}", r.body);
        // From now on the hash alone runs it, over POST and over GET, and as a documentId.
        let r = app.send("POST", "/graphql", &headers, json!({"extensions": ext}).to_string()).await;
        assert_eq!(r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], 1.0, "{}", r.body);
        let path = format!("/graphql?extensions={}", enc(&ext.to_string()));
        let r = app.send("GET", &path, &[("authorization", &token)], "").await;
        assert_eq!(r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], 1.0, "{}", r.body);
        let r = app.send("POST", "/graphql", &headers, json!({"documentId": format!("sha256:{hash}")}).to_string()).await;
        assert_eq!(r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], 1.0, "{}", r.body);
        // A hash that is not the document's is refused.
        let bad = json!({"persistedQuery": {"version": 1, "sha256Hash": "00ff"}});
        let r = app.send("POST", "/graphql", &headers, json!({"query": q, "extensions": bad}).to_string()).await;
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", r.body);
        // So is a documentId beside a document it does not name (it used to run the document).
        let r = app.send("POST", "/graphql", &headers, json!({"query": q, "documentId": "sha256:00ff"}).to_string()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", r.body);
    }

    async fn variables_or_extensions_that_are_not_objects_are_refused_not_ignored(app) {
        // Drill: `variables` sent as a string ran the operation with its defaults.
        let json_only = [("content-type", "application/json")];
        let q = "{ health }";
        for (field, value) in [("variables", json!("{\"n\": 2}")), ("variables", json!([1])), ("extensions", json!("x")), ("variables", json!(3))] {
            let mut body = json!({"query": q});
            body[field] = value.clone();
            let r = app.send("POST", "/graphql", &json_only, body.to_string()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {value} {}", r.body);
            assert_eq!(r.json()["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", r.body);
            assert!(r.body.contains(field), "{}", r.body);
        }
        let r = app.send("GET", &format!("/graphql?query={}&variables=%5B1%5D", enc(q)), &[], "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        // Null and objects run.
        let r = app.send("POST", "/graphql", &json_only, json!({"query": q, "variables": null}).to_string()).await;
        assert_eq!(r.json()["data"]["health"], "ok", "{}", r.body);
        let r = app.send("POST", "/graphql", &json_only, json!({"query": q, "variables": {"n": 2}}).to_string()).await;
        assert_eq!(r.json()["data"]["health"], "ok", "{}", r.body);
    }

    async fn anonymous_clients_and_unparsable_documents_register_nothing(app) {
        // Drill: 600 anonymous 1 MB `{ health } # …` documents with their hashes were all kept.
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let token = format!("Bearer {}", app.token(&p));
        let json_only = [("content-type", "application/json")];
        let with_token = [("authorization", token.as_str()), ("content-type", "application/json")];
        let by_hash = |q: &str| json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": dashgate::http::persisted::sha256_hex(q)}}});
        let with_doc = |q: &str| {
            let mut body = by_hash(q);
            body["query"] = json!(q);
            body.to_string()
        };
        let q = format!("{{ health }} # {}", "x".repeat(500_000));
        let r = app.send("POST", "/graphql", &json_only, with_doc(&q)).await;
        assert_eq!(r.json()["data"]["health"], "ok", "{:.300}", r.body);
        let r = app.send("POST", "/graphql", &json_only, by_hash(&q).to_string()).await;
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{}", r.body);
        // Authenticated but not a document: nothing kept either.
        let broken = "{ health ";
        let r = app.send("POST", "/graphql", &with_token, with_doc(broken)).await;
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED", "{}", r.body);
        let r = app.send("POST", "/graphql", &with_token, by_hash(broken).to_string()).await;
        assert_eq!(r.json()["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{}", r.body);
        // An authenticated client's document is kept.
        let fine = "{ health }";
        app.send("POST", "/graphql", &with_token, with_doc(fine)).await;
        let r = app.send("POST", "/graphql", &json_only, by_hash(fine).to_string()).await;
        assert_eq!(r.json()["data"]["health"], "ok", "{}", r.body);
    }
}

#[tokio::test]
async fn trusted_documents_mode_runs_only_the_manifest() {
    let dir = std::env::temp_dir().join(format!("dashgate-trusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("manifest.json");
    let listed = "query Totals { apiUsage { kpis { totalRequests { value } } } }";
    std::fs::write(
        &manifest,
        json!({"format": "apollo-persisted-query-manifest", "version": 1,
               "operations": [{"id": "totals-v1", "name": "Totals", "type": "query", "body": listed},
                              {"id": "series-v1", "name": "Series", "type": "query", "body": "query Series { apiUsage { requests { total } } }"}]})
        .to_string(),
    )
    .unwrap();
    let path = manifest.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.server.trusted_documents = Some(path)
    })
    .await
    .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let token = format!("Bearer {}", app.token(&p));
    let headers = [
        ("authorization", token.as_str()),
        ("content-type", "application/json"),
    ];
    let r = app
        .send(
            "POST",
            "/graphql",
            &headers,
            json!({"documentId": "totals-v1"}).to_string(),
        )
        .await;
    assert_eq!(
        r.json()["data"]["apiUsage"]["kpis"]["totalRequests"]["value"],
        0.0,
        "{}",
        r.body
    );
    let r = app
        .send(
            "GET",
            "/graphql?documentId=totals-v1",
            &[("authorization", &token)],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The listed text sent in full runs too; any other document does not.
    let r = app
        .send(
            "POST",
            "/graphql",
            &headers,
            json!({"query": listed}).to_string(),
        )
        .await;
    assert!(r.json()["data"].is_object(), "{}", r.body);
    let r = app
        .send(
            "POST",
            "/graphql",
            &headers,
            json!({"query": "{ health }"}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.json()["errors"][0]["extensions"]["code"],
        "OPERATION_NOT_TRUSTED"
    );
    let r = app
        .send(
            "POST",
            "/graphql",
            &headers,
            json!({"documentId": "nope"}).to_string(),
        )
        .await;
    assert_eq!(
        r.json()["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // A broken manifest stops the gateway from starting.
    std::fs::write(&manifest, "not json").unwrap();
    let state = app.state.clone();
    let mut settings = (*state.settings).clone();
    settings.server.trusted_documents = Some(manifest.clone());
    let broken = dashgate::state::AppState::with_db(settings, state.db.clone())
        .await
        .unwrap();
    assert!(dashgate::http::router(broken).is_err());
    let _ = std::fs::remove_dir_all(dir);
}

//! Drills from the hardening issue, each a regression test: nothing a client sends crashes,
//! stalls or exhausts the gateway.

use crate::both_dbs;
use crate::support::code;
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

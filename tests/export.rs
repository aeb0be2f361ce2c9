//! `POST /v1/export`: complete lists as CSV (byte for byte) or JSON, with a telling filename.

use crate::both_dbs;
use crate::support::TestApp;
use crate::support::fixtures::log;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use dashgate::kernel::{Principal, Role};
use serde_json::json;
use tower::ServiceExt;

const W: &str = r#"window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", timezone: "UTC", granularity: DAY}"#;

/// Status, Content-Disposition and body of an export.
pub(crate) async fn export(
    app: &TestApp,
    p: &Principal,
    body: serde_json::Value,
) -> (StatusCode, String, String) {
    let req = Request::post("/v1/export")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", app.token(p)))
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let disposition = res
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        disposition,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

async fn seeded(app: &TestApp) -> Principal {
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let editor = Principal {
        role: Role::Editor,
        ..p.clone()
    };
    app.ingest(
        &editor,
        &[
            log(
                "e1",
                "2026-03-01T01:00:00Z",
                200,
                100.0,
                json!({"model_name": "say \"hi\", ok", "country_code": "US"}),
            ),
            log(
                "e2",
                "2026-03-02T01:00:00Z",
                500,
                300.0,
                json!({"model_name": "plain", "country_code": "DE"}),
            ),
        ],
    )
    .await;
    p
}

both_dbs! {
    async fn exports_carry_the_window_filter_and_preset_when_asked(app) {
        let p = seeded(&app).await;
        let created = app.data(&p, r#"mutation { createFilterPreset(input: {dashboard: API_USAGE, name: "plain",
            window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", timezone: "UTC", granularity: DAY},
            apiUsage: {models: ["plain"]}}) { preset { id } userErrors { code } } }"#).await;
        let id = created["createFilterPreset"]["preset"]["id"].as_str().unwrap().to_string();
        let query = "query Q($id: ID) { apiUsage(presetId: $id, filter: {countries: [\"DE\"]}) { requests { start success error } } }";
        let body = json!({"query": query, "variables": {"id": id}, "format": "json", "includeFilters": true});
        let (status, _, text) = export(&app, &p, body).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let wrapped: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(wrapped["window"], json!({"preset": "CUSTOM", "start": "2026-03-01T00:00:00+00:00",
            "end": "2026-03-03T00:00:00+00:00", "timezone": "UTC", "granularity": "DAY",
            "previousStart": "2026-02-27T00:00:00+00:00", "previousEnd": "2026-03-01T00:00:00+00:00"}));
        assert_eq!(wrapped["filter"]["models"], json!(["plain"]), "{wrapped}");
        assert_eq!(wrapped["filter"]["countries"], json!(["DE"]), "{wrapped}");
        assert_eq!(wrapped["presetId"], json!(id));
        assert_eq!(wrapped["rows"], json!([
            {"start": "2026-03-01T00:00:00+00:00", "success": 0.0, "error": 0.0},
            {"start": "2026-03-02T00:00:00+00:00", "success": 0.0, "error": 1.0}]));
        let body = json!({"query": query, "variables": {"id": id}, "format": "csv", "includeFilters": true});
        let (status, _, text) = export(&app, &p, body).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next().unwrap(), "start,success,error,_window.preset,_window.start,_window.end,\
            _window.timezone,_window.granularity,_filter,_presetId");
        let second = lines.nth(1).unwrap();
        assert!(second.starts_with("2026-03-02T00:00:00+00:00,0.0,1.0,CUSTOM,2026-03-01T00:00:00+00:00,\
            2026-03-03T00:00:00+00:00,UTC,DAY,\"{"), "{second}");
        assert!(second.ends_with(&format!(",{id}")), "{second}");
        // Without the option, the plain list as before.
        let (_, _, text) = export(&app, &p, json!({"query": query, "variables": {"id": id}, "format": "json"})).await;
        assert!(text.starts_with("[{"), "{text}");
    }

    async fn variables_that_are_not_an_object_are_refused(app) {
        let p = seeded(&app).await;
        let query = format!("{{ apiUsage({W}) {{ requests {{ start total }} }} }}");
        let (status, _, body) = export(&app, &p, json!({"query": query, "variables": "{}", "format": "json"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("`variables` must be a JSON object"), "{body}");
    }

    async fn a_series_exports_as_csv(app) {
        let p = seeded(&app).await;
        let query = format!("{{ apiUsage({W}) {{ window {{ start end }} requests {{ start end isPartial success error total }} }} }}");
        let (status, disposition, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(disposition, "attachment; filename=\"apiUsage-requests-2026-03-01T00-00-00_2026-03-03T00-00-00.csv\"");
        assert_eq!(body, "start,end,isPartial,success,error,total\r\n\
            2026-03-01T00:00:00+00:00,2026-03-02T00:00:00+00:00,false,1.0,0.0,1.0\r\n\
            2026-03-02T00:00:00+00:00,2026-03-03T00:00:00+00:00,false,0.0,1.0,1.0\r\n");
    }

    async fn a_table_needing_quotes_exports_exactly(app) {
        let p = seeded(&app).await;
        let query = format!("{{ apiUsage({W}) {{ topModels {{ rows {{ label value errorRate }} total }} }} }}");
        let (status, disposition, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(disposition, "attachment; filename=\"apiUsage-topModels-2026-03-01T00-00-00_2026-03-03T00-00-00.csv\"");
        assert_eq!(body, "label,value,errorRate\r\nplain,1.0,1.0\r\n\"say \"\"hi\"\", ok\",1.0,0.0\r\n");
    }

    async fn labels_that_spreadsheets_would_run_as_formulas_export_as_text(app) {
        // Drill: a model named `=HYPERLINK(…)` left the export as a live formula.
        let p = app.team("acme", "UTC", Role::Editor).await;
        let evil = "=HYPERLINK(\"http://evil.example\",\"x\")";
        app.ingest(&p, &[log("e1", "2026-03-01T01:00:00Z", 200, 100.0, json!({"model_name": evil}))]).await;
        let query = format!("{{ apiUsage({W}) {{ topModels {{ rows {{ label value }} }} }} }}");
        let (status, _, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, "label,value\r\n\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",1.0\r\n");
        // JSON keeps the value as it is: only spreadsheets run formulas.
        let (_, _, body) = export(&app, &p, json!({"query": query, "format": "json"})).await;
        let rows: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(rows[0]["label"], evil);
    }

    async fn a_breakdown_is_picked_by_path_and_exports_as_json(app) {
        let p = seeded(&app).await;
        let query = format!("query Q($limit: Int) {{ apiUsage({W}) {{ requests {{ total }} topCountries(limit: $limit) {{ rows {{ label name value }} }} }} }}");
        let (status, _, body) = export(&app, &p, json!({"query": query, "format": "csv", "variables": {"limit": 5}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("apiUsage.requests") && body.contains("apiUsage.topCountries.rows"), "{body}");
        let (status, _, body) = export(&app, &p, json!({"query": query, "format": "csv", "path": "apiUsage.topCountries.rows"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "label,name,value\r\nDE,Germany,1.0\r\nUS,United States of America,1.0\r\n");
        let (status, disposition, body) = export(&app, &p, json!({"query": query, "format": "json", "path": "apiUsage.topCountries.rows", "operationName": "Q"})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(disposition.ends_with(".json\""));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), json!([
            {"label": "DE", "name": "Germany", "value": 1.0},
            {"label": "US", "name": "United States of America", "value": 1.0}]));
        let (status, _, body) = export(&app, &p, json!({"query": query, "format": "csv", "path": "apiUsage.nope"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _, body) = export(&app, &p, json!({"query": "{ apiUsage { nope } }", "format": "csv"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("GRAPHQL_VALIDATION_FAILED"), "{body}");
    }

    async fn chat_panels_export_with_flattened_objects_in_the_window_timezone(app) {
        let p = app.team("acme", "Asia/Kathmandu", Role::Editor).await;
        app.ingest_chat_fixture(&p).await;
        let w = r#"window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", granularity: DAY}"#;
        let query = format!("{{ chat({w}) {{ botPerformance(limit: 2) {{ rows {{ experiment {{ id name }} sessions completionRate }} }} }} }}");
        let (status, disposition, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(disposition.starts_with("attachment; filename=\"chat-botPerformance-2026-03-01T05-45-00"), "{disposition}");
        assert_eq!(body, "experiment.id,experiment.name,sessions,completionRate\r\n\
            x1,Alpha,4,0.75\r\nx2,Beta,2,0.0\r\n");
        let query = format!("{{ chat({w}) {{ engagement {{ mostActive(limit: 1) {{ participant {{ id }} messages lastActiveAt }} }} }} }}");
        let (status, _, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, "participant.id,messages,lastActiveAt\r\np2,3,2026-03-02T22:45:00+05:45\r\n");
    }
}

#[tokio::test]
async fn exports_need_credentials() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let (status, body) = app
        .http(
            "POST",
            "/v1/export",
            None,
            r#"{"query":"{ health }","format":"csv"}"#,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED"))
    );
}

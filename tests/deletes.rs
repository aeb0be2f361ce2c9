//! Deleting rows (refused while referenced, cascades counted, all or nothing), erasing a
//! person from every dataset, the audit log, and batches written in chunks.

use crate::both_dbs;
use crate::support::TestApp;
use crate::support::fixtures::log;
use axum::http::StatusCode;
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

const AT: &str = "2026-03-01T10:00:00Z";

async fn delete(app: &TestApp, p: &Principal, path: &str, rows: &[Value]) -> (StatusCode, Value) {
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    app.http("DELETE", path, Some(&app.token(p)), body).await
}

/// Two experiments; x1 has a channel, a session with two messages, a trace and tags.
async fn chat_rows(app: &TestApp, p: &Principal) {
    app.ingest_into(
        p,
        "chat_experiments",
        &[
            json!({"id": "x1", "name": "Alpha", "created_at": AT}),
            json!({"id": "x2", "name": "Beta", "created_at": AT}),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "chat_channels",
        &[json!({"id": "ch1", "experiment_id": "x1", "name": "WA", "platform": "whatsapp"})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_participants",
        &[
            json!({"id": "p1", "identifier": "ana@example.com", "created_at": AT}),
            json!({"id": "p2", "identifier": "bo@example.com", "created_at": AT}),
        ],
    )
    .await;
    app.ingest_into(p, "chat_sessions", &[
        json!({"id": "s1", "experiment_id": "x1", "participant_id": "p1", "channel_id": "ch1", "status": "active", "created_at": AT}),
        json!({"id": "s2", "experiment_id": "x2", "participant_id": "p2", "status": "active", "created_at": AT}),
    ]).await;
    app.ingest_into(
        p,
        "chat_messages",
        &[
            json!({"id": "m1", "session_id": "s1", "message_type": "human", "created_at": AT}),
            json!({"id": "m2", "session_id": "s1", "message_type": "ai", "created_at": AT}),
            json!({"id": "m3", "session_id": "s2", "message_type": "human", "created_at": AT}),
        ],
    )
    .await;
    app.ingest_into(
        p,
        "chat_traces",
        &[json!({"id": "t1", "session_id": "s1", "timestamp": AT, "duration_ms": 900})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_tags",
        &[json!({"id": "g1", "name": "greeting", "category": ""})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_message_tags",
        &[json!({"id": "mt1", "tag_id": "g1", "message_id": "m1"})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_session_tags",
        &[json!({"id": "st1", "tag_id": "g1", "session_id": "s1"})],
    )
    .await;
}

both_dbs! {
    async fn deleting_referenced_rows_is_refused_unless_cascading(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        chat_rows(&app, &p).await;
        let (status, r) = delete(&app, &p, "/v1/ingest/chat_experiments", &[json!({"id": "x1"})]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{r}");
        assert_eq!(r["error"]["code"], "REFERENCED");
        let by: Vec<(String, u64)> = r["error"]["referencedBy"].as_array().unwrap().iter()
            .map(|x| (x["dataset"].as_str().unwrap().to_string(), x["rows"].as_u64().unwrap())).collect();
        assert_eq!(by, [("chat_channels".to_string(), 1), ("chat_sessions".to_string(), 1)]);
        assert_eq!(app.count_rows("chat_experiments").await, 2, "nothing deleted");
        // A row nothing references goes; an unknown id is counted missing.
        let (status, r) = delete(&app, &p, "/v1/ingest/chat_traces", &[json!({"id": "t1"}), json!({"id": "nope"})]).await;
        assert_eq!((status, r), (StatusCode::OK, json!({"dataset": "chat_traces", "deleted": 1, "missing": 1})));
        // Cascade: the experiment, its channel and session, the session's messages and tags.
        let (status, r) = delete(&app, &p, "/v1/ingest/chat_experiments?cascade=true", &[json!({"id": "x1"})]).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r, json!({"dataset": "chat_experiments", "deleted": 1, "missing": 0, "cascaded": {
            "chat_channels": 1, "chat_message_tags": 1, "chat_messages": 2, "chat_session_tags": 1, "chat_sessions": 1}}));
        for (table, left) in [("chat_experiments", 1), ("chat_sessions", 1), ("chat_messages", 1), ("chat_tags", 1), ("chat_participants", 2)] {
            assert_eq!(app.count_rows(table).await, left, "{table}");
        }
        // The dashboard follows at once (the cache was invalidated).
        let d = app.data(&p, r#"{ chat(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-02T00:00:00Z"}) { kpis { experiments { value } messages { value } } } }"#).await;
        assert_eq!(d["chat"]["kpis"]["experiments"]["value"], 1.0);
        assert_eq!(d["chat"]["kpis"]["messages"]["value"], 1.0);
    }

    async fn a_delete_batch_is_all_or_nothing_and_needs_an_editor(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", AT, 200, 1.0, json!({})), log("b", AT, 200, 1.0, json!({}))]).await;
        let (status, r) = delete(&app, &p, "/v1/ingest/request_logs", &[json!({"id": "a"}), json!({"id": "b", "colour": "red"})]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_eq!((r["error"]["line"].clone(), r["error"]["field"].clone()), (json!(2), json!("colour")));
        assert_eq!(app.count_rows("request_logs").await, 2);
        let viewer = Principal { role: Role::Viewer, ..p.clone() };
        let (status, _) = delete(&app, &viewer, "/v1/ingest/request_logs", &[json!({"id": "a"})]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, r) = delete(&app, &p, "/v1/ingest/request_logs", &[json!({"id": "a"}), json!({"id": "b"})]).await;
        assert_eq!((status, r["deleted"].clone()), (StatusCode::OK, json!(2)));
        // Months are deleted by month.
        app.ingest_into(&p, "exec_revenue_months", &[json!({"month": "2026-02", "recognized": 5})]).await;
        let (status, r) = delete(&app, &p, "/v1/ingest/exec_revenue_months", &[json!({"month": "2026-02-01"})]).await;
        assert_eq!((status, r["deleted"].clone()), (StatusCode::OK, json!(1)));
        // Another team's ids are missing, never deleted.
        let other = app.team("other", "UTC", Role::Editor).await;
        app.ingest(&other, &[log("z", AT, 200, 1.0, json!({}))]).await;
        let (_, r) = delete(&app, &p, "/v1/ingest/request_logs", &[json!({"id": "z"})]).await;
        assert_eq!((r["deleted"].clone(), r["missing"].clone()), (json!(0), json!(1)));
        assert_eq!(app.count_rows("request_logs").await, 1);
    }

    async fn erasing_a_person_removes_exactly_their_rows_and_is_audited(app) {
        let admin = app.team("acme", "UTC", Role::Admin).await;
        chat_rows(&app, &admin).await;
        app.ingest(&admin, &[
            log("r1", AT, 200, 1.0, json!({"user_id": "ana@example.com"})),
            log("r2", AT, 200, 1.0, json!({"user_id": "bo@example.com"})),
            log("r3", AT, 200, 1.0, json!({})),
        ]).await;
        app.ingest_into(&admin, "product_events", &[
            json!({"id": "e1", "user_id": "ana@example.com", "event_name": "app_open", "event_time": AT}),
            json!({"id": "e2", "event_name": "app_open", "event_time": AT, "properties": {"device_id": "ana@example.com"}}),
            json!({"id": "e3", "user_id": "bo@example.com", "event_name": "app_open", "event_time": AT}),
        ]).await;
        app.ingest_into(&admin, "product_memberships", &[
            json!({"id": "ms1", "user_id": "ana@example.com", "plan_type": "monthly", "start_at": AT, "status": "active", "amount": 9, "currency": "USD"}),
        ]).await;
        let other = app.team("other", "UTC", Role::Editor).await;
        app.ingest(&other, &[log("r1", AT, 200, 1.0, json!({"user_id": "ana@example.com"}))]).await;
        let editor = Principal { role: Role::Editor, ..admin.clone() };
        let (status, _) = app.http("POST", "/v1/erase", Some(&app.token(&editor)), r#"{"userId": "ana@example.com"}"#).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "erasing is for admins");
        let (status, r) = app.http("POST", "/v1/erase", Some(&app.token(&admin)), r#"{"userId": "ana@example.com"}"#).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["deleted"], json!({"request_logs": 1, "product_events": 2, "product_memberships": 1,
            "chat_participants": 1, "chat_sessions": 1, "chat_messages": 2, "chat_traces": 1,
            "chat_message_tags": 1, "chat_session_tags": 1}));
        for (table, left) in [("request_logs", 3), ("product_events", 1), ("product_memberships", 0),
            ("chat_participants", 1), ("chat_sessions", 1), ("chat_messages", 1)] {
            assert_eq!(app.count_rows(table).await, left, "{table}: the other team's row and bo's stay");
        }
        // Every dashboard has forgotten her.
        let d = app.data(&admin, r#"{ apiUsage(window: {preset: LAST_30_DAYS}) { kpis { activeUsers { value } } } }"#).await;
        assert_eq!(d["apiUsage"]["kpis"]["activeUsers"]["value"], 1.0);
        // The erasure is in the audit log; the other team's log is empty.
        let entries = dashgate::audit::list(&app.state.db, admin.team.id, 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].action.as_str(), entries[0].principal.as_str()), ("erase", "acme-user"));
        assert_eq!(entries[0].arguments, json!({"userId": "ana@example.com"}));
        assert_eq!(entries[0].counts["chat_messages"], 2);
        assert!(dashgate::audit::list(&app.state.db, other.team.id, 10).await.unwrap().is_empty());
    }

    async fn exports_and_deletions_are_audited(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &[log("a", AT, 200, 1.0, json!({}))]).await;
        let body = json!({"format": "csv", "query": "{ apiUsage(window: {preset: LAST_30_DAYS}) { requests { total } } }"}).to_string();
        let (status, _) = app.http("POST", "/v1/export", Some(&app.token(&p)), body).await;
        assert_eq!(status, StatusCode::OK);
        delete(&app, &p, "/v1/ingest/request_logs", &[json!({"id": "a"})]).await;
        let entries = dashgate::audit::list(&app.state.db, p.team.id, 10).await.unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["delete", "export"], "newest first");
        assert_eq!(entries[1].arguments["path"], "apiUsage.requests");
        assert_eq!(entries[1].counts, json!({"rows": 30}));
        assert_eq!(entries[0].counts["deleted"], 1);
    }

    async fn large_batches_are_written_in_chunks(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let rows: Vec<Value> = (0..12_000).map(|i| log(&format!("r{i}"), AT, 200, 1.0, json!({}))).collect();
        let sql = app.statements_of(async { app.ingest(&p, &rows).await; }).await;
        let inserts = sql.iter().filter(|s| s.starts_with("INSERT INTO \"request_logs\"")
            || s.starts_with("WITH r AS (INSERT INTO \"request_logs\"")).count();
        // PostgreSQL: chunks of 5 000 rows (5 000, 5 000, 2 000), each one statement (its rows
        // as one JSON parameter, the rollup updated by the same statement). SQLite: chunks of
        // 2 000 rows, each one statement (and one rollup statement per 1 000 rows inserted).
        let expected = match app.backend { crate::support::Backend::Postgres => 3, crate::support::Backend::Sqlite => 6 };
        assert_eq!(inserts, expected, "{:?}", sql.iter().map(|s| &s[..s.len().min(60)]).collect::<Vec<_>>());
        assert_eq!(app.count_rows("request_logs").await, 12_000);
    }
}

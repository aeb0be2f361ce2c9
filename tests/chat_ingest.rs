//! Chat datasets: validation, same-team references, all-or-nothing batches, idempotency.

use crate::both_dbs;
use crate::support::TestApp;
use axum::http::StatusCode;
use dashgate::kernel::{Principal, Role};
use serde_json::json;

async fn base(app: &TestApp, p: &Principal) {
    app.ingest_into(
        p,
        "chat_experiments",
        &[json!({"id": "x1", "name": "Helper", "created_at": "2026-03-01T00:00:00Z"})],
    )
    .await;
    app.ingest_into(p, "chat_participants", &[json!({"id": "p1", "identifier": "ana@example.com", "platform": "WEB", "created_at": "2026-03-01T00:00:00Z"})]).await;
    app.ingest_into(
        p,
        "chat_channels",
        &[json!({"id": "c1", "experiment_id": "x1", "name": "Site", "platform": "web"})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_sessions",
        &[
            json!({"id": "s1", "experiment_id": "x1", "participant_id": "p1", "channel_id": "c1",
        "platform": "web", "status": "active", "created_at": "2026-03-01T10:00:00Z"}),
        ],
    )
    .await;
}

both_dbs! {
    async fn every_dataset_ingests_in_dependency_order(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        base(&app, &p).await;
        let messages = [
            json!({"id": "m1", "session_id": "s1", "message_type": "human", "created_at": "2026-03-01T10:00:00Z"}),
            json!({"id": "m2", "session_id": "s1", "message_type": "ai", "created_at": "2026-03-01T10:00:05Z"}),
        ];
        assert_eq!(app.ingest_into(&p, "chat_messages", &messages).await["inserted"], 2);
        assert_eq!(app.ingest_into(&p, "chat_messages", &messages).await, json!({"dataset": "chat_messages", "inserted": 0, "updated": 0, "unchanged": 0, "stale": 0, "duplicates": 2}));
        app.ingest_into(&p, "chat_tags", &[json!({"id": "t1", "name": "billing"}), json!({"id": "t2", "name": "v2", "category": "experiment_version"})]).await;
        app.ingest_into(&p, "chat_message_tags", &[json!({"id": "mt1", "tag_id": "t1", "message_id": "m1"})]).await;
        app.ingest_into(&p, "chat_session_tags", &[json!({"id": "st1", "tag_id": "t2", "session_id": "s1"})]).await;
        let r = app.ingest_into(&p, "chat_traces", &[json!({"id": "tr1", "session_id": "s1", "timestamp": "2026-03-01T10:00:05Z", "duration_ms": 1234.5})]).await;
        assert_eq!(r["inserted"], 1);
    }

    async fn missing_or_foreign_references_reject_the_whole_batch(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        base(&app, &p).await;
        let rival = app.team("rival", "UTC", Role::Editor).await;
        let batch = [
            json!({"id": "m1", "session_id": "s1", "message_type": "human", "created_at": "2026-03-01T10:00:00Z"}),
            json!({"id": "m2", "session_id": "nope", "message_type": "ai", "created_at": "2026-03-01T10:00:05Z"}),
        ];
        let (status, r) = app.post_rows(&p, "chat_messages", &batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((r["error"]["line"].clone(), r["error"]["field"].clone()), (json!(2), json!("session_id")));
        // Nothing was written: the valid row is new when sent alone.
        assert_eq!(app.ingest_into(&p, "chat_messages", &batch[..1]).await["inserted"], 1);
        // Another team's session does not exist for the rival team.
        let (status, r) = app.post_rows(&rival, "chat_messages", &batch[..1]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r["error"]["field"], "session_id");
        let (status, r) = app.post_rows(&rival, "chat_sessions", &[json!({"id": "s9", "experiment_id": "x1", "participant_id": "p1",
            "status": "active", "created_at": "2026-03-01T10:00:00Z"})]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r["error"]["errors"].as_array().unwrap().len(), 2, "experiment and participant: {r}");
    }

    async fn chat_rows_are_validated_field_by_field(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        base(&app, &p).await;
        let cases = [
            ("chat_sessions", json!({"id": "s2", "experiment_id": "x1", "participant_id": "p1", "status": "done", "created_at": "2026-03-01T10:00:00Z"}), "status"),
            ("chat_messages", json!({"id": "m9", "session_id": "s1", "message_type": "bot", "created_at": "2026-03-01T10:00:00Z"}), "message_type"),
            ("chat_tags", json!({"id": "t9", "name": "x", "category": "mood"}), "category"),
            ("chat_experiments", json!({"id": "x9", "name": "y", "is_archived": "yes", "created_at": "2026-03-01T10:00:00Z"}), "is_archived"),
            ("chat_traces", json!({"id": "tr9", "session_id": "s1", "timestamp": "2026-03-01T10:00:00Z", "duration_ms": -5}), "duration_ms"),
            ("chat_sessions", json!({"id": "s3", "experiment_id": "x1", "participant_id": "p1", "status": "active", "created_at": "2026-03-01T10:00:00Z", "ended_at": "soon"}), "ended_at"),
        ];
        for (dataset, row, field) in cases {
            let (status, r) = app.post_rows(&p, dataset, &[row]).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{dataset}");
            assert_eq!(r["error"]["field"], field, "{dataset}: {r}");
        }
        let (status, r) = app.post_rows(&p, "chat_nope", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(r["error"]["message"].as_str().unwrap().contains("chat_traces"));
    }
}

//! Large deletes: cost linear in rows, a bot with its whole history deletable.

use crate::both_dbs;
use crate::support::TestApp;
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};
use std::time::Instant;

const AT: &str = "2026-03-01T10:00:00Z";

async fn delete(
    app: &TestApp,
    p: &Principal,
    path: &str,
    rows: &[Value],
) -> (axum::http::StatusCode, Value) {
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    app.http("DELETE", path, Some(&app.token(p)), body).await
}

/// One experiment (the bot) with one participant, `sessions` sessions and `n` messages.
async fn bot_with_history(app: &TestApp, p: &Principal, sessions: usize, n: usize) -> Vec<Value> {
    app.ingest_into(
        p,
        "chat_experiments",
        &[json!({"id": "bot", "name": "Bot", "created_at": AT})],
    )
    .await;
    app.ingest_into(
        p,
        "chat_participants",
        &[json!({"id": "p1", "identifier": "ana@example.com", "created_at": AT})],
    )
    .await;
    let s: Vec<Value> = (0..sessions)
        .map(|i| json!({"id": format!("s{i}"), "experiment_id": "bot", "participant_id": "p1", "status": "active", "created_at": AT}))
        .collect();
    app.ingest_into(p, "chat_sessions", &s).await;
    let messages: Vec<Value> = (0..n)
        .map(|i| {
            let kind = if i % 2 == 0 { "human" } else { "ai" };
            let at = format!("2026-03-01T{:02}:{:02}:{:02}Z", 10 + (i / 3600) % 10, (i / 60) % 60, i % 60);
            json!({"id": format!("m{i}"), "session_id": format!("s{}", i % sessions), "message_type": kind, "created_at": at})
        })
        .collect();
    for chunk in messages.chunks(10_000) {
        app.ingest_into(p, "chat_messages", chunk).await;
    }
    messages.iter().map(|m| json!({"id": m["id"]})).collect()
}

both_dbs! {
    async fn deleting_many_messages_costs_time_linear_in_rows(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let keys = bot_with_history(&app, &p, 3, 8_000).await;
        for size in [500usize, 2_000, 5_500] {
            let (from, to) = match size { 500 => (0, 500), 2_000 => (500, 2_500), _ => (2_500, 8_000) };
            let started = Instant::now();
            let (status, r) = delete(&app, &p, "/v1/ingest/chat_messages", &keys[from..to]).await;
            eprintln!("{:?}: deleted {size} messages in {:?}", app.backend, started.elapsed());
            assert_eq!(status, axum::http::StatusCode::OK, "{r}");
            assert_eq!(r["deleted"], json!(size), "{r}");
        }
        assert_eq!(app.count_rows("chat_messages").await, 0);
        assert_eq!(app.count_rows("chat_message_rollups").await, 0);
    }

    async fn a_bot_with_thirty_thousand_messages_deletes_with_its_history(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        bot_with_history(&app, &p, 50, 30_000).await;
        let started = Instant::now();
        let (status, r) = app.http("DELETE", "/v1/ingest/chat_experiments?cascade=true", Some(&app.token(&p)), json!({"id": "bot"}).to_string()).await;
        eprintln!("{:?}: cascade-deleted a bot with 30 000 messages in {:?}", app.backend, started.elapsed());
        assert_eq!(status, axum::http::StatusCode::OK, "{r}");
        assert_eq!(r["deleted"], json!(1), "{r}");
        assert_eq!(r["cascaded"]["chat_messages"], json!(30_000), "{r}");
        assert_eq!(r["cascaded"]["chat_sessions"], json!(50), "{r}");
        for table in ["chat_messages", "chat_sessions", "chat_message_rollups", "chat_experiments"] {
            assert_eq!(app.count_rows(table).await, 0, "{table}");
        }
    }
}

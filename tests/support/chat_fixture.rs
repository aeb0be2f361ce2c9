//! The hand-computed chat fixture of `tests/chat.rs` (the tables there explain every row).

use super::TestApp;
use dashgate::kernel::Principal;
use serde_json::{Value, json};

fn at(day: u32, hms: &str) -> String {
    format!(
        "2026-{}T{hms}Z",
        if day >= 27 {
            format!("02-{day}")
        } else {
            format!("03-0{day}")
        }
    )
}

fn experiment(id: &str, name: &str, archived: bool, created: &str) -> Value {
    json!({"id": id, "name": name, "is_archived": archived, "created_at": created})
}

fn session(
    id: &str,
    x: &str,
    p: &str,
    platform: Option<&str>,
    status: &str,
    created: String,
    ended: Option<String>,
) -> Value {
    json!({"id": id, "experiment_id": x, "participant_id": p, "platform": platform,
           "status": status, "created_at": created, "ended_at": ended})
}

fn message(id: &str, s: &str, kind: &str, created: String) -> Value {
    json!({"id": id, "session_id": s, "message_type": kind, "created_at": created})
}

/// Every dataset of the fixture, in dependency order.
pub fn chat_datasets() -> Vec<(&'static str, Vec<Value>)> {
    let feb = "2026-02-01T00:00:00Z";
    vec![
        (
            "chat_experiments",
            vec![
                experiment("x1", "Alpha", false, feb),
                experiment("x2", "Beta", false, "2026-03-02T00:00:00Z"),
                experiment("x3", "Gamma", true, feb),
                experiment("x4", "Delta", false, feb),
            ],
        ),
        (
            "chat_channels",
            vec![
                json!({"id": "c1", "experiment_id": "x1", "name": "Site", "platform": "web"}),
                json!({"id": "c2", "experiment_id": "x1", "name": "WA", "platform": "whatsapp"}),
                json!({"id": "c3", "experiment_id": "x2", "name": "TG", "platform": "telegram"}),
                json!({"id": "c4", "experiment_id": "x2", "name": "Old", "platform": "slack", "deleted": true}),
                json!({"id": "c5", "experiment_id": "x3", "name": "TG", "platform": "telegram"}),
            ],
        ),
        (
            "chat_participants",
            vec![
                json!({"id": "p1", "identifier": "ana@example.com", "name": "Ana", "platform": "web", "created_at": feb}),
                json!({"id": "p2", "identifier": "+15550002", "platform": "whatsapp", "created_at": feb}),
                json!({"id": "p3", "identifier": "@cy", "name": "Cy", "platform": "telegram", "created_at": "2026-03-01T00:00:00Z"}),
                json!({"id": "p4", "identifier": "eval-bot", "name": "Eve", "platform": "evaluations", "created_at": feb}),
                json!({"id": "p5", "identifier": "dan@example.com", "name": "Dan", "platform": "web", "created_at": feb}),
            ],
        ),
        (
            "chat_sessions",
            vec![
                session(
                    "s1",
                    "x1",
                    "p1",
                    Some("web"),
                    "active",
                    at(28, "10:00:00"),
                    Some(at(1, "10:30:00")),
                ),
                session(
                    "s2",
                    "x1",
                    "p2",
                    Some("whatsapp"),
                    "complete",
                    at(1, "09:00:00"),
                    Some(at(1, "09:10:00")),
                ),
                session(
                    "s3",
                    "x2",
                    "p3",
                    Some("telegram"),
                    "active",
                    at(2, "08:00:00"),
                    None,
                ),
                session(
                    "s4",
                    "x1",
                    "p1",
                    Some("web"),
                    "setup",
                    at(1, "12:00:00"),
                    None,
                ),
                session(
                    "s5",
                    "x1",
                    "p4",
                    Some("evaluations"),
                    "active",
                    at(1, "12:00:00"),
                    None,
                ),
                session(
                    "s6",
                    "x1",
                    "p5",
                    Some("web"),
                    "active",
                    at(1, "14:50:00"),
                    Some(at(2, "15:10:00")),
                ),
                session(
                    "s7",
                    "x1",
                    "p5",
                    Some("whatsapp"),
                    "active",
                    at(2, "16:00:00"),
                    None,
                ),
                session(
                    "s8",
                    "x3",
                    "p2",
                    Some("telegram"),
                    "complete",
                    at(2, "17:00:00"),
                    Some(at(2, "17:20:00")),
                ),
                session(
                    "s9",
                    "x2",
                    "p3",
                    Some("telegram"),
                    "active",
                    at(27, "12:00:00"),
                    None,
                ),
                session("s10", "x2", "p2", None, "pending", at(2, "18:00:00"), None),
                session(
                    "s11",
                    "x1",
                    "p1",
                    Some("web"),
                    "active",
                    at(1, "20:00:00"),
                    None,
                ),
            ],
        ),
        (
            "chat_messages",
            vec![
                message("m1", "s1", "human", at(1, "10:00:00")),
                message("m2", "s1", "ai", at(1, "10:00:05")),
                message("m3", "s1", "system", at(1, "10:01:00")),
                message("m4", "s1", "human", at(28, "10:00:00")),
                message("m5", "s2", "human", at(1, "09:00:00")),
                message("m6", "s2", "ai", at(1, "09:00:10")),
                message("m7", "s2", "human", at(1, "09:05:00")),
                message("m8", "s3", "human", at(2, "08:00:00")),
                message("m9", "s3", "ai", at(2, "08:00:05")),
                message("m10", "s3", "human", at(2, "08:30:00")),
                message("m11", "s3", "ai", at(2, "08:30:05")),
                message("m12", "s4", "human", at(1, "12:00:00")),
                message("m13", "s5", "human", at(1, "12:00:00")),
                message("m14", "s6", "human", at(1, "15:00:00")),
                message("m15", "s6", "ai", at(2, "15:00:00")),
                message("m16", "s7", "human", at(2, "16:00:00")),
                message("m17", "s8", "human", at(2, "17:00:00")),
                message("m18", "s9", "human", at(28, "12:00:00")),
                message("m19", "s9", "ai", at(28, "12:00:05")),
                message("m20", "s10", "ai", at(2, "18:00:00")),
                message("m21", "s3", "human", "2026-03-03T00:00:00Z".into()),
                message("m22", "s11", "system", at(1, "20:00:00")),
            ],
        ),
        (
            "chat_tags",
            vec![
                json!({"id": "g1", "name": "helpful", "category": ""}),
                json!({"id": "g2", "name": "greeting", "category": "bot_response"}),
                json!({"id": "g3", "name": "v2", "category": "experiment_version"}),
                json!({"id": "g4", "name": "image", "category": "media_type"}),
                json!({"id": "g5", "name": "thumbs_up", "category": "response_rating"}),
            ],
        ),
        (
            "chat_message_tags",
            vec![
                json!({"id": "mt1", "tag_id": "g1", "message_id": "m8"}),
                json!({"id": "mt2", "tag_id": "g1", "message_id": "m10"}),
                json!({"id": "mt3", "tag_id": "g1", "message_id": "m11"}),
                json!({"id": "mt4", "tag_id": "g2", "message_id": "m2"}),
                json!({"id": "mt5", "tag_id": "g3", "message_id": "m2"}),
                json!({"id": "mt6", "tag_id": "g4", "message_id": "m3"}),
                json!({"id": "mt7", "tag_id": "g5", "message_id": "m4"}),
                json!({"id": "mt8", "tag_id": "g2", "message_id": "m12"}),
            ],
        ),
        (
            "chat_session_tags",
            vec![json!({"id": "st1", "tag_id": "g5", "session_id": "s2"})],
        ),
        (
            "chat_traces",
            vec![
                json!({"id": "t1", "session_id": "s1", "timestamp": at(1, "10:00:05"), "duration_ms": 2000}),
                json!({"id": "t2", "session_id": "s3", "timestamp": at(2, "08:00:05"), "duration_ms": 1000}),
                json!({"id": "t3", "session_id": "s3", "timestamp": at(2, "08:30:05"), "duration_ms": 5000}),
                json!({"id": "t4", "session_id": "s5", "timestamp": at(1, "12:00:00"), "duration_ms": 9000}),
                json!({"id": "t5", "session_id": "s9", "timestamp": at(28, "12:00:05"), "duration_ms": 4000}),
                json!({"id": "t6", "session_id": "s1", "timestamp": "2026-03-03T00:00:00Z", "duration_ms": 7000}),
                json!({"id": "t7", "session_id": "s11", "timestamp": at(1, "20:00:00"), "duration_ms": 5000}),
            ],
        ),
    ]
}

impl TestApp {
    /// Ingests the whole chat fixture.
    pub async fn ingest_chat_fixture(&self, p: &Principal) {
        for (dataset, rows) in chat_datasets() {
            self.ingest_into(p, dataset, &rows).await;
        }
    }
}

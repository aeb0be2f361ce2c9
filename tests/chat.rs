//! The chat dashboard against hand-computed values, on both databases.
//!
//! Fixture (`support/chat_fixture.rs`; team in UTC; window [03-01, 03-03) by DAY, previous
//! [02-27, 03-01)). Experiments: x1 Alpha (channels web, whatsapp), x2 Beta (created 03-02;
//! telegram, deleted slack), x3 Gamma (archived), x4 Delta (no activity). Participants p1 web,
//! p2 whatsapp (no name), p3 telegram (created 03-01), p4 evaluations, p5 web.
//!
//! | session | exp | part. | platform | status | human/ai in window (day 1 / day 2) | ended |
//! |---|---|---|---|---|---|---|
//! | s1 | x1 | p1 | web | created 02-28, active in window | m1 h, m2 ai / – (m3 system; m4 h on 02-28) | 1470 min |
//! | s2 | x1 | p2 | whatsapp | | m5 h, m6 ai, m7 h / – | 10 min |
//! | s3 | x2 | p3 | telegram | | – / m8 h, m9 ai, m10 h, m11 ai (m21 at end: out) | |
//! | s4 | x1 | p1 | web | setup: excluded | m12 h | |
//! | s5 | x1 | p4 | evaluations: excluded | | m13 h | |
//! | s6 | x1 | p5 | web | active on both days | m14 h / m15 ai | 1460 min |
//! | s7 | x1 | p5 | whatsapp | p5 on two platforms | – / m16 h | |
//! | s8 | x3 (archived) | p2 | telegram | | – / m17 h | 20 min |
//! | s9 | x2 | p3 | telegram | previous window only | (m18 h, m19 ai on 02-28) | |
//! | s10 | x2 | p2 | none → `unknown` | | – / m20 ai | |
//! | s11 | x1 | p1 | web | system message only: not active | (m22 system) | |
//!
//! Active sessions: s1 s2 s3 s6 s7 s8 s10 (7; previous: s1 s9). Messages 14 (8 human, 6 ai).
//! Tags: g1 (user-defined) on m8 m10 m11; g2 (bot_response) on m2 and on m12 (setup session);
//! g3 (experiment_version) on m2; g4 (media_type) on system message m3; g5 (response_rating)
//! on m4 (previous window) and on session s2. Traces: t1 s1 2 s, t2 s3 1 s, t3 s3 5 s,
//! t4 s5 (excluded), t5 s9 4 s (previous), t6 at end (out), t7 s11 (not active).

use crate::both_dbs;
use crate::support::TestApp;
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

const WINDOW: &str = r#"window: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", timezone: "UTC", granularity: DAY}"#;

async fn seeded(app: &TestApp) -> Principal {
    let p = app.team("acme", "UTC", Role::Editor).await;
    app.ingest_chat_fixture(&p).await;
    p
}

async fn chat(app: &TestApp, p: &Principal, args: &str, selection: &str) -> Value {
    let q = format!("{{ chat({WINDOW} {args}) {{ {selection} }} }}");
    app.data(p, &q).await["chat"].clone()
}

fn close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - expected).abs() < 1e-9, "{v} != {expected}");
}

const KPIS: &str = "kpis { experiments { value previous } activeExperiments { value previous }
    participants { value previous } activeParticipants { value previous }
    sessions { value previous } completedSessions { value previous }
    completionRate { value previous unit } messages { value previous }
    avgMessagesPerSession { value previous } avgSessionsPerParticipant { value previous }
    avgResponseTimeSeconds { value previous unit betterWhen } }";

/// `(value, previous)` of every KPI, in the order of `KPIS`.
fn kpi_pairs(k: &Value) -> Vec<(String, Value, Value)> {
    k.as_object()
        .unwrap()
        .iter()
        .map(|(name, card)| {
            (
                name.clone(),
                card["value"].clone(),
                card["previous"].clone(),
            )
        })
        .collect()
}

both_dbs! {
    async fn kpis_match_hand_computed_values(app) {
        let p = seeded(&app).await;
        let k = chat(&app, &p, "", KPIS).await["kpis"].clone();
        assert_eq!(k["experiments"], json!({"value": 3.0, "previous": 2.0}));
        assert_eq!(k["activeExperiments"], json!({"value": 2.0, "previous": 2.0}));
        assert_eq!(k["participants"], json!({"value": 4.0, "previous": 3.0}));
        assert_eq!(k["activeParticipants"], json!({"value": 4.0, "previous": 2.0}));
        assert_eq!(k["sessions"], json!({"value": 7.0, "previous": 2.0}));
        assert_eq!(k["completedSessions"], json!({"value": 4.0, "previous": 1.0}));
        close(&k["completionRate"]["value"], 4.0 / 7.0);
        close(&k["completionRate"]["previous"], 0.5);
        assert_eq!(k["completionRate"]["unit"], "RATIO");
        assert_eq!(k["messages"], json!({"value": 14.0, "previous": 3.0}));
        assert_eq!(k["avgMessagesPerSession"], json!({"value": 2.0, "previous": 1.5}));
        assert_eq!(k["avgSessionsPerParticipant"], json!({"value": 1.75, "previous": 1.0}));
        close(&k["avgResponseTimeSeconds"]["value"], 8.0 / 3.0);
        close(&k["avgResponseTimeSeconds"]["previous"], 4.0);
        assert_eq!(k["avgResponseTimeSeconds"]["unit"], "SECONDS");
        assert_eq!(k["avgResponseTimeSeconds"]["betterWhen"], "DOWN");
    }

    async fn series_count_distinct_per_bucket(app) {
        let p = seeded(&app).await;
        let d = chat(&app, &p, "", "activeParticipants { start end isPartial activeParticipants }
            sessions { activeSessions activeParticipants }
            messageVolume { participantMessages botMessages total }
            responseTime { avgSeconds }").await;
        assert_eq!(d["activeParticipants"], json!([
            {"start": "2026-03-01T00:00:00+00:00", "end": "2026-03-02T00:00:00+00:00",
             "isPartial": false, "activeParticipants": 3},
            {"start": "2026-03-02T00:00:00+00:00", "end": "2026-03-03T00:00:00+00:00",
             "isPartial": false, "activeParticipants": 3}]));
        // s6 is active on both days: 3 + 5 buckets, 7 sessions in the window.
        assert_eq!(d["sessions"], json!([
            {"activeSessions": 3, "activeParticipants": 3},
            {"activeSessions": 5, "activeParticipants": 3}]));
        assert_eq!(d["messageVolume"], json!([
            {"participantMessages": 4, "botMessages": 2, "total": 6},
            {"participantMessages": 4, "botMessages": 4, "total": 8}]));
        assert_eq!(d["responseTime"], json!([{"avgSeconds": 2.0}, {"avgSeconds": 3.0}]));
    }

    async fn bot_performance_orders_and_pages(app) {
        let p = seeded(&app).await;
        let cols = "totalCount rows { experiment { id name } participants sessions messages
            avgSessionDurationMinutes completionRate avgMessagesPerSession }";
        let d = chat(&app, &p, "", &format!("botPerformance {{ {cols} }}")).await;
        assert_eq!(d["botPerformance"], json!({"totalCount": 3, "rows": [
            {"experiment": {"id": "x1", "name": "Alpha"}, "participants": 3, "sessions": 4,
             "messages": 8, "avgSessionDurationMinutes": 980.0, "completionRate": 0.75,
             "avgMessagesPerSession": 2.0},
            {"experiment": {"id": "x2", "name": "Beta"}, "participants": 2, "sessions": 2,
             "messages": 5, "avgSessionDurationMinutes": null, "completionRate": 0.0,
             "avgMessagesPerSession": 2.5},
            {"experiment": {"id": "x4", "name": "Delta"}, "participants": 0, "sessions": 0,
             "messages": 0, "avgSessionDurationMinutes": null, "completionRate": null,
             "avgMessagesPerSession": null}]}));
        // Nulls sort as 0; the tie Beta/Delta is broken by name.
        let d = chat(&app, &p, "", "botPerformance(orderBy: {column: AVG_SESSION_DURATION_MINUTES,
            direction: ASC}) { rows { experiment { name } } }").await;
        let names: Vec<&str> = d["botPerformance"]["rows"].as_array().unwrap().iter()
            .map(|r| r["experiment"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Beta", "Delta", "Alpha"]);
        let d = chat(&app, &p, "", "botPerformance(orderBy: {column: EXPERIMENT_NAME, direction: DESC},
            limit: 1, offset: 1) { totalCount rows { experiment { name } } }").await;
        assert_eq!(d["botPerformance"], json!({"totalCount": 3, "rows": [{"experiment": {"name": "Beta"}}]}));
        let bad = app.gql(Some(&p), &format!("{{ chat({WINDOW}) {{ botPerformance(offset: -1) {{ totalCount }} }} }}")).await;
        assert_eq!(crate::support::code(&bad), "BAD_USER_INPUT");
    }

    async fn engagement_ranks_participants_and_bins_lengths(app) {
        let p = seeded(&app).await;
        let row = "participant { id displayName } messages sessions lastActiveAt";
        let d = chat(&app, &p, "", &format!("engagement {{ mostActive {{ {row} }}
            leastActive(limit: 2) {{ participant {{ id }} messages }}
            sessionLengthDistribution {{ start end count }} }}")).await["engagement"].clone();
        assert_eq!(d["mostActive"], json!([
            {"participant": {"id": "p2", "displayName": "+15550002"}, "messages": 3, "sessions": 2,
             "lastActiveAt": "2026-03-02T17:00:00+00:00"},
            {"participant": {"id": "p3", "displayName": "Cy"}, "messages": 2, "sessions": 1,
             "lastActiveAt": "2026-03-02T08:30:00+00:00"},
            {"participant": {"id": "p5", "displayName": "Dan"}, "messages": 2, "sessions": 2,
             "lastActiveAt": "2026-03-02T16:00:00+00:00"},
            {"participant": {"id": "p1", "displayName": "Ana"}, "messages": 1, "sessions": 1,
             "lastActiveAt": "2026-03-01T10:00:00+00:00"}]));
        assert_eq!(d["leastActive"], json!([
            {"participant": {"id": "p1"}, "messages": 1},
            {"participant": {"id": "p3"}, "messages": 2}]));
        // Ended active sessions: 10, 20, 1460, 1470 min → width 146.
        let bins = d["sessionLengthDistribution"].as_array().unwrap();
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0], json!({"start": 10.0, "end": 156.0, "count": 2}));
        close(&bins[9]["start"], 1324.0);
        assert_eq!(bins[9]["end"], json!(1470.0));
        assert_eq!(bins[9]["count"], json!(2));
        let middle: i64 = bins[1..9].iter().map(|b| b["count"].as_i64().unwrap()).sum();
        assert_eq!(middle, 0);
    }

    async fn channels_and_tags_break_down_the_window(app) {
        let p = seeded(&app).await;
        let d = chat(&app, &p, "", "channelBreakdown { rows { platform sessions messages participants share }
            totals { sessions messages participants } }
            tags { category label total tags { tag { id name } count } }").await;
        let s = 2.0 / 7.0;
        assert_eq!(d["channelBreakdown"], json!({"rows": [
            {"platform": "telegram", "sessions": 2, "messages": 5, "participants": 2, "share": s},
            {"platform": "web", "sessions": 2, "messages": 4, "participants": 2, "share": s},
            {"platform": "whatsapp", "sessions": 2, "messages": 4, "participants": 2, "share": s},
            {"platform": "unknown", "sessions": 1, "messages": 1, "participants": 0, "share": 1.0 / 7.0}],
            "totals": {"sessions": 7, "messages": 14, "participants": 4}}));
        assert_eq!(d["tags"], json!([
            {"category": "", "label": "User Defined", "total": 3,
             "tags": [{"tag": {"id": "g1", "name": "helpful"}, "count": 3}]},
            {"category": "bot_response", "label": "Bot Response", "total": 1,
             "tags": [{"tag": {"id": "g2", "name": "greeting"}, "count": 1}]},
            {"category": "media_type", "label": "Media Type", "total": 1,
             "tags": [{"tag": {"id": "g4", "name": "image"}, "count": 1}]}]));
    }

    async fn filters_are_existence_tests(app) {
        let p = seeded(&app).await;
        let k = |filter: &'static str| {
            let app = &app;
            let p = &p;
            async move {
                let args = format!("filter: {filter}");
                let d = chat(app, p, &args, "kpis { experiments { value } participants { value }
                    sessions { value previous } messages { value } activeParticipants { value } }").await;
                let v = |k: &str| d["kpis"][k]["value"].as_f64().unwrap();
                (v("experiments"), v("participants"), v("sessions"),
                 d["kpis"]["sessions"]["previous"].as_f64().unwrap(), v("messages"),
                 v("activeParticipants"))
            }
        };
        // Three tagged messages in s3: still one session, its 4 messages.
        assert_eq!(k(r#"{tagIds: ["g1"]}"#).await, (1.0, 1.0, 1.0, 0.0, 4.0, 1.0));
        // g5 tags session s2 directly and s1 through a message of the previous window.
        assert_eq!(k(r#"{tagIds: ["g5"]}"#).await, (1.0, 2.0, 2.0, 1.0, 5.0, 2.0));
        // p5 talks on web and whatsapp: counted once.
        assert_eq!(k(r#"{participantIds: ["p5"]}"#).await, (1.0, 1.0, 2.0, 0.0, 3.0, 1.0));
        assert_eq!(k(r#"{platforms: ["WhatsApp"]}"#).await, (1.0, 1.0, 2.0, 0.0, 4.0, 2.0));
        // x2 has sessions in the window (s3, s10) and before it (s9).
        assert_eq!(k(r#"{experimentIds: ["x2"]}"#).await, (1.0, 2.0, 2.0, 1.0, 5.0, 1.0));
        // Team-wide platforms keep every experiment; a deleted channel does not count.
        assert_eq!(k(r#"{platforms: ["web"]}"#).await.0, 3.0);
        assert_eq!(k(r#"{platforms: ["slack"]}"#).await.0, 0.0);
        assert_eq!(k(r#"{platforms: ["telegram"]}"#).await.0, 1.0);
        // Lists are AND-ed.
        assert_eq!(k(r#"{experimentIds: ["x1"], platforms: ["web"]}"#).await.2, 2.0);
    }

    async fn row_objects_load_in_one_query_per_kind(app) {
        let p = seeded(&app).await;
        let run = |selection: String| {
            let app = &app;
            let p = &p;
            async move {
                let q = format!("{{ chat({WINDOW}) {{ {selection} }} }}");
                let statements = app.statements_of(async { app.data(p, &q).await; }).await;
                let loads = |table: &str| statements.iter()
                    .filter(|s| s.contains(&format!(r#"FROM "{table}" WHERE "id" IN"#)))
                    .count();
                (loads("chat_experiments"), loads("chat_participants"), loads("chat_tags"))
            }
        };
        // 3 bot rows, 4 participant rows, 3 tag rows: one query per kind.
        let one_each = run("botPerformance { rows { experiment { name } } }
            engagement { mostActive { participant { name } } } tags { tags { tag { name } } }".into()).await;
        assert_eq!(one_each, (1, 1, 1));
        // Two panels of the same 4 participants: never one query per row; the request's
        // loader remembers what it read, so the second panel usually needs no query at all.
        let (_, participants, _) = run("engagement { mostActive { participant { name } }
            leastActive { participant { id } } }".into()).await;
        assert!((1..=2).contains(&participants), "{participants}");
    }

    async fn empty_team_answers_zeros_and_nulls(app) {
        let p = app.team("empty", "UTC", Role::Viewer).await;
        let d = chat(&app, &p, "", &format!("{KPIS} botPerformance {{ totalCount }}
            engagement {{ mostActive {{ messages }} sessionLengthDistribution {{ count }} }}
            channelBreakdown {{ rows {{ platform }} totals {{ sessions }} }} tags {{ label }}
            responseTime {{ avgSeconds }}")).await;
        for (name, value, previous) in kpi_pairs(&d["kpis"]) {
            let zero_or_null = |v: &Value| v == &json!(0.0) || v.is_null();
            assert!(zero_or_null(&value) && zero_or_null(&previous), "{name}: {value} {previous}");
        }
        assert!(d["kpis"]["completionRate"]["value"].is_null());
        assert_eq!(d["botPerformance"]["totalCount"], 0);
        assert_eq!(d["engagement"], json!({"mostActive": [], "sessionLengthDistribution": []}));
        assert_eq!(d["channelBreakdown"], json!({"rows": [], "totals": {"sessions": 0}}));
        assert_eq!(d["tags"], json!([]));
        assert_eq!(d["responseTime"], json!([{"avgSeconds": null}, {"avgSeconds": null}]));
    }
}

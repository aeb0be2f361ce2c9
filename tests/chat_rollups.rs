//! Chat rollups equal the raw computation. Property: for random sessions, messages and traces
//! changed by random inserts, message deletes, cascading session deletes and erasures,
//! `rollups check` finds no difference, and the three chat scans every panel is computed from
//! (the window's active sessions, per-bucket activity, trace sums) answer from rollups (with
//! raw edges) exactly as from raw rows — for random windows, timezones, granularities and
//! filters.

use crate::both_dbs;
use crate::fuzz_graphql::{cases, seed};
use crate::rollups::{assert_rollups_match_raw, close_opt, origin, pick, random_window};
use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Duration;
use dashgate::domains::chat::columns::Columns;
use dashgate::domains::chat::filter::ChatFilter;
use dashgate::domains::chat::ingest::{CHAT_MESSAGE_ROLLUP, CHAT_TRACE_ROLLUP};
use dashgate::domains::chat::metrics::{self, ChatQuery};
use dashgate::kernel::window::{TimeWindow, WindowInput};
use dashgate::kernel::{Principal, Role, TeamScope};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::sync::Arc;

fn at(rng: &mut ChaCha8Rng) -> String {
    (origin() + Duration::milliseconds(rng.random_range(0..4 * 86_400_000))).to_rfc3339()
}

/// Experiments, participants and tags every case uses (re-sent: an erased one comes back).
async fn ingest_universe(app: &TestApp, p: &Principal) {
    let t0 = origin().to_rfc3339();
    let experiments: Vec<Value> = ["x1", "x2"]
        .iter()
        .map(|id| {
            json!({"id": id, "name": id,
        "is_archived": false, "created_at": t0})
        })
        .collect();
    app.ingest_into(p, "chat_experiments", &experiments).await;
    let participants: Vec<Value> = [
        ("p1", "web"),
        ("p2", "whatsapp"),
        ("p3", "web"),
        ("p4", "evaluations"),
    ]
    .iter()
    .map(|(id, platform)| {
        json!({"id": id, "identifier": id, "platform": platform,
            "created_at": t0})
    })
    .collect();
    app.ingest_into(p, "chat_participants", &participants).await;
    let tags: Vec<Value> = [("t1", ""), ("t2", ""), ("t3", "experiment_version")]
        .iter()
        .map(|(id, category)| json!({"id": id, "name": id, "category": category}))
        .collect();
    app.ingest_into(p, "chat_tags", &tags).await;
}

async fn ids(app: &TestApp, p: &Principal, table: &str) -> Vec<String> {
    let sql = format!(
        "SELECT id FROM {table} WHERE team_id = {} ORDER BY id",
        p.team.id.0
    );
    let db = &app.state.db;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// New sessions, messages (on any session), traces and tag links; with `events_only`,
/// messages and traces alone (append-only rows: kept conversations splice them in).
async fn insert_some(
    app: &TestApp,
    p: &Principal,
    rng: &mut ChaCha8Rng,
    next: &mut usize,
    events_only: bool,
) {
    if !events_only {
        ingest_universe(app, p).await;
    }
    let mut sessions = Vec::new();
    for _ in 0..if events_only {
        0
    } else {
        rng.random_range(0..6)
    } {
        *next += 1;
        let created =
            origin() + Duration::milliseconds(rng.random_range(-86_400_000..3 * 86_400_000));
        let mut s = json!({"id": format!("s{next}"), "experiment_id": pick(rng, &["x1", "x2"]),
            "participant_id": pick(rng, &["p1", "p2", "p3", "p4"]),
            "status": pick(rng, &["active", "complete", "setup", "pending"]),
            "created_at": created.to_rfc3339()});
        if rng.random_bool(0.8) {
            s["platform"] = json!(pick(rng, &["web", "whatsapp", "evaluations"]));
        }
        if rng.random_bool(0.5) {
            s["ended_at"] =
                json!((created + Duration::minutes(rng.random_range(1..600))).to_rfc3339());
        }
        sessions.push(s);
    }
    if !sessions.is_empty() {
        app.ingest_into(p, "chat_sessions", &sessions).await;
    }
    let known = ids(app, p, "chat_sessions").await;
    if known.is_empty() {
        return;
    }
    let mut messages = Vec::new();
    let mut traces = Vec::new();
    for _ in 0..rng.random_range(1..60) {
        *next += 1;
        let session = pick(rng, &known.iter().map(String::as_str).collect::<Vec<_>>()).to_string();
        messages.push(json!({"id": format!("m{next}"), "session_id": session,
            "message_type": pick(rng, &["human", "human", "ai", "system"]), "created_at": at(rng)}));
        if rng.random_bool(0.4) {
            traces.push(
                json!({"id": format!("tr{next}"), "session_id": session, "timestamp": at(rng),
                "duration_ms": rng.random_range(0.0..9000.0)}),
            );
        }
    }
    app.ingest_into(p, "chat_messages", &messages).await;
    if !traces.is_empty() {
        app.ingest_into(p, "chat_traces", &traces).await;
    }
    if events_only {
        return;
    }
    let mut links = Vec::new();
    for m in &messages {
        if rng.random_bool(0.2) {
            *next += 1;
            links.push(json!({"id": format!("l{next}"), "tag_id": pick(rng, &["t1", "t2", "t3"]), "message_id": m["id"]}));
        }
    }
    app.ingest_into(p, "chat_message_tags", &links).await;
    let mut session_tags = Vec::new();
    for s in &known {
        if !rng.random_bool(0.1) {
            continue;
        }
        *next += 1;
        session_tags.push(
            json!({"id": format!("st{next}"), "tag_id": pick(rng, &["t1", "t2"]), "session_id": s}),
        );
    }
    if !session_tags.is_empty() {
        app.ingest_into(p, "chat_session_tags", &session_tags).await;
    }
}

async fn delete(app: &TestApp, p: &Principal, path: &str, doomed: &[String]) {
    let body: String = doomed
        .iter()
        .map(|id| format!("{}\n", json!({"id": id})))
        .collect();
    let (status, r) = app.http("DELETE", path, Some(&app.token(p)), body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {r}");
}

fn random_filter(rng: &mut ChaCha8Rng) -> ChatFilter {
    let mut some = |options: &[&str]| -> Vec<String> {
        if rng.random_bool(0.6) {
            return Vec::new();
        }
        options
            .iter()
            .filter(|_| rng.random_bool(0.5))
            .map(|s| s.to_string())
            .collect()
    };
    ChatFilter {
        experiment_ids: some(&["x1", "x2"]),
        platforms: some(&["web", "whatsapp"]),
        participant_ids: some(&["p1", "p2", "p3"]),
        tag_ids: some(&["t1", "t2", "t3"]),
    }
}

/// The three scans, as comparable text and numbers.
async fn scans(app: &TestApp, q: &ChatQuery) -> (Vec<String>, Vec<Option<f64>>) {
    let db = &app.state.db;
    let mut sessions: Vec<String> = metrics::active_sessions(db, q)
        .await
        .unwrap()
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    sessions.sort();
    let bounds = q.window.bucket_bounds();
    let activity = metrics::activity(db, q, &bounds, true).await.unwrap();
    sessions.push(format!("{activity:?}"));
    let mut tags = metrics::tag_counts(db, q).await.unwrap();
    tags.sort_by(|a, b| a.tag_id.cmp(&b.tag_id));
    sessions.push(format!("{tags:?}"));
    let traces = metrics::traces_in(db, q, &bounds).await.unwrap();
    let mut numbers: Vec<Option<f64>> = traces
        .iter()
        .flat_map(|t| [Some(t.count as f64), Some(t.total_ms)])
        .collect();
    // Every KPI, over the window and the previous one.
    let keys = metrics::ChatKpiKey::ALL.into_iter().collect();
    let shared = metrics::Shared {
        sessions: async { metrics::active_sessions(db, q).await.map(Arc::new) },
        activity: async { metrics::window_activity(db, q, true).await.map(Arc::new) },
        traces: async { metrics::traces_in(db, q, &bounds).await.map(Arc::new) },
    };
    let kpis = metrics::kpi_values(db, q, &keys, shared).await.unwrap();
    for pair in kpis.values() {
        numbers.extend([pair.current, pair.previous]);
    }
    (sessions, numbers)
}

/// `wide`: the kept conversations are asked for from before any window the test reads (so a
/// later batch of messages is spliced in rather than widening what is kept).
async fn assert_consistent(
    app: &TestApp,
    p: &Principal,
    rng: &mut ChaCha8Rng,
    what: &str,
    wide: bool,
) {
    assert_rollups_match_raw(app, p, &[&CHAT_MESSAGE_ROLLUP, &CHAT_TRACE_ROLLUP], what).await;
    let scope = TeamScope::require(Some(p), Role::Viewer).unwrap();
    for _ in 0..4 {
        let input: WindowInput = random_window(rng);
        let now = origin() + Duration::hours(60);
        let window = TimeWindow::resolve(&input, chrono_tz::UTC, now, 1000).unwrap();
        let filter = random_filter(rng);
        let query = |rolled, kept: bool| {
            let mut q = ChatQuery {
                scope: scope.clone(),
                window: window.clone(),
                filter: filter.clone(),
                rollups: rolled,
                columns: None,
            };
            if kept {
                let s = &app.state;
                let before_all = (origin() - Duration::days(5)).timestamp_millis();
                let from = if wide { before_all } else { q.earliest() };
                q.columns = Columns::of(&s.chat_conversations, &s.db, &s.cache, &scope, from);
            }
            q
        };
        let raw = scans(app, &query(false, false)).await;
        for (mode, q) in [("rollups", query(true, false)), ("kept", query(true, true))] {
            let answer = scans(app, &q).await;
            assert_eq!(
                answer.0, raw.0,
                "{what}, {mode}: window {input:?}, filter {filter:?}"
            );
            assert_eq!(answer.1.len(), raw.1.len(), "{what}: window {input:?}");
            assert!(
                answer.1.iter().zip(&raw.1).all(|(a, b)| close_opt(*a, *b)),
                "{what}, {mode}: traces {:?} vs {:?}",
                answer.1,
                raw.1
            );
        }
    }
}

both_dbs! {
    async fn chat_rollup_answers_equal_raw_answers_after_any_changes(app) {
        let seed = seed();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for case in 0..cases(3) {
            let p = app.team(&format!("c{case}"), "UTC", Role::Admin).await;
            let mut next = 0;
            for step in 0..6 {
                let what = format!("seed {seed}, case {case}, step {step}");
                match rng.random_range(0..6) {
                    0 => {
                        let mut messages = ids(&app, &p, "chat_messages").await;
                        messages.shuffle(&mut rng);
                        messages.truncate(rng.random_range(0..=12));
                        delete(&app, &p, "/v1/ingest/chat_messages?cascade=true", &messages).await;
                    }
                    1 => {
                        let mut sessions = ids(&app, &p, "chat_sessions").await;
                        sessions.shuffle(&mut rng);
                        sessions.truncate(rng.random_range(0..=2));
                        delete(&app, &p, "/v1/ingest/chat_sessions?cascade=true", &sessions).await;
                    }
                    2 => {
                        let body = json!({"userId": pick(&mut rng, &["p1", "p2", "p3"])}).to_string();
                        let (status, r) = app.http("POST", "/v1/erase", Some(&app.token(&p)), body).await;
                        assert_eq!(status, StatusCode::OK, "{r}");
                    }
                    3 => insert_some(&app, &p, &mut rng, &mut next, false).await,
                    _ => insert_some(&app, &p, &mut rng, &mut next, true).await,
                }
                assert_consistent(&app, &p, &mut rng, &what, step > 0).await;
            }
            // Messages and traces alone, into what is kept: spliced in (into a session, so
            // a case whose steps left none makes one first).
            if ids(&app, &p, "chat_sessions").await.is_empty() {
                ingest_universe(&app, &p).await;
                app.ingest_into(&p, "chat_sessions", &[json!({"id": "s-last", "experiment_id": "x1",
                    "participant_id": "p1", "status": "active", "created_at": origin().to_rfc3339()})]).await;
                assert_consistent(&app, &p, &mut rng, &format!("seed {seed}, case {case}, session"), true).await;
            }
            insert_some(&app, &p, &mut rng, &mut next, true).await;
            assert_consistent(&app, &p, &mut rng, &format!("seed {seed}, case {case}, last"), true).await;
        }
        let (whole, spliced) = app.state.chat_conversations.counts();
        assert!(whole > 0 && spliced > 0, "kept conversations were read whole {whole} and spliced {spliced} times");
        // Operators see the same on /metrics.
        let loads = |kind| format!("dashgate_chat_column_cache_loads_total{{kind=\"{kind}\"}}");
        assert_eq!(app.metric(&loads("whole")).await, whole as f64);
        assert_eq!(app.metric(&loads("splice")).await, spliced as f64);
        assert!(app.metric("dashgate_chat_column_cache_bytes").await > 0.0);
    }
}

/// The grouped messages drive the join to `chat_sessions` (one primary-key lookup per active
/// session): SQLite 3.51 otherwise looped over every session of the team and re-read the
/// grouped messages for each — a 30-day raw-row chat dashboard of 9 000 sessions took minutes.
#[tokio::test]
async fn the_session_scan_looks_sessions_up_by_key_on_sqlite() {
    use dashgate::domains::chat::entity::ChatSessions as S;
    use sea_orm::sea_query::Expr;
    let app = TestApp::spawn(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let p = app.team("plan", "UTC", Role::Viewer).await;
    let scope = TeamScope::require(Some(&p), Role::Viewer).unwrap();
    let window =
        TimeWindow::resolve(&WindowInput::default(), chrono_tz::UTC, origin(), 1000).unwrap();
    for rolled in [false, true] {
        let q = ChatQuery {
            scope: scope.clone(),
            window: window.clone(),
            filter: ChatFilter::default(),
            rollups: rolled,
            columns: None,
        };
        let (start, end) = q.span();
        let stmt = q.session_activity(
            sea_orm::DatabaseBackend::Sqlite,
            &[start, end],
            vec![(Expr::col((S::Table, S::ParticipantId)), "pid")],
        );
        let built = sea_orm::DatabaseBackend::Sqlite.build(&stmt);
        let plan = sea_orm::Statement {
            sql: format!("EXPLAIN QUERY PLAN {}", built.sql),
            ..built
        };
        let db = &app.state.db;
        let steps: Vec<String> = db
            .query_all_raw(plan)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(3).unwrap())
            .collect();
        let scan = steps
            .iter()
            .position(|s| s == "SCAN a")
            .unwrap_or_else(|| panic!("{steps:#?}"));
        assert!(
            steps[scan + 1..]
                .iter()
                .any(|s| s.starts_with("SEARCH chat_sessions") && s.contains("id=?")),
            "rollups {rolled}: {steps:#?}"
        );
    }
}

/// Human messages of the test clock's last 7 days, through one instance's router.
async fn human_messages(router: &axum::Router, token: &str) -> f64 {
    let q = r#"{ chat(window: {preset: LAST_7_DAYS}) { messageVolume { participantMessages } } }"#;
    let v = crate::instances::ask(router, token, q).await;
    let points = v["data"]["chat"]["messageVolume"].as_array().cloned();
    let points = points.unwrap_or_else(|| panic!("{v}"));
    points
        .iter()
        .filter_map(|p| p["participantMessages"].as_f64())
        .sum()
}

/// Another instance keeps its own chat conversations and brings them up to date from this
/// instance's announcements: a batch of messages through A shows on B, read by span.
#[tokio::test]
async fn another_instance_s_kept_conversations_follow_announced_batches() {
    let Some(a) = TestApp::spawn(crate::support::Backend::Postgres).await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    let (b_state, b) = a.another_instance().await;
    let p = a.team("acme", "UTC", Role::Editor).await;
    let token = a.token(&p);
    ingest_universe(&a, &p).await;
    let at = (a.state.clock.now() - Duration::hours(2)).to_rfc3339();
    let session = json!({"id": "s1", "experiment_id": "x1", "participant_id": "p1",
        "platform": "web", "status": "active", "created_at": at});
    a.ingest_into(&p, "chat_sessions", &[session]).await;
    let wait_for = |n: f64| {
        let (b, token) = (&b, &token);
        async move {
            let started = std::time::Instant::now();
            while human_messages(b, token).await != n {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(5),
                    "B never showed {n} messages"
                );
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    };
    wait_for(0.0).await;
    // (Announcements of the universe may still be on their way to B: let them land.)
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    wait_for(0.0).await;
    let (before, _) = b_state.chat_conversations.counts();
    for (n, id) in [(1.0, "m1"), (2.0, "m2")] {
        let message =
            json!({"id": id, "session_id": "s1", "message_type": "human", "created_at": at});
        a.ingest_into(&p, "chat_messages", &[message]).await;
        wait_for(n).await;
    }
    let (reads, splices) = b_state.chat_conversations.counts();
    assert!(before >= 1, "B read the team whole");
    assert_eq!(reads, before, "and not again");
    assert!(splices >= 2, "but spliced A's batches in ({splices})");
}

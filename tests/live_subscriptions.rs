//! Live subscriptions over a real WebSocket (`graphql-transport-ws`): the first answer at once,
//! a new one after each change that changes it, nothing for changes that cannot or do not,
//! one computation per distinct query, coalesced bursts, windows that roll over, another
//! instance's changes (refusals and connection limits: `live_connections`).

use crate::support::fixtures::log;
use crate::support::socket::{LiveClient, connect};
use crate::support::wire::serve_router;
use crate::support::{Backend, TestApp};
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};
use std::time::Duration;

pub const AT: &str = "2026-03-09T10:00:00Z";
pub const KPI: &str = r#"subscription { apiUsage(window: {start: "2026-03-09T00:00:00Z", end: "2026-03-10T00:00:00Z"}) { kpis { totalRequests { value } errorRate { value } } } }"#;

pub fn fast(s: &mut dashgate::config::Settings) {
    s.live.live_min_interval_ms = 50;
}

/// Requests and error rate of a KPI answer.
pub fn totals(payload: &Value) -> (f64, Option<f64>) {
    assert!(payload.get("errors").is_none(), "{payload}");
    let k = &payload["data"]["apiUsage"]["kpis"];
    (
        k["totalRequests"]["value"].as_f64().unwrap(),
        k["errorRate"]["value"].as_f64(),
    )
}

pub async fn client(app: &TestApp, p: &Principal) -> LiveClient {
    let addr = app.serve().await;
    connect(addr, Some(&app.token(p))).await.unwrap()
}

const COMPUTED: &str = "dashgate_live_computations_total{dashboard=\"apiUsage\"}";
pub const QUIET: Duration = Duration::from_millis(400);

crate::both_dbs_with! { fast;
    async fn a_subscription_answers_at_once_then_after_each_change_that_changes_it(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        let other = app.team("other", "UTC", Role::Admin).await;
        let mut c = client(&app, &p).await;
        c.subscribe("1", KPI).await;
        assert_eq!(totals(&c.next("1").await), (0.0, None));

        app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({"user_id": "ana@example.com"}))]).await;
        assert_eq!(totals(&c.next("1").await), (1.0, Some(0.0)));

        // Another team's rows, another dashboard's rows, rows outside the answer: nothing.
        app.ingest(&other, &[log("o1", AT, 200, 1.0, json!({}))]).await;
        app.ingest_into(&p, "product_events", &[json!({"id": "e1", "user_id": "u", "event_name": "app_open", "event_time": AT})]).await;
        app.ingest(&p, &[log("old", "2026-01-01T00:00:00Z", 200, 1.0, json!({}))]).await;
        // The same row again leaves the answer equal.
        app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({"user_id": "ana@example.com"}))]).await;
        assert_eq!(c.quiet_for(QUIET).await, None, "no result for changes that leave it equal");

        // A new row, a delete, an erasure: each pushes.
        app.ingest(&p, &[log("r2", AT, 500, 1.0, json!({"user_id": "bo@example.com"}))]).await;
        assert_eq!(totals(&c.next("1").await), (2.0, Some(0.5)));
        let body = format!("{}\n", json!({"id": "r2"}));
        let (status, r) = app.http("DELETE", "/v1/ingest/request_logs", Some(&app.token(&p)), body).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{r}");
        assert_eq!(totals(&c.next("1").await), (1.0, Some(0.0)));
        let (status, r) = app.http("POST", "/v1/erase", Some(&app.token(&p)), r#"{"userId": "ana@example.com"}"#).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{r}");
        assert_eq!(totals(&c.next("1").await), (0.0, None));

        // Completing it stops it; the connection stays usable.
        c.complete("1").await;
        app.ingest(&p, &[log("r3", AT, 200, 1.0, json!({}))]).await;
        assert_eq!(c.quiet_for(QUIET).await, None);
        c.subscribe("2", KPI).await;
        assert_eq!(totals(&c.next("2").await), (1.0, Some(0.0)));
        assert!(app.metric("dashgate_live_pushes_total{dashboard=\"apiUsage\"}").await >= 6.0);
    }

    async fn a_newer_version_of_a_row_pushes_its_dashboard(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "V", "created_at": AT})]).await;
        app.ingest_into(&p, "pub_clips", &[json!({"id": "c1", "video_id": "v1", "created_at": AT})]).await;
        let publog = |status: &str, updated: &str| json!({"id": "l1", "clip_id": "c1", "platform": "tiktok",
            "status": status, "social_account_id": "acct", "requested_at": AT, "created_at": AT, "updated_at": updated});
        app.ingest_into(&p, "pub_publish_logs", &[publog("pending", "2026-03-09T10:00:00Z")]).await;
        let mut c = client(&app, &p).await;
        c.subscribe("q", "subscription { publishing { queue { pending processing } } }").await;
        assert_eq!(c.next("q").await["data"]["publishing"]["queue"], json!({"pending": 1, "processing": 0}));
        app.ingest_into(&p, "pub_publish_logs", &[publog("processing", "2026-03-09T10:05:00Z")]).await;
        assert_eq!(c.next("q").await["data"]["publishing"]["queue"], json!({"pending": 0, "processing": 1}));
        // A stale version changes nothing.
        app.ingest_into(&p, "pub_publish_logs", &[publog("pending", "2026-03-09T10:00:00Z")]).await;
        assert_eq!(c.quiet_for(QUIET).await, None);
    }

    async fn a_preset_applies_to_a_subscription_as_to_a_query(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        let made = app.data(&p, r#"mutation { createFilterPreset(input: {dashboard: API_USAGE, name: "Errors",
            window: {start: "2026-03-09T00:00:00Z", end: "2026-03-10T00:00:00Z"}, apiUsage: {models: ["m1"]}}) { preset { id } } }"#).await;
        let id = made["createFilterPreset"]["preset"]["id"].as_str().unwrap().to_string();
        app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({"model_name": "m1"})), log("r2", AT, 200, 1.0, json!({"model_name": "m2"}))]).await;
        let mut c = client(&app, &p).await;
        let q = format!(r#"subscription {{ apiUsage(presetId: "{id}") {{ kpis {{ totalRequests {{ value }} errorRate {{ value }} }} }} }}"#);
        c.subscribe("1", &q).await;
        assert_eq!(totals(&c.next("1").await), (1.0, Some(0.0)), "the preset's model only");
        app.ingest(&p, &[log("r3", AT, 500, 1.0, json!({"model_name": "m2"}))]).await;
        assert_eq!(c.quiet_for(QUIET).await, None, "another model: the same answer");
        app.ingest(&p, &[log("r4", AT, 500, 1.0, json!({"model_name": "m1"}))]).await;
        assert_eq!(totals(&c.next("1").await), (2.0, Some(0.5)));
    }

    async fn identical_subscriptions_share_one_computation_per_change(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        let addr = app.serve().await;
        let mut clients = Vec::new();
        for _ in 0..20 {
            clients.push(connect(addr, Some(&app.token(&p))).await.unwrap());
        }
        // 200 subscriptions, written in two layouts: one query.
        let spaced = KPI.replace('{', "{ ").replace("}", " }");
        for (n, c) in clients.iter_mut().enumerate() {
            for i in 0..10 {
                let q = if i % 2 == 0 { KPI.to_string() } else { spaced.clone() };
                c.subscribe(&format!("s{n}-{i}"), &q).await;
            }
        }
        for c in clients.iter_mut() {
            for _ in 0..10 {
                let m = c.message(Duration::from_secs(10)).await.unwrap().unwrap();
                assert_eq!(totals(&m["payload"]), (0.0, None));
            }
        }
        assert_eq!(app.metric(COMPUTED).await, 1.0, "one computation for 200 subscriptions");
        assert_eq!(app.metric("dashgate_live_subscriptions{dashboard=\"apiUsage\"}").await, 200.0);
        app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({}))]).await;
        for c in clients.iter_mut() {
            for _ in 0..10 {
                let m = c.message(Duration::from_secs(10)).await.unwrap().unwrap();
                assert_eq!(totals(&m["payload"]), (1.0, Some(0.0)));
            }
        }
        assert_eq!(app.metric(COMPUTED).await, 2.0, "one more for the change");
        drop(clients);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.metric("dashgate_live_subscriptions{dashboard=\"apiUsage\"}").await, 0.0);
        assert_eq!(app.metric("dashgate_live_connections ").await, 0.0);
    }
}

crate::both_dbs! {
    async fn a_burst_of_batches_is_coalesced_into_the_latest_answer(app) {
        // The default interval: one result per second at most.
        let p = app.team("acme", "UTC", Role::Admin).await;
        let mut c = client(&app, &p).await;
        c.subscribe("1", KPI).await;
        assert_eq!(totals(&c.next("1").await).0, 0.0);
        for i in 0..6 {
            app.ingest(&p, &[log(&format!("r{i}"), AT, 200, 1.0, json!({}))]).await;
        }
        let mut seen = Vec::new();
        while let Some(Ok(m)) = c.message(Duration::from_millis(2_500)).await {
            seen.push(totals(&m["payload"]).0);
        }
        assert!(seen.len() <= 2, "coalesced: {seen:?}");
        assert_eq!(seen.last(), Some(&6.0), "the latest answer comes: {seen:?}");
    }
}

#[tokio::test]
async fn a_relative_window_is_pushed_again_when_its_bucket_rolls_over() {
    use dashgate::kernel::clock::SetClock;
    let app = TestApp::spawn_with(Backend::Sqlite, fast).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let clock = std::sync::Arc::new(SetClock::new("2026-03-10T12:30:00Z".parse().unwrap()));
    let mut state = app.state.clone();
    state.clock = clock.clone();
    let router = dashgate::http::router(state.clone()).unwrap();
    let addr = serve_router(&state, router).await;
    let mut c = connect(addr, Some(&app.token(&p))).await.unwrap();
    let q = "subscription { apiUsage(window: {preset: TODAY, granularity: HOUR}) { requests { start isPartial } } }";
    c.subscribe("1", q).await;
    let partial = |v: &Value| -> Vec<bool> {
        v["data"]["apiUsage"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["isPartial"].as_bool().unwrap())
            .collect()
    };
    let first = partial(&c.next("1").await);
    assert_eq!(
        first.iter().filter(|p| **p).count(),
        12,
        "12:00 onwards is not over"
    );
    // Within the hour: nothing; past it, the 12:00 bucket is over.
    clock.set("2026-03-10T12:59:00Z".parse().unwrap());
    assert_eq!(c.quiet_for(QUIET).await, None);
    clock.set("2026-03-10T13:00:01Z".parse().unwrap());
    let second = partial(&c.next("1").await);
    assert_eq!(second.iter().filter(|p| **p).count(), 11);
}

#[tokio::test]
async fn a_subscriber_on_another_instance_is_told_of_a_change_through_the_first() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, fast).await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    across_instances(app).await;
}

#[tokio::test]
async fn with_redis_too_a_subscriber_on_another_instance_is_told_of_a_change() {
    use crate::instances::{prefix, redis_up};
    if !redis_up().await {
        return;
    }
    let prefix = prefix();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, move |s| {
        fast(s);
        s.redis_url = Some("redis://127.0.0.1:6379/".into());
        s.redis_prefix = prefix;
    })
    .await
    else {
        return;
    };
    across_instances(app).await;
}

/// A subscriber on a second instance hears of a batch written through the first.
async fn across_instances(app: TestApp) {
    let p = app.team("acme", "UTC", Role::Admin).await;
    let (state_b, router_b) = app.another_instance().await;
    let addr_b = serve_router(&state_b, router_b).await;
    let mut c = connect(addr_b, Some(&app.token(&p))).await.unwrap();
    c.subscribe("1", KPI).await;
    assert_eq!(totals(&c.next("1").await).0, 0.0);
    app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({}))]).await;
    assert_eq!(
        totals(&c.next("1").await).0,
        1.0,
        "pushed on B after a batch through A"
    );
}

#[tokio::test]
async fn without_the_change_feed_a_subscriber_is_rechecked_not_left_silent() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, fast).await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    let p = app.team("acme", "UTC", Role::Admin).await;
    // B hears nothing of A (no feed), as while its feed connection is down.
    let (state_b, router_b) = app
        .another_instance_with(|s| {
            s.notify_changes = false;
            s.live.live_recheck_seconds = 1;
        })
        .await;
    let addr_b = serve_router(&state_b, router_b).await;
    let mut c = connect(addr_b, Some(&app.token(&p))).await.unwrap();
    c.subscribe("1", KPI).await;
    assert_eq!(totals(&c.next("1").await).0, 0.0);
    state_b.cache.set_deaf(true);
    app.ingest(&p, &[log("r1", AT, 200, 1.0, json!({}))]).await;
    // Rechecked past B's panel cache within a few seconds.
    assert_eq!(totals(&c.next("1").await).0, 1.0);
    state_b.cache.set_deaf(false);
    app.ingest(&p, &[log("r2", AT, 200, 1.0, json!({}))]).await;
    assert_eq!(
        c.quiet_for(Duration::from_millis(2_500)).await,
        None,
        "no rechecks once heard again"
    );
}

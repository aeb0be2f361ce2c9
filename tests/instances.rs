//! Several instances on one PostgreSQL: each sees the others' changes at once (LISTEN/NOTIFY),
//! not after its cache TTL.

use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use axum::body::Body;
use axum::http::Request;
use dashgate::kernel::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const TOTAL: &str = r#"{ apiUsage(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-02T00:00:00Z"}) { kpis { totalRequests { value } } } }"#;

/// A GraphQL answer through one instance's router.
pub async fn ask(router: &axum::Router, token: &str, query: &str) -> Value {
    let req = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(json!({ "query": query }).to_string()))
        .unwrap();
    let res = Box::pin(router.clone().oneshot(req)).await.unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A January day's total.
const JANUARY: &str = r#"{ apiUsage(window: {start: "2026-01-10T00:00:00Z", end: "2026-01-11T00:00:00Z"}) { kpis { totalRequests { value } } } }"#;

/// The March 1 total through one instance's router, and its cache report.
async fn total(router: &axum::Router, token: &str) -> (f64, Value) {
    total_of(router, token, TOTAL).await
}

/// The total `query` asks for through one instance's router, and its cache report.
async fn total_of(router: &axum::Router, token: &str, query: &str) -> (f64, Value) {
    let v = ask(router, token, query).await;
    let value = v["data"]["apiUsage"]["kpis"]["totalRequests"]["value"].as_f64();
    (
        value.unwrap_or_else(|| panic!("{v}")),
        v["extensions"]["cache"].clone(),
    )
}

/// Team `acme` with `rows` ingested; a viewer of it and a token.
async fn acme_with(app: &TestApp, rows: &[Value]) -> (dashgate::kernel::Principal, String) {
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let editor = dashgate::kernel::Principal {
        role: Role::Editor,
        ..p.clone()
    };
    app.ingest(&editor, rows).await;
    let token = app.token(&p);
    (p, token)
}

fn row(id: &str) -> Value {
    log(id, "2026-03-01T10:00:00Z", 200, 10.0, json!({}))
}

/// Polls instance B until it shows `want` as the March 1 total, for up to `within`; returns
/// how long it took.
async fn until_shown(
    router: &axum::Router,
    token: &str,
    want: f64,
    within: Duration,
) -> Option<Duration> {
    until_shown_by(router, token, TOTAL, want, within).await
}

/// The same for the total `query` asks for.
async fn until_shown_by(
    router: &axum::Router,
    token: &str,
    query: &str,
    want: f64,
    within: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        if total_of(router, token, query).await.0 == want {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test]
async fn a_batch_ingested_through_one_instance_shows_on_the_other_at_once() {
    let Some(a) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    batches_cross_instances(a).await;
}

#[tokio::test]
async fn with_redis_too_a_batch_through_one_instance_shows_on_the_other_at_once() {
    if !redis_up().await {
        return;
    }
    let prefix = prefix();
    let Some(a) = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.redis_url = Some("redis://127.0.0.1:6379/".into());
        s.redis_prefix = prefix;
    })
    .await
    else {
        return;
    };
    batches_cross_instances(a).await;
}

/// B caches an empty March 1; a batch into that day through A, whose announcement drops B's
/// answer, shows on B (then cached, after the announcement — which can arrive after the rows
/// are readable). Answers the editor and a token.
async fn b_hears_a_first_batch(
    a: &TestApp,
    b: &axum::Router,
) -> (dashgate::kernel::Principal, String) {
    let p = a.team("acme", "UTC", Role::Editor).await;
    let token = a.token(&p);
    assert_eq!(total(b, &token).await.0, 0.0);
    a.ingest(&p, &[row("r1")]).await;
    let took = until_shown(b, &token, 1.0, Duration::from_secs(5)).await;
    eprintln!("A's announcement reached B in {took:?}");
    assert!(took.is_some(), "B never heard of A's batch");
    (p, token)
}

async fn batches_cross_instances(a: TestApp) {
    let (_b_state, b) = a.another_instance().await;
    let (p, token) = b_hears_a_first_batch(&a, &b).await;
    let (_, cache) = total(&b, &token).await;
    assert_eq!(cache["hits"], json!(1), "B caches its own answer: {cache}");
    // A new batch through A: B's cached answer is dropped by A's announcement.
    a.ingest(&p, &[row("r2")]).await;
    let took = until_shown(&b, &token, 2.0, Duration::from_secs(5)).await;
    let took = took.expect("B shows A's batch within 5 s");
    eprintln!("ingest on A → visible on B in {took:?}");
    // And the other way round: a batch through B shows on A.
    let req = Request::post("/v1/ingest/request_logs")
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(row("r3").to_string()))
        .unwrap();
    let res = Box::pin(b.clone().oneshot(req)).await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let shown = until_shown(&a.router, &token, 3.0, Duration::from_secs(5)).await;
    assert!(shown.is_some(), "A shows B's change");
}

#[tokio::test]
async fn an_announcement_reaches_only_the_other_instance_s_panels_of_its_time() {
    let Some(a) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    let (_b_state, b) = a.another_instance().await;
    // B caches March 1 (after hearing of its batch) and an empty January 10.
    let (p, token) = b_hears_a_first_batch(&a, &b).await;
    assert_eq!(total_of(&b, &token, JANUARY).await.0, 0.0);
    // A batch of January rows through A: B's January answer goes, its March one stays.
    a.ingest(
        &p,
        &[log("j1", "2026-01-10T08:00:00Z", 200, 1.0, json!({}))],
    )
    .await;
    let heard = until_shown_by(&b, &token, JANUARY, 1.0, Duration::from_secs(5)).await;
    assert!(heard.is_some(), "B never heard of the January batch");
    let (value, cache) = total(&b, &token).await;
    assert_eq!(value, 1.0);
    assert_eq!(
        cache["misses"],
        json!(0),
        "March stays cached on B: {cache}"
    );
}

#[tokio::test]
async fn without_the_change_feed_the_other_instance_serves_its_cache_until_the_ttl() {
    let Some(a) = TestApp::spawn_with(Backend::Postgres, |s| s.notify_changes = false).await else {
        return;
    };
    let (_b_state, b) = a.another_instance().await;
    let p = a.team("acme", "UTC", Role::Editor).await;
    let token = a.token(&p);
    a.ingest(&p, &[row("r1")]).await;
    assert_eq!(total(&b, &token).await.0, 1.0);
    a.ingest(&p, &[row("r2")]).await;
    assert_eq!(
        until_shown(&b, &token, 2.0, Duration::from_millis(500)).await,
        None
    );
    // A itself knows at once.
    assert_eq!(total(&a.router, &token).await.0, 2.0);
}

/// Redis at 127.0.0.1:6379 answers (the machine's shared Redis); required under `CI=true`.
pub async fn redis_up() -> bool {
    let up = tokio::net::TcpStream::connect("127.0.0.1:6379")
        .await
        .is_ok();
    assert!(
        up || std::env::var("CI").as_deref() != Ok("true"),
        "Redis is not reachable and CI=true"
    );
    up
}

pub fn prefix() -> String {
    format!("dashgate-test-{}", rand::random::<u64>())
}

async fn viewer(router: &axum::Router, token: &str) -> u16 {
    let req = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(
            json!({ "query": "{ viewer { user } }" }).to_string(),
        ))
        .unwrap();
    Box::pin(router.clone().oneshot(req))
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_team_s_rate_limit_holds_across_instances_sharing_redis() {
    if !redis_up().await {
        return;
    }
    let prefix = prefix();
    let a = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.redis_url = Some("redis://127.0.0.1:6379/".into());
        s.redis_prefix = prefix;
        s.rate_limit_per_minute = 6;
    })
    .await
    .unwrap();
    let (_b_state, b) = a.another_instance().await;
    let p = a.team("acme", "UTC", Role::Viewer).await;
    let token = a.token(&p);
    // Counts are per wall-clock minute: start well inside one.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if secs % 60 > 45 {
        tokio::time::sleep(Duration::from_secs(61 - secs % 60)).await;
    }
    // Each instance alone would allow 6; together they allow 6.
    for _ in 0..3 {
        assert_eq!(viewer(&a.router, &token).await, 200);
        assert_eq!(viewer(&b, &token).await, 200);
    }
    assert_eq!(viewer(&a.router, &token).await, 429);
    assert_eq!(viewer(&b, &token).await, 429);
}

#[tokio::test]
async fn redis_failing_is_never_the_client_s_problem() {
    if !redis_up().await {
        return;
    }
    let proxy = crate::support::proxy::Proxy::start("127.0.0.1:6379".into()).await;
    let (url, prefix) = (
        format!("redis://127.0.0.1:{}/", proxy.addr.port()),
        prefix(),
    );
    let a = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.redis_url = Some(url);
        s.redis_prefix = prefix;
        s.rate_limit_per_minute = 1_000;
    })
    .await
    .unwrap();
    let p = a.team("acme", "UTC", Role::Viewer).await;
    let token = a.token(&p);
    let ready = || async { a.send("GET", "/readyz", &[], "").await };
    let r = ready().await;
    assert_eq!(r.json()["checks"]["redis"]["status"], "ok", "{}", r.body);
    // Redis goes away: every request still answers, quickly; /readyz stays ready and says so.
    proxy.refuse(true);
    proxy.cut();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(viewer(&a.router, &token).await, 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    let r = ready().await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.json()["degraded"], json!(["redis"]), "{}", r.body);
    assert_eq!(
        r.json()["checks"]["redis"]["status"],
        "degraded",
        "{}",
        r.body
    );
    // Back: shared again without a restart.
    proxy.refuse(false);
    let started = Instant::now();
    loop {
        let r = ready().await;
        if r.json()["checks"]["redis"]["status"] == "ok" {
            assert!(r.json().get("degraded").is_none(), "{}", r.body);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Redis never came back: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(viewer(&a.router, &token).await, 200);
}

/// Two instances over one database (PostgreSQL when configured) sharing Redis under a key
/// prefix of their own.
async fn sharing_redis() -> Option<(TestApp, dashgate::state::AppState, axum::Router)> {
    if !redis_up().await {
        return None;
    }
    let prefix = prefix();
    let backend = match crate::support::postgres_url() {
        Some(_) => Backend::Postgres,
        None => Backend::Sqlite,
    };
    let a = TestApp::spawn_with(backend, move |s| {
        s.redis_url = Some("redis://127.0.0.1:6379/".into());
        s.redis_prefix = prefix;
    })
    .await
    .unwrap();
    let (b_state, b) = a.another_instance().await;
    Some((a, b_state, b))
}

#[tokio::test]
async fn a_panel_computed_on_one_instance_is_a_hit_on_the_other() {
    let Some((a, b_state, b)) = sharing_redis().await else {
        return;
    };
    let (p, token) = acme_with(&a, &[row("r1"), row("r2")]).await;
    let editor = dashgate::kernel::Principal {
        role: Role::Editor,
        ..p
    };
    let (value, cache) = total(&a.router, &token).await;
    assert_eq!((value, cache["misses"].clone()), (2.0, json!(1)), "{cache}");
    let (value, cache) = total(&b, &token).await;
    assert_eq!(value, 2.0);
    assert_eq!(
        (cache["hits"].clone(), cache["misses"].clone()),
        (json!(1), json!(0)),
        "{cache}"
    );
    assert_eq!(b_state.cache.computations(), 0, "B computed nothing");
    // Twenty different questions asked of A, then of B: every one of B's answers is a hit.
    let mut hits = 0;
    for day in 1..=20 {
        let q = format!(
            r#"{{ apiUsage(window: {{start: "2026-02-{day:02}T00:00:00Z", end: "2026-03-02T00:00:00Z"}}) {{ requests {{ total }} }} }}"#
        );
        ask(&a.router, &token, &q).await;
        hits += ask(&b, &token, &q).await["extensions"]["cache"]["hits"]
            .as_u64()
            .unwrap();
    }
    eprintln!("cross-instance hit ratio: {hits}/20");
    assert_eq!(hits, 20);
    // A batch into another dashboard's data leaves the shared panel in place: a third
    // instance, with an empty cache of its own, still finds it in Redis.
    let event = json!({"id": "e1", "user_id": "u1", "event_name": "app_open",
                       "event_time": "2026-03-01T10:00:00Z"});
    a.ingest_into(&editor, "product_events", &[event]).await;
    let (_c_state, c) = a.another_instance().await;
    let (value, cache) = total(&c, &token).await;
    assert_eq!((value, cache["hits"].clone()), (2.0, json!(1)), "{cache}");
    // A change to its own data bumps its shared generation: the next read anywhere computes.
    a.ingest(&editor, &[row("r3")]).await;
    let (value, cache) = total(&a.router, &token).await;
    assert_eq!((value, cache["misses"].clone()), (3.0, json!(1)), "{cache}");
    let (_d_state, d) = a.another_instance().await;
    let (value, cache) = total(&d, &token).await;
    assert_eq!((value, cache["hits"].clone()), (3.0, json!(1)), "{cache}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_identical_cold_requests_over_two_instances_compute_once() {
    let Some((a, b_state, b)) = sharing_redis().await else {
        return;
    };
    let (_, token) = acme_with(&a, &[row("r1")]).await;
    let before = a.state.cache.computations();
    let requests = (0..16).map(|i| {
        let router = if i % 2 == 0 {
            a.router.clone()
        } else {
            b.clone()
        };
        let token = token.clone();
        tokio::spawn(async move { total(&router, &token).await.0 })
    });
    for r in futures::future::join_all(requests).await {
        assert_eq!(r.unwrap(), 1.0);
    }
    let computed = a.state.cache.computations() - before + b_state.cache.computations();
    assert_eq!(
        computed, 1,
        "one computation for sixteen requests over two instances"
    );
}

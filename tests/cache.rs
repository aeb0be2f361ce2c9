//! The panel cache computes a missing entry once, even under concurrent identical requests.

use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;

#[tokio::test]
async fn concurrent_identical_misses_compute_once() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let query = "{ apiUsage { requests { total } } }";
    let before = app.state.cache.computations();
    let answers = futures::future::join_all((0..16).map(|_| app.data(&p, query))).await;
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(app.state.cache.computations() - before, 1);
    app.data(
        &p,
        "{ apiUsage(window: {preset: LAST_30_DAYS}) { requests { total } } }",
    )
    .await;
    assert_eq!(
        app.state.cache.computations() - before,
        2,
        "other arguments, other entry"
    );
    let other = app.team("other", "UTC", Role::Viewer).await;
    app.data(&other, query).await;
    assert_eq!(
        app.state.cache.computations() - before,
        3,
        "other team, other entry"
    );
}

#[tokio::test]
async fn a_disabled_cache_computes_every_time() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cache_capacity = 0)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    for _ in 0..3 {
        app.data(&p, "{ apiUsage { requests { total } } }").await;
    }
    assert_eq!(app.state.cache.computations(), 3);
}

#[tokio::test]
async fn the_demo_is_seeded_once_and_deterministically() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        dashgate::demo::seed_if_empty(&app.state, 2_000)
            .await
            .unwrap(),
        Some(2_000)
    );
    assert_eq!(
        dashgate::demo::seed_if_empty(&app.state, 2_000)
            .await
            .unwrap(),
        None,
        "second start"
    );
    let now = crate::support::test_now();
    let a = dashgate::demo::generate_request_logs(500, now, 120, 42);
    assert_eq!(a, dashgate::demo::generate_request_logs(500, now, 120, 42));
    assert!(
        a.windows(2)
            .all(|w| w[0].created_at_ms <= w[1].created_at_ms)
    );
    assert!(a.iter().all(|r| r.created_at_ms < now.timestamp_millis()));
}

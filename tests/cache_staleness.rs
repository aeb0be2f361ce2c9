//! Cached panels do not expire in lockstep: after its (jittered) TTL an entry is served stale
//! at once while one background task recomputes it, and answers say so.

use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;
use std::time::Duration;

#[tokio::test]
async fn expired_panels_are_served_stale_while_one_task_recomputes_them() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.cache_ttl_seconds = 1;
        s.cache_stale_seconds = 60;
    })
    .await
    .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let q = "{ apiUsage { requests { total } kpis { totalRequests { value } } } }";
    let first = app.gql(Some(&p), q).await;
    assert_eq!(first["extensions"]["cache"]["misses"], 2);
    assert_eq!(first["extensions"]["cache"]["freshness"], "FRESH");
    let computed = app.state.cache.computations();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // Drill: 64 requests timed out together when every panel expired at the same second.
    // Now 16 concurrent requests after expiry are all answered from the stale entries…
    let answers = futures::future::join_all((0..16).map(|_| app.gql(Some(&p), q))).await;
    for a in &answers {
        assert_eq!(a["data"], first["data"]);
        assert_eq!(a["extensions"]["cache"]["misses"], 0, "{a}");
        assert_eq!(a["extensions"]["cache"]["stale"], 2, "{a}");
        assert_eq!(a["extensions"]["cache"]["freshness"], "STALE");
    }
    // …and each stale panel is recomputed once, in the background.
    for _ in 0..50 {
        if app.state.cache.computations() == computed + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.state.cache.computations(), computed + 2);
    // The count rises when a computation starts; its entry lands when it ends (under load, a
    // moment later): read until it has.
    let mut fresh = app.gql(Some(&p), q).await;
    for _ in 0..50 {
        if fresh["extensions"]["cache"]["freshness"] == "FRESH" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        fresh = app.gql(Some(&p), q).await;
    }
    assert_eq!(fresh["extensions"]["cache"]["hits"], 2);
    assert_eq!(fresh["extensions"]["cache"]["freshness"], "FRESH");
    assert_eq!(
        app.state.cache.computations(),
        computed + 2,
        "recomputed once"
    );
    // Once ingestion changes the team's data, nothing stale is served: the next read misses.
    let editor = dashgate::kernel::Principal {
        role: Role::Editor,
        ..p.clone()
    };
    app.ingest(
        &editor,
        &[crate::support::fixtures::log(
            "a",
            "2026-03-09T10:00:00Z",
            200,
            1.0,
            serde_json::json!({}),
        )],
    )
    .await;
    let after = app.gql(Some(&p), q).await;
    assert_eq!(after["extensions"]["cache"]["misses"], 2);
    assert_eq!(
        after["data"]["apiUsage"]["kpis"]["totalRequests"]["value"],
        1.0
    );
}

#[tokio::test]
async fn entries_computed_together_expire_at_different_moments() {
    // Twenty panels computed together with a 2 s TTL are fresh for 1.6–2 s each; after 1.8 s
    // some are still fresh and some are stale (all twenty alike has odds of about 2 in 10^6).
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cache_ttl_seconds = 2)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let windows: Vec<String> = (1..=20)
        .map(|d| format!(r#"{{ apiUsage(window: {{start: "2026-02-{d:02}T00:00:00Z", end: "2026-03-01T00:00:00Z"}}) {{ requests {{ total }} }} }}"#))
        .collect();
    for w in &windows {
        app.gql(Some(&p), w).await;
    }
    tokio::time::sleep(Duration::from_millis(1_800)).await;
    let mut stale = 0;
    for w in &windows {
        let a = app.gql(Some(&p), w).await;
        stale += a["extensions"]["cache"]["stale"].as_u64().unwrap();
    }
    assert!(
        stale > 0 && stale < 20,
        "{stale} of 20 were stale after 90 % of the TTL"
    );
}

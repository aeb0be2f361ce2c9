//! Readers of a team whose data just changed: they get the new answer when it comes in time,
//! and the previous one (stale) — never an error — when it is slow or fails for a passing
//! reason.

use crate::support::{Backend, TestApp};
use dashgate::kernel::cache::Lookup;
use dashgate::kernel::{AppError, Role, TeamScope};
use std::time::Duration;

#[tokio::test]
async fn a_changed_team_gets_its_previous_answer_when_the_new_one_fails_or_is_slow() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cache_changed_wait_ms = 200)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let scope = TeamScope::require(Some(&p), Role::Viewer).unwrap();
    let cache = &app.state.cache;
    let ask = |value: Result<u64, AppError>, delay: Duration| {
        cache.get_or_compute(&scope, "panel", &"args", Lookup::default(), async move {
            tokio::time::sleep(delay).await;
            value
        })
    };
    let now = Duration::ZERO;
    assert_eq!(ask(Ok(1), now).await.unwrap(), 1);
    // Drill: readers of a team under ingestion got DATABASE_UNAVAILABLE / TIMEOUT.
    cache.bump(p.team.id);
    assert_eq!(
        ask(Err(AppError::DatabaseUnavailable), now).await.unwrap(),
        1
    );
    assert_eq!(ask(Err(AppError::Timeout(15_000)), now).await.unwrap(), 1);
    // A new answer that comes in time is the answer.
    assert_eq!(ask(Ok(2), now).await.unwrap(), 2);
    // One slower than the wait: the previous answer now, the new one for the next reader.
    cache.bump(p.team.id);
    let slow = Duration::from_millis(600);
    assert_eq!(ask(Ok(3), slow).await.unwrap(), 2);
    tokio::time::sleep(slow).await;
    assert_eq!(ask(Ok(99), now).await.unwrap(), 3);
    // A fault of the request itself is still its error, and a team never read has nothing
    // to fall back on.
    cache.bump(p.team.id);
    assert!(matches!(
        ask(Err(AppError::bad_input("x", "y")), now).await,
        Err(AppError::BadInput { .. })
    ));
    let other = app.team("other", "UTC", Role::Viewer).await;
    let other_scope = TeamScope::require(Some(&other), Role::Viewer).unwrap();
    let r = cache
        .get_or_compute(&other_scope, "panel", &"args", Lookup::default(), async {
            Err::<u64, _>(AppError::DatabaseUnavailable)
        })
        .await;
    assert!(matches!(r, Err(AppError::DatabaseUnavailable)));
}

crate::both_dbs! {
    async fn readers_and_writers_of_one_team_do_not_fail_each_other(app) {
        // Drill: 200-row batches every 0.5 s into the readers' team; SQLite answered 56 % of
        // reads and 52 % of batches with DATABASE_UNAVAILABLE / TIMEOUT.
        use crate::support::fixtures::log;
        use serde_json::json;
        let p = app.team("acme", "UTC", dashgate::kernel::Role::Editor).await;
        let query = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } requests { total } topModels { rows { label value } } } }";
        let mut failures = Vec::new();
        for round in 0..12 {
            let rows: Vec<serde_json::Value> = (0..200)
                .map(|i| log(&format!("r{round}-{i}"), "2026-03-09T10:00:00Z", 200, 1.0, json!({"model_name": format!("m{}", i % 7)})))
                .collect();
            let write = app.post_rows(&p, "request_logs", &rows);
            let reads = futures::future::join_all((0..4).map(|_| app.gql(Some(&p), query)));
            let ((status, body), answers) = tokio::join!(write, reads);
            if status != axum::http::StatusCode::OK {
                failures.push(format!("batch {round}: {status} {body}"));
            }
            for r in answers {
                if r.get("errors").is_some() {
                    failures.push(format!("read in round {round}: {r}"));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        let r = app.data(&p, query).await;
        assert_eq!(r["apiUsage"]["kpis"]["totalRequests"]["value"], json!(2_400.0));
    }
}

crate::both_dbs! {
    async fn a_batch_into_one_dashboards_datasets_leaves_the_others_cached(app) {
        use crate::support::fixtures::log;
        use serde_json::json;
        let p = app.team("acme", "UTC", dashgate::kernel::Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        let query = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } } }";
        let cache = |r: &serde_json::Value| (r["extensions"]["cache"]["hits"].clone(), r["extensions"]["cache"]["misses"].clone());
        let first = app.gql(Some(&p), query).await;
        assert_eq!(cache(&first), (json!(0), json!(1)), "{first}");
        // A chat batch: the apiUsage panel stays a hit.
        app.ingest_into(&p, "chat_experiments", &[json!({"id": "x1", "name": "Alpha", "created_at": "2026-03-09T10:00:00Z"})]).await;
        let after_chat = app.gql(Some(&p), query).await;
        assert_eq!(cache(&after_chat), (json!(1), json!(0)), "{after_chat}");
        // …and so does deleting it.
        let (status, _) = app.http("DELETE", "/v1/ingest/chat_experiments", Some(&app.token(&p)), r#"{"id": "x1"}"#).await;
        assert_eq!(status, axum::http::StatusCode::OK);
        assert_eq!(cache(&app.gql(Some(&p), query).await), (json!(1), json!(0)));
        // A request-log batch: recomputed, with the new row.
        app.ingest(&p, &[log("b", "2026-03-09T11:00:00Z", 200, 5.0, json!({}))]).await;
        let after_logs = app.gql(Some(&p), query).await;
        assert_eq!(cache(&after_logs), (json!(0), json!(1)), "{after_logs}");
        assert_eq!(after_logs["data"]["apiUsage"]["kpis"]["totalRequests"]["value"], json!(2.0));
        // Erasing a person changes every dashboard.
        let admin = dashgate::kernel::Principal { role: dashgate::kernel::Role::Admin, ..p.clone() };
        let (status, _) = app.http("POST", "/v1/erase", Some(&app.token(&admin)), r#"{"userId": "nobody"}"#).await;
        assert_eq!(status, axum::http::StatusCode::OK);
        assert_eq!(cache(&app.gql(Some(&p), query).await), (json!(0), json!(1)));
    }
}

crate::both_dbs! {
    async fn a_batch_reaches_only_the_panels_whose_time_range_holds_its_rows(app) {
        // The 7-day window is [03-04, 03-11), its previous window [02-25, 03-04).
        use crate::support::fixtures::log;
        use serde_json::{json, Value};
        let p = app.team("acme", "UTC", dashgate::kernel::Role::Editor).await;
        app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))]).await;
        let week = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } requests { total } } }";
        let deltas = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value previous } } } }";
        let january = "{ apiUsage(window: {start: \"2026-01-01T00:00:00Z\", end: \"2026-02-01T00:00:00Z\"}) { kpis { totalRequests { value } } } }";
        let misses = |r: &Value| r["extensions"]["cache"]["misses"].as_u64().unwrap_or(99);
        let total = |r: &Value| r["data"]["apiUsage"]["kpis"]["totalRequests"].clone();
        for q in [week, deltas, january] {
            let r = app.gql(Some(&p), q).await;
            assert!(misses(&r) > 0, "{r}");
        }
        // Rows from January: only the January panel recomputes.
        app.ingest(&p, &[log("old", "2026-01-15T08:00:00Z", 200, 5.0, json!({}))]).await;
        let r = app.gql(Some(&p), week).await;
        assert_eq!(misses(&r), 0, "{r}");
        assert_eq!(misses(&app.gql(Some(&p), deltas).await), 0);
        let r = app.gql(Some(&p), january).await;
        assert_eq!((misses(&r), total(&r)), (1, json!({"value": 1.0})), "{r}");
        // Rows of the previous window: the KPIs with a previous value recompute, the rest not.
        app.ingest(&p, &[log("prev", "2026-02-27T10:00:00Z", 200, 5.0, json!({}))]).await;
        assert_eq!(misses(&app.gql(Some(&p), week).await), 0);
        assert_eq!(misses(&app.gql(Some(&p), january).await), 0);
        let r = app.gql(Some(&p), deltas).await;
        assert_eq!((misses(&r), total(&r)), (1, json!({"value": 1.0, "previous": 1.0})), "{r}");
        // Rows inside the window always reach it — never a stale answer — and a batch from
        // January to March reaches all three.
        app.ingest(&p, &[
            log("jan2", "2026-01-20T08:00:00Z", 200, 5.0, json!({})),
            log("mar", "2026-03-10T09:00:00Z", 200, 5.0, json!({})),
        ]).await;
        let r = app.gql(Some(&p), week).await;
        assert_eq!((misses(&r), total(&r)), (2, json!({"value": 2.0})), "{r}");
        let r = app.gql(Some(&p), deltas).await;
        assert_eq!((misses(&r), total(&r)), (1, json!({"value": 2.0, "previous": 1.0})), "{r}");
        let r = app.gql(Some(&p), january).await;
        assert_eq!((misses(&r), total(&r)), (1, json!({"value": 2.0})), "{r}");
        // A batch that changes nothing (a duplicate) moves nothing.
        app.ingest(&p, &[log("mar", "2026-03-10T09:00:00Z", 200, 5.0, json!({}))]).await;
        assert_eq!(misses(&app.gql(Some(&p), week).await), 0);
        // A delete may remove rows of any time: everything recomputes.
        let (status, _) = app.http("DELETE", "/v1/ingest/request_logs", Some(&app.token(&p)), r#"{"id": "old"}"#).await;
        assert_eq!(status, axum::http::StatusCode::OK);
        let r = app.gql(Some(&p), january).await;
        assert_eq!((misses(&r), total(&r)), (1, json!({"value": 1.0})), "{r}");
        assert_eq!(misses(&app.gql(Some(&p), week).await), 2);
    }
}

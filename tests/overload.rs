//! Overload is not an outage: a busy pool or a slow statement makes answers slower, never
//! `DATABASE_UNAVAILABLE`; a stopped database is told apart (a TCP check after
//! `DASHGATE_DB_CONNECT_TIMEOUT_MS`) and answered at once; load is shed by named limits on
//! panel computations, with `SERVICE_UNAVAILABLE` and `Retry-After`.

use crate::outages::{assert_unavailable, behind_proxy_with, dashboard};
use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_stopped_database_answers_database_unavailable_without_waiting_out_the_pool() {
    // The pool would wait 30 s for a connection (its default); the reachability check answers
    // after the 300 ms connect timeout.
    let Some((app, proxy)) = behind_proxy_with(|s| s.db_connect_timeout_ms = 300).await else {
        return eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
    };
    let p = app.team("acme", "UTC", Role::Editor).await;
    app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))])
        .await;
    // The port closes (connections refused by the system, which the pool retries until its
    // deadline) and every open connection is cut.
    proxy.listen(false);
    proxy.cut();
    assert_unavailable(&app, &p, 2).await;
    let started = Instant::now();
    let (status, body) = app
        .post_rows(
            &p,
            "request_logs",
            &[log("b", "2026-03-09T11:00:00Z", 200, 5.0, json!({}))],
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "DATABASE_UNAVAILABLE");
    assert!(started.elapsed() < Duration::from_secs(5));

    proxy.listen(true);
    let mut answered = None;
    for _ in 0..40 {
        let (status, body, _) = dashboard(&app, &p).await;
        if status == StatusCode::OK {
            answered = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let body = answered.expect("never recovered");
    let total = &body["data"]["apiUsage"]["kpis"]["totalRequests"]["value"];
    assert_eq!(total, &json!(1.0), "{body}");
}

#[tokio::test]
async fn a_busy_pool_makes_readers_and_writers_wait_not_fail() {
    // Drill: with every connection busy, a lone reader got 503 DATABASE_UNAVAILABLE after the
    // 1 s acquire timeout although the database was up.
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| s.db_max_connections = 2).await
    else {
        return eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
    };
    let p = app.team("acme", "UTC", Role::Editor).await;
    app.ingest(&p, &[log("a", "2026-03-09T10:00:00Z", 200, 5.0, json!({}))])
        .await;
    let hold = |db: sea_orm::DatabaseConnection| async move {
        db.execute_unprepared("SELECT pg_sleep(1.5)").await.unwrap();
    };
    let holders = [
        tokio::spawn(hold(app.state.db.clone())),
        tokio::spawn(hold(app.state.db.clone())),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, body, _) = dashboard(&app, &p).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let total = &body["data"]["apiUsage"]["kpis"]["totalRequests"]["value"];
    assert_eq!(total, &json!(1.0), "{body}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the reader waited for a connection: {:?}",
        started.elapsed()
    );
    for h in holders {
        h.await.unwrap();
    }
    let holders = [
        tokio::spawn(hold(app.state.db.clone())),
        tokio::spawn(hold(app.state.db.clone())),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = app
        .post_rows(
            &p,
            "request_logs",
            &[log("b", "2026-03-09T11:00:00Z", 200, 5.0, json!({}))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for h in holders {
        h.await.unwrap();
    }
}

#[tokio::test]
async fn a_statement_past_its_timeout_is_a_timeout_not_an_outage() {
    let Some(app) =
        TestApp::spawn_with(Backend::Postgres, |s| s.db_statement_timeout_ms = 100).await
    else {
        return eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
    };
    let err = app
        .state
        .db
        .execute_unprepared("SELECT pg_sleep(1)")
        .await
        .unwrap_err();
    let err = dashgate::kernel::AppError::from(err);
    assert_eq!(err.code(), "TIMEOUT");
    assert_eq!(err.http_status(), 504);
}

const QUERY: &str = "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } \
                     requests { start } costs { start } errorsBreakdown { other } } }";

#[tokio::test]
async fn panel_computations_take_turns_and_a_full_line_is_refused_with_retry_after() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        // One computation at a time, a line of eight: a dashboard's panels take turns.
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.max_concurrent_computations = 1;
            s.max_waiting_computations = 8;
        })
        .await
        else {
            continue;
        };
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let body = app.data(&p, QUERY).await;
        assert!(body["apiUsage"]["requests"].is_array(), "{body}");
        let (_, metrics) = app.http("GET", "/metrics", None, "").await;
        let text = metrics.as_str().unwrap_or_default().to_string();
        assert!(text.contains("dashgate_panel_computations_max 1"), "{text}");
    }
    // No line at all: while the one running computation waits for the (held) connection,
    // the request's other panels are refused.
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| {
        s.max_concurrent_computations = 1;
        s.max_waiting_computations = 0;
        s.db_max_connections = 1;
    })
    .await
    else {
        return;
    };
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let db = app.state.db.clone();
    let holder = tokio::spawn(async move {
        db.execute_unprepared("SELECT pg_sleep(0.5)").await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = app.gql(Some(&p), QUERY).await;
    holder.await.unwrap();
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{body}");
    for e in &errors {
        assert_eq!(e["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
        assert_eq!(e["extensions"]["retryAfterSeconds"], 1, "{body}");
    }
}

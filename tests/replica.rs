//! A read replica (`DASHGATE_DATABASE_READ_URL`): dashboards read from it, and a team never
//! misses its own writes. Needs a streaming replica of the test server; `.ci/run` starts one
//! (`pg_basebackup -R`, port 5433) and sets `DASHGATE_TEST_REPLICA_URL`.

use crate::support::fixtures::log;
use crate::support::{Backend, TestApp, postgres_url};
use dashgate::domains::api_usage::ingest::REQUEST_LOGS;
use dashgate::kernel::{Principal, Role, TeamScope};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TOTAL: &str = r#"{ apiUsage(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-02T00:00:00Z"}) { kpis { totalRequests { value } } } }"#;

fn row(id: &str) -> Value {
    log(id, "2026-03-01T10:00:00Z", 200, 10.0, json!({}))
}

async fn total(app: &TestApp, p: &Principal) -> f64 {
    app.data(p, TOTAL).await["apiUsage"]["kpis"]["totalRequests"]["value"]
        .as_f64()
        .unwrap()
}

/// Replay on the replica paused for as long as this lives (resumed even if the test fails).
struct Paused(String);

impl Paused {
    fn new(url: &str) -> Paused {
        psql(url, "SELECT pg_wal_replay_pause()");
        Paused(url.to_string())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        psql(&self.0, "SELECT pg_wal_replay_resume()");
    }
}

fn psql(url: &str, sql: &str) {
    let ok = std::process::Command::new("psql")
        .args([url, "-qAtc", sql])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql {sql}");
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(app: &TestApp) {
    let replica = app.state.replica.clone().unwrap();
    let target = replica.primary_lsn().await.unwrap();
    let started = Instant::now();
    loop {
        let db = replica.for_reads(dashgate::kernel::TeamId(-1)).await;
        let row = sea_orm::ConnectionTrait::query_one_raw(
            db,
            sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_last_wal_replay_lsn()::text AS lsn",
            ),
        )
        .await
        .unwrap()
        .unwrap();
        let at: String = row.try_get("", "lsn").unwrap();
        if dashgate::db::replica::parse_lsn(&at).unwrap() >= target {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the replica is not replaying"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn dashboards_read_the_replica_and_a_team_always_sees_its_own_writes() {
    let (Some(url), Some(_)) = (
        std::env::var("DASHGATE_TEST_REPLICA_URL").ok(),
        postgres_url(),
    ) else {
        eprintln!("skipped: DASHGATE_TEST_REPLICA_URL is not set (.ci/run starts a replica)");
        return;
    };
    let read_url = url.clone();
    let app = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.database_read_url = Some(read_url)
    })
    .await
    .unwrap();
    let acme = app.team("acme", "UTC", Role::Editor).await;
    let quiet = app.team("quiet", "UTC", Role::Editor).await;
    caught_up(&app).await;
    // A write and the very next read, again and again: the write is always there.
    for i in 1..=5 {
        app.ingest(&acme, &[row(&format!("a{i}"))]).await;
        assert_eq!(total(&app, &acme).await, f64::from(i));
    }
    // Reads go to the replica: with its replay paused, a row written to the primary behind
    // dashgate's back (no change noted) is not seen, while acme's own new write is (the
    // primary answers for acme until the replica has it).
    let paused = Paused::new(&url);
    let scope = TeamScope::require(Some(&quiet), Role::Editor).unwrap();
    dashgate::demo::seed_rows(&app.state.db, &scope, &REQUEST_LOGS, [row("q1")])
        .await
        .unwrap();
    assert_eq!(
        total(&app, &quiet).await,
        0.0,
        "quiet reads the paused replica"
    );
    app.ingest(&acme, &[row("a6")]).await;
    assert_eq!(
        total(&app, &acme).await,
        6.0,
        "acme's own write, from the primary"
    );
    drop(paused);
    caught_up(&app).await;
    app.state.cache.bump(quiet.team.id);
    assert_eq!(total(&app, &quiet).await, 1.0, "the replica caught up");
    // And acme is back on the replica with everything.
    assert_eq!(total(&app, &acme).await, 6.0);
}

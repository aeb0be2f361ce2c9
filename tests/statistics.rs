//! Rows that grow a table by more than a tenth since its last analysis refresh the table's
//! planner statistics in the background (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`),
//! whether they come in one batch or in many small ones; fewer do not.

use crate::both_dbs_with;
use crate::support::fixtures::log;
use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::time::Duration;

/// Whether the planner has statistics for `request_logs`.
async fn has_statistics(app: &TestApp) -> bool {
    let sql = match app.backend {
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_class WHERE oid = to_regclass('request_logs') AND reltuples > 0"
        }
        Backend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'",
    };
    let backend = app.state.db.get_database_backend();
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

async fn analyzed_after(app: &TestApp, before: u64) -> u64 {
    for _ in 0..100 {
        let n = app.state.statistics.analyzed();
        if n > before {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.state.statistics.analyzed()
}

both_dbs_with! { |s: &mut dashgate::config::Settings| s.analyze_growth_percent = 10;
    async fn growing_a_table_by_a_tenth_refreshes_its_statistics(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let rows = |from: usize, n: usize| (from..from + n).map(|i| log(&format!("r{i}"), "2026-03-09T10:00:00Z", 200, 1.0, json!({}))).collect::<Vec<_>>();
        app.ingest(&p, &rows(0, 1_000)).await;
        assert_eq!(analyzed_after(&app, 0).await, 1, "a new table is analyzed");
        assert!(has_statistics(&app).await);
        // 50 more rows on 1 000: under a tenth, nothing to do.
        app.ingest(&p, &rows(1_000, 50)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.state.statistics.analyzed(), 1);
        // 200 more on 1 050: a fifth, analyzed again.
        app.ingest(&p, &rows(2_000, 200)).await;
        assert_eq!(analyzed_after(&app, 1).await, 2);
        // Small batches add up: five of 30 rows on 1 250 are 12 % together.
        for k in 0..4 {
            app.ingest(&p, &rows(3_000 + 30 * k, 30)).await;
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert_eq!(app.state.statistics.analyzed(), 2, "after {} small batches", k + 1);
        }
        app.ingest(&p, &rows(4_000, 30)).await;
        assert_eq!(analyzed_after(&app, 2).await, 3);
    }
}

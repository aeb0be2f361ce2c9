//! Maintenance commands run as processes: free of the serving timeouts, and exit codes that
//! tell "the rollups differ" (1) from "the command failed" (2).

use crate::support::OwnDatabase;
use sea_orm::{ConnectionTrait, Database};
use std::process::{Command, Stdio};

fn dashgate(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dashgate"));
    cmd.env("DASHGATE_DATABASE_URL", url)
        .env("DASHGATE_JWT_SECRET", "maintenance-secret")
        .env("DASHGATE_NOW", "2026-03-10T12:00:00Z")
        .env("DASHGATE_LOG", "warn")
        .env_remove("DASHGATE_REDIS_URL")
        .env_remove("DASHGATE_DATABASE_READ_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn exit_code(cmd: &mut Command) -> i32 {
    cmd.status().unwrap().code().unwrap_or(-1)
}

#[tokio::test]
async fn rollups_check_ignores_the_serving_timeout_and_exits_by_outcome() {
    // Drill: on a 500 k-row team the check hit the 10 s statement timeout and exited 1, as if
    // rows differed. Here a 1 ms statement timeout stands in for the large team.
    let Some(own) = OwnDatabase::create("dashgate_mt").await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = own.url.clone();
    assert_eq!(
        exit_code(dashgate(&url).args(["seed", "--rows", "3000", "--team", "acme"])),
        0
    );
    let check = || {
        let mut cmd = dashgate(&url);
        cmd.env("DASHGATE_DB_STATEMENT_TIMEOUT_MS", "1")
            .args(["rollups", "check", "--team", "acme"]);
        cmd
    };
    assert_eq!(exit_code(&mut check()), 0, "a correct team checks clean");
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared("UPDATE request_log_rollups SET n = n + 1 WHERE dim = (SELECT MIN(dim) FROM request_log_rollups)")
        .await
        .unwrap();
    assert_eq!(exit_code(&mut check()), 1, "rows that differ");
    db.close().await.unwrap();
    let unreachable = "postgres://postgres@127.0.0.1:1/none";
    assert_eq!(
        exit_code(dashgate(unreachable).args(["rollups", "check"])),
        2,
        "could not run"
    );
}

//! A rolling restart: two real gateway processes on one PostgreSQL database behind a balancer
//! in the test (round robin; a request whose connection is refused or dropped before any
//! answer goes to the other instance, as balancers do — safe here because batches are
//! idempotent by id). One instance gets SIGTERM under load, exits cleanly and comes back: no
//! request fails, and every batch is whole.

use crate::support::OwnDatabase;
use crate::support::wire::call_port;
use sea_orm::{ConnectionTrait, Database};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SECRET: &str = "rolling-restart-secret";
const BATCH: usize = 20;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn dashgate(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dashgate"));
    cmd.env("DASHGATE_DATABASE_URL", url)
        .env("DASHGATE_JWT_SECRET", SECRET)
        .env("DASHGATE_RATE_LIMIT_PER_MINUTE", "0")
        .env("DASHGATE_LOG", "warn")
        .env_remove("DASHGATE_REDIS_URL")
        .env_remove("DASHGATE_DATABASE_READ_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn start(url: &str, port: u16) -> Child {
    dashgate(url)
        .env("DASHGATE_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .expect("the gateway starts")
}

/// Sends one request; `Err` when the connection was refused or dropped before an answer.
async fn send(port: u16, path: &str, token: &str, ct: &str, body: String) -> Result<u16, String> {
    let auth = format!("Bearer {token}");
    let headers = [("content-type", ct), ("authorization", auth.as_str())];
    Ok(call_port(port, "POST", path, &headers, body).await?.0)
}

async fn ready(port: u16) {
    let started = Instant::now();
    while !matches!(
        call_port(port, "GET", "/readyz", &[], String::new()).await,
        Ok((200, _))
    ) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "instance on {port} never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_fails_no_request_and_splits_no_batch() {
    // A database of its own: the processes use its `public` schema.
    let Some(own) = OwnDatabase::create("dashgate_rr").await else {
        eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = own.url.clone();
    assert!(dashgate(&url).arg("migrate").status().unwrap().success());
    assert!(
        dashgate(&url)
            .args(["team", "create", "--slug", "acme", "--name", "Acme"])
            .status()
            .unwrap()
            .success()
    );
    let out = dashgate(&url)
        .args([
            "token", "--team", "acme", "--user", "rr", "--role", "editor",
        ])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(!token.is_empty());
    let ports = [free_port(), free_port()];
    let mut instances = vec![start(&url, ports[0]), start(&url, ports[1])];
    ready(ports[0]).await;
    ready(ports[1]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (failures, sent, retried) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut clients = Vec::new();
    for c in 0..4u64 {
        let (stop, failures, sent, retried, token) = (
            stop.clone(),
            failures.clone(),
            sent.clone(),
            retried.clone(),
            token.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let (path, ct, body) = if n.is_multiple_of(2) {
                    let rows: Vec<String> = (0..BATCH)
                        .map(|i| serde_json::json!({"id": format!("c{c}-b{n}-{i}"), "created_at": "2026-03-01T10:00:00Z",
                            "endpoint": "/v1/chat", "status_code": 200, "latency_ms": 5.0}).to_string())
                        .collect();
                    ("/v1/ingest/request_logs", "application/x-ndjson", rows.join("\n"))
                } else {
                    let q = r#"{"query": "{ apiUsage(window: {preset: LAST_7_DAYS}) { kpis { totalRequests { value } } } }"}"#;
                    ("/graphql", "application/json", q.to_string())
                };
                let mut answered = None;
                for attempt in 0..6u64 {
                    let port = ports[((n + attempt) % 2) as usize];
                    match send(port, path, &token, ct, body.clone()).await {
                        Ok(status) => {
                            answered = Some(status);
                            break;
                        }
                        Err(_) => {
                            retried.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                sent.fetch_add(1, Ordering::Relaxed);
                if !answered.is_some_and(|s| (200..300).contains(&s)) {
                    failures.fetch_add(1, Ordering::Relaxed);
                    eprintln!("failed: {path} → {answered:?}");
                }
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // SIGTERM to the second instance, under load; it drains and exits 0, then comes back.
    let pid = instances[1].id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let exited = tokio::task::spawn_blocking({
        let mut child = instances.pop().unwrap();
        move || child.wait().unwrap()
    })
    .await
    .unwrap();
    assert!(exited.success(), "exit after SIGTERM: {exited:?}");
    instances.push(start(&url, ports[1]));
    ready(ports[1]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut batches = 0;
    for c in clients {
        batches += c.await.unwrap() / 2;
    }
    let (sent, failures, retried) = (
        sent.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        retried.load(Ordering::Relaxed),
    );
    eprintln!("rolling restart: {sent} requests, {failures} failed, {retried} connection retries");
    assert_eq!(failures, 0);
    // Every batch whole: each id prefix has all its rows, and the total is every batch's.
    let db = Database::connect(&url).await.unwrap();
    let count = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_string();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let rows = count("SELECT COUNT(*) FROM request_logs").await;
    assert_eq!(
        rows as u64,
        batches * BATCH as u64,
        "every acknowledged batch, whole"
    );
    let partial = count(&format!(
        "SELECT COUNT(*) FROM (SELECT split_part(id, '-', 1) || split_part(id, '-', 2) AS b, COUNT(*) AS n \
         FROM request_logs GROUP BY 1) x WHERE n <> {BATCH}"
    ))
    .await;
    assert_eq!(partial, 0);
    for mut child in instances {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    db.close().await.unwrap();
}

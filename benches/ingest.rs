//! Benchmark: ingesting request logs over HTTP in 100 000-row NDJSON batches, as a live system
//! would send them (ids and times ascending), with 1, 2 and 4 clients sending batches at once,
//! into a fresh team of a `dashgate serve` child process (the release binary); next to the floor
//! on the same rows: the storage statements alone, in this process, with no HTTP, parsing or
//! validation. Reports rows/s and the gateway process's memory: its peak while ingesting
//! (`VmHWM`) and its RSS after each level.
//!
//! With `--updates N`, also status updates: N publish logs inserted into a fresh team, then
//! updated twice (newer versions), in 5 000-row batches and in one batch. With `--binary`,
//! another build's gateway, to compare before and after on the same stream.
//!
//! `cargo bench --bench ingest -- --database-url postgres://postgres@127.0.0.1:5432/postgres --rows 10000000`
//! Prints a table and writes JSON to `--out`. Never asserts timings.

#[path = "process.rs"]
mod process;

use clap::Parser;
use dashgate::domains::api_usage::ingest::REQUEST_LOGS;
use dashgate::domains::datasets::{self, Row};
use dashgate::kernel::{Principal, Role, TeamScope};
use dashgate::state::AppState;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Database (default: an SQLite file under target/, recreated).
    #[arg(long, default_value = "sqlite://target/bench-ingest.db")]
    database_url: String,
    /// Rows per concurrency level.
    #[arg(long, default_value_t = 2_000_000)]
    rows: u64,
    /// Rows per batch.
    #[arg(long, default_value_t = 100_000)]
    batch: u64,
    /// Clients sending batches at once.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    concurrency: Vec<u64>,
    /// Results file (JSON).
    #[arg(long, default_value = "target/bench-ingest.json")]
    out: String,
    /// The gateway binary to measure (default: this build's); another build's, to compare a
    /// change before and after on the same stream of batches.
    #[arg(long)]
    binary: Option<String>,
    /// Also measure status updates: this many publish logs over 60 days, inserted, then all
    /// updated to `processing`, then to `success` — in 5 000-row batches and in one batch,
    /// each into a fresh team (0: skip).
    #[arg(long, default_value_t = 0)]
    updates: u64,
    #[arg(long, hide = true)]
    bench: bool,
}

/// Resident and peak memory of a process, in MiB.
fn memory(pid: u32) -> (u64, u64) {
    let (rss, peak) = process::memory_kib(pid);
    (rss / 1024, peak / 1024)
}

/// Batch `n` of a stream of request logs: ids and times ascending, as a live system sends.
fn batch(n: u64, size: u64, tag: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(size as usize * 260);
    let start = 1_761_955_200_000i64; // 2025-11-01
    for i in 0..size {
        let k = n * size + i;
        let at = chrono::DateTime::from_timestamp_millis(start + k as i64 * 7)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let status = if k.is_multiple_of(31) { 503 } else { 200 };
        let line = format!(
            r#"{{"id":"{tag}{k:010}","created_at":"{at}","endpoint":"/v1/chat/completions","status_code":{status},"latency_ms":{}.{},"model_name":"gpt-4o","country_code":"de","cost_usd":"0.0{}","tokens":{},"user_id":"user_{}"}}"#,
            100 + k % 900,
            k % 100,
            k % 97 + 1,
            200 + k % 2_000,
            k % 5_000
        );
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

struct Level {
    clients: u64,
    rows: u64,
    seconds: f64,
    rows_per_second: f64,
    rss_after_mb: u64,
    peak_mb: u64,
}

async fn post(addr: std::net::SocketAddr, token: &str, dataset: &str, body: Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::post(format!("/v1/ingest/{dataset}"))
        .header("host", "bench")
        .header("content-type", "application/x-ndjson")
        .header("content-length", body.len())
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
}

/// `n` publish logs over 60 days in `status` (version `version`), as NDJSON lines.
fn publish_logs(n: u64, status: &str, version: u64) -> Vec<String> {
    const PLATFORMS: [&str; 5] = ["tiktok", "youtube", "instagram", "facebook", "x"];
    (0..n)
        .map(|i| {
            let at = chrono::DateTime::from_timestamp(1_790_812_800, 0).unwrap() // 2026-10-01
                + chrono::Duration::days((i % 60) as i64)
                + chrono::Duration::minutes((i % 1_440) as i64);
            let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let published = if status == "success" {
                format!(r#","published_at":"{at}""#)
            } else {
                String::new()
            };
            format!(
                r#"{{"id":"log{i}","clip_id":"c{}","platform":"{}","status":"{status}","social_account_id":"acct{}","requested_at":"{at}","created_at":"{at}","updated_at":"2026-12-0{version}T00:00:00Z"{published}}}"#,
                i % 5_000,
                PLATFORMS[(i % 5) as usize],
                i % 300
            )
        })
        .collect()
}

/// Inserts `n` publish logs into a fresh team, then updates them twice, `batch` rows per
/// request; rows/s of each phase.
async fn status_updates(
    state: &AppState,
    addr: std::net::SocketAddr,
    slug: &str,
    n: u64,
    batch: u64,
) -> Vec<(&'static str, f64)> {
    dashgate::accounts::teams::create(&state.db, slug, "Updates", "UTC", "USD", 0)
        .await
        .unwrap();
    let token = state
        .jwt
        .mint(slug, "bench", Role::Editor, i64::MAX / 2)
        .unwrap();
    let lines = |rows: Vec<String>| (rows.join("\n") + "\n").into_bytes();
    let at = "2026-10-01T00:00:00Z";
    let videos =
        (0..500).map(|i| format!(r#"{{"id":"v{i}","title":"video {i}","created_at":"{at}"}}"#));
    post(addr, &token, "pub_videos", lines(videos.collect())).await;
    let clips = (0..5_000).map(|i| {
        format!(
            r#"{{"id":"c{i}","video_id":"v{}","created_at":"{at}"}}"#,
            i % 500
        )
    });
    post(addr, &token, "pub_clips", lines(clips.collect())).await;
    let mut out = Vec::new();
    for (phase, status, version) in [
        ("insert", "pending", 1),
        ("-> processing", "processing", 2),
        ("-> success", "success", 3),
    ] {
        let rows = publish_logs(n, status, version);
        let started = Instant::now();
        for chunk in rows.chunks(batch as usize) {
            post(addr, &token, "pub_publish_logs", lines(chunk.to_vec())).await;
        }
        out.push((phase, n as f64 / started.elapsed().as_secs_f64()));
    }
    out
}

fn main() {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(args));
}

async fn run(args: Args) {
    if let Some(path) = args.database_url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    let state = process::bench_state(&args.database_url).await;
    let slug = format!("ingest-{}", std::process::id());
    let team = dashgate::accounts::teams::create(&state.db, &slug, "Ingest", "UTC", "USD", 0)
        .await
        .unwrap();
    let token = state
        .jwt
        .mint(&team.slug, "bench", Role::Editor, i64::MAX / 2)
        .unwrap();
    // The gateway under test: the release binary, in a process of its own.
    let (mut child, addr) =
        process::spawn_gateway(args.binary.as_deref(), &args.database_url, &[]).await;
    let pid = child.id();
    let (base, _) = memory(pid);
    let mut levels = Vec::new();
    for (round, clients) in args.concurrency.iter().copied().enumerate() {
        let batches = (args.rows / args.batch).max(1);
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (next, token, size) = (next.clone(), token.clone(), args.batch);
                tokio::spawn(async move {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= batches {
                            break;
                        }
                        let body = tokio::task::spawn_blocking(move || {
                            batch(n, size, &format!("c{round}-"))
                        })
                        .await
                        .unwrap();
                        post(addr, &token, "request_logs", body).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        let rows = batches * args.batch;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let (rss, peak) = memory(pid);
        levels.push(Level {
            clients,
            rows,
            seconds,
            rows_per_second: rows as f64 / seconds,
            rss_after_mb: rss,
            peak_mb: peak,
        });
    }
    let mut updates = Vec::new();
    if args.updates > 0 {
        for (mode, batch) in [("5 000-row batches", 5_000), ("one batch", args.updates)] {
            let slug = format!("updates-{}-{batch}", std::process::id());
            let phases = status_updates(&state, addr, &slug, args.updates, batch).await;
            updates.push((mode, phases));
        }
    }
    // The floor: the same kind of rows, validated already, written by the storage code alone.
    let principal = Principal {
        team,
        user: "bench".into(),
        role: Role::Editor,
    };
    let scope = TeamScope::require(Some(&principal), Role::Editor).unwrap();
    let body = batch(9_999, args.batch, "floor-");
    let rows: Vec<Row> = dashgate::kernel::record::rows(&body)
        .map(|r| datasets::validate(&REQUEST_LOGS, &r.unwrap().1).unwrap())
        .collect();
    let txn = dashgate::db::begin_write(&state.db).await.unwrap();
    let started = Instant::now();
    for chunk in rows.chunks(datasets::chunk_rows(state.db.get_database_backend())) {
        datasets::write(&txn, &scope, &REQUEST_LOGS, chunk)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    let floor = args.batch as f64 / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    println!("gateway RSS at start {base} MB; peak is the gateway's highest RSS so far");
    println!(
        "{:>8} {:>12} {:>9} {:>12} {:>14} {:>10}",
        "clients", "rows", "seconds", "rows/s", "RSS after MB", "peak MB"
    );
    for l in &levels {
        println!(
            "{:>8} {:>12} {:>9.1} {:>12.0} {:>14} {:>10}",
            l.clients, l.rows, l.seconds, l.rows_per_second, l.rss_after_mb, l.peak_mb
        );
    }
    println!("floor (storage statements alone, one batch in one transaction): {floor:.0} rows/s");
    for (mode, phases) in &updates {
        let shown: Vec<String> = phases
            .iter()
            .map(|(phase, r)| format!("{phase} {r:.0} rows/s"))
            .collect();
        println!("publish logs, {mode}: {}", shown.join(", "));
    }
    let json = serde_json::json!({
        "database": args.database_url, "batch": args.batch, "rss_at_start_mb": base,
        "floor_rows_per_second": floor,
        "status_updates": updates.iter().map(|(mode, phases)| serde_json::json!({
            "mode": mode,
            "phases": phases.iter().map(|(p, r)| serde_json::json!({"phase": p, "rows_per_second": r})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "levels": levels.iter().map(|l| serde_json::json!({
            "clients": l.clients, "rows": l.rows, "seconds": l.seconds,
            "rows_per_second": l.rows_per_second, "rss_after_mb": l.rss_after_mb, "peak_mb": l.peak_mb,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("wrote {}", args.out);
}

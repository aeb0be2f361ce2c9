//! Benchmark: live subscriptions. Opens `--subscriptions` subscriptions over `--connections`
//! WebSocket connections to a gateway (the release binary, a process of its own), with
//! `--distinct` different queries among them, then ingests one batch of request logs a second
//! into the team for `--seconds`. Reports the push delay (client side: from the batch's request
//! being sent to each result arriving, an upper bound that includes the write; server side:
//! `dashgate_live_push_delay_seconds`), computations per change, the gateway's CPU while idle
//! and while pushing, and its RSS per idle subscription.
//!
//! `cargo bench --bench live -- --database-url postgres://postgres@127.0.0.1:5432/postgres`
//! Prints a table and writes JSON to `--out`. Never asserts timings.

#[path = "process.rs"]
mod process;

use clap::Parser;
use dashgate::kernel::Role;
use futures::{SinkExt, StreamExt};
use process::{cpu_seconds, memory_kib};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

#[derive(Parser)]
struct Args {
    /// Database of the gateway (PostgreSQL in the README's figures).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// Request logs seeded into the team first (with the rest of the demo workload).
    #[arg(long, default_value_t = 50_000)]
    rows: usize,
    #[arg(long, default_value_t = 10_000)]
    subscriptions: usize,
    #[arg(long, default_value_t = 1_000)]
    connections: usize,
    /// Distinct queries among the subscriptions.
    #[arg(long, default_value_t = 10)]
    distinct: usize,
    /// Seconds of live ingestion (one batch a second).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Rows per batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Seconds the gateway's CPU is measured with every subscription open and nothing changing.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// Another build of `dashgate` to measure (default: this one).
    #[arg(long)]
    binary: Option<String>,
    #[arg(long, default_value = "target/bench-live.json")]
    out: String,
}

fn query(k: usize) -> String {
    format!(
        "subscription Live{k} {{ apiUsage(window: {{preset: LAST_7_DAYS}}) {{ kpis {{ totalRequests {{ value }} errorRate {{ value }} }} requests {{ start total }} topModels(limit: {}) {{ rows {{ label value }} }} }} }}",
        k + 1
    )
}

/// What every connection task reports into.
#[derive(Default)]
struct Tally {
    first: AtomicU64,
    pushes: AtomicU64,
    /// Send instants of the batches, in order.
    batches: Mutex<Vec<Instant>>,
    /// Client-side delays of pushes after a batch, in milliseconds.
    delays: Mutex<Vec<f64>>,
}

async fn connection(
    addr: std::net::SocketAddr,
    token: String,
    subs: Vec<(String, String)>,
    tally: Arc<Tally>,
) {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Text(text) = frame else { continue };
        let m: Value = serde_json::from_str(&text).unwrap();
        match m["type"].as_str() {
            Some("connection_ack") => {
                for (id, q) in &subs {
                    let s = json!({"type": "subscribe", "id": id, "payload": {"query": q}});
                    socket
                        .send(Message::Text(s.to_string().into()))
                        .await
                        .unwrap();
                }
            }
            Some("next") => {
                let at = Instant::now();
                let id = m["id"].as_str().unwrap_or_default().to_string();
                if seen.insert(id) {
                    tally.first.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                tally.pushes.fetch_add(1, Ordering::Relaxed);
                let sent = tally
                    .batches
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .find(|s| **s <= at)
                    .copied();
                if let Some(sent) = sent {
                    let ms = at.duration_since(sent).as_secs_f64() * 1_000.0;
                    tally.delays.lock().unwrap().push(ms);
                }
            }
            Some(other) => panic!("unexpected `{other}`: {m}"),
            None => {}
        }
    }
}

/// The value of a `/metrics` series (name and labels), or 0.
async fn metric(addr: std::net::SocketAddr, series: &str) -> f64 {
    let text = get(addr, "/metrics").await;
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Quantile `q` of the push-delay histogram, in ms (upper bound of its bucket).
async fn histogram_quantile(addr: std::net::SocketAddr, q: f64) -> f64 {
    let text = get(addr, "/metrics").await;
    let buckets: Vec<(f64, f64)> = text
        .lines()
        .filter(|l| l.starts_with("dashgate_live_push_delay_seconds_bucket"))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect();
    let total = buckets.last().map_or(0.0, |b| b.1);
    buckets
        .iter()
        .find(|(_, n)| *n >= q * total)
        .map_or(f64::NAN, |(le, _)| le * 1_000.0)
}

/// Sends `req` on a connection of its own; the status and body.
async fn send<B>(addr: std::net::SocketAddr, req: hyper::Request<B>) -> (hyper::StatusCode, String)
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let res = sender.send_request(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let req = hyper::Request::get(path)
        .header("host", "bench")
        .body(http_body_util::Empty::<hyper::body::Bytes>::new())
        .unwrap();
    send(addr, req).await.1
}

async fn post_batch(addr: std::net::SocketAddr, token: &str, n: u64, size: usize) {
    let now = chrono::Utc::now();
    let mut body = String::new();
    for i in 0..size {
        let at = (now - chrono::Duration::milliseconds(i as i64)).to_rfc3339();
        let status = if i % 17 == 0 { 500 } else { 200 };
        body.push_str(&format!(
            "{{\"id\":\"live-{}-{n}-{i}\",\"created_at\":\"{at}\",\"endpoint\":\"/v1/chat\",\"status_code\":{status},\"latency_ms\":{},\"model_name\":\"m{}\"}}\n",
            std::process::id(),
            50 + i,
            i % 7
        ));
    }
    let req = hyper::Request::post("/v1/ingest/request_logs")
        .header("host", "bench")
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("Bearer {token}"))
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
        .unwrap();
    let (status, text) = send(addr, req).await;
    assert!(status.is_success(), "{status}: {text}");
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(args));
}

async fn run(args: Args) {
    let state = process::bench_state(&args.database_url).await;
    let slug = format!("live-{}", std::process::id());
    let seeded = dashgate::demo::seed(&state.db, &slug, args.rows, chrono::Utc::now())
        .await
        .expect("seed");
    if state.db.get_database_backend() == DbBackend::Postgres {
        state.db.execute_unprepared("ANALYZE").await.unwrap();
    }
    let team = seeded.team;
    let viewer = state
        .jwt
        .mint(&team.slug, "bench", Role::Viewer, i64::MAX / 2)
        .unwrap();
    let editor = state
        .jwt
        .mint(&team.slug, "bench", Role::Editor, i64::MAX / 2)
        .unwrap();
    let per_connection = args.subscriptions.div_ceil(args.connections);
    let limits = [
        ("DASHGATE_LIVE_MAX_CONNECTIONS", args.connections + 10),
        (
            "DASHGATE_LIVE_MAX_CONNECTIONS_PER_TEAM",
            args.connections + 10,
        ),
        (
            "DASHGATE_LIVE_MAX_SUBSCRIPTIONS_PER_TEAM",
            args.subscriptions + 10,
        ),
        (
            "DASHGATE_LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
            per_connection + 1,
        ),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let (mut child, addr) =
        process::spawn_gateway(args.binary.as_deref(), &args.database_url, &limits).await;
    let pid = child.id();
    // Warm: one query, so the base RSS holds what any serving gateway holds.
    let _ = metric(addr, "dashgate_live_connections").await;
    let (rss_base, _) = memory_kib(pid);
    let tally = Arc::new(Tally::default());
    let opened = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let subs: Vec<(String, String)> = (0..per_connection)
            .map(|i| c * per_connection + i)
            .filter(|n| *n < args.subscriptions)
            .map(|n| (format!("s{n}"), query(n % args.distinct)))
            .collect();
        tasks.push(tokio::spawn(connection(
            addr,
            viewer.clone(),
            subs,
            tally.clone(),
        )));
        if c % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    while tally.first.load(Ordering::Relaxed) < args.subscriptions as u64 {
        assert!(
            opened.elapsed() < Duration::from_secs(300),
            "first results did not all come"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first_all = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_open, _) = memory_kib(pid);
    let cpu0 = cpu_seconds(pid);
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_cpu = (cpu_seconds(pid) - cpu0) / args.idle_seconds as f64;
    let computed0 = metric(
        addr,
        "dashgate_live_computations_total{dashboard=\"apiUsage\"}",
    )
    .await;
    let dropped0 = metric(addr, "dashgate_live_dropped_total{dashboard=\"apiUsage\"}").await;
    let cpu1 = cpu_seconds(pid);
    let live_started = Instant::now();
    for n in 0..args.seconds {
        let due = live_started + Duration::from_secs(n);
        tokio::time::sleep_until(due.into()).await;
        tally.batches.lock().unwrap().push(Instant::now());
        post_batch(addr, &editor, n, args.batch).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let live_seconds = live_started.elapsed().as_secs_f64();
    let live_cpu = (cpu_seconds(pid) - cpu1) / live_seconds;
    let computed = metric(
        addr,
        "dashgate_live_computations_total{dashboard=\"apiUsage\"}",
    )
    .await
        - computed0;
    let dropped =
        metric(addr, "dashgate_live_dropped_total{dashboard=\"apiUsage\"}").await - dropped0;
    let (rss_end, peak) = memory_kib(pid);
    let mut delays = tally.delays.lock().unwrap().clone();
    delays.sort_by(f64::total_cmp);
    let server = (
        histogram_quantile(addr, 0.5).await,
        histogram_quantile(addr, 0.95).await,
        histogram_quantile(addr, 1.0).await,
    );
    let pushes = tally.pushes.load(Ordering::Relaxed);
    let result = json!({
        "subscriptions": args.subscriptions,
        "connections": args.connections,
        "distinct": args.distinct,
        "batches": args.seconds,
        "rows_per_batch": args.batch,
        "first_results_all_s": first_all,
        "rss_base_mib": rss_base as f64 / 1024.0,
        "rss_open_mib": rss_open as f64 / 1024.0,
        "rss_per_subscription_kib": (rss_open.saturating_sub(rss_base)) as f64 / args.subscriptions as f64,
        "rss_end_mib": rss_end as f64 / 1024.0,
        "peak_mib": peak as f64 / 1024.0,
        "idle_cpu_cores": idle_cpu,
        "live_cpu_cores": live_cpu,
        "computations_per_change": computed / args.seconds as f64,
        "pushes": pushes,
        "pushes_per_subscription_per_batch": pushes as f64 / args.subscriptions as f64 / args.seconds as f64,
        "dropped": dropped,
        "client_delay_ms": {"p50": percentile(&delays, 0.5), "p95": percentile(&delays, 0.95), "max": percentile(&delays, 1.0)},
        "server_delay_ms_bucket_upper": {"p50": server.0, "p95": server.1, "max": server.2},
    });
    println!("{}", serde_json::to_string_pretty(&result).unwrap());
    std::fs::write(&args.out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
    for t in tasks {
        t.abort();
    }
    let _ = child.kill();
    let _ = child.wait();
}

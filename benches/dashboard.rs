//! Benchmark: a full dashboard over HTTP, cold (cache off) and warm, at several concurrency
//! levels. `--dashboard api-usage` (default: the 7-day `apiUsage` dashboard, next to the same
//! panels as plain SQL without GraphQL or HTTP), `--dashboard chat` (the 30-day `chat`
//! dashboard with every panel), `--dashboard publishing` (every panel, 30-day series) or
//! `--dashboard executive` (every panel over 12 months; its real-user events are not seeded
//! here, so quality gates read none) or `--dashboard product` (all five sections over 30
//! days, `--learners` learners in a team of their own).
//!
//! `cargo bench --bench dashboard -- --database-url postgres://postgres@127.0.0.1:5432/postgres`
//! Prints a table and writes JSON to `--out`. Never asserts timings.

/// The allocator of the `dashgate` binary, so the in-process gateways run as they do in
/// production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use dashgate::config::Settings;
use dashgate::domains::api_usage::filter::ApiUsageFilter;
use dashgate::domains::api_usage::metrics::{self, ApiUsageQuery, KpiKey};
use dashgate::http::router as build_router;
use dashgate::kernel::window::{TimeWindow, WindowInput};
use dashgate::kernel::{Principal, Role, TeamId, TeamScope};
use dashgate::state::AppState;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sea_orm::{ConnectionTrait, Statement};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Database to seed and query (default: an SQLite file under target/).
    #[arg(long, default_value = "sqlite://target/bench.db")]
    database_url: String,
    /// Request logs to seed into the `bench` team (skipped when already there).
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Concurrency levels.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    concurrency: Vec<usize>,
    /// Seconds measured per level.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Results file (JSON); default `target/bench-<dashboard>.json`.
    #[arg(long)]
    out: Option<String>,
    /// Which dashboard to load: `api-usage`, `chat`, `publishing`, `executive` or `product`.
    #[arg(long, default_value = "api-usage")]
    dashboard: String,
    /// The `apiUsage` window's preset (`LAST_7_DAYS`, `LAST_24_HOURS`, …).
    #[arg(long, default_value = "LAST_7_DAYS")]
    preset: String,
    /// Chat participants to seed for `--dashboard chat` (sessions: 11 a day per 300).
    #[arg(long, default_value_t = 30_000)]
    chat_participants: usize,
    /// Videos to seed for `--dashboard publishing` (each with a few clips, jobs and logs).
    #[arg(long, default_value_t = 20_000)]
    videos: usize,
    /// Learners to seed for `--dashboard product` (about 45 events each over 120 days).
    #[arg(long, default_value_t = 3_000)]
    learners: usize,
    /// Request logs per second ingested (over HTTP, into the warm gateway) during the
    /// "warm, live ingest" stage of `api-usage`; 0 skips it.
    #[arg(long, default_value_t = 2_000)]
    live_rows_per_second: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

const NOW: &str = "2026-11-22T12:00:00Z";
const DASHBOARD: &str = r#"{ apiUsage(window: {preset: LAST_7_DAYS}) {
  window { start end granularity }
  kpis { totalRequests { value previous delta { ratio status } } successfulRequests { value previous }
         errorRate { value previous } avgLatencyMs { value previous } p95LatencyMs { value previous }
         totalCost { value previous } avgCostPerRequest { value previous } totalTokens { value previous }
         activeUsers { value previous } }
  requests { start isPartial success error total }
  errorsBreakdown { rows { label value share } other total hasMore }
  topModels { rows { label value cost avgLatencyMs errorRate } other total hasMore }
  costs { start value }
  topCountries { rows { label name value } other total hasMore }
  latency { start avgMs p50Ms p95Ms } } }"#;

const CHAT: &str = r#"{ chat(window: {preset: LAST_30_DAYS}) {
  window { start end granularity }
  kpis { experiments { value previous } activeExperiments { value previous } participants { value previous }
         activeParticipants { value previous } sessions { value previous } completedSessions { value previous }
         completionRate { value previous } messages { value previous } avgMessagesPerSession { value previous }
         avgSessionsPerParticipant { value previous } avgResponseTimeSeconds { value previous } }
  activeParticipants { start activeParticipants }
  sessions { start activeSessions activeParticipants }
  messageVolume { start participantMessages botMessages total }
  responseTime { start avgSeconds }
  botPerformance { totalCount rows { experiment { name } participants sessions messages
                   avgSessionDurationMinutes completionRate avgMessagesPerSession } }
  engagement { mostActive { participant { displayName } messages sessions lastActiveAt }
               leastActive { participant { displayName } messages }
               sessionLengthDistribution { start end count } }
  channelBreakdown { rows { platform sessions messages participants share } totals { sessions } }
  tags { label total tags { tag { name } count } } } }"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Level {
    mode: &'static str,
    /// `all` fields, or the dashboard without percentiles.
    fields: &'static str,
    concurrency: usize,
    /// Panels answered fresh from the cache, of all panels answered.
    hit_ratio: f64,
    /// Panels answered stale from the cache (recomputed behind the answer).
    stale_ratio: f64,
    requests: usize,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
}

async fn serve(settings: Settings) -> (std::net::SocketAddr, AppState) {
    let state = AppState::open(settings, None).await.expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = build_router(state.clone()).expect("router");
    let limits = dashgate::http::server_limits(&state);
    let forever = std::future::pending::<()>();
    tokio::spawn(async move {
        dashgate::http::server::serve(listener, router, limits, forever)
            .await
            .unwrap()
    });
    (addr, state)
}

/// What one connection saw: latencies (ms), and panels answered from the cache or computed
/// (`extensions.cache`).
#[derive(Default)]
struct Seen {
    latencies: Vec<f64>,
    hits: u64,
    /// Served from the cache while being recomputed (an older data generation or TTL).
    stale: u64,
    misses: u64,
}

/// A keep-alive HTTP/1 connection to `addr`.
async fn connect(
    addr: std::net::SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

/// One keep-alive connection sending the dashboard until `deadline`.
async fn worker(
    addr: std::net::SocketAddr,
    token: String,
    query: &'static str,
    deadline: Instant,
) -> Seen {
    let mut sender = connect(addr).await;
    let body = serde_json::json!({ "query": query }).to_string();
    let mut seen = Seen::default();
    while Instant::now() < deadline {
        let req = hyper::Request::post("/graphql")
            .header("host", "bench")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        let started = Instant::now();
        let res = sender.send_request(req).await.unwrap();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        seen.latencies.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(
            !bytes.windows(8).any(|w| w == b"\"errors\""),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        // `extensions.cache` is the answer's last object: read it without parsing the data.
        let tail = &bytes[bytes.len().saturating_sub(400)..];
        seen.hits += counter(tail, b"\"hits\":");
        seen.stale += counter(tail, b"\"stale\":");
        seen.misses += counter(tail, b"\"misses\":");
    }
    seen
}

/// The number after `name` in `json` (0 when absent).
fn counter(json: &[u8], name: &[u8]) -> u64 {
    let Some(at) = json.windows(name.len()).position(|w| w == name) else {
        return 0;
    };
    json[at + name.len()..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0, |n, c| n * 10 + u64::from(c - b'0'))
}

/// Posts `per_second` fresh request logs a second (ten batches) to `addr` until `deadline`,
/// timestamped within the last hour (or, `recent`, minute) before `now`; returns the rows
/// ingested.
async fn ingest_live(
    addr: std::net::SocketAddr,
    (dataset, recent): (&'static str, bool),
    token: String,
    per_second: usize,
    now: chrono::DateTime<chrono::Utc>,
    deadline: Instant,
    after_batch: Option<Box<dyn Fn() + Send>>,
) -> usize {
    let mut sender = connect(addr).await;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let (mut sent, batch) = (0usize, per_second.div_ceil(10));
    // Ids unique across stages and runs (the bench clock is fixed): re-sent ids would be
    // duplicates, which change nothing and so invalidate nothing.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    while Instant::now() < deadline {
        tick.tick().await;
        let mut body = String::new();
        for i in 0..batch {
            let n = sent + i;
            // Spread over the last hour (late rows: a batch's span is wide), or — chat messages
            // with `--live-recent` — over the last minute, as a live conversation writes them.
            let spread = if recent { 60_000 } else { 3_600_000 };
            let at = now - chrono::Duration::milliseconds((n as i64 * 7_919) % spread);
            body.push_str(&live_row(dataset, &format!("live-{run}-{n}"), n, at).to_string());
            body.push('\n');
        }
        let req = hyper::Request::post(format!("/v1/ingest/{dataset}"))
            .header("host", "bench")
            .header("content-type", "application/x-ndjson")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let answer = res.into_body().collect().await.unwrap().to_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["inserted"].as_u64(), Some(batch as u64), "{answer}");
        if let Some(after) = &after_batch {
            after();
        }
        sent += batch;
    }
    sent
}

/// `measure_while_ingesting` at each concurrency, printing the rows sent.
async fn measure_live(
    live: &Live<'_>,
    mode: &'static str,
    (token, query, concurrency, secs): (&str, &'static str, &[usize], u64),
) -> Vec<Level> {
    let mut levels = Vec::new();
    for &c in concurrency {
        let (l, rows) = measure_while_ingesting(live, None, mode, (token, query), c, secs).await;
        println!(
            "{mode}, concurrency {c}: {rows} {} rows in {secs} s",
            live.dataset
        );
        levels.push(l);
    }
    levels
}

/// Sends NDJSON `rows` to `/v1/ingest/{path}` with `method` as `token`.
async fn send(addr: std::net::SocketAddr, token: &str, method: &str, path: &str, rows: String) {
    let mut sender = connect(addr).await;
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("/v1/ingest/{path}"))
        .header("host", "bench")
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(rows)))
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

/// The `n`th live row of `dataset` (a request log, or a learner's event), happening `at`.
fn live_row(
    dataset: &str,
    id: &str,
    n: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let at = at.to_rfc3339();
    if dataset == "chat_messages" {
        return serde_json::json!({"id": id, "session_id": format!("live-s-{}", n % 50),
            "message_type": if n.is_multiple_of(2) { "human" } else { "ai" }, "created_at": at});
    }
    if dataset == "product_events" {
        let name = [
            "app_open",
            "lesson_started",
            "lesson_completed",
            "practice_done",
        ][n % 4];
        return serde_json::json!({"id": id, "user_id": format!("live-learner-{}", n % 50),
            "event_name": name, "event_time": at,
            "properties": {"course_id": "c1", "duration_seconds": 60, "word": "hola", "correct": !n.is_multiple_of(3)}});
    }
    serde_json::json!({"id": id,
        "created_at": at, "endpoint": "/v1/chat/completions",
        "status_code": if n.is_multiple_of(23) { 500 } else { 200 }, "latency_ms": 100 + n % 900,
        "model_name": (["gpt-4o", "claude-3"][n % 2]), "country_code": "DE",
        "cost_usd": 0.001, "tokens": 300, "user_id": format!("live-user-{}", n % 50)})
}

async fn measure(
    mode: &'static str,
    addr: std::net::SocketAddr,
    (token, query): (&str, &'static str),
    c: usize,
    secs: u64,
) -> Level {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..c)
        .map(|_| tokio::spawn(worker(addr, token.to_string(), query, deadline)))
        .collect();
    let (mut all, mut hits, mut stale, mut misses) = (Vec::new(), 0, 0, 0);
    for t in tasks {
        let seen = t.await.unwrap();
        all.extend(seen.latencies);
        hits += seen.hits;
        stale += seen.stale;
        misses += seen.misses;
    }
    let panels = (hits + stale + misses).max(1) as f64;
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Level {
        mode,
        fields: "all",
        concurrency: c,
        hit_ratio: hits as f64 / panels,
        stale_ratio: stale as f64 / panels,
        requests: all.len(),
        rps: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.50),
        p95: percentile(&all, 0.95),
        p99: percentile(&all, 0.99),
    }
}

const PUBLISHING: &str = r#"{ publishing(window: {preset: LAST_30_DAYS}) {
  overview { totalVideos totalClips totalJobs totalCampaigns pendingJobs processingJobs failedJobs
             successLogs failedLogs scheduledPublications }
  queue { pending processing success failed avgProcessingTimeMs oldestPendingAgeSeconds }
  orchestrator { lastRunAt actionsLastHour actionsLast24h queueSaturation activeWorkers }
  platforms { platform clipsReady clipsPublished avgScore jobsCompleted jobsFailed }
  campaigns { draft active paused completed totalBudget totalSpent }
  publications { start success failed requested }
  processingTime { start avgMs p95Ms } } }"#;

const EXECUTIVE: &str = r#"{ executive(window: {preset: LAST_12_MONTHS}) {
  kpis { revenue { value previous } backlog { value previous } uptime { value previous }
         nrr { value previous } grossMargin { value previous } bookToBill { value previous }
         coverageMonths { value previous } arr { value previous } forecast { value previous } }
  revenueTrend { period recognized booked backlog }
  kpi(key: REVENUE) { series { period value } }
  uptime { period uptime }
  atRiskCustomers(limit: 10) { customer drop stopped }
  alerts { severity kpi value }
  qualityGates { name p95Ms samples passed } } }"#;

/// A day's token for `user` of team `slug`.
fn token_for(state: &AppState, slug: &str, user: &str, role: Role) -> String {
    let expires = state.clock.now().timestamp() + 86_400;
    state.jwt.mint(slug, user, role, expires).unwrap()
}

/// Where and how fast `ingest_live` sends rows while a level is measured.
struct Live<'a> {
    addr: std::net::SocketAddr,
    editor: &'a str,
    /// `request_logs`, or `product_events` (into the editor's team).
    dataset: &'static str,
    rows_per_second: usize,
    now: chrono::DateTime<chrono::Utc>,
    /// Rows within the last minute (a live conversation), not the last hour (late rows).
    recent: bool,
}

/// `measure` while `ingest_live` sends request logs for as long (`after_batch` runs after each
/// of its batches); the level and the rows sent.
async fn measure_while_ingesting(
    live: &Live<'_>,
    after_batch: Option<Box<dyn Fn() + Send>>,
    mode: &'static str,
    (token, query): (&str, &'static str),
    c: usize,
    secs: u64,
) -> (Level, usize) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let ingest = tokio::spawn(ingest_live(
        live.addr,
        (live.dataset, live.recent),
        live.editor.to_string(),
        live.rows_per_second,
        live.now,
        deadline,
        after_batch,
    ));
    let mut level = measure(mode, live.addr, (token, query), c, secs).await;
    level.fields = "all";
    (level, ingest.await.unwrap())
}

/// The team's raw request logs next to their rollup rows (and, on PostgreSQL, both tables'
/// sizes on disk with indexes).
async fn print_sizes(state: &AppState, team: TeamId) {
    let raw = count_rows(&state.db, team, "request_logs").await;
    let rolled = count_rows(&state.db, team, "request_log_rollups").await;
    let mut line = format!("request_logs: {raw} rows   request_log_rollups: {rolled} rows");
    if state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let sql = "SELECT pg_total_relation_size('request_logs'), pg_total_relation_size('request_log_rollups')";
        let row = state
            .db
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        let mb = |i: usize| row.try_get_by_index::<i64>(i).unwrap() as f64 / 1e6;
        line.push_str(&format!(
            "   on disk (all teams, with indexes): {:.0} MB raw, {:.0} MB rollups",
            mb(0),
            mb(1)
        ));
    }
    println!("{line}");
}

/// Rows of `table` in team `team`.
async fn count_rows(db: &sea_orm::DatabaseConnection, team: TeamId, table: &str) -> i64 {
    let placeholder = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("SELECT COUNT(*) FROM {table} WHERE team_id = {placeholder}"),
        [team.0.into()],
    );
    let row = db.query_one_raw(sql).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

const PRODUCT: &str = r#"{ product(window: {preset: LAST_30_DAYS}) {
  executive { kpis { activeUsers { value previous } dau { value previous } wau { value previous }
              mau { value previous } newUsers { value previous } activeMembers { value previous }
              newMembers { value previous } memberConversion { value previous } revenue { value previous }
              arpu { value previous } arppu { value previous } avgStudyMinutes { value previous }
              d1Retention { value previous } }
              series { start activeUsers newUsers newMembers revenue } topChannels { rows { label value } other total } }
  growth { series { start newUsers payments } activeUsersBySegment { new returning resurrected unregistered total }
           retentionCohorts { size offsets { offsetDays rate } }
           activationFunnel { name count inProgress droppedOff } }
  monetization { kpis { revenue { value previous } mrr { value previous } arppu { value previous }
                        churnedMembers { value previous } renewalRate { value previous } }
                 planMix { planType count revenue share } cumulativeRevenue { revenue cumulative }
                 membershipFunnel { name count } }
  learning { kpis { lessonsStarted { value } lessonsCompleted { value } completionRate { value }
                    avgLessonMinutes { value } practiceCount { value } }
             completionRate { completionRate } topCourses { courseId starts completionRate }
             topWords { word practices errorRate } learningFunnel { name count } }
  ops { kpis { calls { value } successRate { value } avgLatencyMs { value } p95LatencyMs { value } totalCost { value } }
        series { succeeded failed p95LatencyMs } byModel { model calls cost } byStage { stage calls failures p95LatencyMs } } } }"#;

/// Seeds `rows()` into the bench team unless its `table` has rows; returns the rows of `table`.
async fn seed_missing(
    state: &AppState,
    scope: &TeamScope,
    table: &str,
    rows: impl FnOnce() -> dashgate::demo::DatasetRows,
) -> i64 {
    let existing = count_rows(&state.db, scope.team_id(), table).await;
    if existing > 0 {
        return existing;
    }
    let t = Instant::now();
    let n = dashgate::demo::seed_tables(&state.db, scope, rows())
        .await
        .unwrap();
    println!("seeded {n} rows in {:.1?}", t.elapsed());
    analyze(state).await;
    count_rows(&state.db, scope.team_id(), table).await
}

async fn analyze(state: &AppState) {
    if state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        state.db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
}

/// The team `slug` (created when missing), as an editor.
async fn own_team(state: &AppState, slug: &str) -> (Principal, TeamScope) {
    let now = state.clock.now();
    let team = dashgate::demo::ensure_team(&state.db, slug, "Europe/London", now)
        .await
        .unwrap();
    let principal = Principal {
        team,
        user: "bench".into(),
        role: Role::Editor,
    };
    let scope = TeamScope::require(Some(&principal), Role::Editor).unwrap();
    (principal, scope)
}

/// A team of its own for `learners` learners' product telemetry, seeded when empty; returns
/// the team's principal and its event count.
async fn product_team(state: &AppState, learners: usize) -> (Principal, i64) {
    let now = state.clock.now();
    let (principal, scope) = own_team(state, &format!("bench-product-{learners}")).await;
    if count_rows(&state.db, scope.team_id(), "product_events").await == 0 {
        let t = Instant::now();
        let n = dashgate::demo::seed_product(&state.db, &scope, learners, now, 120)
            .await
            .unwrap();
        println!("seeded {n} product rows in {:.1?}", t.elapsed());
        analyze(state).await;
    }
    // Events an earlier run's live stage sent: every run starts from the seeded rows.
    let sql = "DELETE FROM product_events WHERE team_id = $1 AND id LIKE 'live-%'";
    let backend = state.db.get_database_backend();
    let team = scope.team_id().0;
    let stmt = Statement::from_sql_and_values(backend, sql, [team.into()]);
    if state.db.execute_raw(stmt).await.unwrap().rows_affected() > 0 {
        analyze(state).await;
    }
    let events = count_rows(&state.db, scope.team_id(), "product_events").await;
    (principal, events)
}

/// The same panels, through the metrics functions only (their SQL plus row decoding).
async fn plain_sql(state: &AppState, scope: &TeamScope, runs: usize) -> (Vec<f64>, Vec<f64>) {
    let window = TimeWindow::resolve(
        &WindowInput::default(),
        scope.timezone(),
        state.clock.now(),
        1000,
    )
    .unwrap();
    let q = ApiUsageQuery {
        scope: scope.clone(),
        window,
        filter: ApiUsageFilter::default(),
        rollups: state.settings.rollups,
    };
    let keys = KpiKey::ALL.into_iter().collect();
    let db = &state.db;
    let (mut parallel, mut sequential) = (Vec::new(), Vec::new());
    let mut per_panel: Vec<(&str, Vec<f64>)> = [
        "window sums (kpis, requests, costs, avg latency)",
        "kpis: distinct users + p95",
        "errorsBreakdown",
        "topModels",
        "topCountries",
        "latency percentiles",
    ]
    .into_iter()
    .map(|name| (name, Vec::new()))
    .collect();
    for _ in 0..runs {
        let t = Instant::now();
        // As the gateway does: one shared window scan, the other queries beside it.
        let sums = tokio::sync::OnceCell::new();
        let shared = || async {
            sums.get_or_try_init(|| async { metrics::window_sums(db, &q).await.map(Arc::new) })
                .await
                .cloned()
        };
        let (_, _, _, _, _, s) = tokio::try_join!(
            metrics::kpi_values(db, &q, &keys, true, shared()),
            metrics::errors(db, &q, 10),
            metrics::models(db, &q),
            metrics::countries(db, &q),
            metrics::latency(db, &q, true, shared()),
            shared(),
        )
        .unwrap();
        let _ = (metrics::requests(&q, &s), metrics::costs(&q, &s));
        parallel.push(t.elapsed().as_secs_f64() * 1e3);
        let mut total = 0.0;
        macro_rules! timed {
            ($i:expr, $e:expr) => {{
                let t = Instant::now();
                $e.await.unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                per_panel[$i].1.push(ms);
                total += ms;
            }};
        }
        let t = Instant::now();
        let s = Arc::new(metrics::window_sums(db, &q).await.unwrap());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        per_panel[0].1.push(ms);
        total += ms;
        let _ = (metrics::requests(&q, &s), metrics::costs(&q, &s));
        let ready = || async { Ok(s.clone()) };
        timed!(1, metrics::kpi_values(db, &q, &keys, true, ready()));
        timed!(2, metrics::errors(db, &q, 10));
        timed!(3, metrics::models(db, &q));
        timed!(4, metrics::countries(db, &q));
        timed!(5, metrics::latency(db, &q, true, ready()));
        sequential.push(total);
    }
    parallel.sort_by(f64::total_cmp);
    sequential.sort_by(f64::total_cmp);
    for (name, times) in &mut per_panel {
        times.sort_by(f64::total_cmp);
        println!(
            "  plain SQL {name:<48} p50 {:>7.1} ms",
            percentile(times, 0.5)
        );
    }
    (parallel, sequential)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let settings = Settings {
        database_url: args.database_url.clone(),
        now: Some(NOW.parse().unwrap()),
        jwt_secret: Some("bench".into()),
        log: "warn".into(),
        rate_limit_per_minute: 0,
        // Concurrent cold dashboards queue for connections rather than fail fast.
        db_acquire_timeout_ms: 30_000,
        ..Settings::default()
    };
    let (warm_addr, state) = serve(settings.clone()).await;
    let (cold_addr, _) = serve(Settings {
        cache_max_bytes: 0,
        ..settings.clone()
    })
    .await;
    // Before rollups, in the same run on the same data: raw rows only.
    let (raw_addr, _) = serve(Settings {
        cache_max_bytes: 0,
        rollups: false,
        product_cache_max_bytes: 0,
        chat_cache_max_bytes: 0,
        ..settings.clone()
    })
    .await;
    // Product and chat before kept columns: every computation reads the team's rows (chat:
    // from rollups).
    let (unkept_addr, _) = serve(Settings {
        product_cache_max_bytes: 0,
        chat_cache_max_bytes: 0,
        ..settings.clone()
    })
    .await;
    let (rollups_addr, _) = serve(Settings {
        cache_max_bytes: 0,
        product_cache_max_bytes: 0,
        chat_cache_max_bytes: 0,
        ..settings
    })
    .await;
    let now = state.clock.now();
    let team = dashgate::demo::ensure_team(&state.db, "bench", "Europe/London", now)
        .await
        .unwrap();
    let existing = count_rows(&state.db, team.id, "request_logs").await;
    if (existing as usize) < args.rows {
        let t = Instant::now();
        let n = dashgate::demo::seed(&state.db, "bench", args.rows, now)
            .await
            .unwrap()
            .request_logs;
        println!("seeded {n} rows in {:.1?}", t.elapsed());
        if args.database_url.starts_with("postgres") {
            // Autovacuum is off on this machine: statistics and the visibility map (index-only
            // scans of the rollup) as a running database would have them.
            state
                .db
                .execute_unprepared("VACUUM ANALYZE request_logs")
                .await
                .unwrap();
        }
    }
    if args.database_url.starts_with("postgres") {
        // Rollups may have been rebuilt at start (a new definition).
        for rollup in dashgate::domains::registry::rollups() {
            let vacuum = format!("VACUUM ANALYZE {}", rollup.table);
            state.db.execute_unprepared(&vacuum).await.unwrap();
        }
    }
    let principal = Principal {
        team: team.clone(),
        user: "bench".into(),
        role: Role::Viewer,
    };
    let scope = TeamScope::require(Some(&principal), Role::Viewer).unwrap();
    let mut token = token_for(&state, "bench", "bench", Role::Viewer);

    // The product team's slug, for its live-ingest runs.
    let mut product_slug = None;
    let (query, plain) = if args.dashboard == "chat" {
        let n = args.chat_participants;
        let rows = seed_missing(&state, &scope, "chat_sessions", || {
            dashgate::demo::generate_chat(n, n * 11 / 300, now, 120, 7)
        })
        .await;
        println!(
            "database: {}  chat sessions: {rows}  window: LAST_30_DAYS (DAY buckets)",
            args.database_url
        );
        (CHAT, None)
    } else if args.dashboard == "publishing" {
        // A team of its own: the `bench` team holds the demo's few publishing rows.
        let videos = args.videos;
        let slug = format!("bench-publishing-{videos}");
        let (_, own) = own_team(&state, &slug).await;
        let rows = seed_missing(&state, &own, "pub_publish_logs", || {
            dashgate::demo::generate_publishing(videos, now, 120, 11)
        })
        .await;
        token = token_for(&state, &slug, "bench", Role::Viewer);
        println!(
            "database: {}  publish logs: {rows}  window: LAST_30_DAYS (DAY buckets)",
            args.database_url
        );
        (PUBLISHING, None)
    } else if args.dashboard == "product" {
        let (p, events) = product_team(&state, args.learners).await;
        product_slug = Some(p.team.slug.clone());
        token = token_for(&state, &p.team.slug, "bench", Role::Viewer);
        println!(
            "database: {}  learners: {}  product events: {events}  window: LAST_30_DAYS (DAY buckets)",
            args.database_url, args.learners
        );
        (PRODUCT, None)
    } else if args.dashboard == "executive" {
        let tz = scope.timezone();
        let rows = seed_missing(&state, &scope, "exec_orders", || {
            dashgate::demo::generate_executive(now, tz, 13).0
        })
        .await;
        println!(
            "database: {}  orders: {rows}  window: LAST_12_MONTHS (MONTH buckets)",
            args.database_url
        );
        (EXECUTIVE, None)
    } else {
        println!(
            "database: {}  rows: {}  window: LAST_7_DAYS (DAY buckets)",
            args.database_url,
            args.rows.max(existing as usize)
        );
        print_sizes(&state, scope.team_id()).await;
        let (parallel, sequential) = plain_sql(&state, &scope, 20).await;
        println!(
            "plain SQL, 7 panels concurrently: p50 {:.1} ms  p95 {:.1} ms",
            percentile(&parallel, 0.5),
            percentile(&parallel, 0.95)
        );
        println!(
            "plain SQL, 7 panels one by one:   p50 {:.1} ms  p95 {:.1} ms",
            percentile(&sequential, 0.5),
            percentile(&sequential, 0.95)
        );
        let query: &'static str = DASHBOARD.replace("LAST_7_DAYS", &args.preset).leak();
        (query, Some((parallel, sequential)))
    };

    let mut levels = Vec::new();
    // The dashboard without percentile fields: what rollups serve alone (percentiles are exact,
    // from raw rows, and computed only when selected).
    let without_percentiles: &'static str = query
        .replace("p95LatencyMs { value previous }", "")
        .replace("avgMs p50Ms p95Ms", "avgMs")
        .leak();
    // Product has no rollups: its "after" is the kept column form of its telemetry.
    let (raw_mode, cold_mode) = match args.dashboard.as_str() {
        "product" => ("cold, rows read per request", "cold, kept columns"),
        "chat" => ("cold raw rows", "cold, kept columns"),
        _ => ("cold raw rows", "cold rollups"),
    };
    let variants: [(
        &'static str,
        &'static str,
        std::net::SocketAddr,
        &'static str,
    ); 5] = [
        (raw_mode, "all", raw_addr, query),
        ("cold rollups, no kept columns", "all", rollups_addr, query),
        (cold_mode, "all", cold_addr, query),
        (raw_mode, "no percentiles", raw_addr, without_percentiles),
        (cold_mode, "no percentiles", cold_addr, without_percentiles),
    ];
    for (mode, fields, addr, q) in variants {
        if fields != "all" && q == query {
            continue;
        }
        // Only chat has both rollups and kept columns.
        if addr == rollups_addr && args.dashboard != "chat" {
            continue;
        }
        for &c in &args.concurrency {
            let mut l = measure(mode, addr, (&token, q), c, args.seconds).await;
            l.fields = fields;
            levels.push(l);
        }
    }
    worker(warm_addr, token.clone(), query, Instant::now()).await;
    for &c in &args.concurrency {
        levels.push(measure("warm", warm_addr, (&token, query), c, args.seconds).await);
    }
    // An editor of the bench team, for the live-ingest runs.
    let editor = token_for(&state, "bench", "bench-ingest", Role::Editor);
    let live = Live {
        addr: warm_addr,
        editor: &editor,
        dataset: "request_logs",
        rows_per_second: args.live_rows_per_second,
        now,
        recent: false,
    };
    if matches!(args.dashboard.as_str(), "chat" | "executive") && args.live_rows_per_second > 0 {
        // Readers of this dashboard while request logs (another dashboard's data) arrive for
        // the same team (`bench`; publishing and product read teams of their own). Before:
        // every batch moved the whole team's generation (emulated here by bumping it after
        // each batch, as ingestion did); after: only the panels that read request logs.
        let team_id = team.id;
        for (mode, team_wide) in [
            (
                "warm, request logs arriving, team-wide invalidation (before)",
                true,
            ),
            ("warm, request logs arriving, by dataset (after)", false),
        ] {
            for &c in &args.concurrency {
                let cache = state.cache.clone();
                let after: Option<Box<dyn Fn() + Send>> = team_wide
                    .then(|| Box::new(move || cache.bump(team_id)) as Box<dyn Fn() + Send>);
                let (l, _) =
                    measure_while_ingesting(&live, after, mode, (&token, query), c, args.seconds)
                        .await;
                levels.push(l);
            }
        }
    }
    if args.dashboard == "api-usage" && args.live_rows_per_second > 0 {
        // Reads while request logs arrive: every batch moves the team's data generation, so
        // the cache serves a panel until the next batch and then computes it again.
        for &c in &args.concurrency {
            let (l, rows) = measure_while_ingesting(
                &live,
                None,
                "warm, live ingest",
                (&token, query),
                c,
                args.seconds,
            )
            .await;
            println!(
                "live ingest at concurrency {c}: {rows} rows in {} s",
                args.seconds
            );
            levels.push(l);
        }
    }
    if args.dashboard == "chat" && args.live_rows_per_second > 0 {
        // Readers of chat while messages arrive into their conversations (each batch reaches
        // the chat panels): before, every recomputation reads rollups; after, it splices the
        // batch's span into the kept conversations.
        // Earlier runs' live conversations go first (with their messages, through the API, so
        // rollups follow): every run starts from the same data.
        let ids: String = (0..50)
            .map(|k| format!("{}\n", serde_json::json!({"id": format!("live-s-{k}")})))
            .collect();
        send(
            warm_addr,
            &editor,
            "DELETE",
            "chat_sessions?cascade=true",
            ids,
        )
        .await;
        if args.database_url.starts_with("postgres") {
            // Autovacuum is off here: the deleted rows would otherwise stay in every scan.
            for table in ["chat_messages", "chat_message_rollups", "chat_sessions"] {
                let vacuum = format!("VACUUM ANALYZE {table}");
                state.db.execute_unprepared(&vacuum).await.unwrap();
            }
        }
        let sessions: String = (0..50)
            .map(|k| {
                let row = serde_json::json!({"id": format!("live-s-{k}"), "experiment_id": "bot-1",
                    "participant_id": format!("p-{k:05}"), "platform": "web", "status": "active",
                    "created_at": (now - chrono::Duration::hours(2)).to_rfc3339()});
                format!("{row}\n")
            })
            .collect();
        send(warm_addr, &editor, "POST", "chat_sessions", sessions).await;
        for (mode, addr, recent) in [
            (
                "warm, messages arriving, rollups (before)",
                unkept_addr,
                false,
            ),
            (
                "warm, messages arriving, kept columns (after)",
                warm_addr,
                false,
            ),
            (
                "warm, messages of the last minute arriving, rollups (before)",
                unkept_addr,
                true,
            ),
            (
                "warm, messages of the last minute arriving, kept columns (after)",
                warm_addr,
                true,
            ),
        ] {
            let live = Live {
                addr,
                dataset: "chat_messages",
                recent,
                ..live
            };
            let measured = (token.as_str(), query, &args.concurrency[..], args.seconds);
            levels.extend(measure_live(&live, mode, measured).await);
        }
        let bytes = state.chat_conversations.weighted_bytes().await;
        let (reads, splices) = state.chat_conversations.counts();
        println!(
            "kept chat conversations: {:.1} MiB; {reads} whole reads, {splices} splices",
            bytes as f64 / (1 << 20) as f64,
        );
    }
    if let Some(slug) = product_slug.filter(|_| args.live_rows_per_second > 0) {
        // Reads while learners' events arrive (each batch invalidates the product panels):
        // before, every recomputation reads the team's rows; after, it splices the batch's span
        // into the kept columns.
        let editor = token_for(&state, &slug, "bench-ingest", Role::Editor);
        for (mode, addr) in [
            (
                "warm, events arriving, rows read per request (before)",
                unkept_addr,
            ),
            ("warm, events arriving, kept columns (after)", warm_addr),
        ] {
            let live = Live {
                addr,
                editor: &editor,
                dataset: "product_events",
                ..live
            };
            let measured = (token.as_str(), query, &args.concurrency[..], args.seconds);
            levels.extend(measure_live(&live, mode, measured).await);
        }
        let bytes = state.product_telemetry.weighted_bytes().await;
        let (reads, splices) = state.product_telemetry.counts();
        println!(
            "kept product telemetry: {:.1} MiB ({:.0} KiB per 1 000 learners); {reads} whole reads, {splices} splices",
            bytes as f64 / (1 << 20) as f64,
            bytes as f64 / 1024.0 / (args.learners as f64 / 1000.0)
        );
    }
    println!(
        "\n| mode | fields | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | fresh hits | stale hits |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for l in &levels {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} |",
            l.mode,
            l.fields,
            l.concurrency,
            l.requests,
            l.rps,
            l.p50,
            l.p95,
            l.p99,
            l.hit_ratio,
            l.stale_ratio
        );
    }
    let plain = plain.map(|(parallel, sequential)| serde_json::json!({
        "concurrentP50": percentile(&parallel, 0.5), "concurrentP95": percentile(&parallel, 0.95),
        "sequentialP50": percentile(&sequential, 0.5), "sequentialP95": percentile(&sequential, 0.95) }));
    let json = serde_json::json!({
        "dashboard": args.dashboard,
        "database": if args.database_url.starts_with("postgres") { "postgres" } else { "sqlite" },
        "rows": args.rows.max(existing as usize),
        "plainSqlMs": plain,
        "http": levels.iter().map(|l| serde_json::json!({ "mode": l.mode, "fields": l.fields, "concurrency": l.concurrency,
            "requests": l.requests, "rps": l.rps, "cacheHitRatio": l.hit_ratio, "staleRatio": l.stale_ratio, "p50Ms": l.p50, "p95Ms": l.p95, "p99Ms": l.p99 })).collect::<Vec<_>>(),
    });
    let out = args
        .out
        .unwrap_or_else(|| format!("target/bench-{}.json", args.dashboard));
    std::fs::write(&out, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("\nwritten to {out}");
}

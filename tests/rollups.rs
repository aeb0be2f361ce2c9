//! Rollups equal the raw computation. Property: for random request logs changed by random
//! sequences of inserts (with duplicates), deletes and erasures, `rollups check` finds no
//! difference, and every apiUsage panel served from rollups (with raw edges) answers as the
//! raw-only computation — for random windows (aligned or not), timezones (incl. Asia/Kolkata,
//! Asia/Kathmandu, America/St_Johns and its DST day) and granularities.
//!
//! Seeded per run (`DASHGATE_TEST_FUZZ_SEED` replays one); `DASHGATE_TEST_FUZZ_CASES` sets the
//! number of cases (default 4 per database, each with several changes and windows).

use crate::both_dbs;
use crate::fuzz_graphql::{cases, seed};
use crate::support::TestApp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dashgate::domains::api_usage::filter::ApiUsageFilter;
use dashgate::domains::api_usage::ingest::REQUEST_LOG_ROLLUP;
use dashgate::domains::api_usage::metrics::{self, ApiUsageQuery, KpiKey};
use dashgate::domains::rollups;
use dashgate::kernel::calendar::Granularity;
use dashgate::kernel::window::{RangePreset, TimeWindow, WindowInput};
use dashgate::kernel::{Principal, Role, TeamScope};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::sync::Arc;

const TIMEZONES: [&str; 6] = [
    "UTC",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Europe/London",
    "America/New_York",
];

/// 2026-03-06 00:00 UTC; rows fall in the four days after (St John's and New York change to
/// summer time on 03-08).
pub(crate) fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap()
}

pub(crate) fn pick<'a>(rng: &mut ChaCha8Rng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

fn random_log(rng: &mut ChaCha8Rng, id: usize) -> Value {
    let at = origin() + Duration::milliseconds(rng.random_range(0..4 * 86_400_000));
    let status = [200, 200, 200, 201, 404, 429, 500][rng.random_range(0..7)];
    let mut row = json!({"id": format!("r{id}"), "created_at": at.to_rfc3339(),
        "endpoint": pick(rng, &["/a", "/b"]), "status_code": status,
        "latency_ms": rng.random_range(0.0..2000.0),
        "model_name": pick(rng, &["m1", "m2", "m3", ""]),
        "user_id": pick(rng, &["u1", "u2", "u3", "u4", ""])});
    if rng.random_bool(0.7) {
        row["country_code"] = json!(pick(rng, &["US", "DE", "IN"]));
    }
    if rng.random_bool(0.6) {
        row["cost_usd"] = json!(rng.random_range(0..5000) as f64 / 1e4);
        row["tokens"] = json!(rng.random_range(0..3000));
    }
    row
}

pub(crate) fn random_window(rng: &mut ChaCha8Rng) -> WindowInput {
    let tz = pick(rng, &TIMEZONES).to_string();
    if rng.random_bool(0.25) {
        return WindowInput {
            preset: Some(RangePreset::Last24Hours),
            timezone: Some(tz),
            ..Default::default()
        };
    }
    // Aligned to the hour, to a quarter hour, or anywhere.
    let unit = [3_600_000, 900_000, 1][rng.random_range(0..3)];
    let start = rng.random_range(-86_400_000..3 * 86_400_000i64) / unit * unit;
    let span = rng.random_range(3_600_000..3 * 86_400_000i64) / unit * unit;
    WindowInput {
        preset: Some(RangePreset::Custom),
        start: Some(origin() + Duration::milliseconds(start)),
        end: Some(origin() + Duration::milliseconds(start + span.max(1))),
        timezone: Some(tz),
        granularity: Some([Granularity::Hour, Granularity::Day][rng.random_range(0..2)]),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

pub(crate) fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (a, b) => a == b,
    }
}

/// One figure: what it is, and its numbers.
type Figure = (String, Vec<Option<f64>>);

/// Every apiUsage figure the rollups serve.
async fn answers(
    app: &TestApp,
    scope: &TeamScope,
    input: &WindowInput,
    rolled: bool,
) -> Vec<Figure> {
    let now = origin() + Duration::hours(60);
    let window = TimeWindow::resolve(input, chrono_tz::UTC, now, 1000).unwrap();
    let q = ApiUsageQuery {
        scope: scope.clone(),
        window,
        filter: ApiUsageFilter::default(),
        rollups: rolled,
    };
    let db = &app.state.db;
    let sums = Arc::new(metrics::window_sums(db, &q).await.unwrap());
    let keys = KpiKey::ALL
        .into_iter()
        .filter(|k| *k != KpiKey::P95LatencyMs)
        .collect();
    let shared = sums.clone();
    let kpis = metrics::kpi_values(db, &q, &keys, true, async { Ok(shared) })
        .await
        .unwrap();
    let mut out: Vec<Figure> = Vec::new();
    for (i, b) in sums.buckets.iter().enumerate() {
        let v = [
            b.count as f64,
            b.errors as f64,
            b.cost_micros,
            b.latency_ms,
            b.tokens,
        ];
        out.push((format!("bucket {i}"), v.into_iter().map(Some).collect()));
    }
    for (k, pair) in kpis {
        out.push((format!("{k:?}"), vec![pair.current, pair.previous]));
    }
    let errors = metrics::errors(db, &q, 100).await.unwrap();
    out.push((format!("errors {errors:?}"), vec![]));
    for m in metrics::models(db, &q).await.unwrap() {
        out.push((
            format!("model {} {} {}", m.model, m.requests, m.errors),
            vec![m.cost, m.avg_latency_ms],
        ));
    }
    let mut countries = metrics::countries(db, &q).await.unwrap();
    countries.sort_by(|a, b| a.code.cmp(&b.code));
    out.push((format!("countries {countries:?}"), vec![]));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `rollups check` of the team finds no difference in any of `rollups`.
pub(crate) async fn assert_rollups_match_raw(
    app: &TestApp,
    p: &Principal,
    rollups: &[&'static rollups::Rollup],
    what: &str,
) {
    for rollup in rollups {
        let diff = rollups::check(&app.state.db, rollup, Some(p.team.id.0))
            .await
            .unwrap();
        assert!(
            diff.is_empty(),
            "{what}: {} differs from raw rows: {diff:#?}",
            rollup.table
        );
    }
}

async fn assert_consistent(app: &TestApp, p: &Principal, rng: &mut ChaCha8Rng, what: &str) {
    assert_rollups_match_raw(app, p, &[&REQUEST_LOG_ROLLUP], what).await;
    let scope = TeamScope::require(Some(p), Role::Viewer).unwrap();
    for _ in 0..4 {
        let input = random_window(rng);
        let (rolled, raw) = (
            answers(app, &scope, &input, true).await,
            answers(app, &scope, &input, false).await,
        );
        assert_eq!(rolled.len(), raw.len(), "{what}: {input:?}");
        for (a, b) in rolled.iter().zip(&raw) {
            let same = a.0 == b.0
                && a.1.len() == b.1.len()
                && a.1.iter().zip(&b.1).all(|(x, y)| close_opt(*x, *y));
            assert!(same, "{what}: window {input:?}: rollups {a:?}, raw {b:?}");
        }
    }
}

both_dbs! {
    async fn rollup_answers_equal_raw_answers_after_any_changes(app) {
        let seed = seed();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for case in 0..cases(4) {
            let p = app.team(&format!("t{case}"), "UTC", Role::Admin).await;
            let mut next = 0;
            let mut ids: Vec<String> = Vec::new();
            for step in 0..4 {
                let what = format!("seed {seed}, case {case}, step {step}");
                match rng.random_range(0..4) {
                    0 if !ids.is_empty() => {
                        // Delete a random handful (and one id that is not there).
                        ids.shuffle(&mut rng);
                        let n = rng.random_range(1..=ids.len().min(20));
                        let doomed: Vec<String> = ids.drain(..n).collect();
                        let body: String = doomed.iter().chain(["nope".to_string()].iter())
                            .map(|id| format!("{}\n", json!({"id": id}))).collect();
                        let (status, r) = app.http("DELETE", "/v1/ingest/request_logs",
                            Some(&app.token(&p)), body).await;
                        assert_eq!(status, axum::http::StatusCode::OK, "{r}");
                    }
                    1 => {
                        let user = pick(&mut rng, &["u1", "u2", "u3"]);
                        let body = json!({"userId": user}).to_string();
                        let (status, r) = app.http("POST", "/v1/erase", Some(&app.token(&p)), body).await;
                        assert_eq!(status, axum::http::StatusCode::OK, "{r}");
                    }
                    _ => {
                        let mut batch = Vec::new();
                        for _ in 0..rng.random_range(1..120) {
                            batch.push(random_log(&mut rng, next));
                            ids.push(format!("r{next}"));
                            next += 1;
                        }
                        // Re-sent rows are duplicates and must not count twice.
                        if next > 10 {
                            for _ in 0..3 {
                                let again = rng.random_range(0..next - 1);
                                if batch.iter().all(|r| r["id"] != json!(format!("r{again}"))) {
                                    batch.push(json!({"id": format!("r{again}"), "created_at": "2026-03-07T00:00:00Z",
                                        "endpoint": "/a", "status_code": 200, "latency_ms": 1}));
                                }
                            }
                        }
                        app.ingest(&p, &batch).await;
                    }
                }
                assert_consistent(&app, &p, &mut rng, &what).await;
            }
        }
    }

    async fn rebuild_restores_a_damaged_rollup_and_check_finds_the_damage(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let rows: Vec<Value> = (0..200).map(|i| random_log(&mut rng, i)).collect();
        app.ingest(&p, &rows).await;
        let db = &app.state.db;
        let team = Some(p.team.id.0);
        assert!(rollups::check(db, &REQUEST_LOG_ROLLUP, team).await.unwrap().is_empty());
        let backend = db.get_database_backend();
        use sea_orm::ConnectionTrait;
        db.execute_raw(sea_orm::Statement::from_string(backend,
            "UPDATE request_log_rollups SET n = n + 1 WHERE dim = 'total'")).await.unwrap();
        let found = rollups::check(db, &REQUEST_LOG_ROLLUP, team).await.unwrap();
        assert!(!found.is_empty());
        assert!(found.iter().all(|d| d.dim == "total" && d.stored.as_ref().unwrap()[0] == d.expected.as_ref().unwrap()[0].map(|n| n + 1.0)));
        rollups::rebuild(db, &REQUEST_LOG_ROLLUP, team).await.unwrap();
        assert!(rollups::check(db, &REQUEST_LOG_ROLLUP, team).await.unwrap().is_empty());
        // A database from before the rollup (or with an older definition) is rebuilt at start.
        db.execute_raw(sea_orm::Statement::from_string(backend, "DELETE FROM request_log_rollups")).await.unwrap();
        db.execute_raw(sea_orm::Statement::from_string(backend, "UPDATE rollup_versions SET version = 0")).await.unwrap();
        assert!(!rollups::check(db, &REQUEST_LOG_ROLLUP, team).await.unwrap().is_empty());
        let rebuilt = rollups::ensure_current(db, &[&REQUEST_LOG_ROLLUP]).await.unwrap();
        assert_eq!(rebuilt, ["request_log_rollups"]);
        assert!(rollups::check(db, &REQUEST_LOG_ROLLUP, team).await.unwrap().is_empty());
        assert!(rollups::ensure_current(db, &[&REQUEST_LOG_ROLLUP]).await.unwrap().is_empty());
        // Only whole hours come from the rollup: a +05:30 day reads its two half hours raw.
        let h = 3_600_000;
        let plan = rollups::Plan::new(&[h / 2, 24 * h + h / 2], &[h], true);
        assert_eq!(plan.raw_ms(), h);
    }
}

both_dbs! {
    async fn percentiles_of_large_windows_come_from_the_sketch_within_its_bound(app) {
        // 24 000 requests (more than EXACT_UP_TO) in one UTC day, heavy-tailed (Pareto) latency.
        let p = app.team("big", "UTC", Role::Editor).await;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = metrics::EXACT_UP_TO as usize + 4_000;
        let rows: Vec<Value> = (0..n).map(|i| {
            let at = origin() + Duration::milliseconds(rng.random_range(0..86_400_000));
            let u: f64 = rng.random_range(1e-9..1.0);
            json!({"id": format!("r{i}"), "created_at": at.to_rfc3339(), "endpoint": "/a",
                "status_code": 200, "latency_ms": (5.0 / u.powf(1.0 / 1.2)).min(86_000_000.0)})
        }).collect();
        for chunk in rows.chunks(8_000) {
            app.ingest(&p, chunk).await;
        }
        let scope = TeamScope::require(Some(&p), Role::Viewer).unwrap();
        let input = WindowInput {
            preset: Some(RangePreset::Custom),
            start: Some(origin()),
            end: Some(origin() + Duration::days(1)),
            timezone: Some("UTC".into()),
            granularity: Some(Granularity::Day),
        };
        let now = origin() + Duration::hours(60);
        let window = TimeWindow::resolve(&input, chrono_tz::UTC, now, 1000).unwrap();
        let query = |rolled| ApiUsageQuery { scope: scope.clone(), window: window.clone(),
            filter: ApiUsageFilter::default(), rollups: rolled };
        let bounds = window.bucket_bounds();
        let db = &app.state.db;
        let per_mille = [500, 900, 950, 990];
        let sketched = metrics::latency_percentiles(db, &query(true), &bounds, &per_mille).await.unwrap();
        let exact = metrics::latency_percentiles(db, &query(false), &bounds, &per_mille).await.unwrap();
        for (s, e) in sketched[&0].iter().zip(&exact[&0]) {
            assert!(s != e, "the sketch served: {s} vs {e}");
            assert!((s - e).abs() / e <= 1.0 / 128.0 + 1e-9, "sketch {s}, exact {e}");
        }
        // A range without a whole UTC day (the sketch is per day) is answered exactly.
        let shifted = WindowInput {
            start: Some(origin() + Duration::hours(1)),
            end: Some(origin() + Duration::hours(25)),
            granularity: Some(Granularity::Hour),
            ..input.clone()
        };
        let window = TimeWindow::resolve(&shifted, chrono_tz::UTC, now, 1000).unwrap();
        let day = [window.bucket_bounds()[0], *window.bucket_bounds().last().unwrap()];
        let shifted = |rolled| ApiUsageQuery { window: window.clone(), ..query(rolled) };
        let rolled = metrics::latency_percentiles(db, &shifted(true), &day, &per_mille).await.unwrap();
        let exact = metrics::latency_percentiles(db, &shifted(false), &day, &per_mille).await.unwrap();
        assert_eq!(rolled, exact);
        // Through GraphQL: the KPI and the series agree with the sketch.
        let q = r#"{ apiUsage(window: {start: "2026-03-06T00:00:00Z", end: "2026-03-07T00:00:00Z", timezone: "UTC", granularity: DAY}) {
            kpis { p95LatencyMs { value } } latency { p50Ms p95Ms } } }"#;
        let d = app.data(&p, q).await["apiUsage"].clone();
        assert!((d["kpis"]["p95LatencyMs"]["value"].as_f64().unwrap() - sketched[&0][2]).abs() < 1e-9);
        assert!((d["latency"][0]["p50Ms"].as_f64().unwrap() - sketched[&0][0]).abs() < 1e-9);
    }
}

#[test]
fn helpers_compare_floats_relatively() {
    assert!(close(1e12, 1e12 + 1e-3));
    assert!(!close(1.0, 1.001));
    assert!(close_opt(None, None) && !close_opt(Some(1.0), None));
}

both_dbs! {
    async fn rollup_tables_leave_room_for_in_place_updates_on_postgres(app) {
        use sea_orm::ConnectionTrait;
        let db = &app.state.db;
        if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return;
        }
        for rollup in dashgate::domains::registry::rollups() {
            let sql = format!("SELECT array_to_string(reloptions, ',') FROM pg_class \
                WHERE relname = '{}' AND relnamespace = current_schema()::regnamespace", rollup.table);
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await.unwrap().unwrap_or_else(|| panic!("{} exists", rollup.table));
            let options: Option<String> = row.try_get_by_index(0).unwrap();
            assert_eq!(options.as_deref(), Some("fillfactor=50"), "{}", rollup.table);
        }
    }
}

//! Publishing rollups and tallies equal the raw computation. Property: for random publish logs,
//! jobs and clips changed by random inserts, newer versions (status, platform, account, clip
//! and score changes) and deletes (clips with their logs), `rollups check` finds no difference,
//! and the queue/overview/orchestrator figures, the jobs per status and platform and the
//! platforms panel answer from rollups exactly as from raw rows, under random platform filters.

use crate::both_dbs;
use crate::fuzz_graphql::{cases, seed};
use crate::rollups::{assert_rollups_match_raw, origin, pick};
use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Duration;
use dashgate::domains::publishing::filter::PublishingFilter;
use dashgate::domains::publishing::ingest::{PUB_JOB_ROLLUP, PUB_LOG_ROLLUP, PUB_PLATFORM_TALLY};
use dashgate::domains::publishing::metrics::{self, PublishingQuery};
use dashgate::domains::rollups::tally;
use dashgate::kernel::window::{TimeWindow, WindowInput};
use dashgate::kernel::{Principal, Role, TeamScope};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const PLATFORMS: [&str; 4] = ["youtube", "tiktok", "a/b", "x:y"];
const CLIPS: [&str; 4] = ["c1", "c2", "c3", "c4"];

/// Clip `id` in version `version`, with a random score (or none).
fn random_clip(rng: &mut ChaCha8Rng, id: &str, version: i64) -> Value {
    let mut clip = json!({"id": id, "video_id": "v1", "created_at": origin().to_rfc3339(),
        "updated_at": (origin() + Duration::days(10 + version)).to_rfc3339()});
    if rng.random_bool(0.8) {
        clip["visual_score"] = json!(rng.random_range(0..=100) as f64 / 100.0);
    }
    clip
}

fn at(rng: &mut ChaCha8Rng, days: i64) -> chrono::DateTime<chrono::Utc> {
    origin() + Duration::milliseconds(rng.random_range(0..days * 86_400_000))
}

/// A publish log `id`, in version `version` (a later version has a later `updated_at`).
fn random_log(rng: &mut ChaCha8Rng, id: usize, version: i64) -> Value {
    let requested = at(rng, 4);
    let status = pick(
        rng,
        &["pending", "scheduled", "processing", "success", "failed"],
    );
    let mut log = json!({"id": format!("l{id}"), "clip_id": pick(rng, &CLIPS),
        "platform": pick(rng, &PLATFORMS), "status": status, "requested_at": requested.to_rfc3339(),
        "created_at": at(rng, 4).to_rfc3339(),
        "updated_at": (origin() + Duration::days(10 + version)).to_rfc3339()});
    if rng.random_bool(0.7) {
        log["social_account_id"] = json!(pick(rng, &["acct-1", "acct-2", "acct/3"]));
    }
    if status == "success" || rng.random_bool(0.1) {
        log["published_at"] =
            json!((requested + Duration::seconds(rng.random_range(1..900))).to_rfc3339());
    }
    log
}

fn random_job(rng: &mut ChaCha8Rng, id: usize, version: i64) -> Value {
    let mut job = json!({"id": format!("j{id}"), "video_id": "v1",
        "status": pick(rng, &["pending", "processing", "completed", "failed"]),
        "created_at": at(rng, 4).to_rfc3339(),
        "updated_at": (origin() + Duration::days(10 + version)).to_rfc3339()});
    if rng.random_bool(0.8) {
        job["platform"] = json!(pick(rng, &PLATFORMS));
    }
    job
}

async fn change(
    app: &TestApp,
    p: &Principal,
    rng: &mut ChaCha8Rng,
    next: &mut usize,
    version: i64,
) {
    match rng.random_range(0..5) {
        // A clip's score changes, or the clip is deleted with its logs and jobs and comes back.
        4 => {
            let id = pick(rng, &CLIPS);
            if rng.random_bool(0.3) {
                let body = format!("{}\n", json!({"id": id}));
                let path = "/v1/ingest/pub_clips?cascade=true";
                let (status, r) = app.http("DELETE", path, Some(&app.token(p)), body).await;
                assert_eq!(status, StatusCode::OK, "{r}");
            }
            let clip = random_clip(rng, id, version);
            app.ingest_into(p, "pub_clips", &[clip]).await;
        }
        0 if *next > 0 => {
            let doomed: Vec<String> = (0..rng.random_range(1..6))
                .map(|_| rng.random_range(0..*next))
                .flat_map(|i| [format!("l{i}"), format!("j{i}")])
                .collect();
            for (path, prefix) in [
                ("/v1/ingest/pub_publish_logs", 'l'),
                ("/v1/ingest/pub_jobs", 'j'),
            ] {
                let body: String = doomed
                    .iter()
                    .filter(|id| id.starts_with(prefix))
                    .map(|id| format!("{}\n", json!({"id": id})))
                    .collect();
                let (status, r) = app.http("DELETE", path, Some(&app.token(p)), body).await;
                assert_eq!(status, StatusCode::OK, "{r}");
            }
        }
        1 if *next > 0 => {
            // Newer versions of known rows (and of deleted ones, which come back).
            let ids: Vec<usize> = (0..rng.random_range(1..10))
                .map(|_| rng.random_range(0..*next))
                .collect();
            let mut ids = ids;
            ids.sort();
            ids.dedup();
            let logs: Vec<Value> = ids.iter().map(|&i| random_log(rng, i, version)).collect();
            let jobs: Vec<Value> = ids.iter().map(|&i| random_job(rng, i, version)).collect();
            app.ingest_into(p, "pub_publish_logs", &logs).await;
            app.ingest_into(p, "pub_jobs", &jobs).await;
        }
        _ => {
            let n = rng.random_range(1..40);
            let logs: Vec<Value> = (*next..*next + n)
                .map(|i| random_log(rng, i, version))
                .collect();
            let jobs: Vec<Value> = (*next..*next + n)
                .map(|i| random_job(rng, i, version))
                .collect();
            *next += n;
            app.ingest_into(p, "pub_publish_logs", &logs).await;
            app.ingest_into(p, "pub_jobs", &jobs).await;
        }
    }
}

async fn assert_consistent(app: &TestApp, p: &Principal, rng: &mut ChaCha8Rng, what: &str) {
    assert_rollups_match_raw(app, p, &[&PUB_LOG_ROLLUP, &PUB_JOB_ROLLUP], what).await;
    let diff = tally::check(&app.state.db, &PUB_PLATFORM_TALLY, Some(p.team.id.0))
        .await
        .unwrap();
    assert!(diff.is_empty(), "{what}: platform tally differs: {diff:#?}");
    let scope = TeamScope::require(Some(p), Role::Viewer).unwrap();
    let window = TimeWindow::resolve(
        &WindowInput::default(),
        chrono_tz::UTC,
        origin() + Duration::days(5),
        1000,
    )
    .unwrap();
    for _ in 0..3 {
        let platforms: Vec<String> = if rng.random_bool(0.5) {
            Vec::new()
        } else {
            PLATFORMS
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .map(|s| s.to_string())
                .collect()
        };
        let query = |rolled| PublishingQuery {
            scope: scope.clone(),
            window: window.clone(),
            filter: PublishingFilter {
                platforms: platforms.clone(),
            },
            rollups: rolled,
        };
        let db = &app.state.db;
        let (jobs, raw_jobs) = (
            metrics::job_stats(db, &query(true)).await.unwrap(),
            metrics::job_stats(db, &query(false)).await.unwrap(),
        );
        assert_eq!(jobs, raw_jobs, "{what}: jobs under {platforms:?}");
        let (rows, raw_rows) = (
            metrics::platforms(db, &query(true), &jobs).await.unwrap(),
            metrics::platforms(db, &query(false), &raw_jobs)
                .await
                .unwrap(),
        );
        assert_eq!(
            rows.len(),
            raw_rows.len(),
            "{what}: {rows:?} vs {raw_rows:?}"
        );
        for (r, w) in rows.iter().zip(&raw_rows) {
            let score = match (r.avg_score, w.avg_score) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (a, b) => a == b,
            };
            let same = r.platform == w.platform
                && r.clips_ready == w.clips_ready
                && r.clips_published == w.clips_published
                && r.jobs_completed == w.jobs_completed
                && r.jobs_failed == w.jobs_failed
                && score;
            assert!(
                same,
                "{what}: platforms under {platforms:?}: tally {r:?}, raw {w:?}"
            );
        }
        let (mut logs, mut raw_logs) = (
            metrics::log_stats(db, &query(true)).await.unwrap(),
            metrics::log_stats(db, &query(false)).await.unwrap(),
        );
        // Accounts are counted (and shown) for `processing` logs only.
        for stats in [&mut logs, &mut raw_logs] {
            for (status, s) in stats.0.iter_mut() {
                if status != "processing" {
                    s.accounts = 0;
                }
            }
        }
        assert_eq!(
            logs.0.keys().collect::<Vec<_>>(),
            raw_logs.0.keys().collect::<Vec<_>>(),
            "{what}"
        );
        for (status, s) in &logs.0 {
            let r = raw_logs.status(status);
            let same = s.count == r.count
                && s.first_requested_ms == r.first_requested_ms
                && (s.processing_ms - r.processing_ms).abs() < 1e-6
                && s.processed == r.processed
                && s.last_created_ms == r.last_created_ms
                && s.accounts == r.accounts;
            assert!(
                same,
                "{what}: {status} under {platforms:?}: rollups {s:?}, raw {r:?}"
            );
        }
    }
}

both_dbs! {
    async fn publishing_rollup_answers_equal_raw_answers_after_any_changes(app) {
        let seed = seed();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for case in 0..cases(3) {
            let p = app.team(&format!("pub{case}"), "UTC", Role::Admin).await;
            let t0 = origin().to_rfc3339();
            app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "v", "created_at": t0})]).await;
            let clips: Vec<Value> = CLIPS.iter().map(|id| random_clip(&mut rng, id, 0)).collect();
            app.ingest_into(&p, "pub_clips", &clips).await;
            let mut next = 0;
            for step in 0..8 {
                change(&app, &p, &mut rng, &mut next, step).await;
                assert_consistent(&app, &p, &mut rng, &format!("seed {seed}, case {case}, step {step}")).await;
            }
        }
    }
}

// An update batch is retracted in chunks of keys before any row is replaced: a stored extreme
// must come from the rows as they are after the batch, not from rows of a later chunk that are
// still in their old version when an earlier chunk is retracted.
both_dbs! {
    async fn extremes_are_right_after_an_update_batch_of_many_chunks(app) {
        let p = app.team("pubchunks", "UTC", Role::Admin).await;
        let t0 = origin();
        app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "v", "created_at": t0.to_rfc3339()})]).await;
        app.ingest_into(&p, "pub_clips", &[json!({"id": "c1", "video_id": "v1", "created_at": t0.to_rfc3339()})]).await;
        // l0000 and l1000 fall in different chunks of the update; l1001 stays pending.
        let log = |i: usize, status: &str, version: i64| {
            let requested = if i <= 1001 && i % 1000 <= 1 && i != 1 {
                t0 + Duration::seconds(i as i64 / 1000 + 1)
            } else {
                t0 + Duration::minutes(10)
            };
            json!({"id": format!("l{i:04}"), "clip_id": "c1", "platform": "youtube", "status": status,
                "requested_at": requested.to_rfc3339(), "created_at": (t0 + Duration::hours(1)).to_rfc3339(),
                "updated_at": (t0 + Duration::days(version)).to_rfc3339()})
        };
        let first: Vec<Value> = (0..=1001).map(|i| log(i, "pending", 1)).collect();
        app.ingest_into(&p, "pub_publish_logs", &first).await;
        let moved: Vec<Value> = (0..=1000).map(|i| log(i, "processing", 2)).collect();
        let r = app.ingest_into(&p, "pub_publish_logs", &moved).await;
        assert_eq!(r["updated"], 1001, "{r}");
        assert_rollups_match_raw(&app, &p, &[&PUB_LOG_ROLLUP], "after the update").await;
        // And a delete of the moved rows in one request (chunks again).
        let body: String = (0..=1000).map(|i| format!("{}\n", json!({"id": format!("l{i:04}")}))).collect();
        let (status, r) = app.http("DELETE", "/v1/ingest/pub_publish_logs", Some(&app.token(&p)), body).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_rollups_match_raw(&app, &p, &[&PUB_LOG_ROLLUP], "after the delete").await;
    }
}

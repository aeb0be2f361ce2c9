//! Property: whatever the order in which several versions of the same rows arrive — split into
//! any batches, retried, reordered — a team ends with the newest version of every row, and its
//! dashboards answer exactly as for a team that received the versions in order.
//!
//! Seeded per run (`DASHGATE_TEST_FUZZ_SEED` replays one); `DASHGATE_TEST_FUZZ_CASES` sets the
//! number of cases (default 24 per database).

use crate::both_dbs;
use crate::fuzz_graphql::{cases, seed};
use crate::support::TestApp;
use dashgate::kernel::{Principal, Role};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const STATUSES: [&str; 5] = ["pending", "scheduled", "processing", "success", "failed"];
const PLATFORMS: [&str; 3] = ["tiktok", "youtube", "instagram"];

/// Versions of a few publish logs: distinct or equal `updated_at` minutes, any status.
fn versions(rng: &mut ChaCha8Rng) -> Vec<Value> {
    let mut out = Vec::new();
    for log in 0..rng.random_range(1..5) {
        for _ in 0..rng.random_range(1..5) {
            let minute = rng.random_range(0..6);
            let status = STATUSES[rng.random_range(0..STATUSES.len())];
            let published =
                (status == "success").then(|| format!("2026-03-10T10:{:02}:30Z", minute));
            out.push(json!({"id": format!("l{log}"), "clip_id": "c1",
                "platform": PLATFORMS[rng.random_range(0..PLATFORMS.len())], "status": status,
                "requested_at": "2026-03-10T10:00:00Z", "published_at": published,
                "created_at": "2026-03-10T10:00:00Z",
                "updated_at": format!("2026-03-10T10:{minute:02}:00Z")}));
        }
    }
    out
}

async fn team(app: &TestApp, slug: &str) -> Principal {
    let p = app.team(slug, "UTC", Role::Editor).await;
    let at = "2026-03-01T00:00:00Z";
    app.ingest_into(
        &p,
        "pub_videos",
        &[json!({"id": "v1", "title": "V", "created_at": at})],
    )
    .await;
    app.ingest_into(
        &p,
        "pub_clips",
        &[json!({"id": "c1", "video_id": "v1", "created_at": at})],
    )
    .await;
    p
}

async fn dashboard(app: &TestApp, p: &Principal) -> Value {
    let q = r#"{ publishing(window: {start: "2026-03-10T00:00:00Z", end: "2026-03-11T00:00:00Z"}) {
        overview { successLogs failedLogs scheduledPublications }
        queue { pending processing success failed avgProcessingTimeMs oldestPendingAgeSeconds }
        platforms { platform clipsReady clipsPublished }
        publications { success failed requested } processingTime { avgMs p95Ms } } }"#;
    app.data(p, q).await
}

both_dbs! {
    async fn any_delivery_order_ends_in_the_newest_versions(app) {
        let seed = seed();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for case in 0..cases(24) {
            let all = versions(&mut rng);
            // In order: each log's versions by time, so each replaces the one before.
            let ordered = team(&app, &format!("o{case}")).await;
            let mut sorted = all.clone();
            sorted.sort_by_key(|v| (v["updated_at"].as_str().unwrap().to_string(), v.to_string()));
            for v in &sorted {
                app.ingest_into(&ordered, "pub_publish_logs", std::slice::from_ref(v)).await;
            }
            // Shuffled, in random batches (one version of a row per batch), some sent twice.
            let shuffled = team(&app, &format!("s{case}")).await;
            let mut deliveries = all.clone();
            deliveries.extend(all.iter().filter(|_| rng.random_bool(0.3)).cloned());
            deliveries.shuffle(&mut rng);
            while !deliveries.is_empty() {
                let mut batch: Vec<Value> = Vec::new();
                while let Some(v) = deliveries.pop() {
                    if batch.iter().any(|b| b["id"] == v["id"]) {
                        deliveries.push(v);
                        break;
                    }
                    batch.push(v);
                    if rng.random_bool(0.4) {
                        break;
                    }
                }
                app.ingest_into(&shuffled, "pub_publish_logs", &batch).await;
            }
            let (a, b) = (dashboard(&app, &ordered).await, dashboard(&app, &shuffled).await);
            assert_eq!(a, b, "seed {seed}, case {case}: {all:#?}");
        }
    }
}

//! A publishing pipeline: videos cut into scored clips, processing jobs, campaigns, and
//! publications to five platforms with a live queue near "now" (pending, scheduled and
//! processing logs, a few failures), as the ingest endpoint takes them.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const PLATFORMS: [&str; 5] = ["instagram", "tiktok", "youtube", "linkedin", "x"];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `videos` videos over the `days` days before `now`, each with a few clips, jobs and
/// publications; rows per dataset in dependency order.
pub fn generate_publishing(
    videos: usize,
    now: DateTime<Utc>,
    days: i64,
    seed: u64,
) -> super::DatasetRows {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut v_rows, mut c_rows, mut j_rows, mut l_rows, mut k_rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for v in 0..videos {
        let made = now - Duration::minutes(rng.random_range(10..days * 24 * 60));
        let vid = format!("video-{v:05}");
        v_rows.push(json!({"id": vid, "title": format!("Episode {v}"), "created_at": ts(made)}));
        for c in 0..rng.random_range(2..8) {
            let cid = format!("clip-{v:05}-{c}");
            let cut = made + Duration::minutes(rng.random_range(5..60));
            let score = rng
                .random_bool(0.9)
                .then(|| (rng.random::<f64>() * 100.0).round() / 100.0);
            c_rows.push(
                json!({"id": cid, "video_id": vid, "visual_score": score, "created_at": ts(cut)}),
            );
            let platform = PLATFORMS[rng.random_range(0..PLATFORMS.len())];
            let job_status = if cut > now - Duration::hours(2) {
                ["pending", "processing"][rng.random_range(0..2)]
            } else if rng.random_bool(0.06) {
                "failed"
            } else {
                "completed"
            };
            j_rows.push(
                json!({"id": format!("job-{v:05}-{c}"), "video_id": vid, "clip_id": cid,
                "status": job_status, "platform": platform, "created_at": ts(cut),
                "updated_at": ts((cut + Duration::minutes(3)).min(now))}),
            );
            for (i, platform) in PLATFORMS.iter().enumerate() {
                if !rng.random_bool(0.45) {
                    continue;
                }
                let requested = cut + Duration::minutes(rng.random_range(10..600));
                if requested > now + Duration::hours(12) {
                    continue;
                }
                let status = if requested > now {
                    "scheduled"
                } else if requested > now - Duration::minutes(20) {
                    ["pending", "processing"][rng.random_range(0..2)]
                } else if rng.random_bool(0.07) {
                    "failed"
                } else {
                    "success"
                };
                let published = (status == "success")
                    .then(|| ts(requested + Duration::seconds(rng.random_range(5..900))));
                let account = (status != "scheduled")
                    .then(|| format!("acct-{platform}-{}", rng.random_range(1..4)));
                l_rows.push(json!({"id": format!("log-{v:05}-{c}-{i}"), "clip_id": cid,
                    "platform": platform, "status": status, "social_account_id": account,
                    "requested_at": ts(requested), "published_at": published,
                    "created_at": ts(requested.min(now) - Duration::minutes(1))}));
            }
        }
    }
    for k in 0..24 {
        let status = ["draft", "active", "active", "paused", "completed"][k % 5];
        let budget = (k % 4 != 0).then_some(500.0 * (k as f64 + 1.0));
        let spent = budget
            .map(|b| (b * rng.random::<f64>()).round())
            .unwrap_or(0.0);
        let clip = c_rows[rng.random_range(0..c_rows.len())]["id"].clone();
        k_rows.push(json!({"id": format!("campaign-{k:02}"), "clip_id": clip,
            "name": format!("Campaign {k}"), "status": status, "budget": budget, "spent": spent,
            "created_at": ts(now - Duration::days(days - k as i64))}));
    }
    vec![
        ("pub_videos", v_rows),
        ("pub_clips", c_rows),
        ("pub_jobs", j_rows),
        ("pub_campaigns", k_rows),
        ("pub_publish_logs", l_rows),
    ]
}

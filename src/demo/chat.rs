//! A realistic chat workload: a handful of bots on several platforms, a few thousand
//! participants with skewed activity (some on two platforms), sessions with a daily rhythm,
//! human/bot turns with a trace per bot turn, system messages, `setup` and `evaluations`
//! sessions that the dashboard must ignore, and tags in every category.
//!
//! Rows are produced as the JSON the ingest endpoint takes and go through the same
//! validation, so the demo exercises the real ingestion path.

use chrono::{DateTime, Duration, Utc};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;
use serde_json::{Value, json};

/// (name, archived, weight)
const BOTS: [(&str, bool, f64); 6] = [
    ("Support Assistant", false, 35.0),
    ("Onboarding Coach", false, 20.0),
    ("Health Advisor", false, 18.0),
    ("Sales Concierge", false, 12.0),
    ("FAQ Helper", false, 10.0),
    ("Legacy Bot", true, 5.0),
];

/// (platform, weight of participants)
const PLATFORMS: [(&str, f64); 5] = [
    ("web", 40.0),
    ("whatsapp", 28.0),
    ("telegram", 15.0),
    ("slack", 10.0),
    ("api", 7.0),
];

/// (id, name, category)
const TAGS: [(&str, &str, &str); 14] = [
    ("tag-billing", "billing", ""),
    ("tag-bug", "bug report", ""),
    ("tag-feature", "feature request", ""),
    ("tag-praise", "praise", ""),
    ("tag-greeting", "greeting", "bot_response"),
    ("tag-handoff", "human handoff", "bot_response"),
    ("tag-fallback", "fallback", "bot_response"),
    ("tag-blocked", "blocked", "safety_layer_response"),
    ("tag-v1", "v1", "experiment_version"),
    ("tag-v2", "v2", "experiment_version"),
    ("tag-up", "thumbs up", "response_rating"),
    ("tag-down", "thumbs down", "response_rating"),
    ("tag-timeout", "timeout", "error"),
    ("tag-image", "image", "media_type"),
];

/// Generated rows of each table-driven dataset, in dependency order (the shape the seeder
/// and the ingest endpoint take).
pub type DatasetRows = Vec<(&'static str, Vec<Value>)>;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Share of a day's sessions starting in each local hour (UTC here): quiet nights, busy
/// afternoons.
fn hour_weight(hour: u32) -> f64 {
    match hour {
        0..=5 => 0.3,
        6..=8 => 0.8,
        9..=17 => 1.6,
        18..=21 => 1.2,
        _ => 0.6,
    }
}

/// `participants` people and about `sessions_per_day` sessions a day over the `days` days
/// before `now`; the same `seed` always gives the same rows.
pub fn generate_chat(
    participants: usize,
    sessions_per_day: usize,
    now: DateTime<Utc>,
    days: i64,
    seed: u64,
) -> DatasetRows {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = now - Duration::days(days);
    let bot_pick = WeightedIndex::new(BOTS.iter().map(|b| b.2)).expect("weights");
    let platform_pick = WeightedIndex::new(PLATFORMS.iter().map(|p| p.1)).expect("weights");
    let hour_pick = WeightedIndex::new((0..24).map(hour_weight)).expect("weights");
    let reply_ms = LogNormal::<f64>::new(7.6, 0.5).expect("log-normal"); // median ≈ 2 s

    let mut experiments = Vec::new();
    let mut channels = Vec::new();
    for (i, (name, archived, _)) in BOTS.iter().enumerate() {
        let id = format!("bot-{}", i + 1);
        let created = start - Duration::days(30 + i as i64 * 7);
        experiments.push(
            json!({"id": id, "name": name, "is_archived": archived, "created_at": ts(created)}),
        );
        for (j, (platform, _)) in PLATFORMS.iter().enumerate() {
            if (i + j) % 3 == 2 {
                continue; // not every bot is on every platform
            }
            let deleted = i == 0 && *platform == "slack";
            channels.push(
                json!({"id": format!("ch-{}-{platform}", i + 1), "experiment_id": id,
                "name": format!("{name} on {platform}"), "platform": platform, "deleted": deleted}),
            );
        }
    }

    // Participants: platform by weight; a few evaluation harness accounts.
    let mut people = Vec::with_capacity(participants + 5);
    let mut rows_p = Vec::with_capacity(participants + 5);
    for i in 0..participants + 5 {
        let evaluation = i >= participants;
        let platform = if evaluation {
            "evaluations"
        } else {
            PLATFORMS[platform_pick.sample(&mut rng)].0
        };
        let id = format!("p-{i:05}");
        let identifier = match platform {
            "whatsapp" => format!("+1555{:07}", i),
            "telegram" | "slack" => format!("@user{i}"),
            "evaluations" => format!("eval-runner-{i}"),
            _ => format!("user{i}@example.com"),
        };
        let created = start + Duration::minutes(rng.random_range(0..days * 24 * 60 / 2));
        let mut row = json!({"id": id, "identifier": identifier, "platform": platform,
            "created_at": ts(created)});
        if rng.random_bool(0.7) {
            row["name"] = json!(format!("Person {i}"));
        }
        rows_p.push(row);
        people.push((id, platform, created));
    }

    let mut sessions = Vec::new();
    let mut messages = Vec::new();
    let mut traces = Vec::new();
    let mut message_tags = Vec::new();
    let mut session_tags = Vec::new();
    let (mut n_session, mut n_message) = (0usize, 0usize);
    for day in 0..days {
        let weekday_factor = if day % 7 >= 5 { 0.6 } else { 1.0 };
        let growth = 0.7 + 0.6 * day as f64 / days as f64;
        let count = (sessions_per_day as f64 * weekday_factor * growth) as usize;
        for _ in 0..count {
            // Skewed activity: low indexes talk far more often.
            let who = if rng.random_bool(0.01) {
                participants + rng.random_range(0..5) // an evaluation run
            } else {
                let u: f64 = rng.random();
                ((u * u * u) * participants as f64) as usize
            };
            let (pid, home, joined) = &people[who];
            let created = start
                + Duration::days(day)
                + Duration::hours(hour_pick.sample(&mut rng) as i64)
                + Duration::seconds(rng.random_range(0..3600));
            if created > now || created < *joined {
                continue;
            }
            let bot = bot_pick.sample(&mut rng);
            let platform = if rng.random_bool(0.08) {
                PLATFORMS[platform_pick.sample(&mut rng)].0 // sometimes on a second platform
            } else {
                home
            };
            let channel = format!("ch-{}-{platform}", bot + 1);
            let has_channel = channels.iter().any(|c| c["id"] == json!(channel));
            n_session += 1;
            let sid = format!("s-{n_session:06}");
            let status = match rng.random_range(0..100) {
                0..=3 => "setup",
                4..=69 => "complete",
                70..=84 => "active",
                85..=92 => "pending-review",
                _ => "pending",
            };
            let mut t = created;
            let mut push_message = |kind: &str, at: DateTime<Utc>, rng: &mut ChaCha8Rng| {
                n_message += 1;
                let mid = format!("m-{n_message:07}");
                messages.push(json!({"id": mid, "session_id": sid, "message_type": kind, "created_at": ts(at)}));
                let tag = match kind {
                    "ai" => match rng.random_range(0..100) {
                        0..=11 => Some(
                            ["tag-greeting", "tag-handoff", "tag-fallback"][rng.random_range(0..3)],
                        ),
                        12..=13 => Some("tag-blocked"),
                        14..=21 => Some(if rng.random_bool(0.8) {
                            "tag-up"
                        } else {
                            "tag-down"
                        }),
                        22 => Some("tag-timeout"),
                        23..=40 => Some(if bot % 2 == 0 { "tag-v2" } else { "tag-v1" }),
                        _ => None,
                    },
                    "human" => match rng.random_range(0..100) {
                        0..=2 => Some("tag-image"),
                        3..=5 => Some(
                            ["tag-billing", "tag-bug", "tag-feature", "tag-praise"]
                                [rng.random_range(0..4)],
                        ),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(tag) = tag {
                    message_tags.push(json!({"id": format!("mt-{n_message:07}"), "tag_id": tag, "message_id": mid}));
                }
                n_message
            };
            if rng.random_bool(0.3) {
                push_message("system", t, &mut rng);
            }
            let turns = if status == "setup" {
                1
            } else {
                1 + (rng.random::<f64>().powi(2) * 12.0) as usize
            };
            for _ in 0..turns {
                if t > now {
                    break;
                }
                push_message("human", t, &mut rng);
                let reply = reply_ms.sample(&mut rng).min(60_000.0);
                let answered = t + Duration::milliseconds(reply as i64);
                if answered <= now {
                    let n = push_message("ai", answered, &mut rng);
                    traces.push(json!({"id": format!("t-{n:07}"), "session_id": sid,
                        "timestamp": ts(answered), "duration_ms": reply.round()}));
                }
                t = answered + Duration::seconds(rng.random_range(20..400));
            }
            let ended = (status == "complete" && t <= now).then(|| ts(t));
            let mut row = json!({"id": sid, "experiment_id": format!("bot-{}", bot + 1),
                "participant_id": pid, "platform": platform, "status": status,
                "created_at": ts(created), "ended_at": ended});
            if has_channel {
                row["channel_id"] = json!(channel);
            }
            if rng.random_bool(0.04) {
                let tag =
                    ["tag-billing", "tag-bug", "tag-feature", "tag-praise"][rng.random_range(0..4)];
                session_tags.push(
                    json!({"id": format!("st-{n_session:06}"), "tag_id": tag, "session_id": sid}),
                );
            }
            sessions.push(row);
        }
    }
    let tags = TAGS
        .iter()
        .map(|(id, name, category)| json!({"id": id, "name": name, "category": category}))
        .collect();
    vec![
        ("chat_experiments", experiments),
        ("chat_channels", channels),
        ("chat_participants", rows_p),
        ("chat_sessions", sessions),
        ("chat_messages", messages),
        ("chat_tags", tags),
        ("chat_message_tags", message_tags),
        ("chat_session_tags", session_tags),
        ("chat_traces", traces),
    ]
}

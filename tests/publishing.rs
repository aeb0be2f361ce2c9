//! The publishing dashboard against hand-computed values, on both databases. The clock is
//! pinned to 2026-03-10T12:00:00Z (`support::test_now`).
//!
//! | log | clip (score) | platform | status | requested | published | created | account |
//! |---|---|---|---|---|---|---|---|
//! | l1 | c1 (0.8) | instagram | success | 03-09 10:00:00 | +30 s | 03-09 09:59 | a1 |
//! | l2 | c1 | tiktok | success | 03-09 11:00:00 | +90 s | 03-09 10:59 | a1 |
//! | l3 | c2 (0.4) | tiktok | pending | 03-10 09:00 | – | 03-10 11:00 = now − 1 h | a2 |
//! | l4 | c3 (null) | youtube | scheduled | 03-10 10:00 | – | 03-10 11:30 | – |
//! | l5 | c2 | instagram | processing | 03-10 11:50 | – | 03-10 11:59 | a2 |
//! | l6 | c3 | Mastodon | failed | 03-08 08:00 | – | 03-10 08:00 | – |
//! | l7 | c1 | instagram | processing | 03-10 11:55 | – | 03-10 12:00 = now | a3 |
//! | l8 | c2 | tiktok | pending | 03-10 10:30 | – | 03-09 12:00 = now − 24 h | a2 |
//! | l9 | c3 | instagram | success | 03-09 12:00 | null | 03-09 11:00 | – |
//!
//! Jobs: j1 pending tiktok, j2 processing youtube, j3 failed tiktok, j4 completed instagram,
//! j5 completed (no platform), j6 failed tiktok. Campaigns: draft (budget 100), active (50,
//! spent 20), active (no budget, spent 5), completed (10, spent 10).

use crate::both_dbs;
use crate::support::TestApp;
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

fn t(day: u32, hms: &str) -> String {
    format!("2026-03-{day:02}T{hms}Z")
}

/// A publish log; `times` is (requested, published, created).
fn log(
    id: &str,
    clip: &str,
    (platform, status): (&str, &str),
    times: (String, Option<String>, String),
    account: Option<&str>,
) -> Value {
    let (requested, published, created) = times;
    json!({"id": id, "clip_id": clip, "platform": platform, "status": status, "requested_at": requested,
           "published_at": published, "created_at": created, "social_account_id": account})
}

fn job(id: &str, status: &str, platform: Option<&str>) -> Value {
    json!({"id": id, "status": status, "platform": platform, "created_at": t(1, "00:00:00"), "updated_at": t(1, "00:00:00")})
}

async fn seeded(app: &TestApp) -> Principal {
    let p = app.team("acme", "UTC", Role::Editor).await;
    let at = t(1, "00:00:00");
    app.ingest_into(
        &p,
        "pub_videos",
        &[
            json!({"id": "v1", "title": "A", "created_at": at}),
            json!({"id": "v2", "title": "B", "created_at": at}),
        ],
    )
    .await;
    app.ingest_into(
        &p,
        "pub_clips",
        &[
            json!({"id": "c1", "video_id": "v1", "visual_score": 0.8, "created_at": at}),
            json!({"id": "c2", "video_id": "v1", "visual_score": 0.4, "created_at": at}),
            json!({"id": "c3", "video_id": "v2", "created_at": at}),
        ],
    )
    .await;
    app.ingest_into(
        &p,
        "pub_jobs",
        &[
            job("j1", "pending", Some("tiktok")),
            job("j2", "processing", Some("youtube")),
            job("j3", "failed", Some("tiktok")),
            job("j4", "completed", Some("instagram")),
            job("j5", "completed", None),
            job("j6", "failed", Some("tiktok")),
        ],
    )
    .await;
    app.ingest_into(&p, "pub_campaigns", &[
        json!({"id": "k1", "name": "a", "status": "draft", "budget": 100, "created_at": at}),
        json!({"id": "k2", "name": "b", "status": "active", "budget": 50, "spent": 20, "created_at": at}),
        json!({"id": "k3", "name": "c", "status": "active", "spent": 5, "created_at": at}),
        json!({"id": "k4", "name": "d", "status": "completed", "budget": 10, "spent": 10, "created_at": at})]).await;
    app.ingest_into(
        &p,
        "pub_publish_logs",
        &[
            log(
                "l1",
                "c1",
                ("instagram", "success"),
                (t(9, "10:00:00"), Some(t(9, "10:00:30")), t(9, "09:59:00")),
                Some("a1"),
            ),
            log(
                "l2",
                "c1",
                ("tiktok", "success"),
                (t(9, "11:00:00"), Some(t(9, "11:01:30")), t(9, "10:59:00")),
                Some("a1"),
            ),
            log(
                "l3",
                "c2",
                ("tiktok", "pending"),
                (t(10, "09:00:00"), None, t(10, "11:00:00")),
                Some("a2"),
            ),
            log(
                "l4",
                "c3",
                ("youtube", "scheduled"),
                (t(10, "10:00:00"), None, t(10, "11:30:00")),
                None,
            ),
            log(
                "l5",
                "c2",
                ("instagram", "processing"),
                (t(10, "11:50:00"), None, t(10, "11:59:00")),
                Some("a2"),
            ),
            log(
                "l6",
                "c3",
                ("Mastodon", "failed"),
                (t(8, "08:00:00"), None, t(10, "08:00:00")),
                None,
            ),
            log(
                "l7",
                "c1",
                ("instagram", "processing"),
                (t(10, "11:55:00"), None, t(10, "12:00:00")),
                Some("a3"),
            ),
            log(
                "l8",
                "c2",
                ("tiktok", "pending"),
                (t(10, "10:30:00"), None, t(9, "12:00:00")),
                Some("a2"),
            ),
            log(
                "l9",
                "c3",
                ("instagram", "success"),
                (t(9, "12:00:00"), None, t(9, "11:00:00")),
                None,
            ),
        ],
    )
    .await;
    p
}

const WINDOW: &str = r#"window: {start: "2026-03-09T00:00:00Z", end: "2026-03-11T00:00:00Z", timezone: "UTC", granularity: DAY}"#;

const ALL: &str =
    "overview { totalVideos totalClips totalJobs totalCampaigns pendingJobs processingJobs
      failedJobs successLogs failedLogs scheduledPublications }
    queue { pending processing success failed avgProcessingTimeMs oldestPendingAgeSeconds }
    orchestrator { lastRunAt actionsLastHour actionsLast24h queueSaturation activeWorkers }
    platforms { platform clipsReady clipsPublished avgScore jobsCompleted jobsFailed }
    campaigns { draft active paused completed totalBudget totalSpent }
    publications { start isPartial success failed requested }
    processingTime { avgMs p95Ms }";

async fn dashboard(app: &TestApp, p: &Principal, args: &str) -> Value {
    app.data(p, &format!("{{ publishing({WINDOW} {args}) {{ {ALL} }} }}"))
        .await["publishing"]
        .clone()
}

both_dbs! {
    async fn every_panel_matches_hand_computed_values(app) {
        let p = seeded(&app).await;
        let d = dashboard(&app, &p, "").await;
        assert_eq!(d["overview"], json!({"totalVideos": 2, "totalClips": 3, "totalJobs": 6, "totalCampaigns": 4,
            "pendingJobs": 1, "processingJobs": 1, "failedJobs": 2, "successLogs": 3, "failedLogs": 1,
            "scheduledPublications": 3}));
        assert_eq!(d["queue"], json!({"pending": 2, "processing": 2, "success": 3, "failed": 1,
            "avgProcessingTimeMs": 60000.0, "oldestPendingAgeSeconds": 10800.0}));
        assert_eq!(d["orchestrator"], json!({"lastRunAt": "2026-03-10T12:00:00+00:00", "actionsLastHour": 4,
            "actionsLast24h": 6, "queueSaturation": 4.0 / 9.0, "activeWorkers": 2}));
        let platforms = d["platforms"].as_array().unwrap();
        let names: Vec<&str> = platforms.iter().map(|r| r["platform"].as_str().unwrap()).collect();
        assert_eq!(names, ["instagram", "mastodon", "tiktok", "youtube"]);
        let close = |v: &Value, e: f64| assert!((v.as_f64().unwrap() - e).abs() < 1e-9, "{v} != {e}");
        assert_eq!((&platforms[0]["clipsReady"], &platforms[0]["clipsPublished"]), (&json!(0), &json!(2)));
        close(&platforms[0]["avgScore"], 2.0 / 3.0);
        assert_eq!((&platforms[0]["jobsCompleted"], &platforms[0]["jobsFailed"]), (&json!(1), &json!(0)));
        assert_eq!(platforms[1], json!({"platform": "mastodon", "clipsReady": 0, "clipsPublished": 0,
            "avgScore": null, "jobsCompleted": 0, "jobsFailed": 0}));
        // Two pending logs on c2 are one ready clip; c2 is scored once per log.
        assert_eq!((&platforms[2]["clipsReady"], &platforms[2]["clipsPublished"]), (&json!(1), &json!(1)));
        close(&platforms[2]["avgScore"], 1.6 / 3.0);
        assert_eq!(platforms[2]["jobsFailed"], 2);
        assert_eq!(platforms[3], json!({"platform": "youtube", "clipsReady": 1, "clipsPublished": 0,
            "avgScore": null, "jobsCompleted": 0, "jobsFailed": 0}));
        assert_eq!(d["campaigns"], json!({"draft": 1, "active": 2, "paused": 0, "completed": 1,
            "totalBudget": 160.0, "totalSpent": 35.0}));
        assert_eq!(d["publications"], json!([
            {"start": "2026-03-09T00:00:00+00:00", "isPartial": false, "success": 2, "failed": 0, "requested": 4},
            {"start": "2026-03-10T00:00:00+00:00", "isPartial": true, "success": 0, "failed": 1, "requested": 5}]));
        assert_eq!(d["processingTime"], json!([{"avgMs": 60000.0, "p95Ms": 87000.0}, {"avgMs": null, "p95Ms": null}]));
    }

    async fn the_platforms_filter_narrows_jobs_and_logs(app) {
        let p = seeded(&app).await;
        let d = dashboard(&app, &p, r#"filter: {platforms: ["TikTok"]}"#).await;
        assert_eq!(d["overview"]["totalVideos"], 2);
        assert_eq!(d["overview"]["totalJobs"], 3);
        assert_eq!(d["overview"]["failedJobs"], 2);
        assert_eq!(d["overview"]["successLogs"], 1);
        assert_eq!(d["overview"]["scheduledPublications"], 2);
        assert_eq!(d["queue"]["oldestPendingAgeSeconds"], 10800.0);
        assert_eq!(d["platforms"].as_array().unwrap().len(), 1);
        assert_eq!(d["platforms"][0]["platform"], "tiktok");
        assert_eq!(d["publications"][0]["success"], 1);
    }

    async fn an_empty_team_answers_zeros_and_nulls(app) {
        let p = app.team("empty", "UTC", Role::Viewer).await;
        let d = dashboard(&app, &p, "").await;
        assert!(d["overview"].as_object().unwrap().values().all(|v| v == 0), "{}", d["overview"]);
        assert_eq!(d["queue"], json!({"pending": 0, "processing": 0, "success": 0, "failed": 0,
            "avgProcessingTimeMs": null, "oldestPendingAgeSeconds": null}));
        assert_eq!(d["orchestrator"], json!({"lastRunAt": null, "actionsLastHour": 0, "actionsLast24h": 0,
            "queueSaturation": 0.0, "activeWorkers": 0}));
        let names: Vec<&str> = d["platforms"].as_array().unwrap().iter().map(|r| r["platform"].as_str().unwrap()).collect();
        assert_eq!(names, ["instagram", "tiktok", "youtube"]);
        assert_eq!(d["campaigns"]["totalBudget"], 0.0);
    }

    async fn the_dashboard_is_a_fixed_number_of_grouped_queries(app) {
        let p = seeded(&app).await;
        let q = format!("{{ publishing({WINDOW}) {{ {ALL} }} }}");
        let before = app.statements_of(async { app.data(&p, &q).await; }).await.len();
        // More platforms and statuses do not add queries.
        let extra: Vec<Value> = (0..20).map(|i| log(&format!("x{i}"), "c1", (&format!("p{i}"), ["pending", "failed", "success"][i % 3]),
            (t(9, "10:00:00"), None, t(9, "10:00:00")), None)).collect();
        app.ingest_into(&p, "pub_publish_logs", &extra).await;
        let after = app.statements_of(async { app.data(&p, &q).await; }).await;
        assert_eq!(after.len(), before, "{after:#?}");
        assert!(after.len() <= 11, "{after:#?}");
    }

    async fn another_team_sees_nothing_and_presets_apply(app) {
        let p = seeded(&app).await;
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let d = dashboard(&app, &rival, "").await;
        assert!(d["overview"].as_object().unwrap().values().all(|v| v == 0), "{}", d["overview"]);
        assert_eq!(d["orchestrator"]["lastRunAt"], Value::Null);
        assert!(d["publications"].as_array().unwrap().iter().all(|b| b["requested"] == 0));
        let created = app.data(&p, r#"mutation { createFilterPreset(input: { dashboard: PUBLISHING, name: "TikTok",
            publishing: {platforms: ["TIKTOK"]} }) { preset { id publishing { platforms } } userErrors { code } } }"#).await;
        let preset = &created["createFilterPreset"]["preset"];
        assert_eq!(preset["publishing"]["platforms"], json!(["tiktok"]));
        let id = preset["id"].as_str().unwrap();
        let d = dashboard(&app, &p, &format!(r#"presetId: "{id}""#)).await;
        assert_eq!(d["overview"]["totalJobs"], 3);
        let d = dashboard(&app, &p, &format!(r#"presetId: "{id}", filter: {{platforms: []}}"#)).await;
        assert_eq!(d["overview"]["totalJobs"], 6);
    }
}

both_dbs! {
    async fn the_platform_table_exports_exactly_as_the_panel_reads(app) {
        let p = seeded(&app).await;
        let fields = "platform clipsReady clipsPublished jobsCompleted jobsFailed";
        let query = format!("{{ publishing({WINDOW}) {{ platforms {{ {fields} }} }} }}");
        let panel = app.data(&p, &query).await["publishing"]["platforms"].clone();
        let mut expected = fields.replace(' ', ",") + "\r\n";
        for row in panel.as_array().unwrap() {
            let cells: Vec<String> = fields.split(' ').map(|f| match &row[f] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            }).collect();
            expected += &(cells.join(",") + "\r\n");
        }
        let body = json!({"query": query, "format": "csv"});
        let (status, disposition, csv) = crate::export::export(&app, &p, body).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{csv}");
        assert!(disposition.contains("publishing-platforms-"), "{disposition}");
        assert_eq!(csv.lines().count(), 5, "header + 4 platforms");
        assert_eq!(csv, expected);
    }
}

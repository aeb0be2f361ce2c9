//! Following live systems: rows re-sent with a newer `updated_at` replace the stored ones and
//! the dashboards follow; older versions change nothing and are counted `stale`.

use crate::both_dbs;
use crate::support::TestApp;
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

const AT: &str = "2026-03-01T10:00:00Z";

/// A publish log of clip `c1` on `platform` in `status`, as of `updated_at`.
fn log(status: &str, updated: &str, published: Option<&str>) -> Value {
    json!({"id": "l1", "clip_id": "c1", "platform": "tiktok", "status": status,
        "social_account_id": "acct", "requested_at": "2026-03-10T11:00:00Z",
        "published_at": published, "created_at": "2026-03-10T11:00:00Z", "updated_at": updated})
}

async fn publishing(app: &TestApp, p: &Principal) -> Value {
    let q = r#"{ publishing(window: {start: "2026-03-10T00:00:00Z", end: "2026-03-11T00:00:00Z"}) {
        queue { pending processing success failed avgProcessingTimeMs oldestPendingAgeSeconds }
        platforms { platform clipsReady clipsPublished }
        processingTime { avgMs } } }"#;
    app.data(p, q).await["publishing"].clone()
}

async fn chat(app: &TestApp, p: &Principal, filter: &str) -> Value {
    let q = format!(
        r#"{{ chat(window: {{start: "2026-03-01T00:00:00Z", end: "2026-03-08T00:00:00Z"}}{filter}) {{
        kpis {{ experiments {{ value }} activeExperiments {{ value }} sessions {{ value }}
                completedSessions {{ value }} completionRate {{ value }} }}
        botPerformance {{ rows {{ experiment {{ id }} sessions }} }} }} }}"#
    );
    app.data(p, &q).await["chat"].clone()
}

both_dbs! {
    async fn a_publish_log_follows_its_source_through_the_queue(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "V", "created_at": AT})]).await;
        app.ingest_into(&p, "pub_clips", &[json!({"id": "c1", "video_id": "v1", "created_at": AT})]).await;
        // Drill: re-sent as success, the log stayed pending forever.
        let r = app.ingest_into(&p, "pub_publish_logs", &[log("pending", "2026-03-10T11:00:00Z", None)]).await;
        assert_eq!(r["inserted"], 1);
        let d = publishing(&app, &p).await;
        assert_eq!(d["queue"], json!({"pending": 1, "processing": 0, "success": 0, "failed": 0,
            "avgProcessingTimeMs": null, "oldestPendingAgeSeconds": 3600.0}));
        let tiktok = |d: &Value| d["platforms"].as_array().unwrap().iter().find(|r| r["platform"] == "tiktok").cloned().unwrap();
        assert_eq!(tiktok(&d), json!({"platform": "tiktok", "clipsReady": 1, "clipsPublished": 0}));

        let r = app.ingest_into(&p, "pub_publish_logs", &[log("processing", "2026-03-10T11:05:00Z", None)]).await;
        assert_eq!((r["inserted"].clone(), r["updated"].clone()), (json!(0), json!(1)));
        let d = publishing(&app, &p).await;
        assert_eq!((d["queue"]["pending"].clone(), d["queue"]["processing"].clone()), (json!(0), json!(1)));
        assert_eq!(d["queue"]["oldestPendingAgeSeconds"], Value::Null);

        let success = log("success", "2026-03-10T11:10:00Z", Some("2026-03-10T11:00:30Z"));
        assert_eq!(app.ingest_into(&p, "pub_publish_logs", std::slice::from_ref(&success)).await["updated"], 1);
        let d = publishing(&app, &p).await;
        assert_eq!(d["queue"], json!({"pending": 0, "processing": 0, "success": 1, "failed": 0,
            "avgProcessingTimeMs": 30000.0, "oldestPendingAgeSeconds": null}));
        assert_eq!(tiktok(&d), json!({"platform": "tiktok", "clipsReady": 0, "clipsPublished": 1}));
        let timed: Vec<&Value> = d["processingTime"].as_array().unwrap().iter().map(|b| &b["avgMs"]).filter(|v| !v.is_null()).collect();
        assert_eq!(timed, [&json!(30000.0)], "one success, in the 11:00 bucket");

        // A late retry of the pending version changes nothing and says so.
        let r = app.ingest_into(&p, "pub_publish_logs", &[log("pending", "2026-03-10T11:00:00Z", None)]).await;
        assert_eq!(r, json!({"dataset": "pub_publish_logs", "inserted": 0, "updated": 0, "unchanged": 0, "stale": 1, "duplicates": 0}));
        assert_eq!(publishing(&app, &p).await["queue"]["success"], 1);
        // The same version again is unchanged.
        let r = app.ingest_into(&p, "pub_publish_logs", &[success]).await;
        assert_eq!((r["unchanged"].clone(), r["stale"].clone()), (json!(1), json!(0)));
    }

    async fn chat_sessions_complete_experiments_archive_and_channels_go(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "chat_experiments", &[
            json!({"id": "x1", "name": "Alpha", "created_at": AT}),
            json!({"id": "x2", "name": "Beta", "created_at": AT}),
        ]).await;
        app.ingest_into(&p, "chat_channels", &[
            json!({"id": "ch1", "experiment_id": "x1", "name": "WA", "platform": "whatsapp"}),
            json!({"id": "ch2", "experiment_id": "x2", "name": "TG", "platform": "telegram"}),
        ]).await;
        app.ingest_into(&p, "chat_participants", &[json!({"id": "p1", "identifier": "p1@x", "created_at": AT})]).await;
        app.ingest_into(&p, "chat_sessions", &[
            json!({"id": "s1", "experiment_id": "x1", "participant_id": "p1", "status": "active", "created_at": AT, "updated_at": AT}),
            json!({"id": "s2", "experiment_id": "x2", "participant_id": "p1", "status": "active", "created_at": AT, "updated_at": AT}),
        ]).await;
        app.ingest_into(&p, "chat_messages", &[
            json!({"id": "m1", "session_id": "s1", "message_type": "human", "created_at": "2026-03-02T10:00:00Z"}),
            json!({"id": "m2", "session_id": "s2", "message_type": "human", "created_at": "2026-03-02T10:00:00Z"}),
        ]).await;
        let d = chat(&app, &p, "").await;
        assert_eq!(d["kpis"]["completedSessions"]["value"], 0.0);
        assert_eq!(d["kpis"]["completionRate"]["value"], 0.0);
        // The session completes.
        let done = json!({"id": "s1", "experiment_id": "x1", "participant_id": "p1", "status": "complete",
            "created_at": AT, "ended_at": "2026-03-02T10:30:00Z", "updated_at": "2026-03-02T10:30:00Z"});
        assert_eq!(app.ingest_into(&p, "chat_sessions", &[done]).await["updated"], 1);
        let d = chat(&app, &p, "").await;
        assert_eq!(d["kpis"]["completedSessions"]["value"], 1.0);
        assert_eq!(d["kpis"]["completionRate"]["value"], 0.5);
        assert_eq!(d["kpis"]["activeExperiments"]["value"], 2.0);
        // An experiment is archived: out of the active experiments and bot performance.
        let archived = json!({"id": "x2", "name": "Beta", "is_archived": true, "created_at": AT, "updated_at": "2026-03-03T00:00:00Z"});
        assert_eq!(app.ingest_into(&p, "chat_experiments", &[archived]).await["updated"], 1);
        let d = chat(&app, &p, "").await;
        assert_eq!(d["kpis"]["activeExperiments"]["value"], 1.0);
        let bots: Vec<&Value> = d["botPerformance"]["rows"].as_array().unwrap().iter().map(|r| &r["experiment"]["id"]).collect();
        assert_eq!(bots, [&json!("x1")]);
        // A channel is deleted in the source: its experiment leaves the platform filter.
        let filter = r#", filter: {platforms: ["whatsapp"]}"#;
        assert_eq!(chat(&app, &p, filter).await["kpis"]["experiments"]["value"], 1.0);
        let gone = json!({"id": "ch1", "experiment_id": "x1", "name": "WA", "platform": "whatsapp", "deleted": true, "updated_at": "2026-03-04T00:00:00Z"});
        assert_eq!(app.ingest_into(&p, "chat_channels", &[gone]).await["updated"], 1);
        assert_eq!(chat(&app, &p, filter).await["kpis"]["experiments"]["value"], 0.0);
    }

    async fn cancelled_and_refunded_memberships_change_mrr_churn_and_renewals(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let m = |id: &str, user: &str, status: &str, expire: &str, updated: &str| json!({"id": id, "user_id": user,
            "plan_type": "monthly", "start_at": "2026-02-15T00:00:00Z", "expire_at": expire, "status": status,
            "amount": 30, "currency": "USD", "updated_at": updated});
        app.ingest_into(&p, "product_memberships", &[
            m("a", "u1", "active", "2026-03-15T00:00:00Z", "2026-02-15T00:00:00Z"),
            m("b", "u2", "active", "2026-03-15T00:00:00Z", "2026-02-15T00:00:00Z"),
        ]).await;
        let q = r#"{ product(window: {start: "2026-03-01T00:00:00Z", end: "2026-03-10T00:00:00Z", timezone: "UTC"}) {
            monetization { kpis { mrr { value } churnedMembers { value } renewalRate { value } } } } }"#;
        let kpis = |d: Value| d["product"]["monetization"]["kpis"].clone();
        let k = kpis(app.data(&p, q).await);
        assert_eq!((k["mrr"]["value"].clone(), k["churnedMembers"]["value"].clone()), (json!(60.0), json!(0.0)));
        assert_eq!(k["renewalRate"]["value"], Value::Null, "nothing expires in the window yet");
        // u1 cancels: the membership ends now (inside the window) and leaves MRR.
        let cancelled = m("a", "u1", "cancelled", "2026-03-05T00:00:00Z", "2026-03-05T00:00:00Z");
        assert_eq!(app.ingest_into(&p, "product_memberships", &[cancelled]).await["updated"], 1);
        let k = kpis(app.data(&p, q).await);
        assert_eq!((k["mrr"]["value"].clone(), k["churnedMembers"]["value"].clone()), (json!(30.0), json!(1.0)));
        assert_eq!(k["renewalRate"]["value"], 0.0);
        // u2 is refunded and comes back three days later with a new membership: a renewal.
        app.ingest_into(&p, "product_memberships", &[
            m("b", "u2", "refunded", "2026-03-06T00:00:00Z", "2026-03-06T00:00:00Z"),
            json!({"id": "c", "user_id": "u2", "plan_type": "monthly", "start_at": "2026-03-09T00:00:00Z",
                "expire_at": "2026-04-09T00:00:00Z", "status": "active", "amount": 30, "currency": "USD"}),
        ]).await;
        let k = kpis(app.data(&p, q).await);
        assert_eq!((k["mrr"]["value"].clone(), k["churnedMembers"]["value"].clone()), (json!(30.0), json!(1.0)));
        assert_eq!(k["renewalRate"]["value"], 0.5);
    }

    async fn versions_without_updated_at_and_ties_follow_the_documented_rules(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let video = |title: &str, updated: Option<&str>| json!({"id": "v", "title": title, "created_at": AT, "updated_at": updated});
        let counts = |r: Value| (r["inserted"].as_u64().unwrap(), r["updated"].as_u64().unwrap(), r["unchanged"].as_u64().unwrap(), r["stale"].as_u64().unwrap());
        // Without updated_at: the latest delivery wins.
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("A", None)]).await), (1, 0, 0, 0));
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("B", None)]).await), (0, 1, 0, 0));
        // A timestamped version replaces an untimestamped one, and is never replaced by one.
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("C", Some(AT))]).await), (0, 1, 0, 0));
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("D", None)]).await), (0, 0, 0, 1));
        // Equal timestamps, other content: the content that sorts last wins, in either order.
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("B", Some(AT))]).await), (0, 0, 0, 1));
        assert_eq!(counts(app.ingest_into(&p, "pub_videos", &[video("E", Some(AT))]).await), (0, 1, 0, 0));
        let title = app.data(&p, "{ publishing { overview { totalVideos } } }").await;
        assert_eq!(title["publishing"]["overview"]["totalVideos"], 1);
        // Month datasets: the latest delivery replaces the figures.
        let month = |v: f64| json!({"month": "2026-02", "recognized": v});
        assert_eq!(counts(app.ingest_into(&p, "exec_revenue_months", &[month(1.0)]).await), (1, 0, 0, 0));
        assert_eq!(counts(app.ingest_into(&p, "exec_revenue_months", &[month(2.0)]).await), (0, 1, 0, 0));
        assert_eq!(counts(app.ingest_into(&p, "exec_revenue_months", &[month(2.0)]).await), (0, 0, 1, 0));
    }
}

//! The panel cache computes a missing entry once, even under concurrent identical requests.

use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;

#[tokio::test]
async fn concurrent_identical_misses_compute_once() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let query = "{ apiUsage { requests { total } } }";
    let before = app.state.cache.computations();
    let answers = futures::future::join_all((0..16).map(|_| app.data(&p, query))).await;
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(app.state.cache.computations() - before, 1);
    app.data(
        &p,
        "{ apiUsage(window: {preset: LAST_30_DAYS}) { requests { total } } }",
    )
    .await;
    assert_eq!(
        app.state.cache.computations() - before,
        2,
        "other arguments, other entry"
    );
    let other = app.team("other", "UTC", Role::Viewer).await;
    app.data(&other, query).await;
    assert_eq!(
        app.state.cache.computations() - before,
        3,
        "other team, other entry"
    );
}

#[tokio::test]
async fn a_disabled_cache_computes_every_time() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cache_max_bytes = 0)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    for _ in 0..3 {
        app.data(&p, "{ apiUsage { requests { total } } }").await;
    }
    assert_eq!(app.state.cache.computations(), 3);
}

#[tokio::test]
async fn the_demo_is_seeded_once_and_deterministically() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let seeded = dashgate::demo::seed_if_empty(&app.state, 2_000)
        .await
        .unwrap()
        .expect("first start seeds");
    assert_eq!(seeded.request_logs, 2_000);
    assert!(seeded.chat_rows > 100_000, "{}", seeded.chat_rows);
    assert!(seeded.publishing_rows > 5_000, "{}", seeded.publishing_rows);
    assert_eq!(
        dashgate::demo::generate_chat(50, 5, crate::support::test_now(), 10, 7),
        dashgate::demo::generate_chat(50, 5, crate::support::test_now(), 10, 7)
    );
    // The demo chat data reads like a real dashboard, with the exclusions present in it.
    let p = dashgate::kernel::Principal {
        team: seeded.team,
        user: "demo".into(),
        role: Role::Viewer,
    };
    let d = app
        .data(&p, "{ chat(window: {preset: LAST_30_DAYS}) { kpis { experiments { value } sessions { value }
            activeParticipants { value } avgResponseTimeSeconds { value } }
            botPerformance { rows { sessions } } channelBreakdown { rows { platform } }
            tags { label } } }")
        .await["chat"]
        .clone();
    assert_eq!(
        d["kpis"]["experiments"]["value"], 5.0,
        "one bot is archived"
    );
    assert!(d["kpis"]["sessions"]["value"].as_f64().unwrap() > 1_000.0);
    assert!(d["kpis"]["activeParticipants"]["value"].as_f64().unwrap() > 300.0);
    let response = d["kpis"]["avgResponseTimeSeconds"]["value"]
        .as_f64()
        .unwrap();
    assert!((1.0..5.0).contains(&response), "{response}");
    assert_eq!(d["channelBreakdown"]["rows"].as_array().unwrap().len(), 5);
    assert!(
        d["channelBreakdown"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["platform"] != "evaluations")
    );
    let labels: Vec<&str> = d["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 6, "{labels:?}");
    assert!(!labels.contains(&"Experiment Version"));
    let d = app
        .data(&p, "{ publishing { overview { totalVideos scheduledPublications } queue { pending oldestPendingAgeSeconds }
            platforms { platform clipsPublished } publications { success } } }")
        .await["publishing"]
        .clone();
    assert_eq!(d["overview"]["totalVideos"], 400);
    assert!(d["overview"]["scheduledPublications"].as_i64().unwrap() > 0);
    assert_eq!(d["platforms"].as_array().unwrap().len(), 5);
    assert!(
        d["publications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["success"].as_i64().unwrap() > 0)
    );
    // The executive demo: two years of months, customers at risk, the slow month alerting.
    assert!(seeded.executive_rows > 8_000, "{}", seeded.executive_rows);
    let d = app
        .data(
            &p,
            "{ executive { kpis { revenue { value } nrr { value } forecast { value } }
            revenueTrend { recognized } atRiskCustomers { customer stopped } alerts { kpi }
            qualityGates { samples passed } } }",
        )
        .await["executive"]
        .clone();
    assert!(d["kpis"]["revenue"]["value"].as_f64().unwrap() > 1_000_000.0);
    assert_eq!(d["kpis"]["nrr"]["value"], 0.97);
    assert_eq!(d["kpis"]["forecast"]["value"], 420_000.0 * 0.28);
    assert!(
        d["revenueTrend"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["recognized"].as_f64().unwrap() > 0.0)
    );
    let at_risk = d["atRiskCustomers"].as_array().unwrap();
    assert_eq!(at_risk.len(), 6, "{at_risk:?}");
    assert_eq!(at_risk.iter().filter(|c| c["stopped"] == true).count(), 3);
    let alerts: Vec<&str> = d["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kpi"].as_str().unwrap())
        .collect();
    assert_eq!(alerts, ["uptime", "nrr", "qualityGate:drilldown"]);
    assert!(
        d["qualityGates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["samples"].as_i64().unwrap() > 1_000)
    );
    // The product demo: learners on every channel, paying on four plans, generation calls
    // failing now and then, a stage that only appeared lately.
    assert!(seeded.product_rows > 50_000, "{}", seeded.product_rows);
    let d = app
        .data(
            &p,
            "{ product { executive { kpis { activeUsers { value } dau { value } revenue { value } } topChannels { rows { label } } }
              growth { retentionCohorts(offsetsDays: [1]) { size offsets { rate } } activationFunnel { count inProgress droppedOff } }
              monetization { planMix { planType } kpis { mrr { value } renewalRate { value } churnedMembers { value } } }
              learning { topWords(limit: 30) { word errorRate } topCourses { courseId } }
              ops { byStage { stage failures } kpis { successRate { value } } } } }",
        )
        .await["product"]
        .clone();
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or_default();
    assert!(
        number(&d["executive"]["kpis"]["activeUsers"]["value"]) > 300.0,
        "{d:#}"
    );
    assert!(number(&d["executive"]["kpis"]["revenue"]["value"]) > 0.0);
    assert_eq!(
        d["executive"]["topChannels"]["rows"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let cohorts = d["growth"]["retentionCohorts"].as_array().unwrap();
    assert!(cohorts.iter().all(|c| c["size"].as_i64().unwrap() > 0));
    let funnel = d["growth"]["activationFunnel"].as_array().unwrap();
    assert!(
        funnel
            .windows(2)
            .all(|w| w[0]["count"].as_i64() > w[1]["count"].as_i64()),
        "{funnel:?}"
    );
    assert!(funnel[0]["inProgress"].as_i64().unwrap() > 0);
    assert_eq!(d["monetization"]["planMix"].as_array().unwrap().len(), 4);
    let m = &d["monetization"]["kpis"];
    assert!(
        number(&m["mrr"]["value"]) > 0.0 && number(&m["renewalRate"]["value"]) > 0.3,
        "{m}"
    );
    let words = d["learning"]["topWords"].as_array().unwrap();
    let rate = |w: &str| {
        words
            .iter()
            .find(|r| r["word"] == w)
            .map(|r| number(&r["errorRate"]))
    };
    assert!(rate("through") > rate("hola"), "{words:?}");
    let stages: Vec<&str> = d["ops"]["byStage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert!(
        stages.contains(&"translate") && stages.len() == 5,
        "{stages:?}"
    );
    let success = number(&d["ops"]["kpis"]["successRate"]["value"]);
    assert!((0.8..0.99).contains(&success), "{success}");
    assert!(
        dashgate::demo::seed_if_empty(&app.state, 2_000)
            .await
            .unwrap()
            .is_none(),
        "second start"
    );
    let now = crate::support::test_now();
    let a = dashgate::demo::generate_request_logs(500, now, 120, 42);
    assert_eq!(a, dashgate::demo::generate_request_logs(500, now, 120, 42));
    assert!(
        a.windows(2)
            .all(|w| w[0].created_at_ms <= w[1].created_at_ms)
    );
    assert!(a.iter().all(|r| r.created_at_ms < now.timestamp_millis()));
}

#[tokio::test]
async fn answers_report_cache_use_and_force_recomputes() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.force_refresh_per_minute = 2)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let query = "{ apiUsage { requests { total } costs { value } } }";
    let first = app.gql(Some(&p), query).await;
    assert_eq!(first["extensions"]["cache"]["misses"], 2);
    assert_eq!(first["extensions"]["cache"]["hits"], 0);
    assert!(first["extensions"]["cache"]["computedAt"].is_string());
    let second = app.gql(Some(&p), query).await;
    assert_eq!(
        (
            second["extensions"]["cache"]["hits"].clone(),
            second["extensions"]["cache"]["misses"].clone()
        ),
        (serde_json::json!(2), serde_json::json!(0))
    );
    let forced = "{ apiUsage(refresh: FORCE) { requests { total } costs { value } } }";
    let before = app.state.cache.computations();
    let r = app.gql(Some(&p), forced).await;
    assert_eq!(r["extensions"]["cache"]["misses"], 2);
    assert_eq!(app.state.cache.computations() - before, 2);
    app.gql(Some(&p), forced).await;
    let limited = app.gql(Some(&p), forced).await;
    assert_eq!(crate::support::code(&limited), "RATE_LIMITED");
    assert!(
        limited["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let health = app.gql(None, "{ health }").await;
    assert!(
        health.get("extensions").is_none(),
        "no panels, no cache report"
    );
}

#[tokio::test]
async fn each_team_has_a_request_rate_limit() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.rate_limit_per_minute = 2)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let other = app.team("other", "UTC", Role::Viewer).await;
    let body = r#"{"query":"{ viewer { user } }"}"#;
    for _ in 0..2 {
        let (status, _) = app
            .http("POST", "/graphql", Some(&app.token(&p)), body)
            .await;
        assert_eq!(status, axum::http::StatusCode::OK);
    }
    let (status, r) = app
        .http("POST", "/graphql", Some(&app.token(&p)), body)
        .await;
    assert_eq!(status, axum::http::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let (status, _) = app
        .http("POST", "/graphql", Some(&app.token(&other)), body)
        .await;
    assert_eq!(
        status,
        axum::http::StatusCode::OK,
        "another team is not limited"
    );
}

#[tokio::test]
async fn seed_scale_multiplies_every_demo_workload() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let now = crate::support::test_now();
    let one = dashgate::demo::seed_scaled(&app.state.db, "one", 500, 1, now)
        .await
        .unwrap();
    let two = dashgate::demo::seed_scaled(&app.state.db, "two", 500, 2, now)
        .await
        .unwrap();
    assert_eq!((one.request_logs, two.request_logs), (500, 1_000));
    let count = |table: &'static str, team: i64| {
        let db = app.state.db.clone();
        async move {
            let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE team_id = {team}");
            let stmt = sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql);
            let row = sea_orm::ConnectionTrait::query_one_raw(&db, stmt)
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    for table in ["chat_participants", "pub_videos"] {
        let (a, b) = (
            count(table, one.team.id.0).await,
            count(table, two.team.id.0).await,
        );
        // The generated people or videos double (a few fixed ones do not).
        assert!((2 * a - 10..=2 * a).contains(&b), "{table}: {a} then {b}");
    }
    assert!(
        two.product_rows > one.product_rows * 3 / 2,
        "{} vs {}",
        one.product_rows,
        two.product_rows
    );
    assert!(two.chat_rows > one.chat_rows * 3 / 2);
}

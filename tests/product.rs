//! The product dashboard's executive section on hand-computed values, from stored rows (both
//! databases) and from the same rows posted inline. Clock: 2026-03-10T12:00:00Z, team in UTC;
//! `LAST_7_DAYS` = March 4–10, previous window February 25 – March 3.
//!
//! | user | events |
//! |---|---|
//! | u1 | registered 03-05 (Organic/eu/ios), app_open 03-06, study_session 03-08 (600 s), lesson_completed 03-09 (300 s) |
//! | u2 | registered 03-06 (ads), lesson_completed 03-09 (1200 s) |
//! | u3 | registered 03-10 (organic): its next day has not ended |
//! | d1 | app_open 03-07, no `user_id`, `properties.device_id = "d1"` |
//! | u4 | registered 02-20 (ads), app_open 03-01 |
//! | –  | app_open 03-08 without any identity |
//!
//! Memberships: m1 u1 monthly 03-06 → 04-06 active 10; m2 u2 yearly 03-09 → 2027 active 100;
//! m3 u4 monthly 02-26 cancelled 10; m4 u4 monthly 01-01 → 03-05 active 10.

use crate::both_dbs;
use crate::support::code;
use crate::support::product_fixture::{ev, inline_telemetry, product};
use dashgate::kernel::Role;
use serde_json::{Value, json};

fn rows() -> (Vec<Value>, Vec<Value>) {
    let events = vec![
        ev(
            "e1",
            Some("u1"),
            "user_registered",
            "2026-03-05T09:00:00Z",
            json!({"channel": "Organic", "region": "eu", "platform": "ios"}),
        ),
        ev(
            "e2",
            Some("u1"),
            "app_open",
            "2026-03-06T10:00:00Z",
            json!({}),
        ),
        ev(
            "e3",
            Some("u2"),
            "user_registered",
            "2026-03-06T09:00:00Z",
            json!({"channel": "ads"}),
        ),
        ev(
            "e4",
            Some("u3"),
            "user_registered",
            "2026-03-10T08:00:00Z",
            json!({"channel": "organic"}),
        ),
        ev(
            "e5",
            Some("u1"),
            "study_session",
            "2026-03-08T10:00:00Z",
            json!({"duration_seconds": 600}),
        ),
        ev(
            "e6",
            Some("u2"),
            "lesson_completed",
            "2026-03-09T10:00:00Z",
            json!({"duration_seconds": 1200, "course_id": "c1"}),
        ),
        ev(
            "e7",
            Some("u1"),
            "lesson_completed",
            "2026-03-09T11:00:00Z",
            json!({"duration_seconds": 300}),
        ),
        ev(
            "e8",
            None,
            "app_open",
            "2026-03-07T10:00:00Z",
            json!({"device_id": "d1"}),
        ),
        ev(
            "e9",
            Some("u4"),
            "app_open",
            "2026-03-01T10:00:00Z",
            json!({}),
        ),
        ev(
            "e10",
            Some("u4"),
            "user_registered",
            "2026-02-20T10:00:00Z",
            json!({"channel": "ads"}),
        ),
        ev("e11", None, "app_open", "2026-03-08T10:00:00Z", json!({})),
    ];
    let m = |id: &str,
             user: &str,
             plan: &str,
             start: &str,
             expire: Option<&str>,
             status: &str,
             amount: f64| {
        json!({"id": id, "user_id": user, "plan_type": plan, "start_at": start, "expire_at": expire,
               "status": status, "amount": amount, "currency": "USD"})
    };
    let memberships = vec![
        m(
            "m1",
            "u1",
            "monthly",
            "2026-03-06T00:00:00Z",
            Some("2026-04-06T00:00:00Z"),
            "active",
            10.0,
        ),
        m(
            "m2",
            "u2",
            "yearly",
            "2026-03-09T00:00:00Z",
            Some("2027-03-09T00:00:00Z"),
            "active",
            100.0,
        ),
        m(
            "m3",
            "u4",
            "monthly",
            "2026-02-26T00:00:00Z",
            Some("2026-03-26T00:00:00Z"),
            "cancelled",
            10.0,
        ),
        m(
            "m4",
            "u4",
            "monthly",
            "2026-01-01T00:00:00Z",
            Some("2026-03-05T00:00:00Z"),
            "active",
            10.0,
        ),
    ];
    (events, memberships)
}

fn inline() -> Value {
    let (events, memberships) = rows();
    inline_telemetry(&events, &memberships)
}

const SECTION: &str = "source executive { kpis {
    activeUsers { value previous } dau { value previous delta { ratio } } wau { value previous }
    mau { value previous } newUsers { value previous } activeMembers { value previous }
    newMembers { value previous } memberConversion { value previous } revenue { value previous currency }
    arpu { value previous } arppu { value previous } avgStudyMinutes { value previous }
    d1Retention { value previous } }
  series { activeUsers newUsers newMembers revenue }
  topChannels { rows { label value } total } }";

const LAST_7_DAYS: &str = "window: {preset: LAST_7_DAYS}";

fn check_executive(d: &Value) {
    let k = &d["executive"]["kpis"];
    let pair = |key: &str| (k[key]["value"].clone(), k[key]["previous"].clone());
    assert_eq!(pair("activeUsers"), (json!(4.0), json!(1.0)));
    assert_eq!(
        k["dau"],
        json!({"value": 1.0, "previous": 2.0, "delta": {"ratio": -0.5}})
    );
    assert_eq!(pair("wau"), (json!(4.0), json!(1.0)));
    assert_eq!(pair("mau"), (json!(5.0), json!(0.0)));
    assert_eq!(pair("newUsers"), (json!(3.0), json!(0.0)));
    assert_eq!(pair("activeMembers"), (json!(2.0), json!(1.0)));
    assert_eq!(pair("newMembers"), (json!(2.0), json!(1.0)));
    assert_eq!(pair("memberConversion"), (json!(0.5), json!(1.0)));
    assert_eq!(
        k["revenue"],
        json!({"value": 110.0, "previous": 10.0, "currency": "USD"})
    );
    assert_eq!(pair("arpu"), (json!(27.5), json!(10.0)));
    assert_eq!(pair("arppu"), (json!(55.0), json!(10.0)));
    assert_eq!(pair("avgStudyMinutes"), (json!(17.5), Value::Null));
    assert_eq!(pair("d1Retention"), (json!(0.5), Value::Null));
    let series = d["executive"]["series"].as_array().unwrap();
    let col = |f: &str| series.iter().map(|p| p[f].clone()).collect::<Vec<_>>();
    assert_eq!(col("activeUsers"), [0, 1, 2, 1, 1, 2, 1].map(|n| json!(n)));
    assert_eq!(col("newUsers"), [0, 1, 1, 0, 0, 0, 1].map(|n| json!(n)));
    assert_eq!(col("newMembers"), [0, 0, 1, 0, 0, 1, 0].map(|n| json!(n)));
    assert_eq!(
        col("revenue"),
        [0.0, 0.0, 10.0, 0.0, 0.0, 100.0, 0.0].map(|n| json!(n))
    );
    assert_eq!(
        d["executive"]["topChannels"],
        json!({"rows": [{"label": "organic", "value": 2.0},
        {"label": "ads", "value": 1.0}], "total": 3.0})
    );
}

both_dbs! {
    async fn the_executive_section_from_stored_and_inline_rows(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let (events, memberships) = rows();
        app.ingest_into(&p, "product_events", &events).await;
        app.ingest_into(&p, "product_memberships", &memberships).await;
        let stored = product(&app, &p, LAST_7_DAYS, SECTION, None).await;
        assert_eq!(stored["source"], "DATABASE");
        check_executive(&stored);
        // The same rows inline, as a team with no stored rows at all: the same numbers.
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let posted = product(&app, &rival, &format!("{LAST_7_DAYS},"), SECTION, Some(inline())).await;
        assert_eq!(posted["source"], "INLINE");
        check_executive(&posted);
        assert_eq!(product(&app, &rival, LAST_7_DAYS, SECTION, None).await["executive"]["kpis"]["activeUsers"]["value"], json!(0.0));
        // Filters: events by their own channel; memberships by their user's registration channel.
        let ads = product(&app, &p, &format!(r#"{LAST_7_DAYS}, filter: {{channels: ["ADS"]}}"#), SECTION, None).await;
        let k = &ads["executive"]["kpis"];
        assert_eq!(k["activeUsers"]["value"], json!(1.0));
        assert_eq!((&k["revenue"]["value"], &k["revenue"]["previous"]), (&json!(100.0), &json!(10.0)));
        assert_eq!((&k["activeMembers"]["value"], &k["activeMembers"]["previous"]), (&json!(1.0), &json!(1.0)));
    }

    async fn the_worked_example_counts_devices_as_users(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        let events = json!({"events": [
            {"userId": "u1", "eventName": "app_open", "eventTime": "2026-03-10T08:00:00Z"},
            {"userId": "u2", "eventName": "app_open", "eventTime": "2026-03-10T09:00:00Z"},
            {"userId": "u1", "eventName": "app_open", "eventTime": "2026-03-09T09:00:00Z"},
            {"eventName": "app_open", "eventTime": "2026-03-07T09:00:00Z", "properties": {"device_id": "d1"}},
        ]});
        let q = "query($inline: InlineTelemetryInput) { product(inline: $inline) {
            executive { kpis { dau { value previous delta { ratio } } activeUsers { value } } } } }";
        let request = async_graphql::Request::new(q)
            .variables(async_graphql::Variables::from_json(json!({"inline": events})))
            .data(p.clone());
        let r = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
        let k = &r["data"]["product"]["executive"]["kpis"];
        assert_eq!(k["dau"], json!({"value": 2.0, "previous": 1.0, "delta": {"ratio": 1.0}}), "{r:#}");
        assert_eq!(k["activeUsers"]["value"], json!(3.0));
    }

    async fn bad_product_rows_are_rejected_with_their_field(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let bad = [ev("x", Some("u"), "practice_done", "2026-03-09T10:00:00Z", json!({"correct": "yes"}))];
        let (status, r) = app.post_rows(&p, "product_events", &bad).await;
        assert_eq!((status.as_u16(), r["error"]["field"].as_str()), (422, Some("properties.correct")));
        let bad = [json!({"id": "m", "user_id": "u", "plan_type": "monthly", "start_at": "2026-03-09T10:00:00Z",
            "status": "paused", "amount": 1, "currency": "USD"})];
        let (_, r) = app.post_rows(&p, "product_memberships", &bad).await;
        assert_eq!(r["error"]["field"], "status");
        let q = r#"{ product(inline: {events: [{eventName: "x", eventTime: "2026-03-09T10:00:00Z", properties: {latency_ms: -1}}]}) { source } }"#;
        let response = app.gql(Some(&p), q).await;
        assert_eq!(code(&response), "BAD_USER_INPUT");
        assert_eq!(response["errors"][0]["extensions"]["field"], "inline.events.0.properties.latency_ms");
        let many: Vec<Value> = (0..10_001).map(|_| json!({"eventName": "x", "eventTime": "2026-03-09T10:00:00Z"})).collect();
        let request = async_graphql::Request::new("query($i: InlineTelemetryInput) { product(inline: $i) { source } }")
            .variables(async_graphql::Variables::from_json(json!({"i": {"events": many}})))
            .data(p.clone());
        let r = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
        assert_eq!(r["errors"][0]["extensions"]["field"], "inline.events", "{:#}", r["errors"]);
        let many: Vec<Value> = (0..10_001).map(|_| json!({"userId": "u", "planType": "monthly",
            "startAt": "2026-03-09T10:00:00Z", "status": "active", "amount": 1.0})).collect();
        let request = async_graphql::Request::new("query($i: InlineTelemetryInput) { product(inline: $i) { source } }")
            .variables(async_graphql::Variables::from_json(json!({"i": {"events": [], "memberships": many}})))
            .data(p.clone());
        let r = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
        assert_eq!(r["errors"][0]["extensions"]["field"], "inline.memberships", "{:#}", r["errors"]);
        let q = r#"{ product(inline: {events: [], memberships: [{userId: "u", planType: "monthly",
            startAt: "2026-03-09T10:00:00Z", status: "paused", amount: 1}]}) { source } }"#;
        let response = app.gql(Some(&p), q).await;
        assert_eq!(response["errors"][0]["extensions"]["field"], "inline.memberships.0.status");
    }
}

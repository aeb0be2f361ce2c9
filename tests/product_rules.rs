//! The product dashboard's rules on hand-computed values (both databases): local days for
//! DAU, users' attributes from their registration, MRR per plan and the 7-day renewal grace.
//! Clock 2026-03-10T12:00:00Z.

use crate::both_dbs;
use crate::support::product_fixture::{ev, membership, product};
use dashgate::kernel::Role;
use serde_json::json;

both_dbs! {
    async fn dau_counts_local_days(app) {
        // Johannesburg is UTC+2 all year: 23:30 UTC on March 9 is 01:30 on March 10 there.
        let p = app.team("acme", "Africa/Johannesburg", Role::Editor).await;
        app.ingest_into(&p, "product_events", &[
            ev("e1", Some("u1"), "app_open", "2026-03-09T23:30:00Z", json!({})),
            ev("e2", Some("u2"), "app_open", "2026-03-09T21:30:00Z", json!({})),
        ]).await;
        let dau = "executive { kpis { dau { value previous } } }";
        let local = product(&app, &p, "window: {preset: LAST_7_DAYS}", dau, None).await;
        assert_eq!(local["executive"]["kpis"]["dau"], json!({"value": 1.0, "previous": 1.0}));
        let utc = product(&app, &p, r#"window: {preset: LAST_7_DAYS, timezone: "UTC"}"#, dau, None).await;
        assert_eq!(utc["executive"]["kpis"]["dau"], json!({"value": 0.0, "previous": 2.0}));
    }

    async fn users_take_their_attributes_from_registration(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &[
            // k opened the app from an ad on Android, then registered organically on iOS.
            ev("k1", Some("k"), "app_open", "2026-03-04T10:00:00Z", json!({"channel": "ads", "platform": "android"})),
            ev("k2", Some("k"), "user_registered", "2026-03-05T10:00:00Z", json!({"channel": "organic", "platform": "ios"})),
            // m never registered: its first event decides.
            ev("m1", Some("m"), "app_open", "2026-03-05T10:00:00Z", json!({"channel": "ads"})),
            ev("m2", Some("m"), "app_open", "2026-03-06T10:00:00Z", json!({"channel": "organic"})),
        ]).await;
        app.ingest_into(&p, "product_memberships", &[
            membership("mk", "k", "monthly", 10.0, "2026-03-06", Some("2026-04-06"), "active"),
            membership("mm", "m", "monthly", 20.0, "2026-03-06", Some("2026-04-06"), "active"),
        ]).await;
        let q = "executive { kpis { activeUsers { value } revenue { value } activeMembers { value } } }";
        let figures = |d: serde_json::Value| {
            let k = &d["executive"]["kpis"];
            (k["activeUsers"]["value"].clone(), k["revenue"]["value"].clone(), k["activeMembers"]["value"].clone())
        };
        let with = |filter: &str| format!("window: {{preset: LAST_7_DAYS}}, filter: {{{filter}}}");
        let organic = product(&app, &p, &with(r#"channels: ["organic"]"#), q, None).await;
        assert_eq!(figures(organic), (json!(2.0), json!(10.0), json!(1.0)));
        let ads = product(&app, &p, &with(r#"channels: ["ads"]"#), q, None).await;
        assert_eq!(figures(ads), (json!(2.0), json!(20.0), json!(1.0)));
        let android = product(&app, &p, &with(r#"platforms: ["android"]"#), q, None).await;
        assert_eq!(figures(android), (json!(1.0), json!(0.0), json!(0.0)));
    }

    async fn mrr_is_normalised_per_plan_and_renewals_have_seven_days(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_memberships", &[
            membership("p1", "u1", "monthly", 10.0, "2026-01-05", Some("2026-02-05"), "expired"),
            membership("p2", "u1", "monthly", 10.0, "2026-02-13", Some("2026-03-13"), "active"),
            membership("q1", "u2", "monthly", 10.0, "2026-01-10", Some("2026-02-10"), "expired"),
            membership("q2", "u2", "monthly", 10.0, "2026-02-17", Some("2026-03-17"), "active"),
            membership("r1", "u3", "quarterly", 30.0, "2025-11-20", Some("2026-02-20"), "expired"),
            membership("r2", "u3", "yearly", 120.0, "2026-02-22", Some("2027-02-22"), "active"),
            membership("s1", "u4", "yearly", 120.0, "2025-03-01", Some("2026-03-01"), "active"),
            membership("t1", "u5", "lifetime", 300.0, "2026-02-14", None, "active"),
            membership("w1", "u6", "monthly", 20.0, "2026-02-20", Some("2026-03-20"), "cancelled"),
            membership("v1", "u7", "quarterly", 45.0, "2026-01-20", Some("2026-04-20"), "active"),
        ]).await;
        let window = r#"window: {start: "2026-02-01T00:00:00Z", end: "2026-03-01T00:00:00Z"}"#;
        let q = "monetization { kpis { revenue { value previous } mrr { value previous } arppu { value previous }
            churnedMembers { value previous } renewalRate { value previous } } planMix { planType count revenue share } }";
        let d = product(&app, &p, window, q, None).await["monetization"].clone();
        // p1's successor came 8 days after its end (churned); q1's exactly 7 (renewed); r1's 2.
        // MRR at March 1: p2 10 + q2 10 + r2 120/12 + v1 45/3 = 45 (s1 ends at that instant,
        // t1 is lifetime, w1 cancelled); at February 1: s1 120/12 + v1 45/3 = 25.
        assert_eq!(d["kpis"], json!({
            "revenue": {"value": 460.0, "previous": 65.0},
            "mrr": {"value": 45.0, "previous": 25.0},
            "arppu": {"value": 92.0, "previous": 21.667}, // 65 / 3, money rounded once to thousandths
            "churnedMembers": {"value": 1.0, "previous": 0.0},
            "renewalRate": {"value": 2.0 / 3.0, "previous": null}}));
        assert_eq!(d["planMix"], json!([
            {"planType": "monthly", "count": 3, "revenue": 40.0, "share": 0.6},
            {"planType": "lifetime", "count": 1, "revenue": 300.0, "share": 0.2},
            {"planType": "yearly", "count": 1, "revenue": 120.0, "share": 0.2}]));

        // A changed team currency shows on the next request, even with the section cached.
        dashgate::accounts::teams::update_settings(&app.state.db, "acme", None, Some("EUR")).await.unwrap();
        let body = format!(r#"{{"query": "{{ product({}) {{ monetization {{ kpis {{ revenue {{ value currency }} }} }} }} }}"}}"#,
            window.replace('"', "\\\""));
        let (_, r) = app.http("POST", "/graphql", Some(&app.token(&p)), body).await;
        assert_eq!(r["data"]["product"]["monetization"]["kpis"]["revenue"], json!({"value": 460.0, "currency": "EUR"}), "{r:#}");    }
}

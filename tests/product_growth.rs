//! The product `growth` section on hand-computed values, stored (both databases) and inline.
//! Clock 2026-03-10T12:00:00Z, team in UTC; `LAST_7_DAYS` = March 4–10 (daily buckets; the
//! bucket before the first is March 3). March 2 and 9 are Mondays.
//!
//! | user | events (March, UTC) |
//! |---|---|
//! | a | registered 02 09:00; app_open 03, 04, 06 |
//! | b | registered 04 09:00; app_open 05 09:30, lesson_started 05 10:00, lesson_completed 06 10:00, pay_success 08 |
//! | c | registered 05 10:00; lesson_completed 05 10:30 (before its start: out of order), lesson_started 05 11:00, app_open 06 |
//! | d | registered February 1; app_open 07, 08 |
//! | x | device only (`device_id`): app_open 09, 10 |
//! | e | registered 09 23:00; lesson_started 10 09:00 |
//! | f | registered 10 08:00 |
//! | g | registered 06 08:00; lesson_started 06 09:00, lesson_completed 06 10:00, pay_success 07 08:00 |
//! | h | registered 04 12:00, nothing else |
//!
//! Segments per day (new / returning / resurrected / unregistered = total): 04: b h / a / – / –
//! = 3; 05: c / b = 2; 06: g / b c / a = 4; 07: – / g / d = 2; 08: – / d / b = 2; 09: e / – / –
//! / x = 2; 10: f / x e = 3.

use crate::both_dbs;
use crate::support::product_fixture::{ev, inline_telemetry, membership, product};
use dashgate::kernel::Role;
use serde_json::{Value, json};

pub(crate) fn rows() -> Vec<Value> {
    let at = |day: &str, time: &str| format!("2026-{day}T{time}:00Z");
    let plan: &[(&str, &str, &str, &str)] = &[
        ("a", "user_registered", "03-02", "09:00"),
        ("a", "app_open", "03-03", "10:00"),
        ("a", "app_open", "03-04", "10:00"),
        ("a", "app_open", "03-06", "10:00"),
        ("b", "user_registered", "03-04", "09:00"),
        ("b", "app_open", "03-05", "09:30"),
        ("b", "lesson_started", "03-05", "10:00"),
        ("b", "lesson_completed", "03-06", "10:00"),
        ("b", "pay_success", "03-08", "10:00"),
        ("c", "user_registered", "03-05", "10:00"),
        ("c", "lesson_completed", "03-05", "10:30"),
        ("c", "lesson_started", "03-05", "11:00"),
        ("c", "app_open", "03-06", "11:00"),
        ("d", "user_registered", "02-01", "10:00"),
        ("d", "app_open", "03-07", "10:00"),
        ("d", "app_open", "03-08", "11:00"),
        ("e", "user_registered", "03-09", "23:00"),
        ("e", "lesson_started", "03-10", "09:00"),
        ("f", "user_registered", "03-10", "08:00"),
        ("g", "user_registered", "03-06", "08:00"),
        ("g", "lesson_started", "03-06", "09:00"),
        ("g", "lesson_completed", "03-06", "10:00"),
        ("g", "pay_success", "03-07", "08:00"),
        ("h", "user_registered", "03-04", "12:00"),
    ];
    let mut events: Vec<Value> = plan
        .iter()
        .enumerate()
        .map(|(i, (user, name, day, time))| {
            ev(
                &format!("g{i}"),
                Some(user),
                name,
                &at(day, time),
                json!({"channel": "organic"}),
            )
        })
        .collect();
    for (i, day) in ["03-09", "03-10"].iter().enumerate() {
        events.push(ev(
            &format!("x{i}"),
            None,
            "app_open",
            &at(day, "10:00"),
            json!({"device_id": "x"}),
        ));
    }
    events
}

const GROWTH: &str = "growth {
    series { start newUsers payments }
    activeUsersBySegment { new returning resurrected unregistered total }
    retentionCohorts(offsetsDays: [0, 1, 2, 7]) { size offsets { offsetDays eligible retained rate } }
    short: activationFunnel(windowDays: 2) { name count conversionFromStart conversionFromPrevious inProgress droppedOff }
    activationFunnel { name count conversionFromStart conversionFromPrevious inProgress droppedOff } }";

fn cells(c: &[(i32, i32, Option<f64>)]) -> Value {
    let offsets = [0, 1, 2, 7];
    Value::Array(c.iter().zip(offsets).map(|((eligible, retained, rate), o)| {
        json!({"offsetDays": o, "eligible": eligible, "retained": retained, "rate": rate})
    }).collect())
}

fn step(
    name: &str,
    count: i32,
    from_start: f64,
    from_prev: f64,
    in_progress: i32,
    dropped: i32,
) -> Value {
    json!({"name": name, "count": count, "conversionFromStart": from_start,
           "conversionFromPrevious": from_prev, "inProgress": in_progress, "droppedOff": dropped})
}

fn check_daily(g: &Value) {
    let series = g["series"].as_array().unwrap();
    let col = |f: &str| {
        series
            .iter()
            .map(|p| p[f].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(col("newUsers"), [2, 1, 1, 0, 0, 1, 1]);
    assert_eq!(col("payments"), [0, 0, 0, 1, 1, 0, 0]);
    assert_eq!(series[0]["start"], "2026-03-04T00:00:00+00:00");
    let seg = |n, r, s, u, t| json!({"new": n, "returning": r, "resurrected": s, "unregistered": u, "total": t});
    assert_eq!(
        g["activeUsersBySegment"],
        json!([
            seg(2, 1, 0, 0, 3),
            seg(1, 1, 0, 0, 2),
            seg(1, 2, 1, 0, 4),
            seg(0, 1, 1, 0, 2),
            seg(0, 1, 1, 0, 2),
            seg(1, 0, 0, 1, 2),
            seg(1, 2, 0, 0, 3)
        ])
    );
    let empty = cells(&[(0, 0, None); 4]);
    let cohort = |size: i32, c: Value| json!({"size": size, "offsets": c});
    assert_eq!(
        g["retentionCohorts"],
        json!([
            cohort(
                2,
                cells(&[
                    (2, 2, Some(1.0)),
                    (2, 1, Some(0.5)),
                    (2, 1, Some(0.5)),
                    (0, 0, None)
                ])
            ),
            cohort(
                1,
                cells(&[
                    (1, 1, Some(1.0)),
                    (1, 1, Some(1.0)),
                    (1, 0, Some(0.0)),
                    (0, 0, None)
                ])
            ),
            cohort(
                1,
                cells(&[
                    (1, 1, Some(1.0)),
                    (1, 1, Some(1.0)),
                    (1, 0, Some(0.0)),
                    (0, 0, None)
                ])
            ),
            cohort(0, empty.clone()),
            cohort(0, empty.clone()),
            cohort(
                1,
                cells(&[(1, 1, Some(1.0)), (0, 0, None), (0, 0, None), (0, 0, None)])
            ),
            cohort(1, empty),
        ])
    );
    // Two days to each step: b and c ran out of time after starting a lesson (b completed it
    // too late, c only before starting), h never started; e and f still have time.
    let (third, sixth) = (2.0 / 3.0, 1.0 / 6.0);
    assert_eq!(
        g["short"],
        json!([
            step("user_registered", 6, 1.0, 1.0, 1, 1),
            step("lesson_started", 4, third, third, 1, 2),
            step("lesson_completed", 1, sixth, 0.25, 0, 0),
            step("pay_success", 1, sixth, 1.0, 0, 0)
        ])
    );
    // Fourteen days (the default): nobody has run out of time yet.
    assert_eq!(
        g["activationFunnel"],
        json!([
            step("user_registered", 6, 1.0, 1.0, 2, 0),
            step("lesson_started", 4, third, third, 2, 0),
            step("lesson_completed", 2, 1.0 / 3.0, 0.5, 0, 0),
            step("pay_success", 2, 1.0 / 3.0, 1.0, 0, 0)
        ])
    );
}

const WEEKLY: &str = "growth { series { newUsers payments }
    activeUsersBySegment { new returning resurrected unregistered total }
    retentionCohorts(offsetsDays: [0, 1, 2, 7]) { size offsets { offsetDays eligible retained rate } } }";

fn check_weekly(g: &Value) {
    assert_eq!(
        g["series"],
        json!([{"newUsers": 4, "payments": 2}, {"newUsers": 2, "payments": 0}])
    );
    // The bucket before March 4–8 is the calendar week of February 23: nobody was active.
    assert_eq!(
        g["activeUsersBySegment"],
        json!([
        {"new": 4, "returning": 0, "resurrected": 2, "unregistered": 0, "total": 6},
        {"new": 2, "returning": 0, "resurrected": 0, "unregistered": 1, "total": 3}])
    );
    assert_eq!(
        g["retentionCohorts"],
        json!([
        {"size": 4, "offsets": cells(&[(4, 4, Some(1.0)), (4, 3, Some(0.75)), (4, 1, Some(0.25)), (0, 0, None)])},
        {"size": 2, "offsets": cells(&[(1, 1, Some(1.0)), (0, 0, None), (0, 0, None), (0, 0, None)])}])
    );
}

both_dbs! {
    async fn the_growth_section_matches_hand_computed_values(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let events = rows();
        app.ingest_into(&p, "product_events", &events).await;
        let daily = product(&app, &p, "window: {preset: LAST_7_DAYS}", GROWTH, None).await;
        check_daily(&daily["growth"]);
        let weekly = "window: {preset: LAST_7_DAYS, granularity: WEEK}";
        check_weekly(&product(&app, &p, weekly, WEEKLY, None).await["growth"]);
        // The same rows inline, as another team: the same numbers.
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let inline = inline_telemetry(&events, &[]);
        let posted = product(&app, &rival, "window: {preset: LAST_7_DAYS}", GROWTH, Some(inline.clone())).await;
        assert_eq!(posted["growth"], daily["growth"]);
        check_weekly(&product(&app, &rival, weekly, WEEKLY, Some(inline)).await["growth"]);
        // A filter keeps the events with that channel: the device-only user has none.
        let organic = product(&app, &p, r#"window: {preset: LAST_7_DAYS}, filter: {channels: ["organic"]}"#,
            "growth { activeUsersBySegment { unregistered total } }", None).await;
        let totals: Vec<_> = organic["growth"]["activeUsersBySegment"].as_array().unwrap().iter()
            .map(|p| (p["unregistered"].as_i64().unwrap(), p["total"].as_i64().unwrap())).collect();
        assert_eq!(totals, [(0, 3), (0, 2), (0, 4), (0, 2), (0, 2), (0, 1), (0, 2)]);
    }

    async fn growth_arguments_are_checked(app) {
        let p = app.team("acme", "UTC", Role::Viewer).await;
        for (field, args) in [("offsetsDays", "retentionCohorts(offsetsDays: [366]) { size }"),
                              ("offsetsDays", "retentionCohorts(offsetsDays: []) { size }"),
                              ("offsetsDays", "retentionCohorts(offsetsDays: [1, 1]) { size }"),
                              ("windowDays", "activationFunnel(windowDays: 0) { count }")] {
            let r = app.gql(Some(&p), &format!("{{ product {{ growth {{ {args} }} }} }}")).await;
            assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{r:#}");
            assert_eq!(r["errors"][0]["extensions"]["field"], field);
        }
    }

    async fn every_section_is_the_same_from_stored_and_inline_rows(app) {
        let p = app.team("acme", "Asia/Kathmandu", Role::Editor).await;
        let mut events = rows();
        events.push(ev("o1", Some("b"), "model_invoke", "2026-03-07T10:00:00Z",
            json!({"model": "m1", "stage": "script", "success": true, "latency_ms": 120, "cost": 0.5, "tokens": 900})));
        events.push(ev("o2", Some("g"), "tts_generation", "2026-03-08T10:00:00Z",
            json!({"model": "m2", "stage": "voice", "status": "500", "latency_ms": 900})));
        events.push(ev("p1", Some("b"), "practice_done", "2026-03-08T11:00:00Z", json!({"word": "hola", "correct": false})));
        let memberships = vec![
            membership("m1", "b", "monthly", 12.0, "2026-03-08", Some("2026-04-08"), "active"),
            membership("m2", "g", "yearly", 120.0, "2026-03-07", Some("2027-03-07"), "active"),
            membership("m3", "a", "quarterly", 30.0, "2025-12-03", Some("2026-03-03"), "expired"),
        ];
        app.ingest_into(&p, "product_events", &events).await;
        app.ingest_into(&p, "product_memberships", &memberships).await;
        let all = format!("window {{ start end }} executive {{ kpis {{ {EXEC_KPIS} }} series {{ activeUsers newUsers newMembers revenue }}
              topChannels {{ rows {{ label value }} other total }} }}
            {GROWTH}
            monetization {{ kpis {{ revenue {{ value previous }} mrr {{ value previous }} arppu {{ value }} churnedMembers {{ value }} renewalRate {{ value }} }}
              planMix {{ planType count revenue share }} cumulativeRevenue {{ revenue cumulative }} membershipFunnel {{ name count }} }}
            learning {{ kpis {{ lessonsStarted {{ value previous }} lessonsCompleted {{ value }} completionRate {{ value }} avgLessonMinutes {{ value }} practiceCount {{ value }} }}
              completionRate {{ started completed completionRate }} topCourses {{ courseId starts }} topWords {{ word practices errorRate }}
              learningFunnel {{ name count }} }}
            ops {{ kpis {{ calls {{ value }} successRate {{ value }} avgLatencyMs {{ value }} p95LatencyMs {{ value }} totalCost {{ value }} }}
              series {{ succeeded failed avgLatencyMs p95LatencyMs }} byModel {{ model calls tokens cost }} byStage {{ stage calls failures p95LatencyMs }} }}");
        let window = "window: {preset: LAST_30_DAYS}";
        let stored = product(&app, &p, window, &all, None).await;
        let rival = app.team("rival", "Asia/Kathmandu", Role::Viewer).await;
        let posted = product(&app, &rival, window, &all, Some(inline_telemetry(&events, &memberships))).await;
        assert_eq!(stored, posted);
        // Not vacuous: every section saw the rows.
        assert_eq!(stored["ops"]["kpis"]["calls"]["value"], json!(2.0));
        assert_eq!(stored["monetization"]["kpis"]["revenue"]["value"], json!(132.0));
        assert_eq!(stored["learning"]["kpis"]["practiceCount"]["value"], json!(1.0));
        assert_eq!(stored["executive"]["kpis"]["newUsers"]["value"], json!(7.0));
        assert_eq!(stored["growth"]["activationFunnel"][0]["count"], json!(7));
    }
}

const EXEC_KPIS: &str = "activeUsers { value previous } dau { value previous } wau { value previous }
    mau { value previous } newUsers { value } activeMembers { value previous } newMembers { value }
    memberConversion { value } revenue { value } arpu { value } arppu { value } avgStudyMinutes { value }
    d1Retention { value previous }";

//! Calendar properties: buckets tile windows exactly in every timezone, DST days have 23/25
//! hours, :30/:45 offsets are exact, weeks start on ISO Mondays; series sum to the KPI.

use crate::both_dbs;
use crate::support::fixtures::log;
use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use dashgate::kernel::Role;
use dashgate::kernel::calendar::{Granularity, buckets, floor};
use dashgate::kernel::window::{RangePreset, TimeWindow, WindowInput};
use proptest::prelude::*;
use serde_json::json;

const ZONES: [&str; 7] = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
];
const GRANULARITIES: [Granularity; 5] = [
    Granularity::Hour,
    Granularity::Day,
    Granularity::Week,
    Granularity::Month,
    Granularity::Quarter,
];

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn buckets_tile_the_window_exactly(
        zone in 0..ZONES.len(), g in 0..GRANULARITIES.len(),
        start in 1_577_836_800i64..1_893_456_000, span_minutes in 1i64..(60 * 24 * 40),
    ) {
        let tz: Tz = ZONES[zone].parse().unwrap();
        let g = GRANULARITIES[g];
        let start = Utc.timestamp_opt(start, 0).unwrap();
        let end = start + Duration::minutes(if g == Granularity::Hour { span_minutes.min(60 * 24 * 5) } else { span_minutes * 20 });
        let now = end + Duration::days(1);
        let bs = buckets(start, end, g, tz, now);
        prop_assert!(!bs.is_empty());
        prop_assert_eq!(bs[0].start, start);
        prop_assert_eq!(bs[bs.len() - 1].end, end);
        for pair in bs.windows(2) {
            prop_assert_eq!(pair[0].end, pair[1].start);
        }
        for b in &bs {
            prop_assert!(b.start < b.end);
        }
        // Every inner boundary is a natural boundary: flooring it is the identity.
        for b in &bs[1..] {
            prop_assert_eq!(floor(g, tz, b.start), b.start);
            let local = b.start.with_timezone(&tz);
            match g {
                Granularity::Hour => prop_assert_eq!((local.minute(), local.second()), (0, 0)),
                Granularity::Week => prop_assert_eq!(local.weekday(), Weekday::Mon),
                Granularity::Month | Granularity::Quarter => prop_assert_eq!(local.day(), 1),
                Granularity::Day => {}
            }
            if g == Granularity::Quarter {
                prop_assert_eq!(local.month0() % 3, 0);
            }
        }
    }
}

fn hours_of_local_day(zone: &str, day_start: &str, day_end: &str) -> usize {
    let tz: Tz = zone.parse().unwrap();
    buckets(
        utc(day_start),
        utc(day_end),
        Granularity::Hour,
        tz,
        utc("2030-01-01T00:00:00Z"),
    )
    .len()
}

#[test]
fn dst_days_have_23_or_25_hours() {
    // Europe/London: clocks go forward 2026-03-29 01:00 UTC and back 2026-10-25 01:00 UTC.
    assert_eq!(
        hours_of_local_day(
            "Europe/London",
            "2026-03-29T00:00:00Z",
            "2026-03-29T23:00:00Z"
        ),
        23
    );
    assert_eq!(
        hours_of_local_day(
            "Europe/London",
            "2026-10-24T23:00:00Z",
            "2026-10-26T00:00:00Z"
        ),
        25
    );
    // America/New_York: 2026-03-08 (EST→EDT) and 2026-11-01 (EDT→EST).
    assert_eq!(
        hours_of_local_day(
            "America/New_York",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z"
        ),
        23
    );
    assert_eq!(
        hours_of_local_day(
            "America/New_York",
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z"
        ),
        25
    );
}

#[test]
fn half_and_three_quarter_hour_offsets_are_exact() {
    let now = utc("2030-01-01T00:00:00Z");
    let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
    let days = buckets(
        utc("2026-03-01T00:00:00Z"),
        utc("2026-03-03T00:00:00Z"),
        Granularity::Day,
        kolkata,
        now,
    );
    assert_eq!(days[1].start, utc("2026-03-01T18:30:00Z"));
    let kathmandu: Tz = "Asia/Kathmandu".parse().unwrap();
    let hours = buckets(
        utc("2026-03-01T00:00:00Z"),
        utc("2026-03-01T03:00:00Z"),
        Granularity::Hour,
        kathmandu,
        now,
    );
    assert_eq!(hours[0].start, utc("2026-03-01T00:00:00Z"));
    assert_eq!(hours[1].start, utc("2026-03-01T00:15:00Z"));
    assert!(hours[0].is_partial && !hours[1].is_partial);
    assert_eq!(hours.len(), 4);
}

#[test]
fn iso_weeks_start_on_monday_across_years() {
    let tz: Tz = "UTC".parse().unwrap();
    // 2026-12-28 is the Monday of ISO week 2026-W53; 2027-01-04 starts 2027-W01.
    let weeks = buckets(
        utc("2026-12-30T00:00:00Z"),
        utc("2027-01-12T00:00:00Z"),
        Granularity::Week,
        tz,
        utc("2030-01-01T00:00:00Z"),
    );
    let starts: Vec<_> = weeks.iter().map(|b| b.start).collect();
    assert_eq!(
        starts,
        [
            utc("2026-12-30T00:00:00Z"),
            utc("2027-01-04T00:00:00Z"),
            utc("2027-01-11T00:00:00Z")
        ]
    );
    assert_eq!(
        dashgate::kernel::calendar::period_label(
            Granularity::Week,
            tz,
            utc("2026-12-28T00:00:00Z")
        ),
        "2026-W53"
    );
}

both_dbs! {
    async fn series_sum_to_the_count_kpi_across_dst(app) {
        // 400 rows spread over the London DST week, in four timezones and two granularities.
        let p = app.team("acme", "Europe/London", Role::Editor).await;
        let base = utc("2026-03-25T00:00:00Z").timestamp();
        let rows: Vec<_> = (0..400i64)
            .map(|i| {
                let at = Utc.timestamp_opt(base + (i * 7919 * 97) % (9 * 86_400), 0).unwrap();
                log(&format!("r{i}"), &at.to_rfc3339(), if i % 9 == 0 { 500 } else { 200 }, i as f64, json!({}))
            })
            .collect();
        app.ingest(&p, &rows).await;
        for zone in ["Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"] {
            for g in ["HOUR", "DAY"] {
                let q = format!(r#"{{ apiUsage(window: {{start: "2026-03-25T07:30:00Z", end: "2026-04-02T00:00:00Z", timezone: "{zone}", granularity: {g}}}) {{
                    kpis {{ totalRequests {{ value }} }} requests {{ total error }} }} }}"#);
                let d = app.data(&p, &q).await["apiUsage"].clone();
                let sum: f64 = d["requests"].as_array().unwrap().iter().map(|p| p["total"].as_f64().unwrap()).sum();
                assert_eq!(Some(sum), d["kpis"]["totalRequests"]["value"].as_f64(), "{zone} {g}");
                assert!(sum > 300.0);
            }
        }
    }
}

const PRESETS: [RangePreset; 11] = [
    RangePreset::Last24Hours,
    RangePreset::Today,
    RangePreset::Last7Days,
    RangePreset::Last30Days,
    RangePreset::Last90Days,
    RangePreset::Last365Days,
    RangePreset::MonthToDate,
    RangePreset::QuarterToDate,
    RangePreset::YearToDate,
    RangePreset::Last6Months,
    RangePreset::Last12Months,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn presets_contain_now_and_previous_windows_abut(
        zone in 0..ZONES.len(), preset in 0..PRESETS.len(), now in 1_577_836_800i64..1_893_456_000,
    ) {
        let tz: Tz = ZONES[zone].parse().unwrap();
        let now = Utc.timestamp_opt(now, 0).unwrap();
        let input = WindowInput { preset: Some(PRESETS[preset]), ..Default::default() };
        let w = TimeWindow::resolve(&input, tz, now, 1000).unwrap();
        prop_assert!(w.previous_start < w.start && w.start < w.end);
        if PRESETS[preset] == RangePreset::Last24Hours {
            prop_assert_eq!((w.end, w.end - w.start), (now, Duration::hours(24)));
            prop_assert_eq!(w.start - w.previous_start, Duration::hours(24));
        } else {
            prop_assert!(w.start <= now && now < w.end);
            // Calendar presets start and end on local midnights, and the previous window
            // spans the same number of local days or months.
            let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
            prop_assert_eq!(floor(Granularity::Day, tz, w.start), w.start);
            prop_assert_eq!(floor(Granularity::Day, tz, w.end), w.end);
            let days = (local(w.end) - local(w.start)).num_days();
            let prev_days = (local(w.start) - local(w.previous_start)).num_days();
            if matches!(PRESETS[preset], RangePreset::Last6Months | RangePreset::Last12Months) {
                prop_assert_eq!(local(w.previous_start).day(), 1);
            } else {
                prop_assert_eq!(days, prev_days);
            }
        }
        let bs = buckets(w.start, w.end, w.granularity, tz, now);
        prop_assert!(bs.len() <= 1000);
        prop_assert!(bs.iter().any(|b| b.is_partial) || w.end <= now);
    }
}

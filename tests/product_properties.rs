//! Properties of the product engine over random telemetry, in several time zones and
//! granularities: segments add up to the active users, every timed funnel step accounts for
//! each of its users, retention shares stay within their cohorts, and the growth series agree
//! with the executive section.

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Tz;
use dashgate::domains::product::filter::ProductFilter;
use dashgate::domains::product::metrics::{
    Event, Symbols, Telemetry, activation, executive, growth_series, retention,
};
use dashgate::kernel::calendar::Granularity;
use dashgate::kernel::window::{RangePreset, TimeWindow, WindowInput};
use proptest::prelude::*;

/// Zones with whole, :45 and :30 offsets, and a DST zone.
pub const ZONES: [&str; 4] = ["UTC", "Asia/Kathmandu", "America/St_Johns", "Europe/London"];
const NAMES: [&str; 5] = [
    "user_registered",
    "app_open",
    "lesson_started",
    "lesson_completed",
    "pay_success",
];

fn telemetry(raw: &[(u8, u8, i64)], now: i64) -> Telemetry {
    let mut symbols = Symbols::default();
    let mut events: Vec<Event> = raw
        .iter()
        .map(|&(user, name, minutes_ago)| Event {
            // User 7 has no identity: an event, never a user.
            identity: (user != 7).then(|| symbols.intern(&format!("u{user}"))),
            event_name: symbols.intern(NAMES[name as usize]),
            event_time_ms: now - minutes_ago * 60_000,
            props: Default::default(),
        })
        .collect();
    events.sort_by_key(|e| e.event_time_ms);
    Telemetry::new(events, Vec::new(), symbols)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn growth_figures_account_for_every_user(
        raw in prop::collection::vec((0u8..8, 0u8..5, 0i64..60 * 24 * 40), 0..80),
        zone in 0..ZONES.len(),
        weekly in any::<bool>(),
        days in 1i32..20,
        now in 1_767_225_600i64..1_798_761_600,
    ) {
        let tz: Tz = ZONES[zone].parse().unwrap();
        let now = Utc.timestamp_opt(now, 0).unwrap();
        let input = WindowInput {
            preset: Some(RangePreset::Last30Days),
            granularity: Some(if weekly { Granularity::Week } else { Granularity::Day }),
            ..Default::default()
        };
        let w = TimeWindow::resolve(&input, tz, now, 1000).unwrap();
        let t = telemetry(&raw, now.timestamp_millis());
        let f = ProductFilter::default();
        let g = growth_series(&t, &w, &f);
        let exec = executive(&t, &w, &f, "USD");
        for (s, p) in g.segments.iter().zip(&exec.series) {
            prop_assert_eq!(s.new + s.returning + s.resurrected + s.unregistered, s.total);
            prop_assert_eq!(s.total, p.active_users);
        }
        let registrations: i32 = g.series.iter().map(|p| p.new_users).sum();
        prop_assert_eq!(Some(f64::from(registrations)), exec.kpis.new_users.value);
        let steps = activation(&t, &w, &f, days);
        for pair in steps.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            prop_assert_eq!(a.count, b.count + a.in_progress.unwrap() + a.dropped_off.unwrap());
        }
        let last = steps.last().unwrap();
        prop_assert_eq!((last.in_progress, last.dropped_off), (Some(0), Some(0)));
        // A window that ended more than `days` ago: everyone's time has run out.
        let past = WindowInput {
            start: Some(now - Duration::days(45)),
            end: Some(now - Duration::days(25)),
            ..Default::default()
        };
        let pw = TimeWindow::resolve(&past, tz, now, 1000).unwrap();
        let closed = activation(&t, &pw, &f, days);
        prop_assert!(closed.iter().all(|s| s.in_progress == Some(0)));
        let dropped: i32 = closed.iter().map(|s| s.dropped_off.unwrap()).sum();
        prop_assert_eq!(closed[0].count, closed[3].count + dropped);
        let cohorts = retention(&t, &w, &f, &[0, 1, 7]);
        let sizes: i32 = cohorts.iter().map(|c| c.size).sum();
        prop_assert_eq!(sizes, steps[0].count);
        for c in &cohorts {
            for cell in &c.offsets {
                prop_assert!(cell.retained <= cell.eligible && cell.eligible <= c.size);
                prop_assert_eq!(cell.rate.is_none(), cell.eligible == 0);
                if cell.offset_days == 0 {
                    // The registration is an event on the registration day.
                    prop_assert_eq!(cell.retained, cell.eligible);
                }
            }
        }
    }
}

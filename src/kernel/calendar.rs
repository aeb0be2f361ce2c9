//! Timezone-aware bucket boundaries, computed in Rust so every database agrees.
//!
//! Buckets follow the local calendar of the window's timezone: an `HOUR` bucket starts where
//! the local clock shows a whole hour (so a DST day has 23 or 25 of them), `DAY` at local
//! midnight, `WEEK` at local Monday midnight (ISO), `MONTH`/`QUARTER` at the local first day.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The width of one point of a time series.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Granularity {
    /// One local clock hour.
    Hour,
    /// One local calendar day.
    Day,
    /// One ISO week, Monday to Monday, local.
    Week,
    /// One local calendar month.
    Month,
    /// One local calendar quarter.
    Quarter,
}

impl Granularity {
    /// The granularity picked for a window span when none is requested.
    pub fn auto_for(span: Duration) -> Self {
        if span <= Duration::days(2) {
            Granularity::Hour
        } else if span <= Duration::days(92) {
            Granularity::Day
        } else if span <= Duration::days(731) {
            Granularity::Week
        } else {
            Granularity::Month
        }
    }
}

/// One bucket of a dense series: `[start, end)` clipped to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Cut by the window edge, or not yet over at "now".
    pub is_partial: bool,
}

/// The UTC offset of `tz` at instant `t`, in seconds.
pub fn offset_seconds(tz: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// The local calendar date of `t` in `tz`.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first instant of local date `d` (its midnight, or the first valid instant when a DST
/// gap swallows midnight).
pub fn start_of_day(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    let mut local = midnight;
    // A gap is at most a few hours; step in quarter hours until the local time exists.
    for _ in 0..(4 * 26) {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&midnight)
}

/// The first day of the month `months` months after the month of `d` (may be negative).
pub fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let idx = d.year() * 12 + d.month0() as i32 + months;
    NaiveDate::from_ymd_opt(idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1, 1)
        .expect("first of month exists")
}

fn truncate_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).expect("in range")
}

/// The start of the natural bucket that contains `t`.
pub fn floor(g: Granularity, tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    match g {
        Granularity::Hour => {
            let t0 = truncate_seconds(t);
            let local = t0.timestamp() + offset_seconds(tz, t0);
            t0 - Duration::seconds(local.rem_euclid(3600))
        }
        Granularity::Day => start_of_day(tz, local_date(tz, t)),
        Granularity::Week => {
            let d = local_date(tz, t);
            let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
            start_of_day(tz, monday)
        }
        Granularity::Month => start_of_day(tz, add_months(local_date(tz, t), 0)),
        Granularity::Quarter => {
            let d = local_date(tz, t);
            let first = add_months(d, -((d.month0() % 3) as i32));
            start_of_day(tz, first)
        }
    }
}

/// The start of the natural bucket before the one that contains `t`.
pub fn floor_previous(g: Granularity, tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    floor(g, tz, floor(g, tz, t) - Duration::milliseconds(1))
}

/// The start of the natural bucket after the one starting at `b`.
pub fn next_boundary(g: Granularity, tz: Tz, b: DateTime<Utc>) -> DateTime<Utc> {
    let next = match g {
        Granularity::Hour => {
            // The next instant, on a UTC quarter hour, where the local clock shows a whole hour.
            let base = b.timestamp();
            let mut t = base - base.rem_euclid(900) + 900;
            let mut found = None;
            for _ in 0..12 {
                let at = DateTime::from_timestamp(t, 0).expect("in range");
                if (t + offset_seconds(tz, at)).rem_euclid(3600) == 0 {
                    found = Some(at);
                    break;
                }
                t += 900;
            }
            found.unwrap_or(b + Duration::hours(1))
        }
        Granularity::Day => start_of_day(tz, local_date(tz, b) + Duration::days(1)),
        Granularity::Week => start_of_day(tz, local_date(tz, b) + Duration::days(7)),
        Granularity::Month => start_of_day(tz, add_months(local_date(tz, b), 1)),
        Granularity::Quarter => start_of_day(tz, add_months(local_date(tz, b), 3)),
    };
    if next > b {
        next
    } else {
        b + Duration::hours(1)
    }
}

/// Number of buckets `[start, end)` splits into, stopping early past `limit`.
pub fn count_buckets(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    g: Granularity,
    tz: Tz,
    limit: usize,
) -> usize {
    let mut n = 0;
    let mut b = floor(g, tz, start);
    while b < end && n <= limit {
        n += 1;
        b = next_boundary(g, tz, b);
    }
    n
}

/// The dense list of buckets tiling `[start, end)` exactly.
pub fn buckets(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    g: Granularity,
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut b = floor(g, tz, start);
    while b < end {
        let nb = next_boundary(g, tz, b);
        out.push(Bucket {
            start: b.max(start),
            end: nb.min(end),
            is_partial: b < start || nb > end || nb > now,
        });
        b = nb;
    }
    out
}

/// Label of a period start in `tz`: `YYYY-MM` for months, `YYYY-Qn` for quarters.
pub fn period_label(g: Granularity, tz: Tz, start: DateTime<Utc>) -> String {
    let d = local_date(tz, start);
    match g {
        Granularity::Month => format!("{:04}-{:02}", d.year(), d.month()),
        Granularity::Quarter => format!("{:04}-Q{}", d.year(), d.month0() / 3 + 1),
        Granularity::Week => {
            let w = d.iso_week();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
        Granularity::Day => d.format("%Y-%m-%d").to_string(),
        Granularity::Hour => start
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
    }
}

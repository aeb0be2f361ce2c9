//! Time windows: presets resolved against a clock into half-open `[start, end)` instants.

use super::calendar::{self, Bucket, Granularity, add_months, local_date, start_of_day};
use super::error::{AppError, AppResult};
use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How a dashboard resolves its window input: `(input, team timezone, now, max buckets)`.
pub type Resolver = fn(&WindowInput, Tz, DateTime<Utc>, usize) -> AppResult<TimeWindow>;

/// A named time range, resolved against "now" in the window's timezone.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangePreset {
    /// The rolling 24 hours before now.
    #[serde(rename = "LAST_24_HOURS")]
    Last24Hours,
    /// The current local calendar day.
    Today,
    /// The 7 most recent local calendar days, including today.
    #[serde(rename = "LAST_7_DAYS")]
    Last7Days,
    /// The 30 most recent local calendar days, including today.
    #[serde(rename = "LAST_30_DAYS")]
    Last30Days,
    /// The 90 most recent local calendar days, including today.
    #[serde(rename = "LAST_90_DAYS")]
    Last90Days,
    /// The 365 most recent local calendar days, including today.
    #[serde(rename = "LAST_365_DAYS")]
    Last365Days,
    /// From the first day of the current local month through today.
    MonthToDate,
    /// From the first day of the current local quarter through today.
    QuarterToDate,
    /// From January 1st (local) through today.
    YearToDate,
    /// The 6 most recent whole local months, including the current one.
    #[serde(rename = "LAST_6_MONTHS")]
    Last6Months,
    /// The 12 most recent whole local months, including the current one.
    #[serde(rename = "LAST_12_MONTHS")]
    Last12Months,
    /// Explicit `start` and `end`.
    Custom,
}

/// Which time range to aggregate, in which timezone, at which granularity.
#[derive(InputObject, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowInput {
    /// A named range. Defaults to `LAST_7_DAYS`, or `CUSTOM` when `start` and `end` are given.
    pub preset: Option<RangePreset>,
    /// Inclusive start (only with `CUSTOM`).
    pub start: Option<DateTime<Utc>>,
    /// Exclusive end (only with `CUSTOM`).
    pub end: Option<DateTime<Utc>>,
    /// IANA timezone for calendar maths, e.g. `Europe/London`. Defaults to the team's timezone.
    pub timezone: Option<String>,
    /// Bucket width of series. Defaults to a width picked from the span.
    pub granularity: Option<Granularity>,
}

impl WindowInput {
    /// The explicit `[start, end)` of a `CUSTOM` window: both given, `start` before `end`.
    pub fn custom_range(&self) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
        let (Some(start), Some(end)) = (self.start, self.end) else {
            return Err(AppError::bad_input(
                "window.start",
                "preset `CUSTOM` needs both `start` and `end`",
            ));
        };
        if start >= end {
            return Err(AppError::bad_input(
                "window.end",
                "`start` must be before `end`",
            ));
        }
        Ok((start, end))
    }

    /// The requested preset: `CUSTOM` when only `start`/`end` are given, `default` when
    /// nothing is; `start`/`end` with another preset is an error.
    pub fn preset_or(&self, default: RangePreset) -> AppResult<RangePreset> {
        let explicit = self.start.is_some() || self.end.is_some();
        let preset = match self.preset {
            Some(p) => p,
            None if explicit => RangePreset::Custom,
            None => default,
        };
        if preset != RangePreset::Custom && explicit {
            return Err(AppError::bad_input(
                "window.start",
                "`start`/`end` are only allowed with preset `CUSTOM`",
            ));
        }
        Ok(preset)
    }

    /// The requested timezone, or `default_tz` when none is given.
    pub fn tz_or(&self, default_tz: Tz) -> AppResult<Tz> {
        match &self.timezone {
            None => Ok(default_tz),
            Some(name) => name.parse::<Tz>().map_err(|_| {
                AppError::bad_input(
                    "window.timezone",
                    format!("`{name}` is not an IANA timezone (e.g. `Europe/London`)"),
                )
            }),
        }
    }

    /// `explicit` laid over `self` (a saved preset's window) field by field. The range —
    /// `preset`, `start`, `end` — travels as one: if the explicit input names any of them,
    /// it replaces the saved range entirely.
    pub fn overlay(self, explicit: WindowInput) -> WindowInput {
        let explicit_range =
            explicit.preset.is_some() || explicit.start.is_some() || explicit.end.is_some();
        let (preset, start, end) = if explicit_range {
            (explicit.preset, explicit.start, explicit.end)
        } else {
            (self.preset, self.start, self.end)
        };
        WindowInput {
            preset,
            start,
            end,
            timezone: explicit.timezone.or(self.timezone),
            granularity: explicit.granularity.or(self.granularity),
        }
    }
}

/// A resolved window: `[start, end)` plus its previous window of the same length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeWindow {
    pub preset: RangePreset,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(serialize_with = "ser_tz")]
    pub tz: Tz,
    pub granularity: Granularity,
    pub previous_start: DateTime<Utc>,
    #[serde(skip)]
    pub now: DateTime<Utc>,
    /// `rolls_over_at`: part of every cache key that holds the window, so an answer cached
    /// before the bucket holding "now" ended (its partial flags, a moved window) is not
    /// served after.
    moves_at: Option<DateTime<Utc>>,
    /// The dense buckets, computed once at resolution (every panel reads them).
    #[serde(skip)]
    buckets: Vec<Bucket>,
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// As GraphQL writes it (`+00:00`, never `Z`), so exports match answers.
fn ser_local<S: serde::Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

/// The resolved window as echoed back in every answer.
#[derive(SimpleObject, Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedWindow {
    /// The preset that was resolved (`CUSTOM` for explicit bounds).
    pub preset: RangePreset,
    /// Inclusive start, in the window's offset.
    #[serde(serialize_with = "ser_local")]
    pub start: DateTime<FixedOffset>,
    /// Exclusive end, in the window's offset.
    #[serde(serialize_with = "ser_local")]
    pub end: DateTime<FixedOffset>,
    /// The IANA timezone used for calendar maths.
    pub timezone: String,
    /// The granularity of series.
    pub granularity: Granularity,
    /// Inclusive start of the previous window (used by KPI deltas).
    #[serde(serialize_with = "ser_local")]
    pub previous_start: DateTime<FixedOffset>,
    /// Exclusive end of the previous window (= `start`).
    #[serde(serialize_with = "ser_local")]
    pub previous_end: DateTime<FixedOffset>,
}

impl TimeWindow {
    /// Resolves `input` at instant `now`; `default_tz` is the team's timezone.
    pub fn resolve(
        input: &WindowInput,
        default_tz: Tz,
        now: DateTime<Utc>,
        max_buckets: usize,
    ) -> AppResult<Self> {
        let tz = input.tz_or(default_tz)?;
        let preset = input.preset_or(RangePreset::Last7Days)?;
        let today = local_date(tz, now);
        let tomorrow = start_of_day(tz, today + Duration::days(1));
        let days = |n: i64| {
            let first = today - Duration::days(n - 1);
            let prev = first - Duration::days(n);
            (start_of_day(tz, first), tomorrow, start_of_day(tz, prev))
        };
        let since = |first: NaiveDate| {
            let n = (today - first).num_days() + 1;
            (
                start_of_day(tz, first),
                tomorrow,
                start_of_day(tz, first - Duration::days(n)),
            )
        };
        let months = |n: i32| {
            let first = add_months(today, -(n - 1));
            let end = start_of_day(tz, add_months(today, 1));
            (
                start_of_day(tz, first),
                end,
                start_of_day(tz, add_months(first, -n)),
            )
        };
        let (start, end, previous_start) = match preset {
            RangePreset::Last24Hours => {
                let start = now - Duration::hours(24);
                (start, now, start - Duration::hours(24))
            }
            RangePreset::Today => days(1),
            RangePreset::Last7Days => days(7),
            RangePreset::Last30Days => days(30),
            RangePreset::Last90Days => days(90),
            RangePreset::Last365Days => days(365),
            RangePreset::MonthToDate => since(add_months(today, 0)),
            RangePreset::QuarterToDate => since(add_months(today, -((today.month0() % 3) as i32))),
            RangePreset::YearToDate => since(today.with_ordinal(1).expect("Jan 1st exists")),
            RangePreset::Last6Months => months(6),
            RangePreset::Last12Months => months(12),
            RangePreset::Custom => {
                let (start, end) = input.custom_range()?;
                (start, end, start - (end - start))
            }
        };
        let granularity = input
            .granularity
            .unwrap_or_else(|| Granularity::auto_for(end - start));
        let range = (start, end, previous_start);
        Self::from_parts(preset, range, tz, granularity, now, max_buckets)
    }

    /// A window from its resolved parts: `(start, end, previous_start)`. Rejects a window
    /// with more than `max_buckets` buckets.
    pub(super) fn from_parts(
        preset: RangePreset,
        (start, end, previous_start): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
        tz: Tz,
        granularity: Granularity,
        now: DateTime<Utc>,
        max_buckets: usize,
    ) -> AppResult<Self> {
        let n = calendar::count_buckets(start, end, granularity, tz, max_buckets);
        if n > max_buckets {
            return Err(AppError::bad_input(
                "window.granularity",
                format!(
                    "this window has more than {max_buckets} {granularity:?} buckets; \
                     pick a coarser granularity or a shorter window"
                ),
            ));
        }
        let mut window = TimeWindow {
            preset,
            start,
            end,
            tz,
            granularity,
            previous_start,
            now,
            moves_at: None,
            buckets: calendar::buckets(start, end, granularity, tz, now),
        };
        window.moves_at = window.rolls_over_at();
        Ok(window)
    }

    /// The next instant after this window's "now" at which resolving the same input again
    /// can answer differently by time alone: the end of the bucket holding now (a new bucket
    /// begins, the partial one is over, a rolling or calendar window moves) or the window's
    /// end, whichever comes first. `None` for a window wholly before now, which never moves.
    pub fn rolls_over_at(&self) -> Option<DateTime<Utc>> {
        if self.end < self.now {
            return None;
        }
        let (g, tz) = (self.granularity, self.tz);
        let next = calendar::next_boundary(g, tz, calendar::floor(g, tz, self.now));
        Some(if self.end > self.now {
            next.min(self.end)
        } else {
            next
        })
    }

    /// The dense buckets of this window's series.
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// Epoch-ms bounds of the buckets: each bucket's start, then the window's end (the
    /// `bounds` every bucketed query takes).
    pub fn bucket_bounds(&self) -> Vec<i64> {
        let mut bounds: Vec<i64> = self
            .buckets
            .iter()
            .map(|b| b.start.timestamp_millis())
            .collect();
        bounds.push(self.end.timestamp_millis());
        bounds
    }

    /// Each bucket as a series point frame: local start, local end, partial.
    pub fn frames(
        &self,
    ) -> impl Iterator<Item = (DateTime<FixedOffset>, DateTime<FixedOffset>, bool)> + '_ {
        self.buckets
            .iter()
            .map(|b| (self.local(b.start), self.local(b.end), b.is_partial))
    }

    /// An instant in the window's offset at that instant.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        let off = calendar::offset_seconds(self.tz, t) as i32;
        t.with_timezone(&FixedOffset::east_opt(off).expect("valid offset"))
    }

    /// An epoch-ms instant in the window's offset at that instant (out-of-range values clamp
    /// to the epoch).
    pub fn local_ms(&self, ms: i64) -> DateTime<FixedOffset> {
        self.local(DateTime::from_timestamp_millis(ms).unwrap_or_default())
    }

    /// The GraphQL echo of this window.
    pub fn resolved(&self) -> ResolvedWindow {
        ResolvedWindow {
            preset: self.preset,
            start: self.local(self.start),
            end: self.local(self.end),
            timezone: self.tz.name().to_string(),
            granularity: self.granularity,
            previous_start: self.local(self.previous_start),
            previous_end: self.local(self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn resolve(preset: RangePreset, tz: &str, now: DateTime<Utc>) -> TimeWindow {
        let input = WindowInput {
            preset: Some(preset),
            timezone: Some(tz.into()),
            ..Default::default()
        };
        TimeWindow::resolve(&input, chrono_tz::UTC, now, 1000).unwrap()
    }

    #[test]
    fn last_7_days_are_local_calendar_days_including_today() {
        let w = resolve(
            RangePreset::Last7Days,
            "America/New_York",
            at(2026, 3, 10, 3),
        );
        // 03:00 UTC on the 10th is still the 9th in New York (EDT from the 8th).
        assert_eq!(w.start, Utc.with_ymd_and_hms(2026, 3, 3, 5, 0, 0).unwrap());
        assert_eq!(w.end, Utc.with_ymd_and_hms(2026, 3, 10, 4, 0, 0).unwrap());
        assert_eq!(
            w.previous_start,
            Utc.with_ymd_and_hms(2026, 2, 24, 5, 0, 0).unwrap()
        );
        assert_eq!(w.granularity, Granularity::Day);
        assert_eq!(w.buckets().len(), 7);
    }

    #[test]
    fn month_presets_cover_whole_months() {
        let w = resolve(RangePreset::Last6Months, "UTC", at(2026, 11, 22, 12));
        assert_eq!(w.start, at(2026, 6, 1, 0));
        assert_eq!(w.end, at(2026, 12, 1, 0));
        assert_eq!(w.previous_start, at(2025, 12, 1, 0));
        let q = resolve(RangePreset::QuarterToDate, "UTC", at(2026, 11, 22, 12));
        assert_eq!(q.start, at(2026, 10, 1, 0));
        assert_eq!(q.end, at(2026, 11, 23, 0));
    }

    #[test]
    fn custom_windows_are_validated() {
        let now = at(2026, 1, 1, 0);
        let bad = |input: WindowInput| TimeWindow::resolve(&input, chrono_tz::UTC, now, 1000);
        let err = bad(WindowInput {
            start: Some(now),
            end: Some(now),
            ..Default::default()
        });
        assert!(matches!(err, Err(AppError::BadInput { .. })));
        let err = bad(WindowInput {
            timezone: Some("Mars/Base".into()),
            ..Default::default()
        });
        assert!(
            matches!(err, Err(AppError::BadInput { ref field, .. }) if field == "window.timezone")
        );
        let err = bad(WindowInput {
            start: Some(at(2020, 1, 1, 0)),
            end: Some(now),
            granularity: Some(Granularity::Hour),
            ..Default::default()
        });
        assert!(
            matches!(err, Err(AppError::BadInput { ref field, .. }) if field == "window.granularity")
        );
    }
}

//! Month-aligned windows: whole local months, for dashboards whose data is monthly.
//!
//! A month window covers whole calendar months of its timezone; its previous window is the
//! same number of months just before it; its series are per `MONTH` (default) or `QUARTER`.

use super::calendar::{Granularity, add_months, local_date, start_of_day};
use super::error::{AppError, AppResult};
use super::window::{RangePreset, TimeWindow, WindowInput};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

/// A run of whole calendar months: the first one (its 1st day) and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpan {
    pub first: NaiveDate,
    pub count: i32,
}

impl MonthSpan {
    /// The months `first .. first + count`, each as its 1st day.
    pub fn months(self) -> impl Iterator<Item = NaiveDate> {
        (0..self.count).map(move |i| add_months(self.first, i))
    }

    /// The last month of the span.
    pub fn last(self) -> NaiveDate {
        add_months(self.first, self.count - 1)
    }

    /// The 1st day of the month after the span (exclusive end).
    pub fn end(self) -> NaiveDate {
        add_months(self.first, self.count)
    }

    /// The same number of months just before this span.
    pub fn previous(self) -> MonthSpan {
        MonthSpan {
            first: add_months(self.first, -self.count),
            count: self.count,
        }
    }

    /// Whether `month` (a 1st day) lies in the span.
    pub fn contains(self, month: NaiveDate) -> bool {
        month >= self.first && month < self.end()
    }

    /// The months between two local instants that fall on month starts: `[start, end)`.
    pub fn between(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> MonthSpan {
        let last = local_date(tz, end - Duration::milliseconds(1));
        MonthSpan::through(local_date(tz, start), last)
    }

    /// The months from the one holding `first` through the one holding `last`.
    pub fn through(first: NaiveDate, last: NaiveDate) -> MonthSpan {
        let count =
            (last.year() - first.year()) * 12 + last.month0() as i32 - first.month0() as i32 + 1;
        MonthSpan {
            first: add_months(first, 0),
            count: count.max(0),
        }
    }
}

const MONTH_PRESETS: &str =
    "LAST_6_MONTHS, LAST_12_MONTHS, QUARTER_TO_DATE, YEAR_TO_DATE, MONTH_TO_DATE or CUSTOM";

impl TimeWindow {
    /// Resolves `input` into whole local months at instant `now` (default `LAST_12_MONTHS`,
    /// granularity `MONTH`). `*_TO_DATE` presets include the whole current month; `CUSTOM`
    /// bounds widen to the months they touch.
    pub fn resolve_months(
        input: &WindowInput,
        default_tz: Tz,
        now: DateTime<Utc>,
        max_buckets: usize,
    ) -> AppResult<Self> {
        let tz = input.tz_or(default_tz)?;
        let preset = input.preset_or(RangePreset::Last12Months)?;
        let today = local_date(tz, now);
        let span = |first: NaiveDate| MonthSpan::through(first, today);
        let months = match preset {
            RangePreset::Last6Months => span(add_months(today, -5)),
            RangePreset::Last12Months => span(add_months(today, -11)),
            RangePreset::MonthToDate => span(add_months(today, 0)),
            RangePreset::QuarterToDate => span(add_months(today, -((today.month0() % 3) as i32))),
            RangePreset::YearToDate => span(add_months(today, -(today.month0() as i32))),
            RangePreset::Custom => {
                let (start, end) = input.custom_range()?;
                MonthSpan::between(tz, start, end)
            }
            other => {
                return Err(AppError::bad_input(
                    "window.preset",
                    format!(
                        "this dashboard works in whole months; `{other:?}` is not one of \
                         {MONTH_PRESETS}"
                    ),
                ));
            }
        };
        let granularity = match input.granularity {
            None | Some(Granularity::Month) => Granularity::Month,
            Some(Granularity::Quarter) => Granularity::Quarter,
            Some(_) => {
                return Err(AppError::bad_input(
                    "window.granularity",
                    "this dashboard's series are per MONTH or QUARTER",
                ));
            }
        };
        let range = (
            start_of_day(tz, months.first),
            start_of_day(tz, months.end()),
            start_of_day(tz, months.previous().first),
        );
        TimeWindow::from_parts(preset, range, tz, granularity, now, max_buckets)
    }

    /// The whole local months this window covers (of a month-aligned window).
    pub fn month_span(&self) -> MonthSpan {
        MonthSpan::between(self.tz, self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn resolve(input: WindowInput, now: DateTime<Utc>) -> AppResult<TimeWindow> {
        TimeWindow::resolve_months(&input, chrono_tz::Asia::Kolkata, now, 1000)
    }

    fn preset(p: RangePreset) -> WindowInput {
        WindowInput {
            preset: Some(p),
            ..Default::default()
        }
    }

    #[test]
    fn presets_are_whole_local_months_including_the_current_one() {
        // 20:00 UTC on Aug 31st is already Sep 1st in Kolkata (+05:30).
        let now = Utc.with_ymd_and_hms(2025, 8, 31, 20, 0, 0).unwrap();
        let w = resolve(preset(RangePreset::Last6Months), now).unwrap();
        let span = w.month_span();
        assert_eq!((span.first, span.count), (ymd(2025, 4, 1), 6));
        assert_eq!(
            w.start,
            Utc.with_ymd_and_hms(2025, 3, 31, 18, 30, 0).unwrap()
        );
        assert_eq!(span.previous().first, ymd(2024, 10, 1));
        let q = resolve(preset(RangePreset::QuarterToDate), now).unwrap();
        assert_eq!(
            (q.month_span().first, q.month_span().count),
            (ymd(2025, 7, 1), 3)
        );
        let y = resolve(preset(RangePreset::YearToDate), now).unwrap();
        assert_eq!(y.month_span().count, 9);
        let d = resolve(WindowInput::default(), now).unwrap();
        assert_eq!(
            (d.preset, d.month_span().count),
            (RangePreset::Last12Months, 12)
        );
        assert_eq!(d.granularity, Granularity::Month);
        assert_eq!(d.buckets().len(), 12);
    }

    #[test]
    fn custom_bounds_widen_to_the_months_they_touch() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let input = WindowInput {
            start: Some(Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap()),
            end: Some(Utc.with_ymd_and_hms(2025, 4, 30, 18, 30, 0).unwrap()),
            granularity: Some(Granularity::Quarter),
            ..Default::default()
        };
        let w = resolve(input, now).unwrap();
        // The end is May 1st 00:00 in Kolkata: exclusive, so March and April.
        assert_eq!(
            w.month_span(),
            MonthSpan {
                first: ymd(2025, 3, 1),
                count: 2
            }
        );
        assert_eq!(w.buckets().len(), 2);
    }

    #[test]
    fn day_presets_and_fine_granularities_are_rejected() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let field = |r: AppResult<TimeWindow>| match r {
            Err(AppError::BadInput { field, .. }) => field,
            other => panic!("expected bad input, got {other:?}"),
        };
        assert_eq!(
            field(resolve(preset(RangePreset::Last7Days), now)),
            "window.preset"
        );
        let weekly = WindowInput {
            granularity: Some(Granularity::Week),
            ..Default::default()
        };
        assert_eq!(field(resolve(weekly, now)), "window.granularity");
    }
}

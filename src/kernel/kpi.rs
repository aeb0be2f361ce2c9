//! KPI cards: a value, the same metric over the previous window, and a safe delta.

use async_graphql::{Enum, SimpleObject};
use serde::{Deserialize, Serialize};

/// What a KPI value measures.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A plain count.
    Count,
    /// Money, in the card's `currency`.
    Currency,
    /// A 0–1 fraction (the client formats percentages).
    Ratio,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Months (e.g. how long a backlog lasts).
    Months,
}

/// Which direction of change is good news.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetterWhen {
    /// Higher is better.
    Up,
    /// Lower is better.
    Down,
    /// Neither direction is good or bad by itself.
    Neutral,
}

/// How a delta could be computed.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeltaStatus {
    /// Both values exist and the previous one is not zero: `absolute` and `ratio` are set.
    Ok,
    /// The previous value is 0 and the current is not: `absolute` is set, `ratio` is null.
    PreviousZero,
    /// The current or the previous value is null (no data): `absolute` and `ratio` are null.
    NoPreviousData,
    /// Both values are 0: `absolute` is 0, `ratio` is null.
    BothZero,
}

/// The change from the previous window to the current one. Never NaN or infinite.
#[derive(SimpleObject, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// `value - previous`.
    pub absolute: Option<f64>,
    /// `(value - previous) / |previous|`, a fraction (0.25 = +25 %).
    pub ratio: Option<f64>,
    /// Why `absolute` or `ratio` may be null.
    pub status: DeltaStatus,
}

impl Delta {
    /// The delta between `value` and `previous`, safe for zeros and missing data.
    pub fn between(value: Option<f64>, previous: Option<f64>) -> Self {
        match (value, previous) {
            (Some(v), Some(p)) if v.is_finite() && p.is_finite() => {
                if p == 0.0 && v == 0.0 {
                    Delta {
                        absolute: Some(0.0),
                        ratio: None,
                        status: DeltaStatus::BothZero,
                    }
                } else if p == 0.0 {
                    Delta {
                        absolute: Some(v),
                        ratio: None,
                        status: DeltaStatus::PreviousZero,
                    }
                } else {
                    let absolute = v - p;
                    Delta {
                        absolute: Some(absolute),
                        ratio: Some(absolute / p.abs()),
                        status: DeltaStatus::Ok,
                    }
                }
            }
            _ => Delta {
                absolute: None,
                ratio: None,
                status: DeltaStatus::NoPreviousData,
            },
        }
    }
}

/// A metric over the window (`current`) and over the window before it (`previous`): what every
/// dashboard's KPI computation answers, and what a card is made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pair<T> {
    pub current: T,
    pub previous: T,
}

impl<T> Pair<T> {
    pub const fn new(current: T, previous: T) -> Pair<T> {
        Pair { current, previous }
    }

    /// Both values through `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Pair<U> {
        Pair {
            current: f(self.current),
            previous: f(self.previous),
        }
    }
}

/// One KPI card.
#[derive(SimpleObject, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiCard {
    /// Stable key of the metric, e.g. `totalRequests`.
    pub key: String,
    /// Human label.
    pub label: String,
    /// The value over the window (null when there is no data to compute it from).
    pub value: Option<f64>,
    /// The value over the previous window.
    pub previous: Option<f64>,
    /// Change from `previous` to `value`.
    pub delta: Delta,
    /// What the value measures.
    pub unit: Unit,
    /// ISO 4217 code when `unit` is `CURRENCY`.
    pub currency: Option<String>,
    /// Which direction of change is good.
    pub better_when: BetterWhen,
}

/// The static description of a KPI: key, label, unit and direction.
#[derive(Debug, Clone, Copy)]
pub struct KpiDef {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub better_when: BetterWhen,
}

impl KpiDef {
    /// A KPI where lower is better.
    pub const fn down(key: &'static str, label: &'static str, unit: Unit) -> KpiDef {
        KpiDef {
            key,
            label,
            unit,
            better_when: BetterWhen::Down,
        }
    }

    /// A KPI where higher is better.
    pub const fn up(key: &'static str, label: &'static str, unit: Unit) -> KpiDef {
        KpiDef {
            key,
            label,
            unit,
            better_when: BetterWhen::Up,
        }
    }

    /// A card from this definition and the two values.
    pub fn card(&self, values: Pair<Option<f64>>, currency: &str) -> KpiCard {
        let Pair {
            current: value,
            previous,
        } = values;
        KpiCard {
            key: self.key.to_string(),
            label: self.label.to_string(),
            value,
            previous,
            delta: Delta::between(value, previous),
            unit: self.unit,
            currency: (self.unit == Unit::Currency).then(|| currency.to_string()),
            better_when: self.better_when,
        }
    }
}

/// `num / den`, or null when `den` is 0.
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

/// The `p` percentile (0–1) of `values`, interpolated like PostgreSQL's `percentile_cont`;
/// null without values.
pub fn percentile_cont(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = (values.len() - 1) as f64 * p;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(values.len() - 1);
    Some(values[lo] + (pos - lo as f64) * (values[hi] - values[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_percentile_cont() {
        let mut v = [400.0, 100.0, 160.0, 120.0, 140.0];
        assert!((percentile_cont(&mut v, 0.95).unwrap() - 352.0).abs() < 1e-9);
        assert_eq!(percentile_cont(&mut [7.0], 0.95), Some(7.0));
        assert_eq!(percentile_cont(&mut [], 0.5), None);
    }

    #[test]
    fn deltas_are_safe() {
        assert_eq!(
            Delta::between(Some(0.0), Some(0.0)).status,
            DeltaStatus::BothZero
        );
        let d = Delta::between(Some(5.0), Some(0.0));
        assert_eq!(
            (d.absolute, d.ratio, d.status),
            (Some(5.0), None, DeltaStatus::PreviousZero)
        );
        let d = Delta::between(Some(15.0), Some(10.0));
        assert_eq!(
            (d.absolute, d.ratio, d.status),
            (Some(5.0), Some(0.5), DeltaStatus::Ok)
        );
        let d = Delta::between(Some(-5.0), Some(-10.0));
        assert_eq!(d.ratio, Some(0.5));
        assert_eq!(
            Delta::between(None, Some(1.0)).status,
            DeltaStatus::NoPreviousData
        );
        assert_eq!(
            Delta::between(Some(1.0), None).status,
            DeltaStatus::NoPreviousData
        );
    }
}

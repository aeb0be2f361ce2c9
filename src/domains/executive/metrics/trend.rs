//! Series over the window's buckets (months or quarters): revenue trend, uptime, and the
//! per-bucket value of any KPI (its drill-down). Labels are `YYYY-MM` / `YYYY-Qn`.

use super::kpis::ExecutiveKpiKey;
use super::ledger::Ledger;
use crate::kernel::calendar::period_label;
use crate::kernel::months::MonthSpan;
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};

/// One month or quarter of the revenue trend.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct RevenuePoint {
    /// `YYYY-MM` or `YYYY-Qn`.
    pub period: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge or not over yet.
    pub is_partial: bool,
    /// Σ recognized revenue (0 without rows).
    pub recognized: f64,
    /// Σ booked revenue (0 without rows).
    pub booked: f64,
    /// Period-end backlog: that of the period's last month with one (null when none has).
    pub backlog: Option<f64>,
}

/// One month or quarter of uptime.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct UptimePoint {
    /// `YYYY-MM` or `YYYY-Qn`.
    pub period: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge or not over yet.
    pub is_partial: bool,
    /// Mean uptime ratio of the period's months that have one (null when none has).
    pub uptime: Option<f64>,
}

/// One month or quarter of a KPI drill-down.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct KpiPoint {
    /// `YYYY-MM` or `YYYY-Qn`.
    pub period: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Cut by the window edge or not over yet.
    pub is_partial: bool,
    /// The KPI computed over this period alone (null when it has no data).
    pub value: Option<f64>,
}

/// The frame of each bucket: label, bounds, partial, and its months.
struct Period {
    label: String,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    is_partial: bool,
    months: MonthSpan,
}

fn periods(w: &TimeWindow) -> impl Iterator<Item = Period> + '_ {
    w.buckets().iter().map(|b| Period {
        label: period_label(w.granularity, w.tz, b.start),
        start: w.local(b.start),
        end: w.local(b.end),
        is_partial: b.is_partial,
        months: MonthSpan::between(w.tz, b.start, b.end),
    })
}

/// Recognized and booked sums and period-end backlog per bucket, zero-filled.
pub fn revenue_trend(l: &Ledger, w: &TimeWindow) -> Vec<RevenuePoint> {
    periods(w)
        .map(|p| {
            let rows = || l.revenue.range(p.months.first..p.months.end());
            RevenuePoint {
                recognized: rows().map(|(_, r)| r.recognized).sum(),
                booked: rows().map(|(_, r)| r.booked).sum(),
                backlog: ExecutiveKpiKey::Backlog.value(l, p.months),
                period: p.label,
                start: p.start,
                end: p.end,
                is_partial: p.is_partial,
            }
        })
        .collect()
}

/// Mean uptime per bucket.
pub fn uptime_series(l: &Ledger, w: &TimeWindow) -> Vec<UptimePoint> {
    periods(w)
        .map(|p| UptimePoint {
            uptime: ExecutiveKpiKey::Uptime.value(l, p.months),
            period: p.label,
            start: p.start,
            end: p.end,
            is_partial: p.is_partial,
        })
        .collect()
}

/// The KPI computed over each bucket alone.
pub fn kpi_series(key: ExecutiveKpiKey, l: &Ledger, w: &TimeWindow) -> Vec<KpiPoint> {
    periods(w)
        .map(|p| KpiPoint {
            value: key.value(l, p.months),
            period: p.label,
            start: p.start,
            end: p.end,
            is_partial: p.is_partial,
        })
        .collect()
}

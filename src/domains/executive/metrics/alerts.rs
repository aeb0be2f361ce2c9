//! Alerts: rules evaluated on the window's KPI values and quality gates. A KPI without a value
//! raises nothing (no data is not a breach).

use super::gates::QualityGate;
use super::kpis::ExecutiveKpiKey;
use super::ledger::Ledger;
use crate::config::Settings;
use crate::kernel::months::MonthSpan;
use async_graphql::{Enum, SimpleObject};

/// How urgent an alert is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Act now.
    Critical,
    /// Look into it.
    Warning,
}

/// One breached rule.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct Alert {
    /// How urgent it is.
    pub severity: Severity,
    /// The KPI key (`uptime`, `nrr`, …) or `qualityGate:<event name>`.
    pub kpi: String,
    /// The value that breached the rule (a p95 in ms for quality gates).
    pub value: f64,
    /// The rule's threshold.
    pub threshold: f64,
    /// What happened, for people.
    pub message: String,
}

/// The minimum of each KPI rule (from configuration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRules {
    pub uptime: f64,
    pub nrr: f64,
    pub gross_margin: f64,
    pub book_to_bill: f64,
    pub coverage_months: f64,
}

impl AlertRules {
    /// The rules configured in `settings`.
    pub fn from_settings(s: &Settings) -> Self {
        AlertRules {
            uptime: s.alert_uptime_min,
            nrr: s.alert_nrr_min,
            gross_margin: s.alert_gross_margin_min,
            book_to_bill: s.alert_book_to_bill_min,
            coverage_months: s.alert_coverage_months_min,
        }
    }
}

/// A KPI rule: the KPI, its minimum, the severity of a breach, and how values read.
type Rule = (ExecutiveKpiKey, f64, Severity, fn(f64) -> String);

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

/// The alerts of a window: CRITICAL first, then in rule order.
pub fn alerts(rules: AlertRules, l: &Ledger, span: MonthSpan, gates: &[QualityGate]) -> Vec<Alert> {
    use ExecutiveKpiKey as K;
    let kpi_rules: [Rule; 5] = [
        (K::Uptime, rules.uptime, Severity::Critical, pct),
        (K::Nrr, rules.nrr, Severity::Warning, pct),
        (K::GrossMargin, rules.gross_margin, Severity::Warning, pct),
        (K::BookToBill, rules.book_to_bill, Severity::Warning, |v| {
            format!("{v:.2}")
        }),
        (
            K::CoverageMonths,
            rules.coverage_months,
            Severity::Warning,
            |v| format!("{v:.1} months"),
        ),
    ];
    let mut out = Vec::new();
    for (key, min, severity, show) in kpi_rules {
        let Some(value) = key.value(l, span) else {
            continue;
        };
        if value < min {
            let label = key.def().label;
            out.push(Alert {
                severity,
                kpi: key.def().key.to_string(),
                value,
                threshold: min,
                message: format!("{label} is {}, below {}", show(value), show(min)),
            });
        }
    }
    for gate in gates.iter().filter(|g| g.passed == Some(false)) {
        let p95 = gate.p95_ms.unwrap_or_default();
        out.push(Alert {
            severity: Severity::Warning,
            kpi: format!("qualityGate:{}", gate.name),
            value: p95,
            threshold: gate.threshold_ms,
            message: format!(
                "p95 of `{}` is {p95:.0} ms over {} samples, above {:.0} ms",
                gate.name, gate.samples, gate.threshold_ms
            ),
        });
    }
    out.sort_by_key(|a| a.severity != Severity::Critical);
    out
}

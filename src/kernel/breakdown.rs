//! Top-N breakdowns: the largest rows, an `other` row for the tail, and the total.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

/// One row of a breakdown.
#[derive(SimpleObject, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// What the row counts, e.g. a status code or a model name.
    pub label: String,
    /// The row's measure.
    pub value: f64,
    /// `value / total` (null when the total is 0).
    pub share: Option<f64>,
}

/// A top-N breakdown: `sum(rows.value) + other = total`.
#[derive(SimpleObject, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The top rows, value descending, then label ascending.
    pub rows: Vec<BreakdownRow>,
    /// Sum of the rows past the limit.
    pub other: f64,
    /// Sum over all rows.
    pub total: f64,
    /// Whether rows were left out (folded into `other`).
    pub has_more: bool,
}

/// All groups of a breakdown, cut to the top `limit` by value (desc) then label (asc).
/// Returns the kept groups and the `other`, `total` and `has_more` figures.
pub fn top_n<T>(
    mut groups: Vec<T>,
    limit: usize,
    value: impl Fn(&T) -> f64,
    label: impl Fn(&T) -> &str,
) -> (Vec<T>, f64, f64, bool) {
    groups.sort_by(|a, b| {
        value(b)
            .total_cmp(&value(a))
            .then_with(|| label(a).cmp(label(b)))
    });
    // `+ 0.0`: an empty float sum is -0.0, which JSON would show as `-0.0`.
    let total: f64 = groups.iter().map(&value).sum::<f64>() + 0.0;
    let has_more = groups.len() > limit;
    let tail = if has_more {
        groups.split_off(limit)
    } else {
        Vec::new()
    };
    let other: f64 = tail.iter().map(&value).sum::<f64>() + 0.0;
    (groups, other, total, has_more)
}

/// A top-N cut whose rows were mapped into a panel's own row type.
pub struct Ranked<R> {
    pub rows: Vec<R>,
    pub other: f64,
    pub total: f64,
    pub has_more: bool,
}

/// `top_n`, then each kept group mapped to a row with its value's share of the total.
pub fn rank<T, R>(
    groups: Vec<T>,
    limit: usize,
    value: impl Fn(&T) -> f64,
    label: impl Fn(&T) -> &str,
    row: impl Fn(T, Option<f64>) -> R,
) -> Ranked<R> {
    let (kept, other, total, has_more) = top_n(groups, limit, &value, label);
    let rows = kept
        .into_iter()
        .map(|g| {
            let s = share(value(&g), total);
            row(g, s)
        })
        .collect();
    Ranked {
        rows,
        other,
        total,
        has_more,
    }
}

/// `value / total`, or null for an empty total.
pub fn share(value: f64, total: f64) -> Option<f64> {
    (total != 0.0).then(|| value / total)
}

impl Breakdown {
    /// A plain breakdown from `(label, value)` groups.
    pub fn from_groups(groups: Vec<(String, f64)>, limit: usize) -> Self {
        let (rows, other, total, has_more) = top_n(groups, limit, |g| g.1, |g| g.0.as_str());
        let rows = rows
            .into_iter()
            .map(|(label, value)| BreakdownRow {
                label,
                value,
                share: share(value, total),
            })
            .collect();
        Breakdown {
            rows,
            other,
            total,
            has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_plus_other_is_total_and_ties_break_by_label() {
        let groups = vec![
            ("b".into(), 2.0),
            ("a".into(), 2.0),
            ("c".into(), 5.0),
            ("d".into(), 1.0),
        ];
        let b = Breakdown::from_groups(groups, 2);
        let labels: Vec<_> = b.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["c", "a"]);
        assert_eq!((b.other, b.total, b.has_more), (3.0, 10.0, true));
        assert_eq!(b.rows[0].share, Some(0.5));
        let empty = Breakdown::from_groups(vec![], 10);
        assert_eq!(
            (empty.other, empty.total, empty.has_more),
            (0.0, 0.0, false)
        );
        // Positive zeros (an empty float sum is -0.0, shown as `-0.0` in JSON).
        assert!(empty.other.is_sign_positive() && empty.total.is_sign_positive());
        let all = Breakdown::from_groups(vec![("a".into(), 1.0)], 10);
        assert!(all.other.is_sign_positive());
    }
}

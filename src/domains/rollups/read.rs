//! Reading a window through a rollup: the whole grains inside each bucket come from rollup
//! rows, the unaligned edges (`:30`/`:45` offsets, rolling windows, custom instants) from raw
//! rows mapped to the same measures, in one `UNION ALL` that every panel aggregates the same
//! way — so an answer is the same whichever part served it.

use super::{Dim, Rollup};
use crate::kernel::sql::{bucket_index, labeled_index};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement, UnionType};

/// Which part of each bucket is read from where.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    bounds: Vec<i64>,
    /// `(from, to, bucket)`: whole grains read from the rollup.
    rolled: Vec<(i64, i64, i32)>,
    /// `[from, to)` read from raw rows.
    raw: Vec<(i64, i64)>,
}

fn push_range(ranges: &mut Vec<(i64, i64)>, from: i64, to: i64) {
    if from >= to {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.1 == from => last.1 = to,
        _ => ranges.push((from, to)),
    }
}

impl Plan {
    /// The plan for ascending bucket `bounds`: the rollup (of `grain` ms) serves the whole
    /// grains of each bucket when `rolled`, raw rows the rest (everything when not `rolled`).
    pub fn new(bounds: &[i64], grain: i64, rolled: bool) -> Plan {
        let mut plan = Plan {
            bounds: bounds.to_vec(),
            rolled: Vec::new(),
            raw: Vec::new(),
        };
        for (i, pair) in bounds.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let lo = (a + grain - 1).div_euclid(grain) * grain;
            let hi = b.div_euclid(grain) * grain;
            if rolled && lo < hi {
                plan.rolled.push((lo, hi, i as i32));
                push_range(&mut plan.raw, a, lo);
                push_range(&mut plan.raw, hi, b);
            } else {
                push_range(&mut plan.raw, a, b);
            }
        }
        plan
    }

    /// Milliseconds read from raw rows (for tests and tracing).
    pub fn raw_ms(&self) -> i64 {
        self.raw.iter().map(|(a, b)| b - a).sum()
    }
}

/// `col` in any of `ranges` (`1 = 0` when there are none).
fn within(col: &str, ranges: impl Iterator<Item = (i64, i64)>) -> Condition {
    let mut any = Condition::any().add(Expr::cust("1 = 0"));
    for (from, to) in ranges {
        let c = Expr::col(Alias::new(col));
        any = any.add(c.clone().gte(from).and(c.lt(to)));
    }
    any
}

/// Rows `b` (bucket index), `key` and every measure of the team's data for `plan`: rollup rows
/// of `dim` for the whole grains, and raw rows matching `filter` for the rest (a filter the
/// rollup cannot apply must come with a plan that does not use it).
pub fn source(
    rollup: &Rollup,
    dim: &Dim,
    team: i64,
    plan: &Plan,
    filter: Condition,
) -> SelectStatement {
    let mut raw = Query::select();
    raw.expr_as(
        bucket_index(Expr::col(Alias::new(rollup.time)), &plan.bounds),
        Alias::new("b"),
    )
    .expr_as(Expr::cust(dim.key), Alias::new("key"));
    for m in rollup.measures {
        raw.expr_as(Expr::cust(m.per_row), Alias::new(m.column));
    }
    raw.from(Alias::new(rollup.source))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .cond_where(within(rollup.time, plan.raw.iter().copied()))
        .cond_where(filter)
        .and_where(Expr::cust(format!("({}) IS NOT NULL", dim.key)));
    if plan.rolled.is_empty() {
        return raw;
    }
    let mut starts: Vec<i64> = plan.rolled.iter().map(|r| r.0).collect();
    starts.push(plan.rolled[plan.rolled.len() - 1].1);
    let labels: Vec<i32> = plan.rolled.iter().map(|r| r.2).collect();
    let mut merged = Vec::new();
    for (from, to, _) in &plan.rolled {
        push_range(&mut merged, *from, *to);
    }
    let mut rolled = Query::select();
    rolled
        .expr_as(
            labeled_index(Expr::col(Alias::new("bucket_ms")), &starts, &labels),
            Alias::new("b"),
        )
        .column(Alias::new("key"));
    for m in rollup.measures {
        rolled.column(Alias::new(m.column));
    }
    rolled
        .from(Alias::new(rollup.table))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .and_where(Expr::col(Alias::new("dim")).eq(dim.name))
        .cond_where(within("bucket_ms", merged.into_iter()));
    raw.union(UnionType::All, rolled);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn whole_hours_come_from_the_rollup_and_edges_from_raw_rows() {
        // Buckets [0:30, 24:30) and [24:30, 48:30) (a +05:30 day): whole hours 1..24, 25..48.
        let b = [H / 2, 24 * H + H / 2, 48 * H + H / 2];
        let p = Plan::new(&b, H, true);
        assert_eq!(p.rolled, vec![(H, 24 * H, 0), (25 * H, 48 * H, 1)]);
        assert_eq!(
            p.raw,
            vec![(H / 2, H), (24 * H, 25 * H), (48 * H, 48 * H + H / 2)]
        );
        // Aligned days: nothing raw.
        let p = Plan::new(&[0, 24 * H, 48 * H], H, true);
        assert_eq!(p.raw_ms(), 0);
        // A bucket shorter than an hour, and no rollup at all.
        let p = Plan::new(&[10, 20], H, true);
        assert_eq!((p.rolled.len(), p.raw.clone()), (0, vec![(10, 20)]));
        let p = Plan::new(&[0, 24 * H], H, false);
        assert_eq!((p.rolled.len(), p.raw.clone()), (0, vec![(0, 24 * H)]));
    }
}

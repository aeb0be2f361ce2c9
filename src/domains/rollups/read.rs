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
    /// Per tier (coarsest first), `(from, to, bucket)`: whole grains read from the rollup.
    rolled: Vec<Vec<(i64, i64, i32)>>,
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
    /// The plan for ascending bucket `bounds` over tiers of `grains` (ms, coarsest first, each
    /// a multiple of the next): each bucket takes the whole grains of the first tier that fit,
    /// the next tier the whole grains of what is left on either side, and raw rows the rest.
    /// With `rolled` false everything is raw.
    pub fn new(bounds: &[i64], grains: &[i64], rolled: bool) -> Plan {
        let tiers = if rolled { grains.len() } else { 0 };
        let mut plan = Plan {
            bounds: bounds.to_vec(),
            rolled: vec![Vec::new(); tiers],
            raw: Vec::new(),
        };
        for (i, pair) in bounds.windows(2).enumerate() {
            plan.cover(pair[0], pair[1], i as i32, grains, 0, tiers);
        }
        plan
    }

    fn cover(&mut self, a: i64, b: i64, bucket: i32, grains: &[i64], tier: usize, tiers: usize) {
        if a >= b {
            return;
        }
        if tier == tiers {
            push_range(&mut self.raw, a, b);
            return;
        }
        let g = grains[tier];
        let lo = (a + g - 1).div_euclid(g) * g;
        let hi = b.div_euclid(g) * g;
        if lo < hi {
            self.cover(a, lo, bucket, grains, tier + 1, tiers);
            self.rolled[tier].push((lo, hi, bucket));
            self.cover(hi, b, bucket, grains, tier + 1, tiers);
        } else {
            self.cover(a, b, bucket, grains, tier + 1, tiers);
        }
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

/// Rows `b` (bucket index of `bounds`), `key` and every measure of the team's data: when
/// `rolled`, rollup rows of each tier of `tiers` (dimensions with the same key, coarsest grain
/// first) for the whole grains of each bucket, and raw rows matching `filter` for the rest
/// (a filter the rollup cannot apply must come with `rolled` false).
pub fn source(
    backend: sea_orm::DatabaseBackend,
    rollup: &Rollup,
    tiers: &[&Dim],
    team: i64,
    bounds: &[i64],
    rolled: bool,
    filter: Condition,
) -> SelectStatement {
    let grains: Vec<i64> = tiers.iter().map(|d| d.grain_ms).collect();
    let plan = Plan::new(bounds, &grains, rolled);
    let key = tiers[tiers.len() - 1].key.render(backend);
    let mut raw = Query::select();
    raw.expr_as(
        bucket_index(Expr::col(Alias::new(rollup.time)), &plan.bounds),
        Alias::new("b"),
    )
    .expr_as(Expr::cust(key.clone()), Alias::new("key"));
    for m in rollup.measures {
        raw.expr_as(Expr::cust(m.per_row), Alias::new(m.column));
    }
    raw.from(Alias::new(rollup.source))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .cond_where(within(rollup.time, plan.raw.iter().copied()))
        .cond_where(filter)
        .and_where(Expr::cust(format!("({key}) IS NOT NULL")));
    for (dim, pieces) in tiers.iter().zip(&plan.rolled) {
        if pieces.is_empty() {
            continue;
        }
        raw.union(UnionType::All, tier_rows(rollup, dim, team, pieces));
    }
    raw
}

/// The rollup rows of `dim` for `pieces` (ascending `(from, to, bucket)`), labelled by bucket.
fn tier_rows(rollup: &Rollup, dim: &Dim, team: i64, pieces: &[(i64, i64, i32)]) -> SelectStatement {
    let mut starts: Vec<i64> = pieces.iter().map(|r| r.0).collect();
    starts.push(pieces[pieces.len() - 1].1);
    let labels: Vec<i32> = pieces.iter().map(|r| r.2).collect();
    let mut merged = Vec::new();
    for (from, to, _) in pieces {
        push_range(&mut merged, *from, *to);
    }
    let mut rows = Query::select();
    rows.expr_as(
        labeled_index(Expr::col(Alias::new("bucket_ms")), &starts, &labels),
        Alias::new("b"),
    )
    .column(Alias::new("key"));
    for m in rollup.measures {
        rows.column(Alias::new(m.column));
    }
    rows.from(Alias::new(rollup.table))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .and_where(Expr::col(Alias::new("dim")).eq(dim.name))
        .cond_where(within("bucket_ms", merged.into_iter()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn whole_hours_come_from_the_rollup_and_edges_from_raw_rows() {
        // Buckets [0:30, 24:30) and [24:30, 48:30) (a +05:30 day): whole hours 1..24, 25..48.
        let b = [H / 2, 24 * H + H / 2, 48 * H + H / 2];
        let p = Plan::new(&b, &[H], true);
        assert_eq!(p.rolled, vec![vec![(H, 24 * H, 0), (25 * H, 48 * H, 1)]]);
        assert_eq!(
            p.raw,
            vec![(H / 2, H), (24 * H, 25 * H), (48 * H, 48 * H + H / 2)]
        );
        // Aligned days: nothing raw.
        let p = Plan::new(&[0, 24 * H, 48 * H], &[H], true);
        assert_eq!(p.raw_ms(), 0);
        // A bucket shorter than an hour, and no rollup at all.
        let p = Plan::new(&[10, 20], &[H], true);
        assert_eq!((p.rolled[0].len(), p.raw.clone()), (0, vec![(10, 20)]));
        let p = Plan::new(&[0, 24 * H], &[H], false);
        assert_eq!((p.rolled.len(), p.raw.clone()), (0, vec![(0, 24 * H)]));
    }

    #[test]
    fn days_first_then_hours_then_raw_rows() {
        const D: i64 = 24 * H;
        // [day 0 + 1:30, day 3 + 2:00): whole day 1 and 2, hours 2..24 of day 0 and 0..2 of
        // day 3, raw the half hour at the start.
        let p = Plan::new(&[H + H / 2, 3 * D + 2 * H], &[D, H], true);
        assert_eq!(p.rolled[0], vec![(D, 3 * D, 0)]);
        assert_eq!(p.rolled[1], vec![(2 * H, D, 0), (3 * D, 3 * D + 2 * H, 0)]);
        assert_eq!(p.raw, vec![(H + H / 2, 2 * H)]);
    }
}

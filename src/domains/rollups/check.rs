//! `dashgate rollups check`: a rollup recomputed from the raw rows, compared with the stored
//! one row by row.

use super::Rollup;
use super::maintain::{contributions, each_measure, scope_of, with_rows};
use crate::kernel::AppResult;
use crate::kernel::sql::get;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Statement};
use std::collections::BTreeMap;

/// A rollup row that differs from what the raw rows give.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    pub table: &'static str,
    pub team_id: i64,
    pub dim: String,
    pub bucket_ms: i64,
    pub key: String,
    /// Measures computed from the raw rows (none: no raw row contributes).
    pub expected: Option<Vec<Option<f64>>>,
    /// Measures stored (none: the row is missing).
    pub stored: Option<Vec<Option<f64>>>,
}

type Rows = BTreeMap<(i64, String, i64, String), Vec<Option<f64>>>;

async fn read_rows(db: &impl ConnectionTrait, stmt: Statement, measures: usize) -> AppResult<Rows> {
    let mut out = Rows::new();
    for row in db.query_all_raw(stmt).await? {
        let values = (0..measures)
            .map(|i| get::<Option<f64>>(&row, 4 + i))
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(
            (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?, get(&row, 3)?),
            values,
        );
    }
    Ok(out)
}

/// Equal up to the rounding of sums of doubles (added and retracted in another order);
/// extremes (instants in milliseconds, where a relative tolerance would hide seconds) exactly.
fn same(rollup: &Rollup, a: &[Option<f64>], b: &[Option<f64>]) -> bool {
    rollup
        .measures
        .iter()
        .zip(a.iter().zip(b))
        .all(|(m, pair)| match pair {
            (Some(x), Some(y)) if !m.agg.is_extreme() => close(*x, *y),
            (x, y) => x == y,
        })
}

/// Two sums of doubles equal up to rounding (added and retracted in another order).
pub(super) fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
}

/// Recomputes the rollup from the raw rows (of one team, or all) and answers every row that
/// differs from the stored one.
pub async fn check(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: Option<i64>,
) -> AppResult<Vec<Difference>> {
    let computed = format!(
        "SELECT \"team_id\", \"dim\", \"bucket_ms\", \"key\", {} FROM ({}) AS c",
        each_measure(rollup, |m| format!(
            "CAST(c.\"{}\" AS DOUBLE PRECISION)",
            m.column
        )),
        contributions(rollup, 1, db.get_database_backend())
    );
    let expected = read_rows(
        db,
        with_rows(db, rollup, scope_of(team), &computed),
        rollup.measures.len(),
    )
    .await?;
    let stored_sql = Query::select()
        .columns(["team_id", "dim", "bucket_ms", "key"].map(Alias::new))
        .exprs(
            rollup
                .measures
                .iter()
                .map(|m| Expr::col(Alias::new(m.column)).cast_as(Alias::new("DOUBLE PRECISION"))),
        )
        .from(Alias::new(rollup.table))
        .cond_where(scope_of(team))
        .to_owned();
    let stored_stmt = db.get_database_backend().build(&stored_sql);
    let stored = read_rows(db, stored_stmt, rollup.measures.len()).await?;
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<_> = expected.keys().chain(stored.keys()).collect();
    for k in keys {
        let (e, s) = (expected.get(k), stored.get(k));
        let differs = match (e, s) {
            (Some(e), Some(s)) => !same(rollup, e, s),
            _ => true,
        };
        if differs {
            out.push(Difference {
                table: rollup.table,
                team_id: k.0,
                dim: k.1.clone(),
                bucket_ms: k.2,
                key: k.3.clone(),
                expected: e.cloned(),
                stored: s.cloned(),
            });
        }
    }
    Ok(out)
}

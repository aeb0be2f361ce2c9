//! What a retraction cannot settle by subtraction: an extreme a removed row held, and a presence
//! row a removed row gave. Retracting notes those rollup rows (`Stale`); once the batch's raw rows
//! are final — replaced, deleted, the new versions added — `settle` recomputes them from the raw
//! rows as they are then, in one grouped scan per run of touched buckets, and removes rows left
//! empty.
//!
//! Settling at the end, not per chunk of keys, is what keeps an update batch linear in its rows
//! (each chunk used to rescan every touched bucket) and right: while an earlier chunk is
//! retracted, rows of a later chunk are still in their old version.

use super::{Agg, Rollup};
use crate::kernel::AppResult;
use crate::kernel::sql::get;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Stale pairs per statement (two bound values each).
const PAIRS_PER_STATEMENT: usize = 500;

/// Rollup rows (per dimension: bucket and key) to recompute once the raw rows are final.
#[derive(Debug, Default)]
pub struct Stale {
    rows: BTreeMap<String, BTreeSet<(i64, String)>>,
}

/// `SELECT dim, bucket, key` of the rollup rows that removing the raw rows `r` makes stale
/// (`None`: none can be): per summed dimension, the rows whose stored extreme one of the
/// removed rows holds (a removed value below a maximum leaves it as it is); per presence
/// dimension, every row the removed rows give.
fn stale_sql(rollup: &Rollup, backend: DatabaseBackend, team: i64) -> Option<String> {
    let table = rollup.table;
    let extremes = rollup.extremes().next().is_some();
    let parts: Vec<String> = rollup
        .dims
        .iter()
        .filter(|d| d.presence || extremes)
        .map(|d| {
            let bucket = rollup.bucket_sql(d);
            let key = d.key.render(backend);
            if d.presence {
                return format!(
                    "SELECT DISTINCT '{dim}', {bucket}, ({key}) FROM r WHERE ({key}) IS NOT NULL",
                    dim = d.name
                );
            }
            // The removed rows' extremes, named apart from the rollup's columns.
            let values = rollup
                .extremes()
                .enumerate()
                .map(|(i, m)| format!("{}({}) AS \"v{i}\"", m.agg.extreme_sql(), m.per_row))
                .collect::<Vec<_>>()
                .join(", ");
            let holds = rollup
                .extremes()
                .enumerate()
                .map(|(i, m)| {
                    format!(
                        "x.\"v{i}\" {cmp} t.\"{c}\"",
                        cmp = if m.agg == Agg::Min { "<=" } else { ">=" },
                        c = m.column,
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            let group_by = rollup.group_by_sql(d, &key);
            // From the removed rows' extremes per bucket and key to the rollup rows they touch.
            format!(
                "SELECT t.\"dim\", t.\"bucket_ms\", t.\"key\" \
                 FROM (SELECT {bucket} AS \"b\", ({key}) AS \"k\", {values} FROM r \
                 WHERE ({key}) IS NOT NULL GROUP BY {group_by}) AS x \
                 JOIN \"{table}\" AS t ON t.\"team_id\" = {team} AND t.\"dim\" = '{dim}' \
                 AND t.\"bucket_ms\" = x.\"b\" AND t.\"key\" = x.\"k\" WHERE {holds}",
                dim = d.name,
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" UNION ALL "))
}

/// Notes the rollup rows that removing the raw rows `r` (of the statement `with_rows` builds
/// around the SQL given) makes stale.
pub(super) async fn note(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    with_rows: impl FnOnce(&str) -> Statement,
    stale: &mut Stale,
) -> AppResult<()> {
    let Some(sql) = stale_sql(rollup, db.get_database_backend(), team) else {
        return Ok(());
    };
    for row in db.query_all_raw(with_rows(&sql)).await? {
        stale
            .rows
            .entry(get::<String>(&row, 0)?)
            .or_default()
            .insert((get(&row, 1)?, get(&row, 2)?));
    }
    Ok(())
}

/// Binds values in the backend's placeholder style.
struct Binder {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Binder {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_string(),
        }
    }
}

/// `(bucket_ms, key) IN (VALUES …)` of the pairs.
fn listed(b: &mut Binder, table: &str, pairs: &[(i64, String)]) -> String {
    let listed = pairs
        .iter()
        .map(|(bucket, key)| format!("({}, {})", b.bind(*bucket), b.bind(key.clone())))
        .collect::<Vec<_>>()
        .join(", ");
    format!("(\"{table}\".\"bucket_ms\", \"{table}\".\"key\") IN (VALUES {listed})")
}

/// The raw time ranges (`t >= a AND t < b`, adjacent buckets merged) that hold the pairs.
fn ranges(b: &mut Binder, time: &str, grain: i64, pairs: &[(i64, String)]) -> String {
    let buckets: BTreeSet<i64> = pairs.iter().map(|p| p.0).collect();
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for bucket in buckets {
        match runs.last_mut() {
            Some(run) if run.1 == bucket => run.1 = bucket + grain,
            _ => runs.push((bucket, bucket + grain)),
        }
    }
    runs.into_iter()
        .map(|(from, to)| {
            format!(
                "(\"{time}\" >= {} AND \"{time}\" < {})",
                b.bind(from),
                b.bind(to)
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Recomputes the stale rows from the raw rows as they are now: extremes from one grouped scan
/// of their buckets, presence rows removed where no raw row gives them any more; then removes
/// rollup rows no raw row contributes to (`seal`).
pub async fn settle(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    stale: Stale,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let (table, source, time) = (rollup.table, rollup.source, rollup.time);
    for (dim_name, pairs) in stale.rows {
        let d = rollup.dim(&dim_name);
        let pairs: Vec<(i64, String)> = pairs.into_iter().collect();
        let bucket = rollup.bucket_sql(d);
        let key = d.key.render(backend);
        for chunk in pairs.chunks(PAIRS_PER_STATEMENT) {
            let mut b = Binder {
                backend,
                values: Vec::new(),
            };
            let sql = if d.presence {
                let listed = listed(&mut b, table, chunk);
                format!(
                    "DELETE FROM \"{table}\" WHERE \"team_id\" = {team} AND \"dim\" = '{dim_name}' \
                     AND {listed} AND NOT EXISTS (SELECT 1 FROM \"{source}\" AS s \
                     WHERE s.\"team_id\" = {team} AND s.\"{time}\" >= \"{table}\".\"bucket_ms\" \
                     AND s.\"{time}\" < \"{table}\".\"bucket_ms\" + {g} AND ({key}) = \"{table}\".\"key\")",
                    g = d.grain_ms,
                )
            } else {
                let computed = rollup
                    .extremes()
                    .map(|m| format!("{}({}) AS \"{}\"", m.agg.extreme_sql(), m.per_row, m.column))
                    .collect::<Vec<_>>()
                    .join(", ");
                let ranges = ranges(&mut b, time, d.grain_ms, chunk);
                let listed = listed(&mut b, table, chunk);
                let sets = rollup
                    .extremes()
                    .map(|m| format!("\"{c}\" = s.\"{c}\"", c = m.column))
                    .collect::<Vec<_>>()
                    .join(", ");
                let group_by = rollup.group_by_sql(d, &key);
                format!(
                    "WITH s AS MATERIALIZED (SELECT {bucket} AS \"b\", ({key}) AS \"k\", {computed} \
                     FROM \"{source}\" WHERE \"team_id\" = {team} AND ({ranges}) \
                     AND ({key}) IS NOT NULL GROUP BY {group_by}) \
                     UPDATE \"{table}\" SET {sets} FROM s WHERE \"{table}\".\"team_id\" = {team} \
                     AND \"{table}\".\"dim\" = '{dim_name}' AND \"{table}\".\"bucket_ms\" = s.\"b\" \
                     AND \"{table}\".\"key\" = s.\"k\" AND {listed}"
                )
            };
            db.execute_raw(Statement::from_sql_and_values(backend, sql, b.values))
                .await?;
        }
    }
    super::maintain::seal(db, rollup, team).await
}

//! Tallies: per team and key, all-time totals that are not sums of raw rows — distinct counts,
//! sums over a join — but are sums over *units*: a unit (a clip, say) gives each key a
//! contribution computed from the raw rows of that unit alone (whether the clip has a
//! `success` log on a platform; its score times its logs there). A write recomputes the
//! contribution of the units it touches just before and just after it changes the raw rows,
//! and adds the difference — so a tally stays exact under inserts, updates and deletes of any
//! of the datasets it reads, and a read is a row per key.
//!
//! Like a rollup, a tally is described once, as data, beside its datasets (`Tally`), and is
//! maintained in the writer's transaction, rebuilt at start when its version changes, and
//! recomputed and compared by `dashgate rollups check`.

use super::check::close;
use super::maintain::{record_version, recorded_version};
use crate::kernel::AppResult;
use crate::kernel::sql::get;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use std::collections::BTreeMap;

/// Units per statement.
const UNITS_PER_STATEMENT: usize = 500;

/// A tally table and how one unit's contribution is computed.
#[derive(Debug)]
pub struct Tally {
    /// The tally table: `team_id`, `key`, then a column per measure.
    pub table: &'static str,
    /// Bumped when the definition changes: dashgate then rebuilds the table at start.
    pub version: i32,
    /// Every dataset whose rows the contribution reads, with the column naming a row's unit.
    pub units: &'static [(&'static str, &'static str)],
    /// `SELECT <team> AS team_id, <key> AS key, <measures, in order> FROM … WHERE {scope} AND
    /// {units} GROUP BY …`: `{scope}` becomes the team condition (on `team`), `{units}` the unit
    /// condition (on `unit`).
    pub contribution: &'static str,
    /// The team column in `contribution`.
    pub team: &'static str,
    /// The unit column in `contribution`.
    pub unit: &'static str,
    /// Measure columns; the first counts the raw rows a key has (a key at zero is removed).
    pub measures: &'static [&'static str],
}

impl Tally {
    /// The unit column of `dataset`'s rows, if the tally reads that dataset.
    pub fn unit_of(&self, dataset: &str) -> Option<&'static str> {
        self.units
            .iter()
            .find(|(d, _)| *d == dataset)
            .map(|(_, c)| *c)
    }

    /// `contribution` of the units `units` (all: `None`) of one team (all: `None`), with the
    /// units bound as parameters.
    fn contribution_of(
        &self,
        backend: DatabaseBackend,
        team: Option<i64>,
        units: Option<&[String]>,
    ) -> (String, Vec<Value>) {
        let scope = team.map_or_else(|| "1 = 1".to_string(), |t| format!("{} = {t}", self.team));
        let (cond, values) = match units {
            None => ("1 = 1".to_string(), Vec::new()),
            Some(units) => {
                let marks: Vec<String> = (1..=units.len())
                    .map(|i| match backend {
                        DatabaseBackend::Postgres => format!("${i}"),
                        _ => "?".to_string(),
                    })
                    .collect();
                let values = units.iter().map(|u| Value::from(u.clone())).collect();
                (format!("{} IN ({})", self.unit, marks.join(", ")), values)
            }
        };
        let sql = self
            .contribution
            .replace("{scope}", &scope)
            .replace("{units}", &cond);
        (sql, values)
    }

    /// Adds `sign` times the contribution of `units` (all: `None`) of `team` (all: `None`).
    async fn apply(
        &self,
        db: &impl ConnectionTrait,
        team: Option<i64>,
        units: Option<&[String]>,
        sign: i64,
    ) -> AppResult<()> {
        let backend = db.get_database_backend();
        let (contribution, values) = self.contribution_of(backend, team, units);
        let columns = each(self.measures, |m| format!("\"{m}\""));
        let signed = each(self.measures, |m| format!("{sign} * c.\"{m}\""));
        let update = each(self.measures, |m| {
            format!(
                "\"{m}\" = \"{t}\".\"{m}\" + excluded.\"{m}\"",
                t = self.table
            )
        });
        // `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint.
        let sql = format!(
            "INSERT INTO \"{t}\" (\"team_id\", \"key\", {columns}) \
             SELECT c.\"team_id\", c.\"key\", {signed} FROM ({contribution}) AS c WHERE true \
             ON CONFLICT (\"team_id\", \"key\") DO UPDATE SET {update}",
            t = self.table
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    /// Removes the keys (of one team, or all) no raw row gives any more.
    async fn seal(&self, db: &impl ConnectionTrait, team: Option<i64>) -> AppResult<()> {
        let scope = team.map_or_else(String::new, |t| format!("\"team_id\" = {t} AND "));
        let sql = format!(
            "DELETE FROM \"{}\" WHERE {scope}\"{}\" <= 0",
            self.table, self.measures[0]
        );
        db.execute_unprepared(&sql).await?;
        Ok(())
    }
}

/// `f` of each measure, comma-separated.
fn each(measures: &[&str], f: impl Fn(&str) -> String) -> String {
    measures.iter().map(|m| f(m)).collect::<Vec<_>>().join(", ")
}

/// The units a write touches, per tally: collected before the write (`retract`), added back
/// after it (`add`).
#[derive(Debug, Default)]
pub struct Touched(Vec<(&'static Tally, Vec<String>)>);

impl Touched {
    /// Notes `units` of `tally` and retracts their contribution (the raw rows are about to
    /// change).
    pub async fn retract(
        &mut self,
        db: &impl ConnectionTrait,
        tally: &'static Tally,
        team: i64,
        mut units: Vec<String>,
    ) -> AppResult<()> {
        units.sort();
        units.dedup();
        for chunk in units.chunks(UNITS_PER_STATEMENT) {
            tally.apply(db, Some(team), Some(chunk), -1).await?;
        }
        self.0.push((tally, units));
        Ok(())
    }

    /// Adds the contribution of every noted unit (the raw rows are final).
    pub async fn add(self, db: &impl ConnectionTrait, team: i64) -> AppResult<()> {
        for (tally, units) in self.0 {
            for chunk in units.chunks(UNITS_PER_STATEMENT) {
                tally.apply(db, Some(team), Some(chunk), 1).await?;
            }
            tally.seal(db, Some(team)).await?;
        }
        Ok(())
    }
}

/// Recomputes the tally from the raw rows (of one team, or all), in the caller's transaction.
pub async fn rebuild(db: &impl ConnectionTrait, tally: &Tally, team: Option<i64>) -> AppResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    let scope = team.map_or_else(String::new, |t| format!(" WHERE \"team_id\" = {t}"));
    db.execute_unprepared(&format!("DELETE FROM \"{}\"{scope}", tally.table))
        .await?;
    tally.apply(db, team, None, 1).await?;
    tally.seal(db, team).await
}

/// One tally row: (team, key) → measures.
type Rows = BTreeMap<(i64, String), Vec<f64>>;

async fn read_rows(db: &impl ConnectionTrait, stmt: Statement, measures: usize) -> AppResult<Rows> {
    let mut out = Rows::new();
    for row in db.query_all_raw(stmt).await? {
        let values = (0..measures)
            .map(|i| get::<f64>(&row, 2 + i))
            .collect::<Result<Vec<_>, _>>()?;
        out.insert((get(&row, 0)?, get(&row, 1)?), values);
    }
    Ok(out)
}

/// A tally row that differs from what the raw rows give.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TallyDifference {
    pub table: &'static str,
    pub team_id: i64,
    pub key: String,
    /// Measures computed from the raw rows (none: no raw row gives the key).
    pub expected: Option<Vec<f64>>,
    /// Measures stored (none: the row is missing).
    pub stored: Option<Vec<f64>>,
}

/// Recomputes the tally from the raw rows (of one team, or all) and answers every row that
/// differs from the stored one (sums of doubles up to their rounding).
pub async fn check(
    db: &impl ConnectionTrait,
    tally: &'static Tally,
    team: Option<i64>,
) -> AppResult<Vec<TallyDifference>> {
    let backend = db.get_database_backend();
    let doubles = |prefix: &str| {
        each(tally.measures, |m| {
            format!("CAST({prefix}\"{m}\" AS DOUBLE PRECISION)")
        })
    };
    let (contribution, _) = tally.contribution_of(backend, team, None);
    let computed = format!(
        "SELECT c.\"team_id\", c.\"key\", {} FROM ({contribution}) AS c WHERE c.\"{}\" > 0",
        doubles("c."),
        tally.measures[0]
    );
    let scope = team.map_or_else(String::new, |t| format!(" WHERE \"team_id\" = {t}"));
    let stored = format!(
        "SELECT \"team_id\", \"key\", {} FROM \"{}\"{scope}",
        doubles(""),
        tally.table
    );
    let n = tally.measures.len();
    let expected = read_rows(db, Statement::from_string(backend, computed), n).await?;
    let stored = read_rows(db, Statement::from_string(backend, stored), n).await?;
    let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| close(*x, *y));
    let keys: std::collections::BTreeSet<_> = expected.keys().chain(stored.keys()).collect();
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (e, s) = (expected.get(k), stored.get(k));
            let differs = match (e, s) {
                (Some(e), Some(s)) => !same(e, s),
                _ => true,
            };
            differs.then(|| TallyDifference {
                table: tally.table,
                team_id: k.0,
                key: k.1.clone(),
                expected: e.cloned(),
                stored: s.cloned(),
            })
        })
        .collect())
}

/// Rebuilds every tally whose stored version differs from its definition, each in a
/// transaction (see `maintain::ensure_current`).
pub async fn ensure_current(
    db: &sea_orm::DatabaseConnection,
    tallies: &[&'static Tally],
) -> AppResult<Vec<&'static str>> {
    let mut rebuilt = Vec::new();
    for tally in tallies {
        if recorded_version(db, tally.table).await? == Some(tally.version) {
            continue;
        }
        let txn = crate::db::begin_write(db).await?;
        rebuild(&txn, tally, None).await?;
        record_version(&txn, tally.table, tally.version).await?;
        txn.commit().await?;
        rebuilt.push(tally.table);
    }
    Ok(rebuilt)
}

//! Writing validated rows: new keys are inserted; a known key is a duplicate (append-only),
//! replaced by a newer version (versioned), or replaced outright (months) — and every row is
//! counted by what happened to it.
//!
//! Versions: a row's `updated_at` orders it. A newer version replaces the stored row, an older
//! one is `stale` and changes nothing. Equal `updated_at` with other content: the version
//! whose content sorts last wins, so every delivery order ends in the same row. A row without
//! `updated_at` replaces a stored row that has none (the latest delivery wins) and is `stale`
//! against one that has: a timestamped version is never overwritten by an untimestamped one.

use super::recordset::{append_json, put_recordset, recordset_json};
use super::tallied;
use super::{ColType, Dataset, History, Row};
use crate::domains::rollups;
use crate::kernel::sql::get;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value};
use std::collections::HashMap;

/// What writing a batch did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Keys new to the team.
    pub inserted: u64,
    /// Stored rows replaced by a newer version (or new figures of a month).
    pub updated: u64,
    /// Rows identical to what is stored.
    pub unchanged: u64,
    /// Versions older than the stored one (nothing changed).
    pub stale: u64,
    /// Known keys of append-only datasets, and rows repeated within a batch.
    pub duplicates: u64,
}

impl Outcome {
    pub fn add(&mut self, other: Outcome) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
        self.duplicates += other.duplicates;
    }

    /// Whether stored data changed (the team's cached panels are then out of date).
    pub fn changed(&self) -> bool {
        self.inserted + self.updated > 0
    }
}

/// A stored or sent value, comparable across both databases.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::String(Some(s)) => Cell::Text(s.to_string()),
        Value::BigInt(Some(i)) => Cell::Int(*i),
        Value::Int(Some(i)) => Cell::Int(i64::from(*i)),
        Value::Double(Some(f)) => Cell::Float(*f),
        Value::Bool(Some(b)) => Cell::Bool(*b),
        _ => Cell::Null,
    }
}

/// The stored value of column `i`, read as its storage type.
fn read(row: &QueryResult, i: usize, ty: ColType) -> Result<Cell, sea_orm::DbErr> {
    Ok(match ty {
        ColType::Text => get::<Option<String>>(row, i)?.map_or(Cell::Null, Cell::Text),
        ColType::BigInt => get::<Option<i64>>(row, i)?.map_or(Cell::Null, Cell::Int),
        ColType::Int => get::<Option<i32>>(row, i)?.map_or(Cell::Null, |n| Cell::Int(i64::from(n))),
        ColType::Double => get::<Option<f64>>(row, i)?.map_or(Cell::Null, Cell::Float),
        ColType::Bool => get::<Option<bool>>(row, i)?.map_or(Cell::Null, Cell::Bool),
    })
}

/// What to do with a row whose key is stored.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Update,
    Unchanged,
    Stale,
}

fn decide(ds: &Dataset, sent: &[Cell], stored: &[Cell]) -> Decision {
    if sent == stored {
        return Decision::Unchanged;
    }
    let Some(v) = ds.version_index() else {
        return match ds.history {
            History::Replaced => Decision::Update,
            // Append-only rows never change.
            _ => Decision::Unchanged,
        };
    };
    match (&sent[v], &stored[v]) {
        (Cell::Int(new), Cell::Int(old)) if new != old => {
            if new > old {
                Decision::Update
            } else {
                Decision::Stale
            }
        }
        (Cell::Int(_), Cell::Int(_)) => {
            // A tie: the content that sorts last wins, whatever the delivery order.
            if format!("{sent:?}") > format!("{stored:?}") {
                Decision::Update
            } else {
                Decision::Stale
            }
        }
        (Cell::Int(_), _) => Decision::Update,
        (_, Cell::Int(_)) => Decision::Stale,
        _ => Decision::Update,
    }
}

/// Rows per statement: as many as fit the databases' bound-parameter limits.
fn per_statement(ds: &Dataset) -> usize {
    (30_000 / (ds.fields.len() + 2)).max(1)
}

/// The stored field values of the rows' keys that the team has.
async fn stored(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[Row],
) -> AppResult<HashMap<String, Vec<Cell>>> {
    let key = ds.key.column();
    let mut out = HashMap::new();
    let types: Vec<ColType> = ds.fields.iter().map(|f| f.kind.storage().0).collect();
    for chunk in rows.chunks(500) {
        let mut select = Query::select();
        select.column(Alias::new(key));
        for f in ds.fields {
            select.column(Alias::new(f.column()));
        }
        select
            .from(Alias::new(ds.name))
            .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
            .and_where(Expr::col(Alias::new(key)).is_in(chunk.iter().map(|r| r.id.clone())));
        for row in db.query_all(&select).await? {
            let id: String = get(&row, 0)?;
            let cells = types
                .iter()
                .enumerate()
                .map(|(i, ty)| read(&row, i + 1, *ty))
                .collect::<Result<Vec<_>, _>>()?;
            out.insert(id, cells);
        }
    }
    Ok(out)
}

/// Inserts (`update: false`, known keys skipped) or upserts the rows; returns rows affected.
/// The tallies that read the dataset recompute the units the rows touch (see
/// `rollups::tally`).
async fn put(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<u64> {
    if ds.tallies.is_empty() || rows.is_empty() {
        return put_rolled(db, scope, ds, rows, update).await;
    }
    let team = scope.team_id().0;
    let touched = tallied::before_put(db, team, ds, rows, update).await?;
    let n = put_rolled(db, scope, ds, rows, update).await?;
    touched.add(db, team).await?;
    Ok(n)
}

/// `put` for the rows and the dataset's rollup: a dataset with a rollup gets the contribution
/// of the rows it inserted added (an update's old versions are retracted first, its new ones
/// added after).
async fn put_rolled(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<u64> {
    let Some(rollup) = ds.rollup else {
        return put_rows(db, scope, ds, rows, update).await;
    };
    let team = scope.team_id().0;
    if update {
        let keys: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut stale = rollups::Stale::default();
        rollups::retract_keys(db, rollup, team, &keys, &mut stale).await?;
        let n = put_rows(db, scope, ds, rows, true).await?;
        rollups::add_keys(db, rollup, team, &keys).await?;
        rollups::settle(db, rollup, team, stale).await?;
        return Ok(n);
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        if rows.is_empty() {
            return Ok(0);
        }
        return append_json(db, ds, recordset_json(ds, team, rows.iter().copied())).await;
    }
    let keys = insert_returning(db, scope, ds, rows).await?;
    rollups::add_keys(db, rollup, team, &keys).await?;
    Ok(keys.len() as u64)
}

/// SQLite: inserts the rows (known keys skipped); returns the keys inserted.
async fn insert_returning(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
) -> AppResult<Vec<String>> {
    let mut keys = Vec::new();
    for chunk in rows.chunks(per_statement(ds)) {
        let mut insert = insert_statement(scope, ds, chunk);
        insert
            .on_conflict(
                OnConflict::columns([Alias::new("team_id"), Alias::new(ds.key.column())])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(Alias::new(ds.key.column()));
        for row in db.query_all(&insert).await? {
            keys.push(get::<String>(&row, 0)?);
        }
    }
    Ok(keys)
}

/// `INSERT INTO <dataset> (team_id, key, fields…) VALUES …` for the rows.
fn insert_statement(scope: &TeamScope, ds: &Dataset, rows: &[&Row]) -> InsertStatement {
    let mut columns = vec![Alias::new("team_id"), Alias::new(ds.key.column())];
    columns.extend(ds.fields.iter().map(|f| Alias::new(f.column())));
    let mut insert = Query::insert();
    insert.into_table(Alias::new(ds.name)).columns(columns);
    for row in rows {
        let mut values: Vec<Expr> = vec![Expr::val(scope.team_id().0), Expr::val(row.id.clone())];
        values.extend(row.values.iter().cloned().map(Expr::val));
        insert.values_panic(values);
    }
    insert
}

/// Inserts or upserts the rows, with no rollup; returns rows affected.
async fn put_rows(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return put_recordset(db, scope, ds, rows, update).await;
    }
    let table = Alias::new(ds.name);
    let mut affected = 0;
    for chunk in rows.chunks(per_statement(ds)) {
        let mut insert = insert_statement(scope, ds, chunk);
        let mut on_conflict =
            OnConflict::columns([Alias::new("team_id"), Alias::new(ds.key.column())]);
        if update {
            on_conflict.update_columns(ds.fields.iter().map(|f| Alias::new(f.column())));
            if let Some(v) = ds.version_index() {
                // Concurrent batches can never put an older version over a newer one.
                let column = Alias::new(ds.fields[v].column());
                let stored = Expr::col((table.clone(), column.clone()));
                let sent = Expr::col((Alias::new("excluded"), column));
                on_conflict.action_and_where(stored.clone().is_null().or(sent.gte(stored)));
            }
        } else {
            on_conflict.do_nothing();
        }
        insert.on_conflict(on_conflict);
        affected += db.execute(&insert).await?.rows_affected();
    }
    Ok(affected)
}

/// Appends an already encoded chunk of an append-only dataset (PostgreSQL): the JSON was
/// built beside the writer, so the writer only sends it.
pub async fn append_encoded(
    db: &impl ConnectionTrait,
    ds: &Dataset,
    rows: usize,
    json: String,
) -> AppResult<Outcome> {
    // Its rows are not at hand to name the units they touch.
    debug_assert!(ds.tallies.is_empty(), "{} has a tally", ds.name);
    let inserted = append_json(db, ds, json).await?;
    Ok(Outcome {
        inserted,
        duplicates: rows as u64 - inserted,
        ..Default::default()
    })
}

/// Writes distinct-keyed rows of one dataset for the team and counts what happened to each.
pub async fn write(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[Row],
) -> AppResult<Outcome> {
    let mut outcome = Outcome::default();
    if rows.is_empty() {
        return Ok(outcome);
    }
    if ds.history == History::AppendOnly {
        let all: Vec<&Row> = rows.iter().collect();
        outcome.inserted = put(db, scope, ds, &all, false).await?;
        outcome.duplicates = rows.len() as u64 - outcome.inserted;
        return Ok(outcome);
    }
    let stored = stored(db, scope, ds, rows).await?;
    let (mut fresh, mut newer) = (Vec::new(), Vec::new());
    for row in rows {
        match stored.get(&row.id) {
            None => fresh.push(row),
            Some(old) => {
                let sent: Vec<Cell> = row.values.iter().map(cell).collect();
                match decide(ds, &sent, old) {
                    Decision::Update => newer.push(row),
                    Decision::Unchanged => outcome.unchanged += 1,
                    Decision::Stale => outcome.stale += 1,
                }
            }
        }
    }
    outcome.inserted = put(db, scope, ds, &fresh, false).await?;
    // A key inserted meanwhile by another batch counts as unchanged here.
    outcome.unchanged += fresh.len() as u64 - outcome.inserted;
    let updated = put(db, scope, ds, &newer, true).await?;
    outcome.updated = updated;
    outcome.stale += newer.len() as u64 - updated;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::datasets::{Key, Kind, f};

    const DS: Dataset = Dataset {
        name: "t",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("status", Kind::Str(10)),
            f("updated_at", Kind::OptInstant),
        ],
    };

    fn row(status: &str, at: Option<i64>) -> Vec<Cell> {
        vec![Cell::Text(status.into()), at.map_or(Cell::Null, Cell::Int)]
    }

    #[test]
    fn newer_versions_win_and_ties_are_settled_by_content() {
        assert_eq!(
            decide(&DS, &row("a", Some(2)), &row("b", Some(1))),
            Decision::Update
        );
        assert_eq!(
            decide(&DS, &row("a", Some(1)), &row("b", Some(2))),
            Decision::Stale
        );
        assert_eq!(
            decide(&DS, &row("a", Some(1)), &row("a", Some(1))),
            Decision::Unchanged
        );
        // Equal timestamps: whichever arrives first, "b" ends up stored.
        assert_eq!(
            decide(&DS, &row("b", Some(1)), &row("a", Some(1))),
            Decision::Update
        );
        assert_eq!(
            decide(&DS, &row("a", Some(1)), &row("b", Some(1))),
            Decision::Stale
        );
        // Without timestamps the latest delivery wins; never over a timestamped version.
        assert_eq!(
            decide(&DS, &row("a", None), &row("b", None)),
            Decision::Update
        );
        assert_eq!(
            decide(&DS, &row("a", None), &row("b", Some(1))),
            Decision::Stale
        );
        assert_eq!(
            decide(&DS, &row("a", Some(1)), &row("b", None)),
            Decision::Update
        );
    }
}

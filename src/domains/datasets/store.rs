//! Writing validated rows: new keys are inserted; a known key is a duplicate (append-only),
//! replaced by a newer version (versioned), or replaced outright (months) — and every row is
//! counted by what happened to it.
//!
//! Versions: a row's `updated_at` orders it. A newer version replaces the stored row, an older
//! one is `stale` and changes nothing. Equal `updated_at` with other content: the version
//! whose content sorts last wins, so every delivery order ends in the same row. A row without
//! `updated_at` replaces a stored row that has none (the latest delivery wins) and is `stale`
//! against one that has: a timestamped version is never overwritten by an untimestamped one.

use super::{ColType, Dataset, History, Row};
use crate::domains::rollups::{self, Rollup};
use crate::kernel::sql::get;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
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
/// A dataset with a rollup gets the contribution of the rows it inserted added (an update's
/// old versions are retracted first, its new ones added after).
async fn put(
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
        rollups::retract_keys(db, rollup, team, &keys).await?;
        let n = put_rows(db, scope, ds, rows, true).await?;
        rollups::add_keys(db, rollup, team, &keys).await?;
        rollups::seal(db, rollup, team).await?;
        return Ok(n);
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        if rows.is_empty() {
            return Ok(0);
        }
        let json = recordset_json(ds, team, rows.iter().copied());
        return insert_json_adding(db, ds, rollup, json).await;
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

/// The PostgreSQL type of a storage type.
fn pg_type(ty: ColType) -> &'static str {
    match ty {
        ColType::Text => "text",
        ColType::BigInt => "bigint",
        ColType::Int => "integer",
        ColType::Double => "double precision",
        ColType::Bool => "boolean",
    }
}

/// `INSERT … SELECT … FROM json_to_recordset($1)` for a dataset: one statement text per
/// dataset (prepared once), every row of a chunk in one JSON parameter. Only identifiers from
/// the dataset description are written into the text; the rows are a bound parameter.
fn recordset_sql(ds: &Dataset, update: bool) -> String {
    let columns = ds.columns();
    let names = columns
        .iter()
        .map(|(c, _, _)| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let types = columns
        .iter()
        .map(|(c, ty, _)| format!("\"{c}\" {}", pg_type(*ty)))
        .collect::<Vec<_>>()
        .join(", ");
    let key = ds.key.column();
    let action = if update {
        let set = ds
            .fields
            .iter()
            .map(|f| format!("\"{0}\" = excluded.\"{0}\"", f.column()))
            .collect::<Vec<_>>()
            .join(", ");
        let guard = match ds.version_index() {
            // Concurrent batches can never put an older version over a newer one.
            Some(v) => {
                let c = ds.fields[v].column();
                format!(
                    " WHERE \"{t}\".\"{c}\" IS NULL OR excluded.\"{c}\" >= \"{t}\".\"{c}\"",
                    t = ds.name
                )
            }
            None => String::new(),
        };
        format!("DO UPDATE SET {set}{guard}")
    } else {
        "DO NOTHING".to_string()
    };
    format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {names} FROM json_to_recordset($1::json) AS x({types}) \
         ON CONFLICT (\"team_id\", \"{key}\") {action}",
        table = ds.name
    )
}

/// Appends a JSON string literal (escaped) to `out`.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            c if (c as u32) < 0x20 => {
                out.push_str(&s[start..i]);
                out.push_str(&format!("\\u{:04x}", c as u32));
                start = i + c.len_utf8();
                continue;
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a storage value to a JSON text.
fn push_json(out: &mut String, v: &Value) {
    use std::fmt::Write;
    match v {
        Value::String(Some(s)) => push_json_str(out, s),
        Value::BigInt(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        Value::Int(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        // Rust prints the shortest text that reads back as the same double.
        Value::Double(Some(f)) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        Value::Bool(Some(b)) => out.push_str(if *b { "true" } else { "false" }),
        _ => out.push_str("null"),
    }
}

/// The rows of a chunk as the JSON array `json_to_recordset` reads (PostgreSQL).
pub fn recordset_json<'r>(
    ds: &Dataset,
    team: i64,
    rows: impl ExactSizeIterator<Item = &'r Row>,
) -> String {
    let columns = ds.columns();
    // `{"team_id":7,"id":` and `,"<column>":` written once per chunk.
    let head = format!("{{\"team_id\":{team},\"{}\":", columns[1].0);
    let keys: Vec<String> = columns[2..]
        .iter()
        .map(|(name, _, _)| format!(",\"{name}\":"))
        .collect();
    let mut json = String::with_capacity(rows.len() * 256);
    json.push('[');
    for (i, row) in rows.enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&head);
        push_json_str(&mut json, &row.id);
        for (key, v) in keys.iter().zip(&row.values) {
            json.push_str(key);
            push_json(&mut json, v);
        }
        json.push('}');
    }
    json.push(']');
    json
}

/// PostgreSQL: inserts (or upserts) the rows of `json` (see `recordset_json`).
async fn put_json(
    db: &impl ConnectionTrait,
    ds: &Dataset,
    json: String,
    update: bool,
) -> AppResult<u64> {
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        recordset_sql(ds, update),
        [json.into()],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected())
}

/// PostgreSQL: inserts the rows of `json` (known keys skipped) and adds their contribution to
/// the dataset's rollup in the same statement; returns how many were inserted.
async fn insert_json_adding(
    db: &impl ConnectionTrait,
    ds: &Dataset,
    rollup: &Rollup,
    json: String,
) -> AppResult<u64> {
    let sql = rollups::insert_and_add_sql(rollup, &recordset_sql(ds, false));
    let stmt = Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [json.into()]);
    let row = db.query_one_raw(stmt).await?;
    Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0) as u64)
}

/// PostgreSQL: the rows of a chunk as one JSON parameter.
async fn put_recordset(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<u64> {
    let json = recordset_json(ds, scope.team_id().0, rows.iter().copied());
    put_json(db, ds, json, update).await
}

/// Appends an already encoded chunk of an append-only dataset (PostgreSQL): the JSON was
/// built beside the writer, so the writer only sends it.
pub async fn append_encoded(
    db: &impl ConnectionTrait,
    ds: &Dataset,
    rows: usize,
    json: String,
) -> AppResult<Outcome> {
    let inserted = match ds.rollup {
        None => put_json(db, ds, json, false).await?,
        Some(rollup) => insert_json_adding(db, ds, rollup, json).await?,
    };
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
        fields: &[
            f("status", Kind::Str(10)),
            f("updated_at", Kind::OptInstant),
        ],
    };

    fn row(status: &str, at: Option<i64>) -> Vec<Cell> {
        vec![Cell::Text(status.into()), at.map_or(Cell::Null, Cell::Int)]
    }

    #[test]
    fn chunks_are_written_as_json_that_reads_back_exactly() {
        let mut out = String::new();
        for v in [
            Value::from("a\"b\\c\n\u{1}é"),
            Value::from(0.1f64),
            Value::from(1e20f64),
            Value::from(-0.5f64),
            Value::from(7i64),
            Value::from(true),
            Value::String(None),
        ] {
            push_json(&mut out, &v);
            out.push(' ');
        }
        let back: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back[0], "a\"b\\c\n\u{1}é");
        assert_eq!(back[1].as_f64(), Some(0.1));
        assert_eq!(back[2].as_f64(), Some(1e20));
        assert_eq!(back[3].as_f64(), Some(-0.5));
        assert_eq!((back[4].as_i64(), back[5].as_bool()), (Some(7), Some(true)));
        assert!(serde_json::Value::is_null(&back[6]));
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

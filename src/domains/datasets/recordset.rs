//! PostgreSQL writes of a chunk as one statement: every row of the chunk in one JSON
//! parameter read by `json_to_recordset` (one statement text per dataset, prepared once).

use super::{ColType, Dataset, Row};
use crate::domains::rollups;
use crate::kernel::sql::get;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

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
pub(super) fn recordset_sql(ds: &Dataset, update: bool) -> String {
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
pub(super) async fn put_json(
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

/// PostgreSQL: inserts the rows of `json` (known keys skipped) — adding their contribution to
/// the dataset's rollup in the same statement when it has one; returns how many were inserted.
pub(super) async fn append_json(
    db: &impl ConnectionTrait,
    ds: &Dataset,
    json: String,
) -> AppResult<u64> {
    let Some(rollup) = ds.rollup else {
        return put_json(db, ds, json, false).await;
    };
    let sql = rollups::insert_and_add_sql(rollup, &recordset_sql(ds, false));
    let stmt = Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [json.into()]);
    let row = db.query_one_raw(stmt).await?;
    Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0) as u64)
}

/// PostgreSQL: the rows of a chunk as one JSON parameter.
pub(super) async fn put_recordset(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<u64> {
    let json = recordset_json(ds, scope.team_id().0, rows.iter().copied());
    put_json(db, ds, json, update).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

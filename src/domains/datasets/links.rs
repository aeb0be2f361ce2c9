//! References between datasets: checked at ingestion (a row may only name rows its team has),
//! and followed on deletion (a referenced row is not deleted, unless its referencing rows go
//! with it).

use super::{Dataset, Kind, Row, RowError, tallied};
use crate::domains::rollups;
use crate::kernel::sql::get;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Rows whose references point at no row of the caller's team (a foreign row counts as missing).
pub async fn check_references(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[(usize, Row)],
) -> AppResult<Vec<RowError>> {
    let mut errors = Vec::new();
    for (i, field) in ds.fields.iter().enumerate() {
        let target = match field.kind {
            Kind::Ref(t) | Kind::OptRef(t) => t,
            _ => continue,
        };
        let wanted: BTreeSet<String> = rows
            .iter()
            .filter_map(|(_, r)| match &r.values[i] {
                Value::String(Some(s)) => Some(s.to_string()),
                _ => None,
            })
            .collect();
        let wanted: Vec<String> = wanted.into_iter().collect();
        let found = existing(db, scope, target, "id", &wanted).await?;
        for (line, row) in rows {
            if let Value::String(Some(s)) = &row.values[i]
                && !found.contains(s.as_str())
            {
                errors.push(RowError {
                    line: *line,
                    field: Some(field.name.into()),
                    message: format!("no {target} row with id `{s}` in this team"),
                });
            }
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok(errors)
}

/// The ids of the team's rows of `table` whose `column` is one of `keys`.
async fn existing(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    table: &str,
    column: &str,
    keys: &[String],
) -> AppResult<BTreeSet<String>> {
    keyed(db, scope, table, "id", column, keys).await
}

/// The `key` of the team's rows of `table` whose `column` is one of `keys`.
async fn keyed(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    table: &str,
    key: &str,
    column: &str,
    keys: &[String],
) -> AppResult<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for chunk in keys.chunks(500) {
        let stmt = Query::select()
            .column(Alias::new(key))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
            .and_where(Expr::col(Alias::new(column)).is_in(chunk.iter().cloned()))
            .to_owned();
        for row in db.query_all(&stmt).await? {
            found.insert(get::<String>(&row, 0)?);
        }
    }
    Ok(found)
}

/// Every (dataset, field) of `all` that references `target`.
pub fn referencing<'a>(
    all: &[&'a Dataset],
    target: &str,
) -> Vec<(&'a Dataset, &'static str, String)> {
    all.iter()
        .flat_map(|ds| {
            ds.fields.iter().filter_map(move |f| match f.kind {
                Kind::Ref(t) | Kind::OptRef(t) if t == target => Some((*ds, f.name, f.column())),
                _ => None,
            })
        })
        .collect()
}

/// Rows of another dataset that still reference rows about to be deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Referenced {
    pub dataset: &'static str,
    pub field: &'static str,
    pub rows: u64,
}

/// What a deletion did: rows deleted per dataset (the one asked for first), and the keys that
/// were not there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cascade {
    pub deleted: BTreeMap<&'static str, u64>,
    pub missing: u64,
}

/// Deletes the team's rows of `ds` with these keys. Refused (nothing deleted) while rows of
/// other datasets reference them, unless `cascade`: then those go too, transitively.
pub async fn delete(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    all: &[&'static Dataset],
    ds: &'static Dataset,
    keys: &[String],
    cascade: bool,
) -> AppResult<Result<Cascade, Vec<Referenced>>> {
    let key = ds.key.column();
    let unique: Vec<String> = keys
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let found = keyed(db, scope, ds.name, key, key, &unique).await?;
    let missing = (unique.len() - found.len()) as u64;
    let mut doomed: BTreeMap<&'static str, (&'static Dataset, BTreeSet<String>)> = BTreeMap::new();
    doomed.insert(ds.name, (ds, found));
    let mut queue = vec![ds.name];
    let mut refused = Vec::new();
    while let Some(name) = queue.pop() {
        let ids: Vec<String> = doomed[name].1.iter().cloned().collect();
        if ids.is_empty() {
            continue;
        }
        for (other, field, column) in referencing(all, name) {
            let hits = existing(db, scope, other.name, &column, &ids).await?;
            if hits.is_empty() {
                continue;
            }
            if !cascade {
                refused.push(Referenced {
                    dataset: other.name,
                    field,
                    rows: hits.len() as u64,
                });
                continue;
            }
            let entry = doomed
                .entry(other.name)
                .or_insert_with(|| (other, BTreeSet::new()));
            let before = entry.1.len();
            entry.1.extend(hits);
            if entry.1.len() > before {
                queue.push(other.name);
            }
        }
    }
    if !refused.is_empty() {
        return Ok(Err(refused));
    }
    let mut deleted = BTreeMap::new();
    for (name, (target, ids)) in doomed {
        let ids: Vec<String> = ids.into_iter().collect();
        let mut n = 0;
        let mut stale = rollups::Stale::default();
        for chunk in ids.chunks(500) {
            if let Some(rollup) = target.rollup {
                rollups::retract_keys(db, rollup, scope.team_id().0, chunk, &mut stale).await?;
            }
            let touched = tallied::before_delete(db, scope.team_id().0, target, chunk).await?;
            let stmt = Query::delete()
                .from_table(Alias::new(name))
                .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
                .and_where(Expr::col(Alias::new(target.key.column())).is_in(chunk.iter().cloned()))
                .to_owned();
            n += db.execute(&stmt).await?.rows_affected();
            touched.add(db, scope.team_id().0).await?;
        }
        if let Some(rollup) = target.rollup {
            rollups::settle(db, rollup, scope.team_id().0, stale).await?;
        }
        deleted.insert(name, n);
    }
    Ok(Ok(Cascade { deleted, missing }))
}

//! Table-driven datasets: a dataset is described once as data (its fields and their kinds),
//! and that description drives validation, storage columns, same-team reference checks and
//! idempotent writes. The chat and publishing datasets are all described this way; the
//! migrations mirror the descriptions.

use crate::kernel::record::{FieldError, Record, RowError};
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use std::collections::BTreeSet;

/// How a field is read, validated and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Required string of at most N characters.
    Str(usize),
    /// Optional string (empty = none).
    OptStr(usize),
    /// Optional lower-case string (empty = none).
    OptLower(usize),
    /// Boolean, false when absent.
    Bool,
    /// Required RFC 3339 instant, stored as `<name>_ms`.
    Instant,
    /// Optional RFC 3339 instant, stored as `<name>_ms`.
    OptInstant,
    /// Required non-negative number.
    Number,
    /// Optional non-negative number.
    OptNumber,
    /// Non-negative number, 0 when absent.
    NumberOrZero,
    /// Optional number between 0 and 1.
    OptFraction,
    /// Required lower-case string of at most N characters.
    Lower(usize),
    /// Required value from a fixed list.
    OneOf(&'static [&'static str]),
    /// Required id of a row of the named dataset (same team).
    Ref(&'static str),
    /// Optional id of a row of the named dataset (same team).
    OptRef(&'static str),
}

/// One field of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
}

impl Field {
    /// The storage column.
    pub fn column(&self) -> String {
        match self.kind {
            Kind::Instant | Kind::OptInstant => format!("{}_ms", self.name),
            _ => self.name.to_string(),
        }
    }
}

/// One dataset: its name (= table) and fields after `id`.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub name: &'static str,
    pub fields: &'static [Field],
}

pub const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

/// Every table-driven dataset of every domain.
pub fn all() -> impl Iterator<Item = &'static Dataset> {
    super::chat::ingest::DATASETS
        .iter()
        .chain(super::publishing::ingest::DATASETS)
}

/// The table-driven dataset with this name.
pub fn find(name: &str) -> Option<&'static Dataset> {
    all().find(|d| d.name == name)
}

/// One validated row: its id and a value per dataset field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub values: Vec<Value>,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Validates one row of `ds`.
pub fn validate(ds: &Dataset, value: &serde_json::Value) -> Result<Row, FieldError> {
    let mut allowed = vec!["id"];
    allowed.extend(ds.fields.iter().map(|f| f.name));
    let r = Record::new(value, &allowed)?;
    let id = r.string("id", 64)?;
    let mut values = Vec::with_capacity(ds.fields.len());
    for field in ds.fields {
        let name = field.name;
        let v: Value = match field.kind {
            Kind::Str(max) => r.string(name, max)?.into(),
            Kind::OptStr(max) => r.opt_string(name, max)?.into(),
            Kind::OptLower(max) => r.opt_string(name, max)?.map(|s| s.to_lowercase()).into(),
            Kind::Bool => match value.get(name) {
                None | Some(serde_json::Value::Null) => false.into(),
                Some(serde_json::Value::Bool(b)) => (*b).into(),
                Some(_) => return Err(err(name, "must be true or false")),
            },
            Kind::Instant => r.instant(name)?.timestamp_millis().into(),
            Kind::OptInstant => match value.get(name) {
                None | Some(serde_json::Value::Null) => Option::<i64>::None.into(),
                Some(_) => Some(r.instant(name)?.timestamp_millis()).into(),
            },
            Kind::Number => r.number(name, 0.0)?.into(),
            Kind::OptNumber | Kind::NumberOrZero | Kind::OptFraction => {
                let v = match value.get(name) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(_) => Some(r.number(name, 0.0)?),
                };
                match (field.kind, v) {
                    (Kind::NumberOrZero, v) => v.unwrap_or(0.0).into(),
                    (Kind::OptFraction, Some(v)) if v > 1.0 => {
                        return Err(err(name, "must be between 0 and 1"));
                    }
                    (_, v) => v.into(),
                }
            }
            Kind::Lower(max) => r.string(name, max)?.to_lowercase().into(),
            Kind::OneOf(allowed) => {
                let s = r.opt_string(name, 64)?.unwrap_or_default();
                if !allowed.contains(&s.as_str()) {
                    let list = allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(err(name, format!("must be one of {list}")));
                }
                s.into()
            }
            Kind::Ref(_) => r.string(name, 64)?.into(),
            Kind::OptRef(_) => r.opt_string(name, 64)?.into(),
        };
        values.push(v);
    }
    Ok(Row { id, values })
}

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
        let mut found = BTreeSet::new();
        let wanted_list: Vec<String> = wanted.into_iter().collect();
        for chunk in wanted_list.chunks(500) {
            let stmt = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new(target))
                .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().cloned()))
                .to_owned();
            for row in db.query_all(&stmt).await? {
                found.insert(
                    row.try_get_by_index::<String>(0)
                        .map_err(|e| sea_orm::DbErr::Type(format!("{e:?}")))?,
                );
            }
        }
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

/// Inserts the rows for the team, skipping ids it already has; returns how many were new.
pub async fn write(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[Row],
) -> AppResult<u64> {
    let mut columns = vec![Alias::new("team_id"), Alias::new("id")];
    columns.extend(ds.fields.iter().map(|f| Alias::new(f.column())));
    let per_chunk = (10_000 / columns.len()).max(1);
    let mut inserted = 0;
    for chunk in rows.chunks(per_chunk) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(ds.name))
            .columns(columns.clone());
        for row in chunk {
            let mut values: Vec<Expr> =
                vec![Expr::val(scope.team_id().0), Expr::val(row.id.clone())];
            values.extend(row.values.iter().cloned().map(Expr::val));
            insert.values_panic(values);
        }
        insert.on_conflict(
            OnConflict::columns([Alias::new("team_id"), Alias::new("id")])
                .do_nothing()
                .to_owned(),
        );
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    Ok(inserted)
}

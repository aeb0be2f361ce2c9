//! Table-driven datasets: a dataset is described once as data (its fields and their kinds),
//! and that description drives validation, storage columns, same-team reference checks and
//! idempotent writes. The chat and publishing datasets are all described this way; the
//! migrations mirror the descriptions.

use crate::kernel::record::{FieldError, MAX_AMOUNT, Record, RowError, bounded_number};
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
    /// Required calendar date `YYYY-MM-DD` (an RFC 3339 instant gives its date as written),
    /// stored as that text.
    Date,
    /// Required finite number of any sign.
    Signed,
    /// Required number between 0 and N.
    AtMost(u32),
}

/// What identifies a row of a dataset within its team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The source system's `id` (at most 64 characters); a re-sent id is a duplicate.
    Id,
    /// The calendar `month` (`YYYY-MM-01` or `YYYY-MM`, stored as `YYYY-MM-01`); a re-sent
    /// month replaces the stored figures.
    Month,
}

impl Key {
    /// The key field and storage column.
    pub fn column(self) -> &'static str {
        match self {
            Key::Id => "id",
            Key::Month => "month",
        }
    }
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

/// One dataset: its name (= table), its key and the fields after the key.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub name: &'static str,
    pub key: Key,
    pub fields: &'static [Field],
}

pub const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

/// One validated row: its key (`id` or month) and a value per dataset field, in field order.
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
    let mut allowed = vec![ds.key.column()];
    allowed.extend(ds.fields.iter().map(|f| f.name));
    let r = Record::new(value, &allowed)?;
    let id = match ds.key {
        Key::Id => r.string("id", 64)?,
        Key::Month => month_key(&r.string("month", 10)?)?,
    };
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
            Kind::Number => r.number(name, 0.0, MAX_AMOUNT)?.into(),
            Kind::OptNumber | Kind::NumberOrZero | Kind::OptFraction => {
                let v = match value.get(name) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(_) => Some(r.number(name, 0.0, MAX_AMOUNT)?),
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
            Kind::Date => date(name, &r.string(name, 40)?)?.into(),
            Kind::Signed => match value.get(name) {
                None | Some(serde_json::Value::Null) => return Err(err(name, "is required")),
                Some(v) => match bounded_number(v, -MAX_AMOUNT, MAX_AMOUNT) {
                    Some(n) => n.into(),
                    None => {
                        let msg =
                            format!("must be a number between {} and {MAX_AMOUNT}", -MAX_AMOUNT);
                        return Err(err(name, msg));
                    }
                },
            },
            Kind::AtMost(max) => r.number(name, 0.0, f64::from(max))?.into(),
        };
        values.push(v);
    }
    Ok(Row { id, values })
}

/// `YYYY-MM-01` (or `YYYY-MM`) → `YYYY-MM-01`.
fn month_key(text: &str) -> Result<String, FieldError> {
    let full = if text.len() == 7 {
        format!("{text}-01")
    } else {
        text.to_string()
    };
    match chrono::NaiveDate::parse_from_str(&full, "%Y-%m-%d") {
        Ok(d) if full.ends_with("-01") && full.len() == 10 => Ok(d.format("%Y-%m-%d").to_string()),
        _ => Err(err(
            "month",
            "must be the first day of a month, `YYYY-MM-01` (or `YYYY-MM`)",
        )),
    }
}

/// A `YYYY-MM-DD` date, or the date of an RFC 3339 instant as written (its own offset).
fn date(name: &str, text: &str) -> Result<String, FieldError> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.date_naive())
        })
        .ok_or_else(|| err(name, "must be a date `YYYY-MM-DD` or an RFC 3339 instant"))?;
    Ok(d.format("%Y-%m-%d").to_string())
}

/// Rows of a month-keyed batch that repeat a month of an earlier row (a month is replaced
/// as a whole, so one batch names it once).
pub fn repeated_keys(ds: &Dataset, rows: &[(usize, Row)]) -> Vec<RowError> {
    if ds.key == Key::Id {
        return Vec::new();
    }
    let mut first_line = std::collections::HashMap::new();
    rows.iter()
        .filter_map(|(line, row)| {
            let first = *first_line.entry(row.id.as_str()).or_insert(*line);
            (first != *line).then(|| RowError {
                line: *line,
                field: Some(ds.key.column().into()),
                message: format!("`{}` is already given on line {first}", row.id),
            })
        })
        .collect()
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

/// What a write did: rows new to the team, and stored rows replaced (month-keyed datasets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub inserted: u64,
    pub replaced: u64,
}

/// Stores the rows for the team: ids it already has are skipped; months it already has are
/// replaced.
pub async fn write(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[Row],
) -> AppResult<Written> {
    let key = ds.key.column();
    let existing = match ds.key {
        Key::Id => 0,
        Key::Month => count_existing(txn, scope, ds, rows).await?,
    };
    let mut columns = vec![Alias::new("team_id"), Alias::new(key)];
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
        let mut on_conflict = OnConflict::columns([Alias::new("team_id"), Alias::new(key)]);
        match ds.key {
            Key::Id => on_conflict.do_nothing(),
            Key::Month => {
                on_conflict.update_columns(ds.fields.iter().map(|f| Alias::new(f.column())))
            }
        };
        insert.on_conflict(on_conflict);
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    Ok(match ds.key {
        Key::Id => Written {
            inserted,
            replaced: 0,
        },
        Key::Month => Written {
            inserted: rows.len() as u64 - existing,
            replaced: existing,
        },
    })
}

/// How many of the rows' keys the team already has.
async fn count_existing(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    ds: &Dataset,
    rows: &[Row],
) -> AppResult<u64> {
    let key = ds.key.column();
    let mut existing = 0;
    for chunk in rows.chunks(500) {
        let stmt = Query::select()
            .expr(Expr::col(Alias::new(key)).count())
            .from(Alias::new(ds.name))
            .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
            .and_where(Expr::col(Alias::new(key)).is_in(chunk.iter().map(|r| r.id.clone())))
            .to_owned();
        if let Some(row) = txn.query_one(&stmt).await? {
            existing += crate::kernel::sql::get::<i64>(&row, 0)? as u64;
        }
    }
    Ok(existing)
}

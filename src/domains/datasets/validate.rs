//! One row of a dataset, checked against its description and turned into storage values.

use super::{Dataset, Key, Kind, Row};
use crate::kernel::record::{FieldError, MAX_AMOUNT, MAX_DURATION_MS, Record, bounded_number};
use sea_orm::Value;

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn absent(value: &serde_json::Value, name: &str) -> bool {
    matches!(value.get(name), None | Some(serde_json::Value::Null))
}

/// Validates one row of `ds`.
pub fn validate(ds: &Dataset, value: &serde_json::Value) -> Result<Row, FieldError> {
    let mut allowed = vec![ds.key.column()];
    allowed.extend(
        ds.fields
            .iter()
            .filter(|f| f.kind.is_input())
            .map(|f| f.name),
    );
    let r = Record::new(value, &allowed)?;
    let id = match ds.key {
        Key::Id => r.string("id", 64)?,
        Key::Month => month_key(&r.string("month", 10)?)?,
    };
    let mut values = Vec::with_capacity(ds.fields.len());
    for field in ds.fields {
        values.push(value_of(field.name, field.kind, &r, value)?);
    }
    Ok(Row { id, values })
}

/// The storage value of one field.
fn value_of(
    name: &str,
    kind: Kind,
    r: &Record<'_>,
    value: &serde_json::Value,
) -> Result<Value, FieldError> {
    let optional_number = |max: f64| -> Result<Option<f64>, FieldError> {
        if absent(value, name) {
            Ok(None)
        } else {
            r.number(name, 0.0, max).map(Some)
        }
    };
    Ok(match kind {
        Kind::Str(max) => r.string(name, max)?.into(),
        Kind::OptStr(max) => r.opt_string(name, max)?.into(),
        Kind::OptLower(max) => r.opt_string(name, max)?.map(|s| s.to_lowercase()).into(),
        Kind::Bool => match value.get(name) {
            None | Some(serde_json::Value::Null) => false.into(),
            Some(serde_json::Value::Bool(b)) => (*b).into(),
            Some(_) => return Err(err(name, "must be true or false")),
        },
        Kind::Instant => r.instant(name)?.timestamp_millis().into(),
        Kind::OptInstant => match absent(value, name) {
            true => Option::<i64>::None.into(),
            false => Some(r.instant(name)?.timestamp_millis()).into(),
        },
        Kind::Number => r.number(name, 0.0, MAX_AMOUNT)?.into(),
        Kind::OptNumber => optional_number(MAX_AMOUNT)?.into(),
        Kind::NumberOrZero => optional_number(MAX_AMOUNT)?.unwrap_or(0.0).into(),
        Kind::OptFraction => optional_number(1.0)?.into(),
        Kind::Duration => r.number(name, 0.0, MAX_DURATION_MS)?.into(),
        Kind::OptDuration => optional_number(MAX_DURATION_MS)?.into(),
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
                    let msg = format!("must be a number between {} and {MAX_AMOUNT}", -MAX_AMOUNT);
                    return Err(err(name, msg));
                }
            },
        },
        Kind::AtMost(max) => r.number(name, 0.0, f64::from(max))?.into(),
        Kind::Int(min, max) => r.int(name, min, max)?.into(),
        Kind::OptInt(min, max) => r.opt_int(name, min, max)?.into(),
        Kind::Micros => r.opt_micros(name)?.into(),
        Kind::Country => match r.opt_string(name, 2)? {
            Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                Some(c.to_ascii_uppercase()).into()
            }
            Some(_) => return Err(err(name, "must be two letters (ISO 3166-1 alpha-2)")),
            None => Option::<String>::None.into(),
        },
        Kind::Json(check) | Kind::OptJson(check) => match value.get(name) {
            None | Some(serde_json::Value::Null) if matches!(kind, Kind::OptJson(_)) => {
                Option::<String>::None.into()
            }
            None | Some(serde_json::Value::Null) => "{}".to_string().into(),
            Some(v @ serde_json::Value::Object(_)) => {
                check(v)?;
                v.to_string().into()
            }
            Some(_) => return Err(err(name, "must be a JSON object")),
        },
        Kind::Derived(compute) => compute(value).into(),
    })
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

/// The key of a row naming only its key (`{"id": …}` or `{"month": …}`), as stored.
pub fn key_of(ds: &Dataset, value: &serde_json::Value) -> Result<String, FieldError> {
    let r = Record::new(value, &[ds.key.column()])?;
    match ds.key {
        Key::Id => r.string("id", 64),
        Key::Month => month_key(&r.string("month", 10)?),
    }
}

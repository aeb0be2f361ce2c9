//! Reading ingested rows: NDJSON or JSON-array bodies, typed field readers with clear errors.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Why one row was rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based line (NDJSON) or element number (JSON array).
    pub line: usize,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    pub message: String,
}

/// Splits a body into `(line, value)` rows: a JSON array, or one JSON object per line
/// (blank lines are skipped but still counted).
pub fn parse_rows(body: &[u8]) -> Result<Vec<(usize, Value)>, RowError> {
    let text = std::str::from_utf8(body).map_err(|e| RowError {
        line: 0,
        field: None,
        message: format!("body is not UTF-8: {e}"),
    })?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(trimmed).map_err(|e| RowError {
            line: e.line(),
            field: None,
            message: format!("invalid JSON array: {e}"),
        })?;
        return Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect());
    }
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| RowError {
            line: i + 1,
            field: None,
            message: format!("invalid JSON: {e}"),
        })?;
        rows.push((i + 1, value));
    }
    Ok(rows)
}

/// A field-level problem (the line is added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Typed access to one JSON object row.
pub struct Record<'a> {
    obj: &'a Map<String, Value>,
}

impl<'a> Record<'a> {
    /// A row that must be an object with only the `allowed` fields.
    pub fn new(value: &'a Value, allowed: &[&str]) -> Result<Self, FieldError> {
        let obj = value
            .as_object()
            .ok_or_else(|| err("", "each row must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(err(
                unknown,
                format!("unknown field (allowed: {})", allowed.join(", ")),
            ));
        }
        Ok(Record { obj })
    }

    fn present(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    /// A required, non-empty string of at most `max` characters.
    pub fn string(&self, field: &str, max: usize) -> Result<String, FieldError> {
        self.opt_string(field, max)?
            .ok_or_else(|| err(field, "is required"))
    }

    /// An optional string (absent, null or empty = none) of at most `max` characters.
    pub fn opt_string(&self, field: &str, max: usize) -> Result<Option<String>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) if s.chars().count() > max => {
                Err(err(field, format!("is longer than {max} characters")))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(field, "must be a string")),
        }
    }

    /// A required integer in `[min, max]`.
    pub fn int(&self, field: &str, min: i64, max: i64) -> Result<i64, FieldError> {
        self.opt_int(field, min, max)?
            .ok_or_else(|| err(field, "is required"))
    }

    /// An optional integer in `[min, max]`.
    pub fn opt_int(&self, field: &str, min: i64, max: i64) -> Result<Option<i64>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(err(
                    field,
                    format!("must be an integer between {min} and {max}"),
                )),
            },
        }
    }

    /// A required finite number ≥ `min`.
    pub fn number(&self, field: &str, min: f64) -> Result<f64, FieldError> {
        match self.present(field).and_then(Value::as_f64) {
            Some(n) if n.is_finite() && n >= min => Ok(n),
            None if self.present(field).is_none() => Err(err(field, "is required")),
            _ => Err(err(field, format!("must be a number ≥ {min}"))),
        }
    }

    /// An optional non-negative decimal (number or string), as integer millionths, rounded
    /// to the nearest millionth.
    pub fn opt_micros(&self, field: &str) -> Result<Option<i64>, FieldError> {
        let text = match self.present(field) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err(err(field, "must be a decimal number")),
        };
        parse_micros(&text)
            .map(Some)
            .ok_or_else(|| err(field, "must be a decimal number ≥ 0"))
    }

    /// A required RFC 3339 instant.
    pub fn instant(&self, field: &str) -> Result<DateTime<Utc>, FieldError> {
        match self.present(field) {
            None => Err(err(field, "is required")),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    err(
                        field,
                        "must be an RFC 3339 instant, e.g. 2026-01-31T12:00:00Z",
                    )
                }),
            Some(_) => Err(err(field, "must be an RFC 3339 string")),
        }
    }
}

/// `"12.345"` → 12_345_000 (exact decimal arithmetic; more than 6 decimals are rounded).
pub fn parse_micros(text: &str) -> Option<i64> {
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() || !(0.0..=9.0e12).contains(&value) {
        return None;
    }
    let plain = !text.contains(['e', 'E']);
    if plain {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut digits: Vec<u32> = frac.chars().filter_map(|c| c.to_digit(10)).collect();
        digits.resize(digits.len().max(7), 0);
        let mut micros: i64 = digits[..6]
            .iter()
            .fold(0, |acc, d| acc * 10 + i64::from(*d));
        if digits[6] >= 5 {
            micros += 1;
        }
        return Some(int * 1_000_000 + micros);
    }
    Some((value * 1e6).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_are_exact() {
        assert_eq!(parse_micros("0.1"), Some(100_000));
        assert_eq!(parse_micros("12.3456789"), Some(12_345_679));
        assert_eq!(parse_micros("3"), Some(3_000_000));
        assert_eq!(parse_micros("1e-3"), Some(1_000));
        assert_eq!(parse_micros("-1"), None);
        assert_eq!(parse_micros("abc"), None);
    }

    #[test]
    fn ndjson_lines_are_numbered_with_blanks_counted() {
        let rows = parse_rows(b"{\"a\":1}\n\n{\"a\":2}\n").unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 3]);
        let e = parse_rows(b"{\"a\":1}\n{oops\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}

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

/// The rows of a body — a JSON array, or one JSON object per line (blank lines are skipped
/// but still counted) — parsed one at a time as `(line, value)`, so the parsed rows never all
/// live at once. After a row that is not JSON the iterator ends.
pub fn rows(body: &[u8]) -> Rows<'_> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let array = body.get(start) == Some(&b'[');
    Rows {
        body,
        pos: if array { start + 1 } else { 0 },
        line: 0,
        array,
        done: false,
    }
}

/// See [`rows`].
pub struct Rows<'a> {
    body: &'a [u8],
    pos: usize,
    /// NDJSON: lines read so far; array: elements read so far.
    line: usize,
    array: bool,
    done: bool,
}

impl Rows<'_> {
    fn fail(&mut self, line: usize, message: String) -> Option<Result<(usize, Value), RowError>> {
        self.done = true;
        Some(Err(RowError {
            line,
            field: None,
            message,
        }))
    }

    fn skip_whitespace(&mut self) {
        while self
            .body
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn next_element(&mut self) -> Option<Result<(usize, Value), RowError>> {
        self.skip_whitespace();
        if self.line > 0 {
            match self.body.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b']') => return self.end_of_array(),
                _ => return self.fail(self.line, "invalid JSON array: expected `,` or `]`".into()),
            }
        } else if self.body.get(self.pos) == Some(&b']') {
            return self.end_of_array();
        }
        let mut values =
            serde_json::Deserializer::from_slice(&self.body[self.pos..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(value)) => {
                self.pos += values.byte_offset();
                self.line += 1;
                Some(Ok((self.line, value)))
            }
            Some(Err(e)) => self.fail(self.line + 1, format!("invalid JSON array: {e}")),
            None => self.fail(self.line + 1, "invalid JSON array: it is not closed".into()),
        }
    }

    fn end_of_array(&mut self) -> Option<Result<(usize, Value), RowError>> {
        self.pos += 1;
        self.skip_whitespace();
        self.done = true;
        if self.pos < self.body.len() {
            return self.fail(
                self.line,
                "invalid JSON array: text after the closing `]`".into(),
            );
        }
        None
    }

    fn next_line(&mut self) -> Option<Result<(usize, Value), RowError>> {
        loop {
            if self.pos >= self.body.len() {
                self.done = true;
                return None;
            }
            let rest = &self.body[self.pos..];
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let raw = &rest[..end];
            self.pos += end + 1;
            self.line += 1;
            let Ok(text) = std::str::from_utf8(raw) else {
                return self.fail(self.line, "the line is not UTF-8".into());
            };
            if text.trim().is_empty() {
                continue;
            }
            return match serde_json::from_str(text) {
                Ok(value) => Some(Ok((self.line, value))),
                Err(e) => self.fail(self.line, format!("invalid JSON: {e}")),
            };
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<(usize, Value), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.array {
            self.next_element()
        } else {
            self.next_line()
        }
    }
}

/// Reads a body row by row (see [`rows`]), handing each to `each`.
pub fn for_each_row(body: &[u8], mut each: impl FnMut(usize, Value)) -> Result<(), RowError> {
    for row in rows(body) {
        let (line, value) = row?;
        each(line, value);
    }
    Ok(())
}

/// Every row of a body, read at once (tests and small bodies).
pub fn parse_rows(body: &[u8]) -> Result<Vec<(usize, Value)>, RowError> {
    let mut rows = Vec::new();
    for_each_row(body, |line, value| rows.push((line, value)))?;
    Ok(rows)
}

/// The earliest instant a row may carry (inclusive).
pub const MIN_INSTANT: &str = "1970-01-01T00:00:00Z";
/// The latest instant a row may carry (exclusive).
pub const MAX_INSTANT: &str = "2200-01-01T00:00:00Z";
/// The largest amount (money, pipeline, revenue …) one row may carry, in currency units.
pub const MAX_AMOUNT: f64 = 1e12;
/// The longest duration one row may carry, in milliseconds (a day).
pub const MAX_DURATION_MS: f64 = 86_400_000.0;

/// The instants a row may carry, as epoch milliseconds: `[1970-01-01, 2200-01-01)`.
pub fn instant_range_ms() -> std::ops::Range<i64> {
    0..7_258_118_400_000
}

/// Whether text holds a control character (C0, DEL or C1), NUL included.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The first string (key or value) in a JSON value that holds a control character.
pub fn control_in_json(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => has_control(s).then_some(s.as_str()),
        Value::Array(items) => items.iter().find_map(control_in_json),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if has_control(k) {
                Some(k.as_str())
            } else {
                control_in_json(v)
            }
        }),
        _ => None,
    }
}

/// A finite number in `[min, max]`, with `-0.0` read as `0.0`.
pub fn bounded_number(value: &Value, min: f64, max: f64) -> Option<f64> {
    value
        .as_f64()
        .filter(|n| n.is_finite() && (min..=max).contains(n))
        .map(|n| n + 0.0)
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
            Some(Value::String(s)) if has_control(s) => Err(err(
                field,
                "must not contain control characters (NUL, line breaks, …)",
            )),
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

    /// A required finite number in `[min, max]` (`-0` is read as `0`).
    pub fn number(&self, field: &str, min: f64, max: f64) -> Result<f64, FieldError> {
        match self.present(field) {
            None => Err(err(field, "is required")),
            Some(v) => bounded_number(v, min, max)
                .ok_or_else(|| err(field, format!("must be a number between {min} and {max}"))),
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
            .ok_or_else(|| err(field, "must be a decimal number between 0 and 1000000000"))
    }

    /// A required RFC 3339 instant.
    pub fn instant(&self, field: &str) -> Result<DateTime<Utc>, FieldError> {
        match self.present(field) {
            None => Err(err(field, "is required")),
            Some(Value::String(s)) => {
                let t = DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        err(
                            field,
                            "must be an RFC 3339 instant, e.g. 2026-01-31T12:00:00Z",
                        )
                    })?;
                if !instant_range_ms().contains(&t.timestamp_millis()) {
                    return Err(err(
                        field,
                        format!("must be at or after {MIN_INSTANT} and before {MAX_INSTANT}"),
                    ));
                }
                Ok(t)
            }
            Some(_) => Err(err(field, "must be an RFC 3339 string")),
        }
    }
}

/// `"12.345"` → 12_345_000 (exact decimal arithmetic; more than 6 decimals are rounded);
/// `None` outside `[0, 10^9]` (a billion currency units per row).
pub fn parse_micros(text: &str) -> Option<i64> {
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() || !(0.0..=1.0e9).contains(&value) {
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

    #[test]
    fn array_elements_are_read_one_by_one_and_numbered() {
        let rows = parse_rows(b" [ {\"a\":1} ,{\"a\":2}\n] ").unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(rows[1].1["a"], 2);
        assert!(parse_rows(b"[]").unwrap().is_empty());
        assert_eq!(parse_rows(b"[{\"a\":1} {\"a\":2}]").unwrap_err().line, 1);
        assert_eq!(parse_rows(b"[{\"a\":1}, {oops}]").unwrap_err().line, 2);
        assert!(parse_rows(b"[{\"a\":1}").is_err());
        assert!(parse_rows(b"[{\"a\":1}] x").is_err());
    }
}

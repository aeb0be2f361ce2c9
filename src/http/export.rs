//! `POST /v1/export`: runs a GraphQL operation under the caller's auth and limits and returns
//! one list of the answer — a series, a table or a breakdown's rows — as CSV or JSON, complete.

use super::HttpState;
use super::auth::caller;
use super::graphql::run_graphql;
use crate::graphql::dashboard::WindowsSeen;
use crate::kernel::AppError;
use crate::kernel::window::ResolvedWindow;
use async_graphql::{Name, Value};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The export request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportRequest {
    query: Option<String>,
    /// A persisted document's id instead of `query` (required in trusted-documents mode
    /// unless `query` is a manifest document).
    document_id: Option<String>,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    operation_name: Option<String>,
    format: Format,
    /// Dotted path of the list, e.g. `apiUsage.requests`.
    path: Option<String>,
    /// Carry the dashboard's resolved window, filter and preset with the rows: JSON wraps
    /// them (`{window, filter, presetId, rows}`), CSV adds `_window.*`, `_filter` and
    /// `_presetId` columns to every row.
    #[serde(default)]
    include_filters: bool,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Format {
    Csv,
    Json,
}

/// Exports one list of a GraphQL answer.
pub async fn export(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    match run(&http, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn run(http: &HttpState, headers: &HeaderMap, body: Body) -> Result<Response, AppError> {
    let state = &http.app;
    let principal = caller(state, headers)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let hint = "send the export request as `application/json`";
    if let Some(response) = super::body::unsupported_media(headers, &["application/json"], hint) {
        return Ok(response);
    }
    let bytes = match super::body::read(body, state.settings.body_limit_bytes).await {
        Ok(b) => b,
        Err(e) => return Ok(e.response(false)),
    };
    if crate::kernel::json_depth::nests_deeper_than(&bytes, state.settings.max_nesting) {
        return Err(AppError::bad_input(
            "body",
            "the export request nests JSON too deeply",
        ));
    }
    let req: ExportRequest = serde_json::from_slice(&bytes).map_err(|e| {
        AppError::bad_input("body", format!("expected {{query (or documentId), variables?, operationName?, format: \"csv\"|\"json\", path?}}: {e}"))
    })?;
    for (field, value) in [
        ("variables", &req.variables),
        ("extensions", &req.extensions),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| !v.is_object() && !v.is_null())
        {
            return Err(AppError::bad_input(
                field,
                format!("`{field}` must be a JSON object"),
            ));
        }
    }
    let resolved = http
        .persisted
        .resolve(
            req.query,
            req.document_id.as_deref(),
            req.extensions.as_ref(),
        )
        .map_err(|e| {
            let (code, message) = e.code_and_message();
            match e {
                super::persisted::PersistError::NotTrusted => {
                    AppError::Forbidden(format!("{message} ({code})"))
                }
                _ => AppError::bad_input("query", format!("{message} ({code})")),
            }
        })?;
    let mut gql = async_graphql::Request::new(resolved.query);
    if let Some(vars) = req.variables {
        gql = gql.variables(async_graphql::Variables::from_json(vars));
    }
    if let Some(op) = req.operation_name {
        gql = gql.operation_name(op);
    }
    let seen = Arc::new(WindowsSeen::default());
    let gql = gql.data(seen.clone());
    let response = run_graphql(http, gql, Some(principal.clone())).await?;
    if let Some(err) = response.errors.first() {
        let code = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|c| c.to_string());
        let code = code
            .map(|c| c.trim_matches('"').to_string())
            .unwrap_or_else(|| "BAD_USER_INPUT".into());
        let retry = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("retryAfterSeconds"))
            .map(|v| v.to_string());
        let status = super::answer::status_of(&code);
        let body = serde_json::json!({ "error": {
            "code": code,
            "message": err.message,
            "errors": response.errors,
        }});
        let mut answer = (status, Json(body)).into_response();
        if let Some(v) = retry.and_then(|r| HeaderValue::from_str(&r).ok()) {
            answer.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(answer);
    }
    let (path, items) = find_list(&response.data, req.path.as_deref())?;
    let filename = filename(&path, req.format, &seen);
    // Exports are audited: who took which list of which dashboard, and how many rows.
    let arguments = serde_json::json!({ "path": path, "format": if req.format == Format::Csv { "csv" } else { "json" },
        "filename": filename, "documentId": resolved.trusted_name });
    let counts = serde_json::json!({ "rows": items.len() });
    crate::audit::record(
        &state.db,
        &principal,
        "export",
        &arguments,
        &counts,
        state.clock.now(),
    )
    .await?;
    let settings = req
        .include_filters
        .then(|| ExportSettings::of(&path, &seen))
        .flatten();
    let (content_type, body) = match (req.format, settings) {
        (Format::Csv, None) => ("text/csv; charset=utf-8", to_csv(items)),
        (Format::Csv, Some(s)) => ("text/csv; charset=utf-8", to_csv(&s.as_columns(items))),
        (Format::Json, None) => (
            "application/json",
            serde_json::to_string(items).map_err(AppError::internal)?,
        ),
        (Format::Json, Some(settings)) => {
            let wrapped = WithRows {
                settings,
                rows: items,
            };
            let json = serde_json::to_string(&wrapped).map_err(AppError::internal)?;
            ("application/json", json)
        }
    };
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// What the dashboard of an exported list resolved: its window (as the dashboard's `window`
/// echoes it), filter (the preset's lists with the explicit ones laid over them) and preset.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportSettings {
    window: ResolvedWindow,
    filter: Value,
    preset_id: Option<String>,
}

/// `includeFilters` in JSON: the settings with the rows.
#[derive(Serialize)]
struct WithRows<'a> {
    #[serde(flatten)]
    settings: ExportSettings,
    rows: &'a [Value],
}

impl ExportSettings {
    fn of(path: &str, seen: &WindowsSeen) -> Option<ExportSettings> {
        let resolved = seen.resolved(path.split('.').next()?)?;
        Some(ExportSettings {
            window: resolved.window.resolved(),
            filter: resolved.filter,
            preset_id: resolved.preset_id,
        })
    }

    /// The rows with the settings as extra columns: `_window.preset` … `_window.granularity`,
    /// `_filter` (JSON text) and `_presetId`.
    fn as_columns(&self, items: &[Value]) -> Vec<Value> {
        let w = &self.window;
        let name = |v: serde_json::Result<serde_json::Value>| match v {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        };
        let filter = self.filter.clone().into_json().map(|f| f.to_string());
        let extra = [
            ("_window.preset", name(serde_json::to_value(w.preset))),
            ("_window.start", w.start.to_rfc3339()),
            ("_window.end", w.end.to_rfc3339()),
            ("_window.timezone", w.timezone.clone()),
            (
                "_window.granularity",
                name(serde_json::to_value(w.granularity)),
            ),
            ("_filter", filter.unwrap_or_default()),
            ("_presetId", self.preset_id.clone().unwrap_or_default()),
        ];
        items
            .iter()
            .map(|item| {
                let mut map = match item {
                    Value::Object(map) => map.clone(),
                    scalar => [(Name::new("value"), scalar.clone())].into_iter().collect(),
                };
                for (k, v) in &extra {
                    map.insert(Name::new(k), Value::String(v.clone()));
                }
                Value::Object(map)
            })
            .collect()
    }
}

/// Every list in the answer (not descending into lists), by dotted path.
fn lists<'a>(value: &'a Value, prefix: &str, out: &mut Vec<(String, &'a Vec<Value>)>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::List(items) => out.push((path, items)),
                Value::Object(_) => lists(v, &path, out),
                _ => {}
            }
        }
    }
}

fn find_list<'a>(
    data: &'a Value,
    path: Option<&str>,
) -> Result<(String, &'a Vec<Value>), AppError> {
    let mut found = Vec::new();
    lists(data, "", &mut found);
    let names = || {
        found
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match path {
        Some(p) => found
            .iter()
            .find(|(q, _)| q == p)
            .map(|(q, items)| (q.clone(), *items))
            .ok_or_else(|| {
                AppError::bad_input(
                    "path",
                    format!("no list at `{p}`; lists in the answer: {}", names()),
                )
            }),
        None => match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(AppError::bad_input(
                "query",
                "the answer has no list to export",
            )),
            _ => Err(AppError::bad_input(
                "path",
                format!(
                    "the answer has several lists; name one in `path`: {}",
                    names()
                ),
            )),
        },
    }
}

/// `<dashboard>-<panel>-<start>_<end>.<ext>`, the bounds as local times of the window
/// the dashboard resolved (whether or not the query selected it). A nested panel names every
/// step (`product-growth-retentionCohorts`); a breakdown's final `rows` is left out.
fn filename(path: &str, format: Format, seen: &WindowsSeen) -> String {
    let mut parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 2 && parts.last() == Some(&"rows") {
        parts.pop();
    }
    let dashboard = parts.first().copied().unwrap_or("export");
    let panel = match parts.get(1..) {
        Some(rest) if !rest.is_empty() => rest.join("-"),
        _ => dashboard.to_string(),
    };
    let span = match seen.get(dashboard) {
        Some(w) => {
            let local = |t| w.local(t).format("%Y-%m-%dT%H-%M-%S").to_string();
            format!("{}_{}", local(w.start), local(w.end))
        }
        None => "no-window".into(),
    };
    let ext = if format == Format::Csv { "csv" } else { "json" };
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
            .collect::<String>()
    };
    format!(
        "{}-{}-{}.{ext}",
        clean(dashboard),
        clean(&panel),
        clean(&span)
    )
}

/// Flattens a row: nested objects become dotted columns, lists become JSON text.
fn flatten(value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out);
            }
        }
        other => out.push((prefix.to_string(), cell(other))),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => neutralise_formula(s),
        Value::Enum(e) => e.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => other
            .clone()
            .into_json()
            .map(|j| j.to_string())
            .unwrap_or_default(),
    }
}

/// OWASP's advice against CSV injection: a text cell that a spreadsheet would read as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
/// so it shows as text. Only text is touched: numbers (negative ones included) stay numbers.
fn neutralise_formula(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// RFC 4180: quote fields with a comma, quote, CR or LF; double the quotes; CRLF line ends.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The rows as CSV with a header row; columns in order of first appearance.
fn to_csv(items: &[Value]) -> String {
    let rows: Vec<Vec<(String, String)>> = items
        .iter()
        .map(|item| {
            let mut cells = Vec::new();
            match item {
                Value::Object(_) => flatten(item, "", &mut cells),
                scalar => cells.push(("value".into(), cell(scalar))),
            }
            cells
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (k, _) in row {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut out = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = columns
            .iter()
            .map(|c| {
                row.iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, v)| quote(v))
                    .unwrap_or_default()
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_flattens_nested_objects_and_quotes_per_rfc_4180() {
        // Parsed straight into GraphQL values, which keep the key order of the text.
        let rows = r#"[
            {"label": "a,b", "delta": {"ratio": 0.5, "status": "OK"}, "note": "line1\nline2"},
            {"label": "say \"hi\"", "delta": {"ratio": null, "status": "BOTH_ZERO"}, "note": ""}
        ]"#;
        let Value::List(items) = serde_json::from_str::<Value>(rows).unwrap() else {
            unreachable!()
        };
        assert_eq!(
            to_csv(&items),
            "label,delta.ratio,delta.status,note\r\n\"a,b\",0.5,OK,\"line1\nline2\"\r\n\"say \"\"hi\"\"\",,BOTH_ZERO,\r\n"
        );
    }

    #[test]
    fn text_cells_that_look_like_formulas_are_neutralised_and_numbers_are_not() {
        let rows = r#"[
            {"label": "=HYPERLINK(\"http://evil.example\",\"x\")", "n": -1.5},
            {"label": "+1", "n": 2}, {"label": "-x", "n": 0}, {"label": "@SUM(A1)", "n": 0},
            {"label": "\tx", "n": 0}, {"label": "\rx", "n": 0}, {"label": "a=b", "n": 0}
        ]"#;
        let Value::List(items) = serde_json::from_str::<Value>(rows).unwrap() else {
            unreachable!()
        };
        assert_eq!(
            to_csv(&items),
            "label,n\r\n\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-1.5\r\n'+1,2\r\n'-x,0\r\n'@SUM(A1),0\r\n'\tx,0\r\n\"'\rx\",0\r\na=b,0\r\n"
        );
    }
}

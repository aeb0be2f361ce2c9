//! A GraphQL answer as HTTP: the media type the client accepts, the status code that goes
//! with it, and the headers every answer carries (`Server-Timing`, `Retry-After`,
//! `Cache-Control`, `ETag`).
//!
//! `application/json` clients get 200 for every answer that is GraphQL (as they always have),
//! except a rate limit (429) and a bad credential (401). Clients that accept
//! `application/graphql-response+json` get the GraphQL-over-HTTP draft's codes: an answer
//! without data gets the status of its first error's code.

use crate::graphql::info::{Phase, RequestInfo};
use crate::kernel::AppError;
use crate::state::AppState;
use async_graphql::Pos;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// What the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    GraphqlResponse,
}

impl Media {
    /// `application/graphql-response+json` when the client accepts it at least as much as
    /// `application/json`; `application/json` otherwise (also without `Accept`).
    pub fn negotiate(headers: &HeaderMap) -> Media {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let weight = |media: &str| {
            accept.split(',').find_map(|part| {
                let mut pieces = part.split(';').map(str::trim);
                (pieces.next()? == media).then(|| {
                    pieces
                        .find_map(|p| p.strip_prefix("q="))
                        .and_then(|q| q.parse::<f32>().ok())
                        .unwrap_or(1.0)
                })
            })
        };
        match (
            weight("application/graphql-response+json"),
            weight("application/json"),
        ) {
            (Some(g), json) if g > 0.0 && g >= json.unwrap_or(0.0) => Media::GraphqlResponse,
            _ => Media::Json,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// The HTTP status of an error code for `application/graphql-response+json` clients.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "GRAPHQL_PARSE_FAILED"
        | "GRAPHQL_VALIDATION_FAILED"
        | "QUERY_TOO_COMPLEX"
        | "BAD_USER_INPUT"
        | "BAD_REQUEST"
        | "PERSISTED_QUERY_NOT_FOUND" => StatusCode::BAD_REQUEST,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" | "OPERATION_NOT_TRUSTED" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "METHOD_NOT_ALLOWED" => StatusCode::METHOD_NOT_ALLOWED,
        "PAYLOAD_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
        "UNSUPPORTED_MEDIA_TYPE" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        "TIMEOUT" => StatusCode::GATEWAY_TIMEOUT,
        "DATABASE_UNAVAILABLE" | "SERVICE_UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Time spent on one request, for `Server-Timing`.
pub struct Timings<'a> {
    pub auth_ms: f64,
    pub info: &'a RequestInfo,
    pub db_ms: f64,
    pub total_ms: f64,
}

/// An encoded GraphQL answer before it becomes HTTP.
pub struct Answer {
    media: Media,
    status: StatusCode,
    body: Vec<u8>,
    /// The first error's code (`None` without errors).
    code: Option<String>,
    retry_after: Option<u64>,
    /// `extensions.cache`, when panels were read.
    cache: Option<Value>,
    /// The entity tag: a digest of `data` and `errors` (not of `extensions`, which say how
    /// the cache was used and differ between identical answers).
    etag: String,
}

fn code_of(error: &async_graphql::ServerError) -> Option<String> {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(|c| c.clone().into_json().ok())
        .and_then(|c| c.as_str().map(str::to_string))
}

impl Answer {
    /// An error raised before the document ran (no `data` entry for GraphQL-response clients).
    pub fn request_error(
        media: Media,
        status: StatusCode,
        code: &str,
        message: String,
    ) -> Response {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let body = match media {
            Media::Json => json!({ "data": null, "errors": [error] }),
            Media::GraphqlResponse => json!({ "errors": [error] }),
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.content_type()),
        );
        response
    }

    /// An application error around execution (credentials, rate limit, timeout).
    pub fn from_app_error(media: Media, e: AppError) -> Answer {
        let credential = matches!(e, AppError::InvalidCredentials(_));
        let mut error = async_graphql::Error::from(e).into_server_error(Pos::default());
        // Raised around the document, not in it: no location.
        error.locations.clear();
        let mut answer =
            Answer::from_response(media, async_graphql::Response::from_errors(vec![error]));
        if credential {
            answer.status = StatusCode::UNAUTHORIZED;
        }
        answer
    }

    /// The answer of an executed request.
    pub fn from_response(media: Media, response: async_graphql::Response) -> Answer {
        let code = response.errors.first().and_then(code_of);
        let retry_after = response
            .errors
            .iter()
            .filter_map(|e| {
                e.extensions
                    .as_ref()?
                    .get("retryAfterSeconds")?
                    .clone()
                    .into_json()
                    .ok()
            })
            .filter_map(|v| v.as_u64())
            .max();
        let has_data = !matches!(response.data, async_graphql::Value::Null);
        let request_error = !has_data && response.errors.first().is_some_and(|e| e.path.is_empty());
        let status = match (&code, has_data, media) {
            (Some(c), false, _) if c == "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
            (Some(c), false, Media::GraphqlResponse) => status_of(c),
            _ => StatusCode::OK,
        };
        let cache = response
            .extensions
            .get("cache")
            .and_then(|c| c.clone().into_json().ok());
        // Serialized straight from the response, whose objects keep the query's field order
        // (a `serde_json::Value` would sort them).
        let without_data = media == Media::GraphqlResponse && request_error;
        let body = if without_data {
            let mut value = serde_json::to_value(&response).unwrap_or(Value::Null);
            if let Some(obj) = value.as_object_mut() {
                obj.remove("data");
            }
            serde_json::to_vec(&value)
        } else {
            serde_json::to_vec(&response)
        };
        let data = if without_data {
            String::new()
        } else {
            serde_json::to_string(&response.data).unwrap_or_default()
        };
        let errors = if response.errors.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&response.errors).unwrap_or_default()
        };
        let digest = Sha256::new()
            .chain_update(data)
            .chain_update(errors)
            .finalize();
        let etag = format!(
            "\"{}\"",
            digest[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Answer {
            media,
            status,
            body: body.unwrap_or_default(),
            code,
            retry_after,
            cache,
            etag,
        }
    }

    /// `Cache-Control` of a successful GET answer: private, fresh until its oldest panel is due.
    fn cache_control(&self, state: &AppState) -> String {
        let computed = self
            .cache
            .as_ref()
            .and_then(|c| c["computedAt"].as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        match computed {
            Some(t) => {
                let age = (chrono::Utc::now() - t.to_utc()).num_seconds().max(0) as u64;
                let ttl = state.settings.cache_ttl_seconds;
                format!("private, max-age={}", ttl.saturating_sub(age))
            }
            None => "private, no-cache".into(),
        }
    }

    /// The HTTP response; `if_none_match` is `Some` for GET requests (ETag and 304).
    pub fn into_http(
        self,
        state: &AppState,
        t: Timings<'_>,
        if_none_match: Option<&str>,
    ) -> Response {
        let kind = t.info.operation_type().unwrap_or("unknown");
        state
            .metrics
            .graphql_operation(kind, self.code.as_deref().unwrap_or("OK"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.media.content_type()),
        );
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Authorization, Accept"),
        );
        if let Ok(v) = HeaderValue::from_str(&server_timing(&t, self.cache.as_ref())) {
            headers.insert("server-timing", v);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, seconds.into());
        }
        let get = if_none_match.is_some();
        let cacheable = get && self.status == StatusCode::OK && self.code.is_none();
        let control = if cacheable {
            self.cache_control(state)
        } else {
            "no-store".into()
        };
        if let Ok(v) = HeaderValue::from_str(&control) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        if cacheable {
            let etag = &self.etag;
            let matches = if_none_match.unwrap_or("").split(',').any(|candidate| {
                let candidate = candidate.trim();
                candidate == "*" || candidate.trim_start_matches("W/") == etag
            });
            if let Ok(v) = HeaderValue::from_str(etag) {
                headers.insert(header::ETAG, v);
            }
            if matches {
                headers.remove(header::CONTENT_TYPE);
                return (StatusCode::NOT_MODIFIED, headers).into_response();
            }
        }
        (self.status, headers, self.body).into_response()
    }
}

/// `Server-Timing`: authentication, parse, validation, execution, database and cache use.
fn server_timing(t: &Timings<'_>, cache: Option<&Value>) -> String {
    let mut parts = vec![
        format!("auth;dur={:.2}", t.auth_ms),
        format!("parse;dur={:.2}", t.info.millis(Phase::Parse)),
        format!("validate;dur={:.2}", t.info.millis(Phase::Validate)),
        format!("exec;dur={:.2}", t.info.millis(Phase::Execute)),
        format!("db;dur={:.2}", t.db_ms),
    ];
    if let Some(c) = cache {
        parts.push(format!(
            "cache;desc=\"{} hits, {} misses\"",
            c["hits"].as_u64().unwrap_or(0),
            c["misses"].as_u64().unwrap_or(0)
        ));
    }
    parts.push(format!("total;dur={:.2}", t.total_ms));
    parts.join(", ")
}

//! GraphQL over HTTP: `POST /graphql` and `GET /graphql?query=…` (queries only), persisted
//! documents, status codes by the client's `Accept`, `ETag`/`Cache-Control` on GET answers,
//! `Server-Timing` everywhere; GraphiQL for browsers.

use super::HttpState;
use super::answer::{Answer, Media};
use super::auth::caller;
use crate::graphql::bounds::DocumentBounds;
use crate::graphql::info::RequestInfo;
use crate::graphql::operation_of;
use crate::kernel::json_depth::nests_deeper_than;
use crate::kernel::{AppError, Principal};
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The parameters of a GraphQL-over-HTTP request, from a JSON body or a query string.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    operation_name: Option<String>,
    #[serde(default)]
    extensions: Option<Value>,
    document_id: Option<String>,
}

impl Params {
    /// `variables` and `extensions` are JSON objects (or null): anything else would otherwise
    /// be dropped silently and the operation run with its defaults.
    fn not_objects(&self) -> Option<String> {
        [
            ("variables", &self.variables),
            ("extensions", &self.extensions),
        ]
        .into_iter()
        .find(|(_, v)| v.as_ref().is_some_and(|v| !v.is_object() && !v.is_null()))
        .map(|(k, _)| format!("`{k}` must be a JSON object"))
    }
}

/// Executes a request for `principal` within the request timeout, timing database work.
pub(super) async fn run_graphql(
    http: &HttpState,
    request: async_graphql::Request,
    principal: Option<Principal>,
) -> Result<async_graphql::Response, AppError> {
    let request = match principal {
        Some(p) => request.data(p),
        None => request,
    };
    let timeout_ms = http.app.settings.request_timeout_ms;
    let run = async {
        tokio::time::timeout(
            Duration::from_millis(timeout_ms),
            http.schema.execute(request),
        )
        .await
        .map_err(|_| AppError::Timeout(timeout_ms))
    };
    http.app.reach.unless_down(run).await
}

/// `POST /graphql`: a JSON body `{query, variables, operationName, extensions, documentId}`.
pub async fn post(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let media = Media::negotiate(&headers);
    if let Some(essence) = super::body::declared_media(&headers)
        && !matches!(
            essence.as_str(),
            "application/json" | "application/graphql-response+json"
        )
    {
        let msg = format!("send the request as `application/json`, not `{essence}`");
        return Answer::request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            msg,
        );
    }
    let bytes = match super::body::read(body, http.app.settings.body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(e) => return e.response(true),
    };
    let nesting = http.app.settings.max_nesting;
    if nests_deeper_than(&bytes, nesting) {
        let msg = format!("the JSON body nests more than {nesting} levels deep");
        return Answer::request_error(media, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", msg);
    }
    let params: Params = match serde_json::from_slice(&bytes) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("the body must be a GraphQL request as JSON: {e}");
            return Answer::request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
        }
    };
    if let Some(msg) = params.not_objects() {
        return Answer::request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
    }
    respond(&http, &headers, params, Method::POST, media).await
}

/// `GET /graphql`: a WebSocket upgrade (live subscriptions, `super::live`) or a query.
pub async fn get_or_upgrade(State(http): State<HttpState>, request: Request) -> Response {
    if super::live::is_upgrade(request.headers()) {
        return super::live::upgrade(http, request).await;
    }
    let raw = request.uri().query().map(str::to_string);
    get(State(http), request.headers().clone(), RawQuery(raw)).await
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only; a browser asking for
/// HTML without a query gets GraphiQL.
pub async fn get(
    State(http): State<HttpState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let raw = raw.unwrap_or_default();
    if wants_html && raw.is_empty() {
        return graphiql().await.into_response();
    }
    let media = Media::negotiate(&headers);
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(&raw) {
        Ok(p) => p,
        Err(_) => {
            let msg = "the query string is not URL-encoded".to_string();
            return Answer::request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
        }
    };
    let mut params = Params::default();
    let nesting = http.app.settings.max_nesting;
    for (key, value) in pairs {
        match key.as_str() {
            "query" => params.query = Some(value),
            "operationName" => params.operation_name = Some(value),
            "documentId" => params.document_id = Some(value),
            "variables" | "extensions" => {
                let parsed = if nests_deeper_than(value.as_bytes(), nesting) {
                    Err((
                        "BAD_USER_INPUT",
                        format!("`{key}` nests more than {nesting} levels deep"),
                    ))
                } else {
                    serde_json::from_str::<Value>(&value)
                        .map_err(|e| ("BAD_REQUEST", format!("`{key}` must be JSON: {e}")))
                };
                match (parsed, key.as_str()) {
                    (Ok(v), "variables") => params.variables = Some(v),
                    (Ok(v), _) => params.extensions = Some(v),
                    (Err((code, msg)), _) => {
                        return Answer::request_error(media, StatusCode::BAD_REQUEST, code, msg);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(msg) = params.not_objects() {
        return Answer::request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
    }
    respond(&http, &headers, params, Method::GET, media).await
}

/// Resolves the document, authenticates, executes and encodes the answer.
async fn respond(
    http: &HttpState,
    headers: &HeaderMap,
    params: Params,
    method: Method,
    media: Media,
) -> Response {
    let resolved = match http.persisted.resolve(
        params.query,
        params.document_id.as_deref(),
        params.extensions.as_ref(),
    ) {
        Ok(r) => r,
        Err(e) => {
            let (code, message) = e.code_and_message();
            let status = match e {
                super::persisted::PersistError::NotTrusted => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            return Answer::request_error(media, status, code, message.to_string());
        }
    };
    let started = Instant::now();
    let info = Arc::new(RequestInfo::new(params.operation_name.as_deref()));
    let principal = match http.app.reach.unless_down(caller(&http.app, headers)).await {
        Ok(p) => p,
        Err(e) => {
            let ms = started.elapsed().as_secs_f64() * 1_000.0;
            let timings = super::answer::Timings {
                auth_ms: ms,
                info: &info,
                db_ms: 0.0,
                total_ms: ms,
            };
            return Answer::from_app_error(media, e).into_http(&http.app, timings, None);
        }
    };
    let auth_ms = started.elapsed().as_secs_f64() * 1_000.0;
    // Only an authenticated caller's document is kept, and only once it has parsed: an
    // anonymous client can make the gateway hold nothing.
    let registration = resolved
        .to_register
        .filter(|_| principal.is_some())
        .map(|digest| (digest, resolved.query.clone()));
    let mut request = async_graphql::Request::new(resolved.query).data(info.clone());
    if let Some(vars) = params.variables {
        request = request.variables(async_graphql::Variables::from_json(vars));
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if method == Method::GET {
        // Parse here (bounded first) to refuse mutations before anything runs; the schema
        // reuses this parse.
        let bounds = DocumentBounds::of(&http.app.settings);
        let name = request.operation_name.clone();
        if bounds.check(&request.query).is_ok()
            && let Ok(doc) = request.parsed_query()
            && let Some((kind, _)) = operation_of(doc, name.as_deref())
            && kind != "query"
        {
            let mut response = Answer::request_error(
                media,
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                format!("a {kind} runs over POST only"),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    // A span per operation, named as OpenTelemetry's GraphQL conventions say: the operation
    // type and name (recorded once the document is parsed); never variables.
    let span = tracing::info_span!(
        "graphql",
        otel.name = tracing::field::Empty,
        graphql.operation.type = tracing::field::Empty,
        graphql.operation.name = tracing::field::Empty,
        graphql.document.id = resolved.trusted_name.as_deref().unwrap_or(""),
    );
    let db_time = crate::db::timing::Accumulator::default();
    let run = crate::db::timing::measure(&db_time, run_graphql(http, request, principal));
    let outcome = run.instrument(span.clone()).await;
    let kind = info.operation_type().unwrap_or("unknown");
    let name = info.operation_name();
    span.record("graphql.operation.type", kind);
    if let Some(name) = &name {
        span.record("graphql.operation.name", name.as_str());
    }
    let otel_name = match &name {
        Some(n) => format!("{kind} {n}"),
        None => kind.to_string(),
    };
    span.record("otel.name", otel_name.as_str());
    span.in_scope(|| {
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            db_ms = db_time.millis(),
            "graphql operation"
        )
    });
    if let (Some((digest, query)), Ok(response)) = (registration, &outcome) {
        let refused = response.errors.iter().any(|e| {
            e.extensions.as_ref().and_then(|x| x.get("code")).is_some_and(|c| {
                matches!(c, async_graphql::Value::String(c) if c == "GRAPHQL_PARSE_FAILED" || c == "QUERY_TOO_COMPLEX")
            })
        });
        if !refused {
            http.persisted.register(digest, &query);
        }
    }
    let answer = match outcome {
        Ok(response) => Answer::from_response(media, response),
        Err(e) => Answer::from_app_error(media, e),
    };
    let timings = super::answer::Timings {
        auth_ms,
        info: &info,
        db_ms: db_time.millis(),
        total_ms: started.elapsed().as_secs_f64() * 1_000.0,
    };
    let conditional = (method == Method::GET).then(|| {
        headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    });
    answer.into_http(&http.app, timings, conditional.as_deref())
}

/// The GraphiQL playground.
pub async fn graphiql() -> Response {
    super::pages::graphiql()
}

/// The schema in SDL.
pub async fn schema_sdl() -> String {
    crate::graphql::sdl()
}

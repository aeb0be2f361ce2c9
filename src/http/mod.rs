//! HTTP surface: routes grouped by what they accept (body limits, CORS origins), request ids,
//! security headers, authentication, GraphQL, ingestion, export, health. `server` runs it.

mod answer;
mod auth;
pub mod body;
mod cors;
mod erase;
mod events;
mod export;
mod graphql;
mod health;
mod ingest;
mod live;
mod pages;
mod params;
pub mod persisted;
pub mod server;

use crate::db::reach::Reach;
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use body::{BodyRules, MinRate};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tracing::Instrument;

/// What every handler gets: the application state and the schema, built once.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: crate::graphql::DashgateSchema,
    /// Bytes of ingestion bodies that may be in flight at once (one permit per byte).
    pub ingest_budget: Arc<Semaphore>,
    /// Documents known by id (and, in trusted mode, the only ones that run).
    pub persisted: Arc<persisted::PersistedDocuments>,
    /// Live subscriptions (shared computations per distinct query).
    pub live: crate::graphql::live::Live,
    /// Open WebSocket connections.
    sockets: Arc<live::Sockets>,
}

/// The connection-level limits of the server, from the settings.
pub fn server_limits(state: &AppState) -> server::ServerLimits {
    let s = &state.settings.server;
    server::ServerLimits {
        max_connections: s.max_connections.max(1),
        header_timeout: Duration::from_millis(s.http_header_timeout_ms),
        idle_timeout: Duration::from_millis(s.http_idle_timeout_ms),
        drain_timeout: Duration::from_millis(s.shutdown_timeout_ms),
    }
}

/// `route` with its body limited to `max_bytes` (413 on a larger declared length, 408 when
/// the body arrives too slowly).
fn guarded(
    route: MethodRouter<HttpState>,
    rate: MinRate,
    max: usize,
    gql: bool,
) -> MethodRouter<HttpState> {
    let rules = BodyRules {
        max_bytes: max,
        min_rate: rate,
        graphql: gql,
    };
    route.layer(middleware::from_fn(move |request: Request, next: Next| {
        body::guard(rules, request, next)
    }))
}

/// `route` answering `DATABASE_UNAVAILABLE` as soon as the database is found unreachable while
/// it waits (see `db::reach`); a slow database only makes it slower.
fn reaching(route: MethodRouter<HttpState>, reach: Arc<Reach>) -> MethodRouter<HttpState> {
    route.layer(middleware::from_fn(move |request: Request, next: Next| {
        let reach = reach.clone();
        async move {
            let work = async { Ok(next.run(request).await) };
            reach
                .unless_down(work)
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
    }))
}

/// A group of routes with the CORS of its configured origins (none: same origin only).
fn with_cors(routes: Router<HttpState>, origins: &str, methods: &[Method]) -> Router<HttpState> {
    match cors::layer(origins, methods) {
        Some(layer) => routes.layer(layer),
        None => routes,
    }
}

/// All routes of the gateway. Fails only on an unreadable trusted-documents manifest.
pub fn router(state: AppState) -> anyhow::Result<Router> {
    let s = state.settings.clone();
    let persisted = match &s.server.trusted_documents {
        None => persisted::PersistedDocuments::open(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("DASHGATE_TRUSTED_DOCUMENTS {}: {e}", path.display())
            })?;
            persisted::PersistedDocuments::trusted(&text).map_err(|e| {
                anyhow::anyhow!("DASHGATE_TRUSTED_DOCUMENTS {}: {e}", path.display())
            })?
        }
    };
    let schema = crate::graphql::build_schema(&state);
    let http = HttpState {
        live: crate::graphql::live::Live::new(schema.clone(), state.clone()),
        sockets: Arc::default(),
        schema,
        ingest_budget: Arc::new(Semaphore::new(s.server.ingest_inflight_bytes.max(1))),
        persisted: Arc::new(persisted),
        app: state,
    };
    let reach = http.app.reach.clone();
    let rate = MinRate {
        grace: Duration::from_millis(s.server.http_body_timeout_ms),
        bytes_per_second: s.server.http_body_min_rate,
    };
    let api = Router::new()
        .route(
            "/graphql",
            guarded(
                get(graphql::get_or_upgrade).post(graphql::post),
                rate,
                s.body_limit_bytes,
                true,
            ),
        )
        .route(
            "/v1/export",
            reaching(
                guarded(post(export::export), rate, s.body_limit_bytes, false),
                reach.clone(),
            ),
        )
        .route("/schema.graphql", get(graphql::schema_sdl));
    let ingest = Router::new()
        .route(
            "/v1/ingest/{dataset}",
            reaching(
                guarded(
                    post(ingest::ingest).delete(ingest::delete),
                    MinRate {
                        bytes_per_second: s.server.ingest_body_min_rate,
                        ..rate
                    },
                    s.ingest_body_limit_bytes,
                    false,
                ),
                reach.clone(),
            ),
        )
        .route(
            "/v1/erase",
            reaching(
                guarded(post(erase::post_erase), rate, 4_096, false),
                reach.clone(),
            ),
        );
    let events = Router::new().route(
        "/v1/events",
        reaching(
            guarded(
                post(events::post_event),
                rate,
                s.events_body_limit_bytes,
                false,
            ),
            reach.clone(),
        ),
    );
    let pages = Router::new()
        .route("/", get(pages::console))
        .route("/graphiql", get(graphql::graphiql))
        .route("/assets/{*path}", get(pages::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));
    let (get_post, post_only) = ([Method::GET, Method::POST], [Method::POST]);
    let post_delete = [Method::POST, Method::DELETE];
    Ok(Router::new()
        .merge(with_cors(api, &s.server.cors_allowed_origins, &get_post))
        .merge(with_cors(
            ingest,
            &s.server.ingest_allowed_origins,
            &post_delete,
        ))
        .merge(with_cors(events, &s.events_allowed_origins, &post_only))
        .merge(pages)
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(http.clone(), request_id))
        .with_state(http))
}

/// The Content-Security-Policy of every HTML page: nothing leaves the origin, nothing inline.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// `X-Content-Type-Options: nosniff` on every answer; HTML pages also get a strict CSP, no
/// framing and no referrer.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Gives every request an id (the caller's `x-request-id`, or a fresh one), logs it with the
/// request, echoes it in the response and counts the request by route template and status.
async fn request_id(State(http): State<HttpState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", |m| m.as_str())
        .to_string();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("dg-{:x}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    http.app
        .metrics
        .http_request(&route, status, elapsed.as_secs_f64());
    span.in_scope(|| tracing::info!(status, ms = elapsed.as_millis() as u64, "done"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

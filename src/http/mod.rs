//! HTTP surface: routes, request ids, authentication, GraphQL, ingestion, health.

mod auth;
mod events;
mod export;
mod graphql;
mod health;
mod ingest;

use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

/// What every handler gets: the application state and the schema, built once.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: crate::graphql::DashgateSchema,
}

/// All routes of the gateway.
pub fn router(state: AppState) -> Router {
    let state = HttpState {
        schema: crate::graphql::build_schema(&state),
        app: state,
    };
    let mut event_routes = Router::new().route("/v1/events", post(events::post_event));
    if let Some(cors) = events::cors(&state.app.settings.events_allowed_origins) {
        event_routes = event_routes.layer(cors);
    }
    Router::new()
        .route("/graphql", post(graphql::execute).get(graphql::graphiql))
        .route("/graphiql", get(graphql::graphiql))
        .route("/schema.graphql", get(graphql::schema_sdl))
        .route("/v1/ingest/{dataset}", post(ingest::ingest))
        .route("/v1/export", post(export::export))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(tower_http::cors::CorsLayer::permissive())
        .merge(event_routes)
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Gives every request an id (the caller's `x-request-id`, or a fresh one), logs it with the
/// request and echoes it in the response.
async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| format!("dg-{:x}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "done"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

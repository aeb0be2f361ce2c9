//! Liveness, readiness and metrics.

use super::HttpState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers `SELECT 1` within the readiness deadline (the connect
/// timeout, a second at most, plus half a second); the body names every check and how it went.
pub async fn readyz(State(http): State<HttpState>) -> (StatusCode, Json<Value>) {
    let settings = &http.app.settings;
    let deadline = Duration::from_millis(settings.db_connect_timeout_ms.min(1_000) + 500);
    let started = Instant::now();
    let check = tokio::time::timeout(deadline, http.app.db.execute_unprepared("SELECT 1")).await;
    let ms = started.elapsed().as_millis() as u64;
    let failure = match check {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database check failed");
            Some("the database refused or dropped the connection")
        }
        Err(_) => Some("the database did not answer in time"),
    };
    match failure {
        None => {
            let mut body = json!({ "status": "ready", "checks": { "database": { "status": "ok", "ms": ms } } });
            // Redis down is a degradation, not unreadiness: the instance answers without it.
            if let Some(redis) = &http.app.redis {
                let r = redis.check().await;
                body["checks"]["redis"] = if r.ok {
                    json!({ "status": "ok", "ms": r.ms })
                } else {
                    body["degraded"] = json!(["redis"]);
                    json!({ "status": "degraded", "ms": r.ms, "reason": r.reason })
                };
            }
            (StatusCode::OK, Json(body))
        }
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "code": "DATABASE_UNAVAILABLE",
                "failed": ["database"],
                "checks": { "database": { "status": "failed", "ms": ms, "reason": reason } },
            })),
        ),
    }
}

/// `GET /metrics`: the gateway's metrics in the OpenMetrics text format when the scraper asks
/// for it (`Accept: application/openmetrics-text`, as Prometheus does), else in the classic
/// text format.
pub async fn metrics(State(http): State<HttpState>, headers: axum::http::HeaderMap) -> Response {
    let open_metrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    let app = &http.app;
    let max = app.settings.db_max_connections;
    let (size, idle) = pool_size(&app.db);
    app.metrics.set_pool(idle, size.saturating_sub(idle), max);
    let kept = app.product_telemetry.weighted_bytes().await;
    app.metrics.set_column_cache_bytes("product", kept);
    let kept = app.chat_conversations.weighted_bytes().await;
    app.metrics.set_column_cache_bytes("chat", kept);
    let (body, media) = if open_metrics {
        let media = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        (app.metrics.render(), media)
    } else {
        (
            app.metrics.render_classic(),
            "text/plain; version=0.0.4; charset=utf-8",
        )
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// Open connections of the pool and how many of them are idle.
fn pool_size(db: &sea_orm::DatabaseConnection) -> (u32, u32) {
    use sea_orm::DatabaseConnectionType as T;
    match &db.inner {
        T::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        T::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

//! CORS per route group: same origin only unless origins are configured for the group.

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// CORS for a group of routes: the configured origins (comma-separated, `*` = any) may call
/// them with `methods`; with none configured, no CORS headers at all (same origin only).
pub fn layer(origins: &str, methods: &[Method]) -> Option<CorsLayer> {
    let origins: Vec<&str> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    let exposed = ["x-request-id", "retry-after", "server-timing", "etag"];
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods(methods.to_vec())
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers(exposed.map(HeaderName::from_static))
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Whether a WebSocket upgrade from a page of `origin` may proceed: browsers do not apply
/// CORS to WebSockets, so the route checks what CORS would. The page's own host (`host`, the
/// request's `Host`) always may; other origins when configured (`*` = any). No `Origin`
/// header: not a browser, nothing to check.
pub fn allows_socket(origins: &str, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let own = origin
        .split_once("://")
        .map(|(_, authority)| authority.trim_end_matches('/'));
    if own.is_some() && own == host {
        return true;
    }
    origins
        .split(',')
        .map(str::trim)
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
}

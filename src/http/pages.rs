//! Pages and their assets, embedded in the binary: the console, GraphiQL and the libraries
//! they run on, vendored from npm at pinned versions (`assets/vendor.sh`). Nothing is loaded from elsewhere.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded script or stylesheet.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("vendor/react.production.min.js"),
    asset!("vendor/react-dom.production.min.js"),
    asset!("vendor/graphiql.min.js"),
    asset!("vendor/graphiql.min.css"),
    asset!("graphiql/init.js"),
    asset!("graphiql/tour.js"),
    asset!("graphiql/graphiql.css"),
    asset!("vendor/chart.umd.min.js"),
    asset!("console/app.js"),
    asset!("console/api.js"),
    asset!("console/dashboards.js"),
    asset!("console/panels.js"),
    asset!("console/presets.js"),
    asset!("console/render.js"),
    asset!("console/live.js"),
    asset!("console/console.css"),
];

const GRAPHIQL_HTML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/graphiql/index.html"
));

const CONSOLE_HTML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/console/index.html"
));

/// `GET /assets/{*path}`: an embedded file, cached by browsers for an hour.
pub async fn asset(Path(path): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    // Only scripts and stylesheets are embedded.
    let content_type = if asset.path.ends_with(".css") {
        CSS
    } else {
        JS
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The GraphiQL page (the security-headers middleware adds its CSP).
pub fn graphiql() -> Response {
    html(GRAPHIQL_HTML)
}

/// `GET /`: the console, a single-page app over the public GraphQL API.
pub async fn console() -> Response {
    html(CONSOLE_HTML)
}

fn html(page: &'static str) -> Response {
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

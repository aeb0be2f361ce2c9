//! The query string of a REST route, parsed into a typed struct; a value that does not parse
//! (`?cascade=yes`) is a coded `BAD_USER_INPUT` in the route's JSON shape, not axum's plain
//! text rejection.

use crate::kernel::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Extracts `T` from the query string (`serde_urlencoded`).
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|e| {
                AppError::bad_input(
                    "query string",
                    format!("the query string does not parse: {e}"),
                )
            })
    }
}

//! Request bodies: the route's size limit checked against `Content-Length` before anything is
//! read, a minimum arrival rate while it is read, and one reader that tells the two apart.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::json;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How fast a request body must arrive: after `grace`, at least `bytes_per_second` on average.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    pub grace: Duration,
    pub bytes_per_second: u64,
}

/// A body that fails with `TooSlow` when it falls behind its minimum rate.
struct RateLimitedBody {
    inner: Body,
    rate: MinRate,
    started: Instant,
    received: u64,
    deadline: Pin<Box<Sleep>>,
}

/// The error of a body that arrived too slowly.
#[derive(Debug)]
pub struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body arrived too slowly")
    }
}

impl std::error::Error for TooSlow {}

impl RateLimitedBody {
    fn deadline(&self) -> Instant {
        let allowed = self.received as f64 / self.rate.bytes_per_second.max(1) as f64;
        self.started + self.rate.grace + Duration::from_secs_f64(allowed.min(1e9))
    }
}

impl http_body::Body for RateLimitedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                    let deadline = self.deadline();
                    self.deadline.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The limits of one group of routes.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    pub max_bytes: usize,
    pub min_rate: MinRate,
    /// GraphQL routes answer errors in GraphQL's shape; the others in `{"error": …}`.
    pub graphql: bool,
}

/// An error answer in the route's shape.
pub fn error_response(graphql: bool, status: StatusCode, code: &str, message: String) -> Response {
    let body = if graphql {
        json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": code } }] })
    } else {
        json!({ "error": { "code": code, "message": message } })
    };
    (status, axum::Json(body)).into_response()
}

/// Middleware: a declared `Content-Length` over the limit is answered 413 at once (the body is
/// never read); any other body is read at the minimum rate.
pub async fn guard(rules: BodyRules, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > rules.max_bytes as u64 => {
            let message = format!(
                "the body is {n} bytes; this route accepts at most {}",
                rules.max_bytes
            );
            let mut response = error_response(
                rules.graphql,
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                message,
            );
            close_after(&mut response);
            return response;
        }
        Some(Err(_)) => {
            let message = "the Content-Length header is not a number".to_string();
            return error_response(
                rules.graphql,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                message,
            );
        }
        _ => {}
    }
    let (parts, body) = request.into_parts();
    let started = Instant::now();
    let body = Body::new(RateLimitedBody {
        inner: body,
        rate: rules.min_rate,
        started,
        received: 0,
        deadline: Box::pin(tokio::time::sleep_until(started + rules.min_rate.grace)),
    });
    next.run(Request::from_parts(parts, body)).await
}

/// The media type a request declares, lower-cased and without parameters; `None` when it
/// declares none.
pub fn declared_media(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().unwrap_or("?");
    Some(
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// 415 `UNSUPPORTED_MEDIA_TYPE` (in `{"error": …}` shape) when the request declares a media
/// type outside `accepted`; a request that declares none is read as the route's own format.
pub fn unsupported_media(
    headers: &axum::http::HeaderMap,
    accepted: &[&str],
    hint: &str,
) -> Option<Response> {
    let essence = declared_media(headers)?;
    if accepted.contains(&essence.as_str()) {
        return None;
    }
    let message = format!("{hint}; not `{essence}`");
    Some(error_response(
        false,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        message,
    ))
}

/// Asks the client to close the connection (its unread body makes it unusable anyway).
fn close_after(response: &mut Response) {
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge(usize),
    TooSlow,
    Broken,
}

impl BodyError {
    /// The answer in the route's shape.
    pub fn response(&self, graphql: bool) -> Response {
        let (status, code, message) = match self {
            BodyError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("the body is larger than {limit} bytes"),
            ),
            BodyError::TooSlow => (
                StatusCode::REQUEST_TIMEOUT,
                "TIMEOUT",
                "the request body arrived too slowly".to_string(),
            ),
            BodyError::Broken => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request body could not be read".to_string(),
            ),
        };
        let mut response = error_response(graphql, status, code, message);
        close_after(&mut response);
        response
    }
}

/// Reads a whole body of at most `limit` bytes into one buffer, sized by `Content-Length` when
/// the client sent one (so a large body is held once, not once per frame plus once whole).
pub async fn read(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let declared = http_body::Body::size_hint(&body)
        .exact()
        .map_or(0, |n| n.min(limit as u64) as usize);
    let mut buf = Vec::with_capacity(declared);
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Why a body read against a byte budget stopped.
#[derive(Debug)]
pub enum Charged {
    Body(BodyError),
    /// The budget had no room for the bytes that arrived.
    OverBudget,
}

/// Reads a whole body of at most `limit` bytes like `read`, taking one permit of `budget` per
/// byte *as the bytes arrive*: a client that declares 64 MiB and trickles holds only what it
/// has sent, so slow senders cannot reserve the budget other clients need. The permit is held
/// by the caller until the batch is answered.
pub async fn read_charged(
    body: Body,
    limit: usize,
    budget: &Arc<Semaphore>,
) -> Result<(Bytes, OwnedSemaphorePermit), Charged> {
    let declared = http_body::Body::size_hint(&body)
        .exact()
        .map_or(0, |n| n.min(limit as u64) as usize);
    let mut permit = budget
        .clone()
        .try_acquire_many_owned(0)
        .map_err(|_| Charged::OverBudget)?;
    // Allocate up front only what the budget lets in at once (a declared length is a claim).
    let mut buf = Vec::with_capacity(declared.min(budget.available_permits()));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Charged::Body(classify(&e)))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(Charged::Body(BodyError::TooLarge(limit)));
            }
            let more = u32::try_from(data.len()).map_err(|_| Charged::OverBudget)?;
            let taken = budget
                .clone()
                .try_acquire_many_owned(more)
                .map_err(|_| Charged::OverBudget)?;
            permit.merge(taken);
            buf.extend_from_slice(&data);
        }
    }
    Ok((Bytes::from(buf), permit))
}

/// What went wrong while a body was read.
fn classify(e: &axum::Error) -> BodyError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<TooSlow>() {
            return BodyError::TooSlow;
        }
        cause = c.source();
    }
    BodyError::Broken
}

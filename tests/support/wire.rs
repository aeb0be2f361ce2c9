//! Requests with any headers through the router, and raw TCP against a real server loop, for
//! the tests of HTTP behaviour (timeouts, caps, headers, status codes).

use super::TestApp;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// An answer: status, headers and body text.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl TestApp {
    /// Sends a request with exactly these headers through the router.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = Box::pin(self.router.clone().oneshot(req.body(body.into()).unwrap()))
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Runs the real server loop for this gateway on a free port.
    pub async fn serve(&self) -> SocketAddr {
        serve_router(&self.state, self.router.clone()).await
    }
}

/// Runs the real server loop for `router` (of a gateway with `state`) on a free port.
pub async fn serve_router(state: &dashgate::state::AppState, router: axum::Router) -> SocketAddr {
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = dashgate::http::server_limits(state);
        tokio::spawn(async move {
            let forever = std::future::pending::<()>();
            dashgate::http::server::serve(listener, router, limits, forever)
                .await
                .unwrap();
        });
        addr
    }
}

/// A connection that has sent `bytes`.
pub async fn connect(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads what the server sends until it closes the connection or `done` says the bytes so
/// far are enough; `None` when neither happened `within`.
async fn read_until(
    stream: &mut TcpStream,
    within: Duration,
    done: impl Fn(&[u8]) -> bool,
) -> Option<String> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if done(&got) {
                break;
            }
        }
    };
    let finished = tokio::time::timeout(within, read).await.is_ok();
    finished.then(|| String::from_utf8_lossy(&got).into_owned())
}

/// Everything the server sends until it closes the connection, or `None` if it is still
/// open after `within`.
pub async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    read_until(stream, within, |_| false).await
}

/// Whether `bytes` hold a whole response: its head and `content-length` bytes of body.
fn complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some(head_end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..head_end]
        .lines()
        .find_map(|l| {
            let l = l.to_ascii_lowercase();
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    bytes.len() >= head_end + 4 + length
}

/// The first response on a connection (empty when none came `within`).
pub async fn first_response(stream: &mut TcpStream, within: Duration) -> String {
    read_until(stream, within, complete)
        .await
        .unwrap_or_default()
}

/// One request over a fresh connection to a server on 127.0.0.1 (a real client: another
/// process or a real server loop); `Err` when the connection is refused or dropped before an
/// answer. Returns the status and body.
pub async fn call_port(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<(u16, Vec<u8>), String> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::TokioIo;
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(hyper::body::Bytes::from(body))).unwrap();
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?;
    Ok((status, bytes.to_bytes().to_vec()))
}

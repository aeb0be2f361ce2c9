//! The HTTP/1.1 server loop: a cap on open connections, a deadline for request headers, an
//! idle keep-alive timeout, and graceful draining on shutdown.
//!
//! hyper's own header timer restarts whenever a connection waits for a request, so it cannot
//! tell a slow header from an idle keep-alive connection. Each connection here has a watch
//! instead: the socket wrapper notes when bytes move and when a request's first byte arrives,
//! the service notes when its headers are complete and when its response is done, and a
//! watchdog closes the connection when a header is late or the connection sat idle too long.
//! Slow *bodies* are bounded per request by `body::MinRate`.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service;

/// Connection-level limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Open connections at most; one more is answered 503 and closed.
    pub max_connections: usize,
    /// From a request's first byte (for a connection's first request: from its accept) to its
    /// last header byte.
    pub header_timeout: Duration,
    /// A keep-alive connection with no request in flight and no bytes moving is closed.
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests before closing their connections.
    pub drain_timeout: Duration,
}

/// What the socket, the service and the watchdog of one connection share.
struct Watch {
    opened: Instant,
    /// Milliseconds since `opened` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `opened` (+1) of the first byte of a request whose headers are not
    /// complete yet; 0 when none.
    head_started: AtomicU64,
    /// Requests whose headers arrived and whose response is not finished.
    in_flight: AtomicUsize,
}

impl Watch {
    fn new() -> Self {
        Watch {
            opened: Instant::now(),
            last_io: AtomicU64::new(0),
            // A new connection owes its first request's headers from the moment it is
            // accepted: a socket that never sends a byte is cut at the header deadline, not
            // left for the (much longer) idle timeout.
            head_started: AtomicU64::new(1),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    fn bytes_moved(&self, read: bool) {
        let now = self.now_ms();
        self.last_io.store(now, Ordering::Relaxed);
        if read && self.in_flight.load(Ordering::Acquire) == 0 {
            let _ =
                self.head_started
                    .compare_exchange(0, now + 1, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
    }

    fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.last_io.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Waits until the connection breaks a limit; returns which one.
    async fn expired(&self, limits: &ServerLimits) -> &'static str {
        loop {
            let now = self.now_ms();
            let head = self.head_started.load(Ordering::Acquire);
            let wait_ms = if head > 0 {
                let deadline = head - 1 + limits.header_timeout.as_millis() as u64;
                if now >= deadline {
                    return "header timeout";
                }
                deadline - now
            } else if self.in_flight.load(Ordering::Acquire) == 0 {
                let deadline =
                    self.last_io.load(Ordering::Relaxed) + limits.idle_timeout.as_millis() as u64;
                if now >= deadline {
                    return "idle timeout";
                }
                deadline - now
            } else {
                1_000
            };
            // Re-check at least every second: a request may start or end meanwhile.
            tokio::time::sleep(Duration::from_millis(wait_ms.clamp(10, 1_000))).await;
        }
    }
}

/// The socket of a connection, reporting every byte that moves to its watch.
struct WatchedIo {
    inner: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.bytes_moved(true);
        }
        result
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.bytes_moved(false);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Marks its request finished when the response body is done (dropped).
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The answer to a connection over the cap, written without reading the request.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 94\r\n\r\n\
{\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"too many open connections; retry shortly\"}}";

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish (at most `drain_timeout`) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, _) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let write = stream.write_all(OVER_CAPACITY);
                let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let watch = Arc::new(Watch::new());
        let io = TokioIo::new(WatchedIo {
            inner: stream,
            watch: watch.clone(),
        });
        let service_watch = watch.clone();
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            service_watch.request_started();
            let guard = InFlight(service_watch.clone());
            let mut router = router.clone();
            async move {
                let response = router.call(request.map(Body::new)).await?;
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    Body::new(http_body_util::BodyExt::map_frame(body, move |frame| {
                        let _ = &guard;
                        frame
                    }))
                }))
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            // The watch enforces the header deadline; hyper's timer would also cut idle
            // keep-alive connections at the same moment.
            .header_read_timeout(None)
            .keep_alive(true)
            .serve_connection(io, service)
            // A WebSocket upgrade (live subscriptions) leaves this loop once it is handed
            // over: the socket lives on in its own task, counted by the live limits.
            .with_upgrades();
        let mut stopping = stop.subscribe();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let mut asked = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    reason = watch.expired(&limits) => {
                        tracing::debug!(reason, "connection closed by the server");
                        break;
                    }
                    _ = stopping.changed(), if !asked => {
                        // Finish the request in flight, then close.
                        connection.as_mut().graceful_shutdown();
                        asked = true;
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it is closed: all back means all drained.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = permits.acquire_many(all) => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("shutdown: in-flight requests did not finish in time");
        }
    }
    Ok(())
}

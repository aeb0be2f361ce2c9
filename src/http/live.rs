//! GraphQL over WebSocket on `/graphql` (`graphql-transport-ws`, the `graphql-ws` library's
//! protocol; the older `graphql-ws` subprotocol is understood too). async-graphql runs the
//! protocol; this module adds what a gateway needs around it: the upgrade only for allowed
//! origins and below the connection cap, authentication in `connection_init` (4403 when it
//! fails), per-team connection caps (4429), an initialisation deadline (4408), server pings
//! and an idle timeout, bounded messages, subscriptions counted per connection, and the
//! protocol's `error` message for a subscription refused before its first result.

use super::HttpState;
use super::auth::caller;
use crate::graphql::live::{Kind, Live, error_response};
use crate::kernel::json_depth::nests_deeper_than;
use crate::kernel::{AppError, Principal, TeamId};
use async_graphql::futures_util::SinkExt;
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request as HttpRequest};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The open WebSocket connections of this instance, in all and per team.
#[derive(Default)]
pub struct Sockets {
    open: AtomicUsize,
    teams: Mutex<HashMap<TeamId, usize>>,
}

/// Whether `headers` ask to upgrade to a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Answers a WebSocket upgrade on `/graphql`.
pub async fn upgrade(http: HttpState, request: HttpRequest) -> HttpResponse {
    let (mut parts, _) = request.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let origins = &http.app.settings.server.cors_allowed_origins;
    if !super::cors::allows_socket(origins, header(header::ORIGIN), header(header::HOST)) {
        return refuse(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "this origin may not open live connections",
        );
    }
    let protocol = header(header::SEC_WEBSOCKET_PROTOCOL).and_then(|value| {
        value
            .split(',')
            .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
    });
    let Some(protocol) = protocol else {
        let msg = "ask for the `graphql-transport-ws` subprotocol (Sec-WebSocket-Protocol)";
        return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", msg);
    };
    let max = http.app.settings.live.live_max_connections;
    let opened = http.sockets.open.fetch_add(1, Ordering::AcqRel);
    let slot = Slot {
        http: http.clone(),
        team: None,
    };
    if opened >= max {
        drop(slot);
        http.app.metrics.rate_limited("live_connections");
        let msg = "too many live connections on this instance; retry shortly";
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", msg);
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let limit = http.app.settings.body_limit_bytes;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(socket, protocol, slot))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// One open connection, counted until dropped (and, once authenticated, for its team).
struct Slot {
    http: HttpState,
    team: Option<TeamId>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.http.sockets.open.fetch_sub(1, Ordering::AcqRel);
        if let Some(team) = self.team
            && let Ok(mut teams) = self.http.sockets.teams.lock()
            && let Some(n) = teams.get_mut(&team)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                teams.remove(&team);
            }
        }
    }
}

/// What the executor and the connection loop of one connection share.
#[derive(Default)]
struct Conn {
    principal: OnceLock<Principal>,
    /// Subscriptions running.
    running: AtomicUsize,
    /// Milliseconds since `opened` of the last frame received / of the last subscription
    /// ending (or the connection opening).
    heard: AtomicU64,
    idle_since: AtomicU64,
    /// Why the input ended early: a close code and reason.
    refused: Mutex<Option<(u16, String)>>,
    /// Subscriptions the client completed: the protocol sends no `complete` back for them.
    stopped: Mutex<HashSet<String>>,
    /// Ids of operations running (a second `subscribe` with one of them is refused, 4409).
    active: Mutex<HashSet<String>>,
    /// When the connection's token expires (epoch seconds; API keys: never).
    expires: OnceLock<i64>,
}

/// Runs a connection's requests as its authenticated caller.
#[derive(Clone)]
struct ConnExecutor {
    http: HttpState,
    live: Live,
    conn: Arc<Conn>,
    opened: Instant,
}

impl ConnExecutor {
    fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }
}

impl Executor for ConnExecutor {
    async fn execute(&self, request: Request) -> Response {
        let principal = self.conn.principal.get().cloned();
        match super::graphql::run_graphql(&self.http, request, principal).await {
            Ok(response) => response,
            Err(e) => error_response(e),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        _: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let Some(principal) = self.conn.principal.get().cloned() else {
            return once(error_response(AppError::Unauthenticated));
        };
        match self.live.kind(&request) {
            Err(response) => once(*response),
            Ok(Kind::Once) => {
                let this = self.clone();
                stream::once(async move { this.execute(request).await }).boxed()
            }
            Ok(Kind::Live(dashboard)) => {
                let cap = self
                    .http
                    .app
                    .settings
                    .live
                    .live_max_subscriptions_per_connection;
                if self.conn.running.fetch_add(1, Ordering::AcqRel) >= cap {
                    self.conn.running.fetch_sub(1, Ordering::AcqRel);
                    return once(error_response(AppError::Unavailable {
                        retry_after_seconds: 5,
                        message: format!("a connection runs at most {cap} subscriptions"),
                    }));
                }
                let running = Running(self.clone());
                self.live
                    .subscribe(principal, request, dashboard)
                    .map(move |r| {
                        let _ = &running;
                        r
                    })
                    .boxed()
            }
        }
    }
}

/// A subscription of a connection, counted until it ends.
struct Running(ConnExecutor);

impl Drop for Running {
    fn drop(&mut self) {
        let conn = &self.0.conn;
        if conn.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            conn.idle_since.store(self.0.now_ms(), Ordering::Release);
        }
    }
}

fn once(response: Response) -> BoxStream<'static, Response> {
    stream::once(async move { response }).boxed()
}

/// A close code and reason carried through async-graphql's init error (`"4403:…"`).
fn coded(code: u16, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("{code}:{message}"))
}

/// Authenticates `connection_init`'s payload (`{"authorization": "Bearer …"}`) and takes a
/// place in the team's connections.
async fn initialise(
    payload: serde_json::Value,
    http: HttpState,
    conn: Arc<Conn>,
    slot: Arc<Mutex<Slot>>,
) -> async_graphql::Result<Data> {
    let credential = ["authorization", "Authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
    let mut headers = HeaderMap::new();
    if let Some(value) = credential.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    // A token's expiry ends the connection then (API keys do not expire).
    let bearer = credential
        .and_then(|c| c.strip_prefix("Bearer "))
        .map(str::trim);
    let now = http.app.clock.now().timestamp();
    if let Some(claims) = bearer.and_then(|t| http.app.jwt.verify(t, now).ok()) {
        let _ = conn.expires.set(claims.exp);
    }
    let principal = match caller(&http.app, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Err(coded(
                4403,
                "Forbidden: send {\"authorization\": \"Bearer …\"}",
            ));
        }
        Err(e) => return Err(coded(4403, &format!("Forbidden: {}", e.message()))),
    };
    let team = principal.team.id;
    let cap = http.app.settings.live.live_max_connections_per_team;
    {
        let mut teams = http
            .sockets
            .teams
            .lock()
            .map_err(|_| coded(1011, "internal"))?;
        let n = teams.entry(team).or_insert(0);
        if *n >= cap {
            http.app.metrics.rate_limited("live_connections");
            return Err(coded(4429, "too many live connections for this team"));
        }
        *n += 1;
    }
    if let Ok(mut slot) = slot.lock() {
        slot.team = Some(team);
    }
    let _ = conn.principal.set(principal);
    Ok(Data::default())
}

/// Serves one upgraded connection until either side closes it.
async fn serve(socket: WebSocket, protocol: WebSocketProtocols, slot: Slot) {
    let http = slot.http.clone();
    let settings = http.app.settings.clone();
    let metrics = http.app.metrics.clone();
    metrics.live.connection(1);
    let conn = Arc::new(Conn::default());
    let executor = ConnExecutor {
        live: http.live.clone(),
        http: http.clone(),
        conn: conn.clone(),
        opened: Instant::now(),
    };
    let slot = Arc::new(Mutex::new(slot));
    let (mut sink, input) = socket.split();
    let nesting = settings.max_nesting;
    let (heard, clock) = (conn.clone(), executor.clone());
    let input = input
        .take_while(|frame| std::future::ready(frame.is_ok()))
        .filter_map(move |frame| {
            heard.heard.store(clock.now_ms(), Ordering::Release);
            let bytes = match frame {
                Ok(Message::Text(t)) => Some(axum::body::Bytes::from(t)),
                Ok(Message::Binary(b)) => Some(b),
                _ => None,
            };
            std::future::ready(bytes.map(|b| {
                if nests_deeper_than(&b, nesting) {
                    let reason = format!("a message nests more than {nesting} levels deep");
                    if let Ok(mut r) = heard.refused.lock() {
                        *r = Some((4400, reason));
                    }
                    return None;
                }
                if let Err(refusal) = note_inbound(&heard, &b) {
                    if let Ok(mut r) = heard.refused.lock() {
                        *r = Some(refusal);
                    }
                    return None;
                }
                Some(b)
            }))
        })
        .take_while(|b| std::future::ready(b.is_some()))
        .filter_map(std::future::ready);
    let (init_http, init_conn, init_slot) = (http.clone(), conn.clone(), slot.clone());
    let messages = async_graphql::http::WebSocket::new(executor.clone(), input, protocol)
        .on_connection_init(move |payload| initialise(payload, init_http, init_conn, init_slot));
    tokio::pin!(messages);
    let ping_every = Duration::from_secs(settings.live.live_ping_seconds.max(1));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let init_deadline =
        tokio::time::sleep(Duration::from_millis(settings.live.live_init_timeout_ms));
    tokio::pin!(init_deadline);
    let idle_ms = settings.live.live_idle_seconds.saturating_mul(1_000);
    let mut acked = false;
    let mut errored: HashSet<String> = HashSet::new();
    let mut closing = http.app.closing.subscribe();
    let close = loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(WsMessage::Text(text)) => {
                    acked |= text.contains("\"connection_ack\"");
                    if let Some(text) = rewrite(text, protocol, &mut errored, &conn)
                        && sink.send(Message::Text(text.into())).await.is_err()
                    {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break Some(decoded(code, reason)),
                None => break conn.refused.lock().ok().and_then(|mut r| r.take()),
            },
            _ = ping.tick() => {
                let now = executor.now_ms();
                let silent = now.saturating_sub(conn.heard.load(Ordering::Acquire));
                if silent > 3 * ping_every.as_millis() as u64 {
                    break Some((1001, "no answer to pings".to_string()));
                }
                let idle = now.saturating_sub(conn.idle_since.load(Ordering::Acquire));
                if conn.running.load(Ordering::Acquire) == 0 && idle >= idle_ms {
                    break Some((1000, "idle: no subscription".to_string()));
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
            () = &mut init_deadline, if !acked => {
                break Some((4408, "Connection initialisation timeout".to_string()));
            }
            changed = closing.changed() => {
                if changed.is_err() || *closing.borrow_and_update() {
                    break Some((1001, "the server is shutting down".to_string()));
                }
            }
            () = expiry(&conn, &http, acked) => {
                break Some((4403, "Forbidden: the token has expired".to_string()));
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: truncated(reason).into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
    metrics.live.connection(-1);
}

/// Notes the operations a client starts and completes: a `subscribe` with the id of a running
/// one is refused (4409, as the protocol says); a client's `complete` gets no `complete` back
/// (async-graphql would send one; the protocol has none).
fn note_inbound(conn: &Conn, message: &[u8]) -> Result<(), (u16, String)> {
    let names = |word: &[u8]| message.windows(word.len()).any(|w| w == word);
    if !names(b"\"complete\"") && !names(b"\"subscribe\"") {
        return Ok(());
    }
    let Ok(m) = serde_json::from_slice::<serde_json::Value>(message) else {
        return Ok(());
    };
    let Some(id) = m["id"].as_str() else {
        return Ok(());
    };
    let (Ok(mut active), Ok(mut stopped)) = (conn.active.lock(), conn.stopped.lock()) else {
        return Ok(());
    };
    match m["type"].as_str() {
        Some("subscribe") if active.contains(id) => {
            Err((4409, format!("Subscriber for {id} already exists")))
        }
        Some("subscribe") if active.len() < 4_096 => {
            active.insert(id.to_string());
            Ok(())
        }
        Some("complete") if active.remove(id) => {
            stopped.insert(id.to_string());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Resolves when the connection's token expires (never for an initialised connection
/// without one).
async fn expiry(conn: &Conn, http: &HttpState, acked: bool) {
    loop {
        match conn.expires.get() {
            Some(exp) => {
                let left = exp - http.app.clock.now().timestamp();
                if left <= 0 {
                    return;
                }
                // Re-read the clock at least every minute (it may be set, in tests).
                tokio::time::sleep(Duration::from_secs(left.clamp(1, 60) as u64)).await;
            }
            None if acked => std::future::pending::<()>().await,
            // Not initialised yet: look again shortly.
            None => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// async-graphql closes a failed init with 1002 and the error's message; ours carry their
/// code (`"4403:…"`).
fn decoded(code: u16, reason: String) -> (u16, String) {
    match reason.split_once(':') {
        Some((c, rest)) if code == 1002 => match c.parse::<u16>() {
            Ok(c) if (1000..5000).contains(&c) => (c, rest.to_string()),
            _ => (code, reason),
        },
        _ => (code, reason),
    }
}

/// A close reason fits 123 bytes.
fn truncated(mut reason: String) -> String {
    if reason.len() > 120 {
        let mut end = 120;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// `graphql-transport-ws` answers a subscription that fails before any result with an
/// `error` message (its errors as the payload) and no `complete`; async-graphql sends a
/// `next` without data and a `complete`. Returns the text to send, if any.
fn rewrite(
    text: String,
    protocol: WebSocketProtocols,
    errored: &mut HashSet<String>,
    conn: &Conn,
) -> Option<String> {
    if protocol != WebSocketProtocols::GraphQLWS {
        return Some(text);
    }
    let failed = text.contains("\"payload\":{\"data\":null,\"errors\":");
    let complete = text.starts_with("{\"type\":\"complete\"");
    if !failed && !complete {
        return Some(text);
    }
    let Ok(mut message) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Some(text);
    };
    let id = message["id"].as_str().unwrap_or_default().to_string();
    if let Ok(mut active) = conn.active.lock() {
        active.remove(&id);
    }
    if complete {
        let asked = conn.stopped.lock().is_ok_and(|mut s| s.remove(&id));
        return (!errored.remove(&id) && !asked).then_some(text);
    }
    let errors = message["payload"]["errors"].take();
    errored.insert(id.clone());
    Some(serde_json::json!({"type": "error", "id": id, "payload": errors}).to_string())
}

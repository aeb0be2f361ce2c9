//! One upgraded connection: `connection_init` authenticated, then async-graphql's protocol
//! state machine between the socket's frames and the executor, with the gateway's deadlines
//! (initialisation, pings, idle, token expiry, shutdown) around it.

use super::super::HttpState;
use super::super::auth::caller;
use super::Slot;
use super::executor::{Conn, ConnExecutor};
use super::protocol::{coded, decoded, note_inbound, rewrite, truncated};
use crate::kernel::json_depth::nests_deeper_than;
use async_graphql::Data;
use async_graphql::futures_util::SinkExt;
use async_graphql::futures_util::stream::StreamExt;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{HeaderMap, HeaderValue, header};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        // Too many requests, or the database away: not a refusal — the client retries.
        Err(e) if e.code() == "RATE_LIMITED" => return Err(coded(4429, &e.message())),
        Err(e) if e.http_status() >= 500 => return Err(coded(1011, &e.message())),
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
pub(super) async fn serve(socket: WebSocket, protocol: WebSocketProtocols, slot: Slot) {
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

//! GraphQL over WebSocket on `/graphql` (`graphql-transport-ws`, the `graphql-ws` library's
//! protocol; the older `graphql-ws` subprotocol is understood too). async-graphql runs the
//! protocol; this module adds what a gateway needs around it: the upgrade only for allowed
//! origins and below the connection cap, authentication in `connection_init` (4403 when it
//! fails), per-team connection caps (4429), an initialisation deadline (4408), server pings
//! and an idle timeout, bounded messages, subscriptions counted per connection, and the
//! protocol's `error` message for a subscription refused before its first result.

mod connection;
mod executor;
mod protocol;

use super::HttpState;
use super::answer::{Answer, Media};
use crate::kernel::TeamId;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request as HttpRequest};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use connection::serve;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let media = Media::negotiate(&parts.headers);
    let refuse = |status, code, message: &str| {
        Answer::request_error(media, status, code, message.to_string())
    };
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

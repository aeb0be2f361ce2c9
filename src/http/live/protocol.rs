//! Where async-graphql's `graphql-transport-ws` differs from the protocol, mended on the way:
//! close codes carried through an init error, `error` instead of `next` + `complete`, no
//! `complete` echoed for a client's own, 4409 for a running id.

use super::executor::Conn;
use async_graphql::http::WebSocketProtocols;
use std::collections::HashSet;

/// A close code and reason carried through async-graphql's init error (`"4403:…"`).
pub(super) fn coded(code: u16, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("{code}:{message}"))
}

/// Notes the operations a client starts and completes: a `subscribe` with the id of a running
/// one is refused (4409, as the protocol says); a client's `complete` gets no `complete` back
/// (async-graphql would send one; the protocol has none).
pub(super) fn note_inbound(conn: &Conn, message: &[u8]) -> Result<(), (u16, String)> {
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

/// async-graphql closes a failed init with 1002 and the error's message; ours carry their
/// code (`"4403:…"`).
pub(super) fn decoded(code: u16, reason: String) -> (u16, String) {
    match reason.split_once(':') {
        Some((c, rest)) if code == 1002 => match c.parse::<u16>() {
            Ok(c) if (1000..5000).contains(&c) => (c, rest.to_string()),
            _ => (code, reason),
        },
        _ => (code, reason),
    }
}

/// A close reason fits 123 bytes.
pub(super) fn truncated(mut reason: String) -> String {
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
pub(super) fn rewrite(
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

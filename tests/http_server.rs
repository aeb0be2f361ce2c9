//! The server loop against raw TCP clients: slow headers, idle and half-sent requests are
//! closed, a declared body over the limit is refused at once, connections are capped.
//! (The database plays no part here, so these run on SQLite only.)

use crate::support::wire::{connect, first_response, until_closed};
use crate::support::{Backend, TestApp};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

async fn app() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |s| {
        s.server.http_header_timeout_ms = 500;
        s.server.http_idle_timeout_ms = 1_000;
        s.server.http_body_timeout_ms = 500;
        s.server.http_body_min_rate = 1_000;
        s.server.max_connections = 8;
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_header_sent_one_byte_at_a_time_is_cut_at_the_header_deadline() {
    let app = app().await;
    let addr = app.serve().await;
    // Drill: connections sending one header byte per second were never closed.
    let mut drips = Vec::new();
    for _ in 0..5 {
        drips.push(connect(addr, b"G").await);
    }
    let dripping = async {
        for byte in b"ET /healthz HTTP/1.1\r\nx-slow: 1" {
            for s in drips.iter_mut() {
                if s.write_all(&[*byte]).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), dripping)
        .await
        .unwrap();
    for s in drips.iter_mut() {
        let got = until_closed(s, Duration::from_secs(5)).await;
        assert!(got.is_some(), "a dripping connection is still open");
    }
    // A prompt client on the same server is served.
    let mut s = connect(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(
        first_response(&mut s, Duration::from_secs(5))
            .await
            .starts_with("HTTP/1.1 200")
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let app = app().await;
    let addr = app.serve().await;
    let mut s = connect(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let first = first_response(&mut s, Duration::from_secs(5)).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // Kept alive after the answer, then closed once idle (1 s here).
    assert!(until_closed(&mut s, Duration::from_secs(5)).await.is_some());
    // A silent connection that never sends a byte is closed too.
    let mut silent = connect(addr, b"").await;
    assert!(
        until_closed(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn a_half_sent_body_is_answered_408_and_closed() {
    let app = app().await;
    let addr = app.serve().await;
    let head = b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\":";
    let mut s = connect(addr, head).await;
    let got = until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("closed");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"TIMEOUT\""), "{got}");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_at_once() {
    let app = app().await;
    let addr = app.serve().await;
    // Drill: `Content-Length: 10000000000` with a 20-byte body had no answer for 200 s.
    let head = b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n{\"query\":\"{health}\"}";
    let mut s = connect(addr, head).await;
    let got = first_response(&mut s, Duration::from_secs(2)).await;
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    assert!(got.contains("PAYLOAD_TOO_LARGE"), "{got}");
    for path in ["/v1/ingest/request_logs", "/v1/export", "/v1/events"] {
        let head =
            format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 999999999999\r\n\r\nxx");
        let mut s = connect(addr, head.as_bytes()).await;
        let got = first_response(&mut s, Duration::from_secs(2)).await;
        assert!(got.starts_with("HTTP/1.1 413"), "{path}: {got}");
    }
}

#[tokio::test]
async fn connections_over_the_cap_are_answered_503() {
    let app = app().await;
    let addr = app.serve().await;
    let mut held = Vec::new();
    for _ in 0..8 {
        // Each holds a connection with a request in flight (a body still coming).
        let head = b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 50\r\n\r\n{";
        held.push(connect(addr, head).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = connect(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let got = until_closed(&mut extra, Duration::from_secs(2))
        .await
        .expect("closed");
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains("retry-after: 1"), "{got}");
    drop(held);
    // Once they are gone, connections are accepted again.
    let mut ok = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut s = connect(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
        let got = first_response(&mut s, Duration::from_secs(2)).await;
        if got.starts_with("HTTP/1.1 200") {
            ok = Some(got);
            break;
        }
    }
    assert!(ok.is_some(), "never accepted again");
}

#[tokio::test]
async fn silent_sockets_are_closed_at_the_header_deadline_counted_from_accept() {
    // Drill: the header deadline started at a request's first byte, so sockets that never
    // sent one lived until the 75 s idle timeout; 1 100 of them locked every client out.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.server.http_header_timeout_ms = 300;
        s.server.http_idle_timeout_ms = 60_000;
        s.server.max_connections = 8;
    })
    .await
    .unwrap();
    let addr = app.serve().await;
    let mut silent = Vec::new();
    for _ in 0..8 {
        silent.push(connect(addr, b"").await);
    }
    for s in silent.iter_mut() {
        assert!(until_closed(s, Duration::from_secs(5)).await.is_some());
    }
    // The cap is free again: a prompt client is served.
    let mut s = connect(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let got = first_response(&mut s, Duration::from_secs(5)).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

//! Live connections: refusals with the protocol's codes (credentials, initialisation
//! deadline, documents that cannot run, limits, a running id, nesting), origins and the
//! subprotocol at the upgrade, token expiry and shutdown.

use crate::live_subscriptions::{KPI, QUIET, client};
use crate::support::socket::{Refused, connect, open};
use crate::support::wire::serve_router;
use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn refusals_use_the_protocols_codes_and_messages() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.live.live_init_timeout_ms = 300;
        s.live.live_max_subscriptions_per_connection = 2;
        s.live.live_max_connections_per_team = 2;
    })
    .await
    .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let addr = app.serve().await;
    // No or a wrong credential: no connection_ack, 4403.
    assert!(matches!(
        connect(addr, None).await,
        Err(Refused::Closed(4403, _))
    ));
    let wrong = connect(addr, Some("dg_sk_nothing")).await;
    assert!(matches!(wrong, Err(Refused::Closed(4403, _))), "{wrong:?}");
    // No connection_init in time: 4408.
    let mut silent = open(addr).await;
    let closed = silent.message(Duration::from_secs(5)).await;
    assert!(
        matches!(closed, Some(Err(Refused::Closed(4408, _)))),
        "{closed:?}"
    );
    // A document that does not validate, an unknown field, two root fields: `error`.
    let mut c = connect(addr, Some(&app.token(&p))).await.unwrap();
    for (id, q) in [
        ("a", "subscription { apiUsage { nope } }"),
        ("b", "subscription { presets { id } }"),
        (
            "c",
            "subscription { apiUsage { kpis { totalRequests { value } } } chat { kpis { sessions { value } } } }",
        ),
        (
            "d",
            "subscription { apiUsage(window: {preset: CUSTOM}) { kpis { totalRequests { value } } } }",
        ),
    ] {
        c.subscribe(id, q).await;
        let m = c.message(Duration::from_secs(5)).await.unwrap().unwrap();
        assert_eq!(
            (m["type"].clone(), m["id"].clone()),
            (json!("error"), json!(id)),
            "{m}"
        );
        assert!(m["payload"][0]["message"].is_string(), "{m}");
    }
    assert_eq!(
        c.quiet_for(QUIET).await,
        None,
        "no `complete` after an `error`"
    );
    // A query over the socket runs once.
    c.send(json!({"type": "subscribe", "id": "q", "payload": {"query": "{ apiUsage { kpis { totalRequests { value } } } }"}})).await;
    let m = c.message(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(m["type"], "next", "{m}");
    let m = c.message(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(m, json!({"type": "complete", "id": "q"}));
    // Subscriptions per connection.
    c.subscribe("1", KPI).await;
    c.subscribe("2", KPI).await;
    c.subscribe("3", KPI).await;
    let mut third = None;
    for _ in 0..3 {
        let m = c.message(Duration::from_secs(5)).await.unwrap().unwrap();
        if m["id"] == "3" {
            third = Some(m);
        }
    }
    let third = third.unwrap();
    assert_eq!(third["type"], "error", "{third}");
    assert_eq!(
        third["payload"][0]["extensions"]["code"],
        "SERVICE_UNAVAILABLE"
    );
    // A second `subscribe` with a running id: 4409.
    let mut twice = connect(addr, Some(&app.token(&p))).await.unwrap();
    twice.subscribe("same", KPI).await;
    let _ = twice.next("same").await;
    twice.subscribe("same", KPI).await;
    let closed = twice.message(Duration::from_secs(5)).await;
    assert!(
        matches!(closed, Some(Err(Refused::Closed(4409, _)))),
        "{closed:?}"
    );
    // A message nested past the limit closes the connection with 4400.
    let mut deep = connect(addr, Some(&app.token(&p))).await.unwrap();
    let nested = format!(
        "{{\"type\":\"subscribe\",\"id\":\"x\",\"payload\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    deep.send_text(&nested).await;
    let closed = deep.message(Duration::from_secs(5)).await;
    assert!(
        matches!(closed, Some(Err(Refused::Closed(4400, _)))),
        "{closed:?}"
    );
    // Connections per team: this is the second; a third is refused with 4429.
    let _second = connect(addr, Some(&app.token(&p))).await.unwrap();
    let third = connect(addr, Some(&app.token(&p))).await;
    assert!(matches!(third, Err(Refused::Closed(4429, _))), "{third:?}");
}

#[tokio::test]
async fn an_upgrade_from_a_foreign_page_or_without_the_subprotocol_is_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let addr = app.serve().await;
    let attempt = |origin: Option<&'static str>, protocol: bool| async move {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        if protocol {
            headers.insert(
                "sec-websocket-protocol",
                "graphql-transport-ws".parse().unwrap(),
            );
        }
        if let Some(origin) = origin {
            headers.insert("origin", origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                response.status().as_u16()
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(attempt(Some("https://evil.example"), true).await, 403);
    assert_eq!(attempt(None, false).await, 400);
    let own: &'static str = Box::leak(format!("http://{addr}").into_boxed_str());
    assert_eq!(attempt(Some(own), true).await, 101, "the page's own origin");
    assert_eq!(attempt(None, true).await, 101, "not a browser");
}

#[tokio::test]
async fn a_connection_ends_when_its_token_expires() {
    use dashgate::kernel::clock::SetClock;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let now: chrono::DateTime<chrono::Utc> = "2026-03-10T12:00:00Z".parse().unwrap();
    let clock = std::sync::Arc::new(SetClock::new(now));
    let mut state = app.state.clone();
    state.clock = clock.clone();
    let addr = serve_router(&state, dashgate::http::router(state.clone()).unwrap()).await;
    let exp = (now + chrono::Duration::seconds(2)).timestamp();
    let token = state.jwt.mint(&p.team.slug, &p.user, p.role, exp).unwrap();
    let mut c = connect(addr, Some(&token)).await.unwrap();
    c.subscribe("1", KPI).await;
    let _ = c.next("1").await;
    clock.set(now + chrono::Duration::seconds(3));
    let closed = c.message(Duration::from_secs(10)).await;
    assert!(
        matches!(closed, Some(Err(Refused::Closed(4403, _)))),
        "{closed:?}"
    );
}

#[tokio::test]
async fn connections_close_with_1001_when_the_server_shuts_down() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let mut c = client(&app, &p).await;
    c.subscribe("1", KPI).await;
    let _ = c.next("1").await;
    app.state.closing.send_replace(true);
    let closed = c.message(Duration::from_secs(5)).await;
    assert!(
        matches!(closed, Some(Err(Refused::Closed(1001, _)))),
        "{closed:?}"
    );
}

#[tokio::test]
async fn an_init_over_the_teams_rate_limit_is_told_to_retry_not_refused() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.rate_limit_per_minute = 1)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let addr = app.serve().await;
    let _first = connect(addr, Some(&app.token(&p))).await.unwrap();
    let second = connect(addr, Some(&app.token(&p))).await;
    assert!(
        matches!(second, Err(Refused::Closed(4429, _))),
        "{second:?}"
    );
}

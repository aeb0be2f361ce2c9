//! A `graphql-transport-ws` client over a real WebSocket, for the live subscription tests.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server did instead of acknowledging, or an unexpected message.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Closed(u16, String),
    Other(String),
}

/// An open connection.
#[derive(Debug)]
pub struct LiveClient {
    socket: Socket,
}

/// Opens a connection to `/graphql` asking for `graphql-transport-ws`, without initialising.
pub async fn open(addr: SocketAddr) -> LiveClient {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    LiveClient { socket }
}

/// Opens and initialises a connection with `token` (`None`: an empty payload).
pub async fn connect(addr: SocketAddr, token: Option<&str>) -> Result<LiveClient, Refused> {
    let mut client = open(addr).await;
    let payload = match token {
        Some(t) => json!({"authorization": format!("Bearer {t}")}),
        None => json!({}),
    };
    client
        .send(json!({"type": "connection_init", "payload": payload}))
        .await;
    match client.message(Duration::from_secs(10)).await {
        Some(Ok(m)) if m["type"] == "connection_ack" => Ok(client),
        Some(Ok(m)) => Err(Refused::Other(m.to_string())),
        Some(Err(closed)) => Err(closed),
        None => Err(Refused::Other("nothing in time".into())),
    }
}

impl LiveClient {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends a text frame as is.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({"type": "subscribe", "id": id, "payload": {"query": query}}))
            .await;
    }

    /// Ends subscription `id`.
    pub async fn complete(&mut self, id: &str) {
        self.send(json!({"type": "complete", "id": id})).await;
    }

    /// The next protocol message within `within` (pings are answered by the library), or
    /// how the server closed the connection.
    pub async fn message(&mut self, within: Duration) -> Option<Result<Value, Refused>> {
        let read = async {
            while let Some(frame) = self.socket.next().await {
                match frame {
                    Ok(Message::Text(t)) => return Some(Ok(serde_json::from_str(&t).unwrap())),
                    Ok(Message::Close(frame)) => {
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new()));
                        return Some(Err(Refused::Closed(code, reason)));
                    }
                    Ok(_) => {}
                    Err(e) => return Some(Err(Refused::Other(e.to_string()))),
                }
            }
            Some(Err(Refused::Other("ended".into())))
        };
        tokio::time::timeout(within, read).await.ok().flatten()
    }

    /// The next `next` payload of subscription `id`, within 10 s.
    pub async fn next(&mut self, id: &str) -> Value {
        match self.message(Duration::from_secs(10)).await {
            Some(Ok(m)) if m["type"] == "next" && m["id"] == id => m["payload"].clone(),
            other => panic!("expected a result of {id}, got {other:?}"),
        }
    }

    /// Whether nothing arrives for `within`.
    pub async fn quiet_for(&mut self, within: Duration) -> Option<Value> {
        match self.message(within).await {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => Some(json!(format!("{e:?}"))),
        }
    }
}

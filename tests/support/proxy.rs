//! A TCP proxy between a test's gateway and the shared PostgreSQL, to simulate outages without
//! touching the shared server: refuse new connections, stop listening, stall live ones, cut
//! them all.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; dropped with the test.
pub struct Proxy {
    pub addr: SocketAddr,
    refusing: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    /// `false`: the port is closed (connections are refused by the system, as when the
    /// database is stopped).
    listening: watch::Sender<bool>,
    /// Bumped to cut every live connection.
    cuts: watch::Sender<u64>,
    generation: Arc<AtomicU64>,
}

impl Proxy {
    /// A proxy forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let refusing = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let (cuts, _) = watch::channel(0u64);
        let (listening, mut listen) = watch::channel(true);
        let proxy = Proxy {
            addr,
            refusing: refusing.clone(),
            stalled: stalled.clone(),
            listening,
            cuts: cuts.clone(),
            generation: Arc::new(AtomicU64::new(0)),
        };
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let Some(open) = &listener else {
                    if listen.wait_for(|on| *on).await.is_err() {
                        return;
                    }
                    listener = TcpListener::bind(addr).await.ok();
                    continue;
                };
                let client = tokio::select! {
                    accepted = open.accept() => match accepted {
                        Ok((client, _)) => client,
                        Err(_) => return,
                    },
                    changed = listen.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if !*listen.borrow() {
                            listener = None;
                        }
                        continue;
                    }
                };
                if refusing.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(pipe(client, server, stalled.clone(), cuts.subscribe()));
            }
        });
        proxy
    }

    /// Closes (`false`) or reopens the proxy's port: closed, new connections are refused by
    /// the system, as by a stopped database server.
    pub fn listen(&self, on: bool) {
        let _ = self.listening.send(on);
    }

    /// Accepted connections are closed at once (the database is "down").
    pub fn refuse(&self, on: bool) {
        self.refusing.store(on, Ordering::SeqCst);
    }

    /// Live connections stop delivering the server's answers (a query hangs mid-flight).
    pub fn stall(&self, on: bool) {
        self.stalled.store(on, Ordering::SeqCst);
    }

    /// Closes every live connection.
    pub fn cut(&self) {
        let n = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.cuts.send(n);
    }
}

/// Copies both ways until either side closes or the proxy cuts.
async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    stalled: Arc<AtomicBool>,
    mut cuts: watch::Receiver<u64>,
) {
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await.unwrap_or(0);
            if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = sr.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            if stalled.load(Ordering::SeqCst) {
                continue;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = cuts.changed() => {}
    }
}

//! Telling "the database is down" from "the database is slow".
//!
//! A request that has waited `DASHGATE_DB_CONNECT_TIMEOUT_MS` without an answer checks whether
//! the database can be reached at all: a TCP connection to its address, given that long to
//! open (one check at a time, its answer shared for a moment). Refused or unanswered → the
//! request answers `DATABASE_UNAVAILABLE` at once; reachable → it goes on waiting, bounded by
//! its own timeout. The pool's acquire timeout can then be long (a busy pool queues) without a
//! stopped database holding requests for as long. A connection that is opened and closed
//! without a byte sent is not logged by PostgreSQL.

use crate::kernel::{AppError, AppResult};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a check's answer is reused by other waiting requests.
const ANSWER_KEPT: Duration = Duration::from_millis(250);

/// The database's address and the latest check of it.
pub struct Reach {
    /// `host:port`; `None` when there is nothing to check (SQLite, a Unix socket).
    address: Option<String>,
    timeout: Duration,
    last: Mutex<Option<(Instant, bool)>>,
    checking: tokio::sync::Mutex<()>,
}

impl Reach {
    /// For a database URL; `timeout` is both the wait before the first check and a check's
    /// own limit.
    pub fn new(url: &str, timeout: Duration) -> Self {
        Reach {
            address: tcp_address(url),
            timeout,
            last: Mutex::new(None),
            checking: tokio::sync::Mutex::new(()),
        }
    }

    fn recent(&self) -> Option<bool> {
        let last = *self.last.lock().ok()?;
        last.filter(|(at, _)| at.elapsed() < ANSWER_KEPT)
            .map(|(_, ok)| ok)
    }

    /// Whether a TCP connection to the database opens (always true with nothing to check).
    pub async fn reachable(&self) -> bool {
        let Some(address) = &self.address else {
            return true;
        };
        if let Some(ok) = self.recent() {
            return ok;
        }
        let _one_at_a_time = self.checking.lock().await;
        if let Some(ok) = self.recent() {
            return ok;
        }
        let opened = tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
            .await
            .is_ok_and(|c| c.is_ok());
        if !opened {
            tracing::warn!(address, "the database cannot be reached");
        }
        if let Ok(mut last) = self.last.lock() {
            *last = Some((Instant::now(), opened));
        }
        opened
    }

    /// Resolves once the database is found unreachable: checks after the timeout, then every
    /// quarter second; never resolves when there is nothing to check.
    async fn lost(&self) {
        if self.address.is_none() {
            return std::future::pending().await;
        }
        tokio::time::sleep(self.timeout).await;
        loop {
            if !self.reachable().await {
                return;
            }
            tokio::time::sleep(ANSWER_KEPT).await;
        }
    }

    /// `work`, unless the database turns out to be unreachable while it waits
    /// (`DATABASE_UNAVAILABLE` then, without waiting out the pool).
    pub async fn unless_down<T>(&self, work: impl Future<Output = AppResult<T>>) -> AppResult<T> {
        tokio::select! {
            biased;
            done = work => done,
            () = self.lost() => Err(AppError::DatabaseUnavailable),
        }
    }
}

/// `host:port` of a PostgreSQL URL (`postgres://user:pw@host:port/db?…`, port 5432 when
/// absent); `None` for SQLite and for Unix-socket hosts.
fn tcp_address(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.is_empty() || host_port.starts_with('%') {
        return None;
    }
    let has_port = match host_port.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host_port.contains(':'),
    };
    Some(if has_port {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_database_urls() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/x",
                Some("127.0.0.1:5432"),
            ),
            (
                "postgresql://u:p@db.internal/x?sslmode=disable",
                Some("db.internal:5432"),
            ),
            ("postgres://[::1]:6543/x", Some("[::1]:6543")),
            ("postgres://[::1]/x", Some("[::1]:5432")),
            ("postgres://%2Fvar%2Frun/x", None),
            ("sqlite://dashgate.db?mode=rwc", None),
        ];
        for (url, want) in cases {
            assert_eq!(tcp_address(url).as_deref(), want, "{url}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_found_unreachable_after_the_timeout() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let reach = Reach::new(
            &format!("postgres://x@127.0.0.1:{port}/db"),
            Duration::from_millis(50),
        );
        let started = Instant::now();
        let r: AppResult<()> = reach.unless_down(std::future::pending()).await;
        assert_eq!(r.err().map(|e| e.code()), Some("DATABASE_UNAVAILABLE"));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_listening_port_keeps_the_work_waiting() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let reach = Reach::new(
            &format!("postgres://x@127.0.0.1:{port}/db"),
            Duration::from_millis(20),
        );
        let work = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(7)
        };
        assert_eq!(reach.unless_down(work).await.ok(), Some(7));
    }
}

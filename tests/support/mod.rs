//! The test harness: a fresh database per test (a SQLite file, or a PostgreSQL schema),
//! helpers to create teams, run GraphQL as a principal and call HTTP routes.

#![allow(dead_code)]

pub mod chat_fixture;
pub mod executive_fixture;
pub mod fixtures;
pub mod product_fixture;
pub mod proxy;
pub mod socket;
pub mod webdriver;
pub mod wire;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use dashgate::config::Settings;
use dashgate::graphql::DashgateSchema;
use dashgate::http::router as build_router;
use dashgate::kernel::{Principal, Role};
use dashgate::state::AppState;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The instant every test's clock is pinned to.
pub fn test_now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The PostgreSQL URL for tests; `None` skips PostgreSQL tests, except under `CI=true`.
pub fn postgres_url() -> Option<String> {
    match std::env::var("DASHGATE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but DASHGATE_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI"
            )
        }
        _ => None,
    }
}

/// Removes the test's database when the test ends.
enum Cleanup {
    File(std::path::PathBuf),
    Schema { url: String, schema: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema { url, schema } => {
                let (url, schema) = (url.clone(), schema.clone());
                // Runs on its own thread: the test's runtime may be shutting down.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&url).await {
                            let _ = db
                                // Never wait forever on a lock something leaked holds.
                                .execute_unprepared(&format!(
                                    "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                                ))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A PostgreSQL database of a test's own, for gateway *processes* (which use its `public`
/// schema); dropped when this is.
pub struct OwnDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl OwnDatabase {
    /// A fresh database named after `prefix`; `None` when PostgreSQL is not configured.
    pub async fn create(prefix: &str) -> Option<OwnDatabase> {
        let admin = postgres_url()?;
        let name = format!("{prefix}_{}", rand::random::<u32>());
        let server = Database::connect(&admin)
            .await
            .expect("PostgreSQL reachable");
        server
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        server.close().await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(OwnDatabase {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // On its own thread: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = db.execute_unprepared(&sql).await;
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

/// One test's gateway over its own database.
pub struct TestApp {
    pub backend: Backend,
    pub state: AppState,
    pub schema: DashgateSchema,
    pub router: axum::Router,
    /// Every SQL statement run so far (for tests that count queries).
    pub statements: Arc<Mutex<Vec<String>>>,
    _cleanup: Cleanup,
}

impl TestApp {
    /// A gateway on a fresh database; `None` when PostgreSQL is not configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with settings adjusted first.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let mut settings = Settings {
            now: Some(test_now()),
            jwt_secret: Some("test-secret".into()),
            db_max_connections: 4,
            // Background ANALYZE would show up in the statement counts; its own test turns it on.
            analyze_growth_percent: 0,
            // Tests change teams and revoke keys and expect it at once; its own test turns it on.
            auth_cache_seconds: 0,
            ..Settings::default()
        };
        let (cleanup, schema) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique("dashgate_test")));
                settings.database_url = format!("sqlite://{}", path.display());
                (Cleanup::File(path), None)
            }
            Backend::Postgres => {
                let url = postgres_url()?;
                let schema = unique("t");
                let admin = Database::connect(&url).await.expect("PostgreSQL reachable");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                settings.database_url = url.clone();
                (
                    Cleanup::Schema {
                        url,
                        schema: schema.clone(),
                    },
                    Some(schema),
                )
            }
        };
        adjust(&mut settings);
        let mut db = dashgate::db::connect(&settings, schema.as_deref())
            .await
            .expect("connect");
        dashgate::db::migrate(&db).await.expect("migrate");
        let statements = Arc::new(Mutex::new(Vec::new()));
        dashgate::db::observe(&mut db, Some(statements.clone()));
        let state = AppState::with_db(settings, db).await.expect("app state");
        Some(TestApp {
            backend,
            schema: dashgate::graphql::build_schema(&state),
            router: build_router(state.clone()).expect("router"),
            state,
            statements,
            _cleanup: cleanup,
        })
    }

    /// Another gateway instance over this test's database (on PostgreSQL, the same schema),
    /// as a second process behind a load balancer would be: its own cache and state.
    pub async fn another_instance(&self) -> (AppState, axum::Router) {
        self.another_instance_with(|_| {}).await
    }

    /// `another_instance` with its settings adjusted first.
    pub async fn another_instance_with(
        &self,
        adjust: impl FnOnce(&mut Settings),
    ) -> (AppState, axum::Router) {
        let mut settings = (*self.state.settings).clone();
        adjust(&mut settings);
        let schema = match &self._cleanup {
            Cleanup::Schema { schema, .. } => Some(schema.clone()),
            Cleanup::File(_) => None,
        };
        let db = dashgate::db::connect(&settings, schema.as_deref())
            .await
            .expect("connect");
        let state = AppState::with_db(settings, db).await.expect("app state");
        let router = build_router(state.clone()).expect("router");
        (state, router)
    }

    /// Creates a team and returns a principal of it with `role`.
    pub async fn team(&self, slug: &str, timezone: &str, role: Role) -> Principal {
        let team =
            dashgate::accounts::teams::create(&self.state.db, slug, slug, timezone, "USD", 0)
                .await
                .expect("team created");
        Principal {
            team,
            user: format!("{slug}-user"),
            role,
        }
    }

    /// Runs a GraphQL query as `principal` and returns the whole response as JSON.
    pub async fn gql(&self, principal: Option<&Principal>, query: &str) -> Value {
        let mut request = async_graphql::Request::new(query);
        if let Some(p) = principal {
            request = request.data(p.clone());
        }
        // Boxed: a dashboard's resolver futures are large; keep them off the test's stack.
        serde_json::to_value(Box::pin(self.schema.execute(request)).await).unwrap()
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, principal: &Principal, query: &str) -> Value {
        let response = self.gql(Some(principal), query).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// The value of the `/metrics` line starting with `series` (name and labels).
    pub async fn metric(&self, series: &str) -> f64 {
        let (_, text) = self.http("GET", "/metrics", None, "").await;
        let text = text.as_str().unwrap_or_default();
        let line = text.lines().find(|l| l.starts_with(series));
        let line = line.unwrap_or_else(|| panic!("{series} missing"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    /// The SQL statements run by `f` (the log is cleared first).
    pub async fn statements_of<F: std::future::Future>(&self, f: F) -> Vec<String> {
        self.statements.lock().unwrap().clear();
        f.await;
        std::mem::take(&mut *self.statements.lock().unwrap())
    }

    /// A JWT for a principal.
    pub fn token(&self, p: &Principal) -> String {
        let exp = (test_now() + chrono::Duration::hours(1)).timestamp();
        self.state
            .jwt
            .mint(&p.team.slug, &p.user, p.role, exp)
            .unwrap()
    }

    /// Sends an HTTP request through the router; returns status and JSON body.
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(token) = bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let response = Box::pin(self.router.clone().oneshot(req.body(body.into()).unwrap()))
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, json)
    }

    /// Posts rows (as NDJSON) to `/v1/ingest/{dataset}` for the principal's team.
    pub async fn post_rows(
        &self,
        p: &Principal,
        dataset: &str,
        rows: &[Value],
    ) -> (StatusCode, Value) {
        let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
        let path = format!("/v1/ingest/{dataset}");
        self.http("POST", &path, Some(&self.token(p)), body).await
    }

    /// Ingests rows into any dataset for the principal's team; the batch must be accepted.
    pub async fn ingest_into(&self, p: &Principal, dataset: &str, rows: &[Value]) -> Value {
        let (status, json) = self.post_rows(p, dataset, rows).await;
        assert_eq!(status, StatusCode::OK, "{dataset}: {json:#}");
        json
    }

    /// Ingests request-log rows (JSON objects) for the principal's team.
    pub async fn ingest(&self, p: &Principal, rows: &[Value]) -> Value {
        self.ingest_into(p, "request_logs", rows).await
    }
}

impl TestApp {
    /// `SELECT COUNT(*)` of a whole table (each test has its own database).
    pub async fn count_rows(&self, table: &str) -> i64 {
        let backend = self.state.db.get_database_backend();
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// The error code of the first error of a GraphQL response.
pub fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Generates a `sqlite` and a `postgres` test from one body.
#[macro_export]
macro_rules! both_dbs {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                run($crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await.unwrap()).await
            }
            #[tokio::test]
            async fn postgres() {
                match $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await {
                    Some(app) => Box::pin(run(app)).await,
                    None => eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set"),
                }
            }
        }
    )*};
}

/// `both_dbs!` with the settings adjusted first (e.g. the clock pinned elsewhere).
#[macro_export]
macro_rules! both_dbs_with {
    ($adjust:expr; $(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                let backend = $crate::support::Backend::Sqlite;
                Box::pin(run($crate::support::TestApp::spawn_with(backend, $adjust).await.unwrap())).await
            }
            #[tokio::test]
            async fn postgres() {
                let backend = $crate::support::Backend::Postgres;
                match $crate::support::TestApp::spawn_with(backend, $adjust).await {
                    Some(app) => Box::pin(run(app)).await,
                    None => eprintln!("skipped: DASHGATE_TEST_POSTGRES_URL is not set"),
                }
            }
        }
    )*};
}

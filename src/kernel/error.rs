//! One error type with stable codes; every error leaving dashgate goes through it.

use async_graphql::ErrorExtensions;

/// The application error. Each variant maps to one stable `extensions.code`.
///
/// It deliberately implements neither `Display` nor `std::error::Error`: async-graphql turns
/// any `Display` type into an error *without* a code, so `?` must go through the
/// `From<AppError>` below, which always sets `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    InvalidCredentials(String),
    Forbidden(String),
    NotFound(String),
    BadInput {
        field: String,
        message: String,
    },
    RateLimited {
        retry_after_seconds: u64,
    },
    Timeout(u64),
    DatabaseUnavailable,
    /// The gateway is at a capacity limit (not the team's fault); retry after a moment.
    Unavailable {
        retry_after_seconds: u64,
        message: String,
    },
    Internal(anyhow::Error),
}

impl AppError {
    /// A `BAD_USER_INPUT` error naming the offending field (dotted path).
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// The message shown to clients (internal causes are never included).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => {
                "authentication required: send `Authorization: Bearer <token or API key>`".into()
            }
            AppError::InvalidCredentials(m) => format!("invalid credentials: {m}"),
            AppError::Forbidden(m) => format!("forbidden: {m}"),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::BadInput { message, .. } => message.clone(),
            AppError::RateLimited {
                retry_after_seconds,
            } => {
                format!("rate limited: retry in {retry_after_seconds} s")
            }
            AppError::Timeout(0) => "a database statement ran past its time limit".into(),
            AppError::Timeout(ms) => format!("the request took longer than {ms} ms"),
            AppError::DatabaseUnavailable => {
                "the database is unavailable or could not finish the request; retry shortly".into()
            }
            AppError::Unavailable { message, .. } => message.clone(),
            AppError::Internal(_) => "internal error".into(),
        }
    }

    /// The stable machine-readable code (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Timeout(_) => "TIMEOUT",
            AppError::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            AppError::Unavailable { .. } => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status used by the REST endpoints (GraphQL answers 200 with errors).
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::BadInput { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Timeout(_) => 504,
            AppError::DatabaseUnavailable | AppError::Unavailable { .. } => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// Seconds a client should wait before retrying, for the errors that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited {
                retry_after_seconds,
            }
            | AppError::Unavailable {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            AppError::DatabaseUnavailable => Some(1),
            _ => None,
        }
    }

    /// Logs internal causes (never shown to clients).
    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::DatabaseUnavailable => tracing::error!("database unavailable"),
            _ => {}
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if statement_timed_out(&err) {
            // Slow, not down: the statement ran past `DASHGATE_DB_STATEMENT_TIMEOUT_MS`.
            tracing::warn!(error = %err, "statement timeout");
            return AppError::Timeout(0);
        }
        if unavailable(&err) {
            tracing::error!(error = %err, "database unavailable");
            return AppError::DatabaseUnavailable;
        }
        AppError::Internal(err.into())
    }
}

/// Whether PostgreSQL cancelled the statement for running past the statement timeout (57014).
fn statement_timed_out(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(&**e, sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some("57014"))
        }
        _ => false,
    }
}

/// Whether a database error means "the database cannot serve this now" — it is down,
/// unreachable, restarting, out of connections, cut the connection mid-query, or gave up on a
/// lock — rather than a fault of the statement. Those answer `DATABASE_UNAVAILABLE`.
fn unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    use sea_orm::sqlx::Error as E;
    match &**sqlx {
        E::Io(_) | E::Tls(_) | E::Protocol(_) | E::PoolTimedOut | E::PoolClosed => true,
        E::WorkerCrashed => true,
        E::Database(db) => {
            let code = db.code().unwrap_or_default();
            if code.len() == 5 {
                // PostgreSQL's SQLSTATE: connection exceptions (08…), shutdown or cannot
                // connect now (57P0x), too many connections (53300), lock and serialization
                // failures (40001, 40P01, 55P03).
                code.starts_with("08")
                    || code.starts_with("57P0")
                    || ["53300", "40001", "40P01", "55P03"].contains(&code.as_ref())
            } else {
                // SQLite's (extended) result codes: busy (5), locked (6), I/O error (10),
                // full (13), cannot open (14).
                code.parse::<u32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14))
            }
        }
        _ => false,
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let AppError::BadInput { field, .. } = &err {
                ext.set("field", field.as_str());
            }
            if let Some(seconds) = err.retry_after() {
                ext.set("retryAfterSeconds", seconds);
            }
        })
    }
}

impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        self.log();
        let status = axum::http::StatusCode::from_u16(self.http_status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::json!({ "code": self.code(), "message": self.message() });
        let retry = self.retry_after();
        if let AppError::BadInput { field, .. } = &self {
            body["field"] = field.as_str().into();
        }
        if let Some(seconds) = retry {
            body["retryAfterSeconds"] = seconds.into();
        }
        let mut response =
            (status, axum::Json(serde_json::json!({ "error": body }))).into_response();
        if let Some(seconds) = retry {
            response.headers_mut().insert("retry-after", seconds.into());
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<AppError> for anyhow::Error {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Internal(e) => e,
            other => anyhow::anyhow!("{} ({})", other.message(), other.code()),
        }
    }
}

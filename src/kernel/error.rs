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
    BadInput { field: String, message: String },
    RateLimited { retry_after_seconds: u64 },
    Timeout(u64),
    DatabaseUnavailable,
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
            AppError::Timeout(ms) => format!("the request took longer than {ms} ms"),
            AppError::DatabaseUnavailable => "the database is unavailable".into(),
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
            AppError::DatabaseUnavailable => 503,
            AppError::Internal(_) => 500,
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
        use sea_orm::DbErr;
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::error!(error = %err, "database connection failed");
                AppError::DatabaseUnavailable
            }
            _ => AppError::Internal(err.into()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                AppError::BadInput { field, .. } => ext.set("field", field.as_str()),
                AppError::RateLimited {
                    retry_after_seconds,
                } => ext.set("retryAfterSeconds", *retry_after_seconds),
                _ => {}
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
        let mut retry = None;
        match &self {
            AppError::BadInput { field, .. } => body["field"] = field.as_str().into(),
            AppError::RateLimited {
                retry_after_seconds,
            } => {
                body["retryAfterSeconds"] = (*retry_after_seconds).into();
                retry = Some(*retry_after_seconds);
            }
            _ => {}
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

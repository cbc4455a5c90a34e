//! The one error type that reaches HTTP.
//!
//! Which error belongs where:
//! - **domain/** returns [`AppError`] values built with the constructors below for
//!   rule violations (`AppError::invalid`, `AppError::conflict`, ...). They carry a
//!   stable machine `code` and a human message, both safe to show to the caller.
//! - **db/** returns `diesel::result::Error`; `?` converts it. `NotFound` becomes 404,
//!   a lost or refused connection becomes 503, anything else an opaque 500.
//! - **platform/** has its own typed errors (e.g. `GraphError`); routes decide
//!   how they surface, usually as 502 or 503 through `AppError::upstream`.
//! - **routes/** only ever return `AppError`. Unknown failures are wrapped with
//!   `AppError::internal`, logged with their full cause chain, and answered with an
//!   opaque 500: internals never leave the process.
//!
//! Every error renders as `{"error":{"code":"…","message":"…"}}`.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Extra machine-readable detail that is safe to show (e.g. which field).
    details: Option<serde_json::Value>,
    /// The cause, logged but never shown.
    source: Option<anyhow::Error>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            details: None,
            source: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// 422: well-formed, but breaks a rule.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
    }
    /// 503: a dependency (usually Postgres) is unavailable; the caller should retry.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable, retry shortly",
        )
        .with_source(cause)
    }
    /// 502: the platform (Graph API) failed us.
    pub fn upstream(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "the Facebook platform did not answer as expected",
        )
        .with_source(cause)
    }
    /// 500 with an opaque message; the cause is logged, never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
        )
        .with_source(cause)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
    pub fn code(&self) -> &'static str {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.details.as_ref()
    }

    /// True for failures that mean "try again later" (database unreachable).
    pub fn is_unavailable(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    pub fn body_json(&self) -> serde_json::Value {
        serde_json::to_value(ErrorBody {
            error: ErrorInner {
                code: self.code,
                message: &self.message,
                details: self.details.as_ref(),
            },
        })
        .unwrap_or_default()
    }

    fn log(&self) {
        if let Some(source) = &self.source {
            if self.status.is_server_error() {
                // `{:#}` prints the whole cause chain on one line.
                tracing::error!(code = self.code, status = self.status.as_u16(), cause = %format!("{source:#}"), "request failed");
            } else {
                tracing::debug!(code = self.code, cause = %format!("{source:#}"), "request rejected");
            }
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut resp = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.insert_header(("Retry-After", "5"));
        }
        resp.json(self.body_json())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &err {
            Error::NotFound => AppError::not_found("not found"),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => AppError::unavailable(err),
            Error::DatabaseError(_, info) if is_unavailable_message(info.message()) => {
                AppError::unavailable(err)
            }
            _ => AppError::internal(err),
        }
    }
}

/// libpq reports a dropped server with these messages rather than a typed kind.
fn is_unavailable_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("server closed the connection")
        || m.contains("connection refused")
        || m.contains("no connection to the server")
        || m.contains("terminating connection")
        || m.contains("could not receive data")
        || m.contains("could not send data")
        || m.contains("the database system is")
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        // r2d2 only fails a checkout on timeout: the pool is exhausted or Postgres is down.
        AppError::unavailable(err)
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::internal(err)
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn internal_errors_are_opaque() {
        let err = AppError::internal(anyhow::anyhow!("password=hunter2 leaked in a cause"));
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = resp.into_body().try_into_bytes().unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("hunter2"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!({"error":{"code":"internal","message":"an internal error occurred"}})
        );
    }

    /// The opaque 500 keeps its cause for the operator: the whole chain is logged.
    #[test]
    fn internal_errors_log_their_whole_cause_chain() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let root = std::io::Error::other("connection reset by peer");
            let err = AppError::internal(anyhow::Error::new(root).context("loading the contest"));
            let _ = err.error_response();
        });
        let logged = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("ERROR"), "{logged}");
        assert!(
            logged.contains("loading the contest: connection reset by peer"),
            "{logged}"
        );
    }

    #[test]
    fn diesel_errors_map_to_status() {
        assert_eq!(
            AppError::from(diesel::result::Error::NotFound).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            AppError::from(diesel::result::Error::BrokenTransactionManager).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            AppError::from(diesel::result::Error::RollbackTransaction).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn unavailable_sets_retry_after() {
        let resp = AppError::unavailable(anyhow::anyhow!("down")).error_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(resp.headers().get("retry-after").is_some());
    }
}

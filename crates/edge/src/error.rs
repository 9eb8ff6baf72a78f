//! `ApiError`: the one error type that knows HTTP status codes and client-facing codes.
//! Messages are for people; they never carry internal errors, upstream bodies or keys.

use domain::FieldErrors;
use http::StatusCode;
use serde_json::{Value, json};

/// A failure answered with the error envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (`INVALID_REQUEST`, `NOT_FOUND`…).
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// Structured details (field errors, accepted values…).
    pub details: Option<Box<Value>>,
    /// Seconds to wait before retrying (429/503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// 400 `INVALID_REQUEST`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }

    /// 400 `INVALID_REQUEST` listing field violations in `details.fields`.
    pub fn fields(errors: &FieldErrors) -> Self {
        let first = errors.first_field().unwrap_or("request");
        let message = match errors.errors().first() {
            Some(e) => format!("Invalid field `{first}`: {}", e.message),
            None => "Invalid request".to_string(),
        };
        Self::invalid(message).with_details(json!({ "fields": errors.errors() }))
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 404 `NOT_FOUND` (also for other users' resources).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} not found"),
        )
    }

    /// 405 `METHOD_NOT_ALLOWED`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "Method not allowed for this path",
        )
    }

    /// 409 `CONFLICT`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request body exceeds {} KiB", limit / 1024),
        )
    }

    /// 422 `CONTENT_REJECTED` naming the safety category.
    pub fn content_rejected(category: &str, field: Option<&str>) -> Self {
        let mut details = json!({ "category": category });
        if let Some(f) = field {
            details["field"] = json!(f);
        }
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "CONTENT_REJECTED",
            format!("The content is not suitable for children ({category})"),
        )
        .with_details(details)
    }

    /// 429 `RATE_LIMITED`.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too many requests; please try again later",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 502 `UPSTREAM_ERROR`.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "UPSTREAM_ERROR", message)
    }

    /// 503 `SERVICE_UNAVAILABLE`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
    }

    /// 504 `TIMEOUT`.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "TIMEOUT",
            "The request took too long; please try again",
        )
    }

    /// 500 `INTERNAL_ERROR` — only for bugs.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Something went wrong on our side",
        )
    }

    /// The error envelope body.
    pub fn envelope(&self, request_id: &str) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(d) = &self.details {
            error["details"] = (**d).clone();
        }
        if let Some(r) = self.retry_after {
            error["retry_after"] = json!(r);
        }
        json!({
            "success": false,
            "error": error,
            "request_id": request_id,
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }
}

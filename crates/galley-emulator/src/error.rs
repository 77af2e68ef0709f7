//! Errors: the OCI-shaped API error every handler returns, and the start-up errors of the emulator itself.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An OCI API error: the HTTP status and the JSON body `{"code": ..., "message": ...}` OCI services answer with.
/// The `opc-request-id` header is added to every response by the request-id layer (`crate::app`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// 401 `NotAuthenticated`: a missing, malformed, wrongly signed, expired or clock-skewed request.
    pub fn not_authenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", message)
    }

    /// 400 `InvalidParameter`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    /// 400 `MissingParameter`.
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MissingParameter", message)
    }

    /// 404 `NotAuthorizedOrNotFound`: OCI's answer for a path no service serves.
    pub fn not_found_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            "Authorization failed or requested resource not found.",
        )
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The HTTP method is not allowed on this resource.",
        )
    }

    /// 500 `InternalError` (the emulator's own failure, e.g. its data directory).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody { code: self.code, message: &self.message })
            .unwrap_or_else(|_| b"{\"code\":\"InternalError\",\"message\":\"\"}".to_vec());
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// Why the emulator could not start (bad flags, unreadable keys, an unusable data directory).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("invalid --api-key {0:?}: expected KEY_ID=PUBLIC_PEM_PATH")]
    BadApiKeyFlag(String),
    #[error("the resource principal token in {path} is empty")]
    EmptyToken { path: PathBuf },
    #[error("invalid bucket name {0:?}: 1-256 letters, digits, '-', '_' or '.'")]
    BadBucketName(String),
    #[error("data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("data directory {path}: corrupt entry: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

//! Errors of OCI calls: the service's own answer ([`ServiceError`], with its `opc-request-id`) or
//! what kept the request from getting one ([`OciError`]).

use std::fmt;

use crate::auth::AuthError;
use crate::region::EndpointError;
use crate::signer::SignError;

/// What kind of failure a service answer is, from its HTTP status and OCI error `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: `InvalidParameter`, `MissingParameter`, … (the request is wrong).
    BadRequest,
    /// 401: the signature or principal was refused.
    NotAuthenticated,
    /// 404 `NotAuthorizedOrNotFound`: missing, or no policy allows it (OCI does not say which).
    NotAuthorizedOrNotFound,
    /// 404 with another code (`ObjectNotFound`, `BucketNotFound`, …).
    NotFound,
    /// 409: `Conflict`, `IncorrectState`, `NotAuthorizedOrResourceAlreadyExists`, …
    Conflict,
    /// 412 `IfMatchFailed`: the `if-match` ETag is not the current one.
    IfMatchFailed,
    /// 412 `IfNoneMatchFailed`: `if-none-match: *` and the resource exists.
    IfNoneMatchFailed,
    /// 412 with another code.
    PreconditionFailed,
    /// 304: `if-none-match` matched.
    NotModified,
    /// 429: throttled.
    TooManyRequests,
    /// 5xx.
    ServerError,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Classifies a status and code.
    pub fn classify(status: u16, code: &str) -> ErrorKind {
        match (status, code) {
            (304, _) => ErrorKind::NotModified,
            (400, _) => ErrorKind::BadRequest,
            (401, _) => ErrorKind::NotAuthenticated,
            (404, "NotAuthorizedOrNotFound") => ErrorKind::NotAuthorizedOrNotFound,
            (404, _) => ErrorKind::NotFound,
            (409, _) => ErrorKind::Conflict,
            (412, "IfMatchFailed") => ErrorKind::IfMatchFailed,
            (412, "IfNoneMatchFailed") => ErrorKind::IfNoneMatchFailed,
            (412, _) => ErrorKind::PreconditionFailed,
            (429, _) => ErrorKind::TooManyRequests,
            (500..=599, _) => ErrorKind::ServerError,
            _ => ErrorKind::Other,
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ErrorKind::NotAuthenticated => {
                "; the signature was refused: check the principal (keyId, key, fingerprint uploaded to the user) and the clock"
            }
            ErrorKind::NotAuthorizedOrNotFound => {
                "; the resource does not exist, or no IAM policy lets this principal use it"
            }
            ErrorKind::TooManyRequests => "; OCI is throttling requests: retry later",
            ErrorKind::ServerError => "; a server-side failure: retry later",
            _ => "",
        }
    }
}

/// An OCI service's error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// The request's method.
    pub method: String,
    /// The request's path (without the query).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The OCI error code (`NotAuthorizedOrNotFound`, …), or `HTTP<status>` when the body had none.
    pub code: String,
    /// The service's message.
    pub message: String,
    /// The `opc-request-id` of the answer (give it to Oracle support).
    pub request_id: Option<String>,
    /// The classification.
    pub kind: ErrorKind,
}

impl ServiceError {
    /// Builds one from a response's status, `opc-request-id` and body (`{"code", "message"}`).
    pub fn from_response(
        method: &str,
        path: &str,
        status: u16,
        request_id: Option<String>,
        body: &[u8],
    ) -> ServiceError {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            json.as_ref().and_then(|v| v.get(name)).and_then(serde_json::Value::as_str).map(str::to_owned)
        };
        let code = field("code").unwrap_or_else(|| format!("HTTP{status}"));
        let message = field("message").unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(300).collect();
            if text.trim().is_empty() { "(no message)".to_owned() } else { text }
        });
        ServiceError {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            kind: ErrorKind::classify(status, &code),
            code,
            message,
            request_id,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: HTTP {} {}: {}{} (opc-request-id: {})",
            self.method,
            self.path,
            self.status,
            self.code,
            self.message,
            self.kind.hint(),
            self.request_id.as_deref().unwrap_or("none")
        )
    }
}

impl std::error::Error for ServiceError {}

/// Why an OCI call failed.
#[derive(thiserror::Error, Debug)]
pub enum OciError {
    /// The service answered with an error.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The principal could not produce credentials.
    #[error("OCI credentials: {0}")]
    Auth(#[from] AuthError),
    /// No endpoint for the service.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The request could not be signed.
    #[error("cannot sign the request: {0}")]
    Sign(#[from] SignError),
    /// No answer: connection refused, DNS, TLS, timeout (after the retries allowed).
    #[error("{method} {url}: {message}")]
    Transport {
        /// The method.
        method: String,
        /// The URL without its query.
        url: String,
        /// What failed.
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
    },
    /// The request itself is invalid (bad path, reserved header, …).
    #[error("invalid OCI request: {0}")]
    InvalidRequest(String),
    /// The answer is not what the operation returns.
    #[error("{what}: unexpected response: {reason} (opc-request-id: {})", request_id.as_deref().unwrap_or("none"))]
    Decode {
        /// The operation.
        what: String,
        /// What is wrong.
        reason: String,
        /// The `opc-request-id`.
        request_id: Option<String>,
    },
}

impl From<ServiceError> for OciError {
    fn from(err: ServiceError) -> Self {
        OciError::Service(Box::new(err))
    }
}

impl OciError {
    /// The service error, if the service answered.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            OciError::Service(err) => Some(err),
            _ => None,
        }
    }

    /// The error kind, if the service answered.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.service().map(|err| err.kind)
    }

    /// The `opc-request-id`, when there is one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            OciError::Service(err) => err.request_id.as_deref(),
            OciError::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let cases = [
            (404, "NotAuthorizedOrNotFound", ErrorKind::NotAuthorizedOrNotFound),
            (404, "ObjectNotFound", ErrorKind::NotFound),
            (412, "IfMatchFailed", ErrorKind::IfMatchFailed),
            (412, "IfNoneMatchFailed", ErrorKind::IfNoneMatchFailed),
            (412, "Other", ErrorKind::PreconditionFailed),
            (409, "IncorrectState", ErrorKind::Conflict),
            (429, "TooManyRequests", ErrorKind::TooManyRequests),
            (401, "NotAuthenticated", ErrorKind::NotAuthenticated),
            (400, "InvalidParameter", ErrorKind::BadRequest),
            (503, "ServiceUnavailable", ErrorKind::ServerError),
            (304, "", ErrorKind::NotModified),
            (418, "Teapot", ErrorKind::Other),
        ];
        for (status, code, want) in cases {
            assert_eq!(ErrorKind::classify(status, code), want, "{status} {code}");
        }
    }

    #[test]
    fn from_bodies() {
        let err = ServiceError::from_response(
            "GET",
            "/n/ns/b/bk/o/x",
            404,
            Some("RID/1".into()),
            br#"{"code":"NotAuthorizedOrNotFound","message":"Authorization failed or requested resource not found."}"#,
        );
        assert_eq!(err.kind, ErrorKind::NotAuthorizedOrNotFound);
        assert_eq!(
            err.to_string(),
            "GET /n/ns/b/bk/o/x: HTTP 404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found.; the resource does not exist, or no IAM policy lets this principal use it (opc-request-id: RID/1)"
        );
        let plain = ServiceError::from_response("PUT", "/x", 502, None, b"Bad Gateway");
        assert_eq!(
            (plain.code.as_str(), plain.message.as_str(), plain.kind),
            ("HTTP502", "Bad Gateway", ErrorKind::ServerError)
        );
        let empty = ServiceError::from_response("HEAD", "/x", 404, None, b"");
        assert_eq!((empty.code.as_str(), empty.message.as_str()), ("HTTP404", "(no message)"));
    }
}

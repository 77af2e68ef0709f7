//! `galley-emulator`: a local stand-in for the OCI APIs Galley calls, for tests and offline demos.
//!
//! Every request must carry a valid OCI request signature (API key or resource-principal security token,
//! [`auth`]); the services are plain axum routers over shared [`state::AppState`]: Object Storage
//! ([`objectstorage`]) and Resource Manager ([`resourcemanager`], whose jobs run real `terraform`); DevOps and
//! Container Engine routers are merged into [`app`] the same way as they land. Oracle's own CLI and Python SDK run against it in CI (`.ci/oci-clients.sh`).

pub mod auth;
pub mod error;
pub mod objectstorage;
pub mod resourcemanager;
pub mod state;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;

pub use auth::{Keys, Principal, PublicKey, ResourcePrincipal, TokenSource};
pub use error::{ApiError, SetupError};
pub use state::{AppState, Clock, Config};

/// The whole emulator as one router: every service, the OCI-shaped 404/405 fallbacks, the signature check in
/// front of all of them (unknown paths included), and the `opc-request-id` layer outermost.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(objectstorage::router())
        .merge(resourcemanager::router())
        .fallback(|| async { ApiError::not_found_route() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        // The signature layer reads (and bounds) the body itself.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_signature))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

const OPC_REQUEST_ID: HeaderName = HeaderName::from_static("opc-request-id");
const OPC_CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("opc-client-request-id");

/// Gives every response an `opc-request-id` (the client's own id, when it sent one, then `/` and ours, as OCI
/// does), echoes `opc-client-request-id`, and writes the access log line (method, path without query, status).
async fn request_id(request: Request, next: Next) -> Response {
    let ours = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let id = match request.headers().get(&OPC_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(theirs) if !theirs.is_empty() && theirs.len() <= 98 => format!("{theirs}/{ours}"),
        _ => ours,
    };
    let client_request_id = request.headers().get(&OPC_CLIENT_REQUEST_ID).cloned();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(OPC_REQUEST_ID, value);
    }
    if let Some(value) = client_request_id {
        response.headers_mut().insert(OPC_CLIENT_REQUEST_ID, value);
    }
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        opc_request_id = id,
        "request"
    );
    response
}

//! Streamable HTTP: `fn app()` builds the router shared by `main` and the tests.
//!
//! `/mcp` is rmcp's Streamable HTTP service in stateless mode (no `Mcp-Session-Id`; any replica can answer any
//! request; POSTs answered with JSON unless the tool streams progress) behind the token layer. `/healthz` is
//! outside the token layer and returns no secrets. The access log prints method, path (never the query string,
//! which may hold the token), status and latency.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::auth::{Token, require_token};
use crate::mcp::GalleyServer;

/// How the HTTP app is put together.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Required token (None only in tests that exercise the MCP layer alone).
    pub token: Option<Arc<Token>>,
    /// Accepted Host values; empty disables the check.
    pub allowed_hosts: Vec<String>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Cancelled at shutdown.
    pub shutdown: CancellationToken,
}

/// The loopback names always accepted on a loopback bind.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The whole HTTP application.
pub fn app(state: Arc<App>, tools: Arc<ToolRouter<GalleyServer>>, opts: HttpOptions) -> Router {
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(opts.max_body_bytes)
        .with_cancellation_token(opts.shutdown.child_token());
    config = if opts.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(opts.allowed_hosts.clone())
    };
    let mcp = StreamableHttpService::new(
        move || Ok(GalleyServer::new(Arc::clone(&state), Arc::clone(&tools))),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let mut protected = Router::new().nest_service("/mcp", mcp).fallback(not_found);
    if let Some(token) = opts.token {
        protected = protected.layer(middleware::from_fn_with_state(token, require_token));
    }
    Router::new().route("/healthz", get(healthz)).merge(protected).layer(middleware::from_fn(access_log))
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({ "error": "not_found", "message": "Galley serves MCP at /mcp and health at /healthz" })),
    )
        .into_response()
}

async fn access_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(target: "galley::access", %method, %path, status = resp.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0);
    resp
}

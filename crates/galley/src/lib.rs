//! The `galley` binary's library: configuration, application state, services, the MCP server and HTTP.
//!
//! `main.rs` is a few lines over [`run`]. Only this crate knows MCP, JSON-RPC and HTTP serving.

pub mod app;
pub mod auth;
pub mod check_terraform;
pub mod config;
pub mod doctor;
pub mod http;
pub mod mcp;
pub mod services;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::{Cli, Command, ServeArgs, StoreUrl};
use crate::mcp::{GalleyServer, ToolSelection};

/// Parses the command line and runs it. Returns the process exit code.
pub async fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await.map(|()| 0),
        Command::Doctor(args) => {
            let report = doctor::run(&args).await;
            #[allow(clippy::print_stdout)] // the report is the command's output
            {
                print!("{}", report.text);
            }
            Ok(if report.store_ok { 0 } else { 1 })
        }
        Command::CheckTerraform(args) => check_terraform::run(&args),
    }
}

/// Marks jobs left running by a stopped process as interrupted (and releases their locks).
async fn sweep_jobs(app: Arc<App>) {
    match app.jobs.sweep().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "marked jobs of a stopped process interrupted"),
        Err(e) => tracing::warn!(error = %e, "could not check for interrupted jobs"),
    }
}

fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (store, oci_client) = StoreUrl::parse(args.store.store.as_deref())?.open_with_client().await?;
    tracing::info!(store = %store.describe(), mode = ?args.mode, "starting galley {}", env!("CARGO_PKG_VERSION"));
    let app = Arc::new(App::new(store, args.conformance_fixtures, args.mode, oci_client)?);
    tokio::spawn(sweep_jobs(Arc::clone(&app)));
    let tools = Arc::new(mcp::tool_router(ToolSelection {
        mode: args.mode,
        conformance_fixtures: args.conformance_fixtures,
    }));
    if args.stdio {
        let server = GalleyServer::new(app, tools);
        let running =
            server.serve(rmcp::transport::stdio()).await.context("stdio transport failed to start")?;
        running.waiting().await.context("stdio transport stopped with an error")?;
        return Ok(());
    }
    serve_http(args, app, tools).await
}

async fn serve_http(
    args: ServeArgs,
    app: Arc<App>,
    tools: Arc<rmcp::handler::server::router::tool::ToolRouter<GalleyServer>>,
) -> anyhow::Result<()> {
    let loopback = is_loopback(&args.http);
    let (token, generated) = match args.token.as_deref() {
        Some(t) => (t.to_owned(), false),
        None if loopback => (auth::generate(), true),
        None => anyhow::bail!(
            "refusing to serve on non-loopback address {} without a token: set --token or GALLEY_AUTH_TOKEN",
            args.http
        ),
    };
    let token_check = Arc::new(auth::Token::new(&token)?);
    let mut allowed_hosts = args.allowed_hosts.clone();
    if loopback {
        allowed_hosts.extend(http::LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()));
    } else if allowed_hosts.is_empty() {
        tracing::info!(
            "no --allowed-host given on a non-loopback address: any Host header is accepted; the token protects /mcp"
        );
    }
    let shutdown = CancellationToken::new();
    let router = http::app(
        app,
        tools,
        http::HttpOptions {
            token: Some(token_check),
            allowed_hosts,
            max_body_bytes: args.max_body_bytes,
            shutdown: shutdown.clone(),
        },
    );
    let listener = tokio::net::TcpListener::bind(args.http)
        .await
        .with_context(|| format!("cannot listen on {} (in use? pass --http ADDR)", args.http))?;
    let local = listener.local_addr()?;
    if generated {
        // The one place a token is printed: the user needs the URL to connect, and asked for no fixed token.
        eprintln!(
            "Galley is listening. Connect Claude to this URL (keep it secret):\n  http://{local}/mcp?token={token}"
        );
    } else {
        eprintln!("Galley is listening on http://{local}/mcp (token required)");
    }
    let stop = shutdown.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            stop.cancel();
        })
        .await
        .context("HTTP server failed")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

//! `galley`: see the README. Logs go to stderr (stdout is the JSON-RPC channel in stdio mode).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GALLEY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("galley=info,warn")),
        )
        .with_ansi(false)
        .init();
    match galley::run().await {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("galley: {e:#}");
            ExitCode::from(2)
        }
    }
}

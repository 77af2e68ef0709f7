//! `galley-emulator`: serves the emulated OCI APIs on a loopback address until SIGINT/SIGTERM.
//!
//! ```text
//! galley-emulator --listen 127.0.0.1:PORT [--namespace NS] [--api-key KEY_ID=PUBLIC_PEM_PATH]...
//!                 [--rp-token-file PATH --rp-public-key PATH] [--data-dir DIR] [--max-skew-seconds 300]
//!                 [--bucket NAME]... [--compartment-id OCID]
//!                 [--terraform-bin PATH] [--rm-step-ms 1000] [--terraform-timeout-secs 1800]
//! ```
//! Resource Manager jobs run `terraform` (`--terraform-bin`, env `GALLEY_EMULATOR_TERRAFORM_BIN`).
//! Prints `listening on http://ADDR` to stderr once the socket is bound. Logs go to stderr (`GALLEY_LOG`).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use galley_emulator::{AppState, Config, Keys, PublicKey, ResourcePrincipal, SetupError, TokenSource};
use jiff::SignedDuration;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "galley-emulator",
    version,
    about = "A local OCI API emulator (Object Storage, Resource Manager) that verifies every request's signature"
)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the address is printed as `listening on http://ADDR`).
    #[arg(long)]
    listen: SocketAddr,
    /// The Object Storage namespace.
    #[arg(long, default_value = "galleyemu")]
    namespace: String,
    /// Trust an API key: KEY_ID=PUBLIC_PEM_PATH, KEY_ID being `<tenancy OCID>/<user OCID>/<fingerprint>`. Repeatable.
    #[arg(long = "api-key", value_name = "KEY_ID=PUBLIC_PEM_PATH")]
    api_keys: Vec<String>,
    /// The test resource principal's session token (an RPST JWT); requests signed with keyId `ST$<token>` are
    /// checked against --rp-public-key. Re-read on every such request, so it can be rotated.
    #[arg(long, requires = "rp_public_key")]
    rp_token_file: Option<PathBuf>,
    /// The public key (PEM) of the test resource principal's signing key.
    #[arg(long, requires = "rp_token_file")]
    rp_public_key: Option<PathBuf>,
    /// Keep Object Storage data in this directory (default: in memory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Refuse requests whose date is further than this from the clock.
    #[arg(long, default_value_t = 300)]
    max_skew_seconds: u32,
    /// A bucket that exists from the start. Repeatable.
    #[arg(long = "bucket", value_name = "NAME")]
    buckets: Vec<String>,
    /// The compartment the --bucket buckets are in.
    #[arg(long, default_value = "ocid1.compartment.oc1..galleyemulator")]
    compartment_id: String,
    /// The terraform binary Resource Manager jobs run (a name on PATH or a path).
    #[arg(long, env = "GALLEY_EMULATOR_TERRAFORM_BIN", default_value = "terraform")]
    terraform_bin: String,
    /// How long a Resource Manager job stays ACCEPTED, and at least IN_PROGRESS, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    rm_step_ms: u64,
    /// The time limit of each terraform command of a job; the job FAILS with JOB_TIMEOUT past it.
    #[arg(long, default_value_t = 1800)]
    terraform_timeout_secs: u64,
}

fn keys(args: &Args) -> Result<Keys, SetupError> {
    let mut keys = Keys::default();
    for flag in &args.api_keys {
        let (key_id, path) = flag.split_once('=').ok_or_else(|| SetupError::BadApiKeyFlag(flag.clone()))?;
        if key_id.is_empty() || path.is_empty() {
            return Err(SetupError::BadApiKeyFlag(flag.clone()));
        }
        let key = PublicKey::from_pem_file(std::path::Path::new(path))?;
        let named = key_id.rsplit('/').next().unwrap_or_default();
        if named != key.fingerprint() {
            tracing::warn!(
                key_id,
                fingerprint = key.fingerprint(),
                "the keyId's fingerprint is not this key's (OCI would refuse; the emulator goes by keyId)"
            );
        }
        tracing::info!(key_id, fingerprint = key.fingerprint(), "trusting API key");
        keys.add_api_key(key_id, key);
    }
    if let (Some(token_file), Some(public_key)) = (&args.rp_token_file, &args.rp_public_key) {
        let token = std::fs::read_to_string(token_file)
            .map_err(|source| SetupError::Read { path: token_file.clone(), source })?;
        if token.trim().is_empty() {
            return Err(SetupError::EmptyToken { path: token_file.clone() });
        }
        let public_key = PublicKey::from_pem_file(public_key)?;
        tracing::info!(fingerprint = public_key.fingerprint(), token_file = %token_file.display(), "trusting resource principal token");
        keys.set_resource_principal(ResourcePrincipal {
            token: TokenSource::File(token_file.clone()),
            public_key,
        });
    }
    Ok(keys)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("galley-emulator: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_env("GALLEY_LOG")
                .unwrap_or_else(|_| EnvFilter::new("galley_emulator=info,warn")),
        )
        .init();
    let args = Args::parse();
    let keys = keys(&args)?;
    if keys.api_key_count() == 0 && !keys.has_resource_principal() {
        tracing::warn!("no --api-key and no --rp-token-file: every request will be refused (401)");
    }
    let state = AppState::new(Config {
        namespace: args.namespace.clone(),
        keys,
        max_skew: Some(SignedDuration::from_secs(i64::from(args.max_skew_seconds))),
        data_dir: args.data_dir.clone(),
        buckets: args.buckets.clone(),
        compartment_id: args.compartment_id.clone(),
        resource_manager: galley_emulator::resourcemanager::Settings {
            terraform_bin: args.terraform_bin.clone(),
            command_timeout: Duration::from_secs(args.terraform_timeout_secs.max(1)),
            step_delay: Duration::from_millis(args.rm_step_ms),
            pass_env: galley_emulator::resourcemanager::Settings::env_from_process(),
        },
        ..Config::default()
    })?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(namespace = args.namespace, data_dir = ?args.data_dir, terraform = args.terraform_bin, "galley-emulator ready");
    eprintln!("listening on http://{addr}");
    axum::serve(listener, galley_emulator::app(state)).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

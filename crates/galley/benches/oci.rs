//! `cargo bench -p galley --bench oci`: figures of Galley's OCI access against galley-emulator (served in-process,
//! verifying every signature), with the real `galley serve` process (release build).
//!
//! Prints:
//! - the latency of the same read (Object Storage GetNamespace, and ListObjects of 20 objects) through
//!   `oci_sdk_call` (native: signed by galley-oci) and through `run_oci_cli` (Oracle's `oci` CLI, a Python process
//!   per call; needs `GALLEY_OCI_CLI_BIN` pointing at one, e.g. a venv with .ci/oci/requirements.txt, else that
//!   half is skipped with the reason), and the ratio;
//! - the store conformance suite's duration on the local store, the memory store and `OciStore` on the emulator.
//!
//! Numbers, not assertions: these machines are shared and noisy, so nothing here fails on a slow run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods, clippy::print_stdout)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use galley_emulator::{AppState, Config, Keys, PublicKey};
use galley_oci::client::{ClientConfig, OciClient};
use galley_oci::key::PrivateKey;
use galley_oci::{Env, OciStore};
use galley_store::{LocalStore, MemoryStore, Store};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_galley");
const TOKEN: &str = "bench-token-0123456789abcdef";
const NS: &str = "galleybench";
const BUCKET: &str = "bench";
const TENANCY: &str = "ocid1.tenancy.oc1..galleybench";
const USER: &str = "ocid1.user.oc1..galleybench";
const SDK_CALLS: usize = 200;
const CLI_CALLS: usize = 10;
const CONFORMANCE_RUNS: usize = 3;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Serves the emulator on `runtime`; returns its URL and a HOME with `~/.oci/config` for its trusted key.
fn emulator(runtime: &tokio::runtime::Runtime, dir: &Path) -> String {
    let key = PrivateKey::generate().unwrap();
    write(&dir.join("home/.oci/key.pem"), &key.private_key_pkcs8_pem().unwrap());
    write(
        &dir.join("home/.oci/config"),
        &format!(
            "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file=~/.oci/key.pem\n",
            key.fingerprint()
        ),
    );
    let mut keys = Keys::default();
    keys.add_api_key(
        format!("{TENANCY}/{USER}/{}", key.fingerprint()),
        PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap(),
    );
    let state = AppState::new(Config {
        namespace: NS.into(),
        keys,
        buckets: vec![BUCKET.into()],
        ..Config::default()
    })
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = galley_emulator::app(state);
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, app).await
    });
    url
}

fn oci_env(home: &Path, endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", home.display().to_string()),
        ("GALLEY_OCI_AUTH", "api_key".to_owned()),
        ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", endpoint.to_owned()),
    ]
}

async fn start_galley(env: &[(&str, String)], cli: Option<&str>) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("GALLEY_OCI_") || k.starts_with("OCI_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store", "memory://", "--token", TOKEN])
        .env("GALLEY_LOG", "warn")
        .env("GALLEY_OCI_CLI_BIN", cli.unwrap_or("/nonexistent/oci"))
        .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server =
        Server { child: cmd.spawn().unwrap(), url: format!("http://127.0.0.1:{port}/mcp?token={TOKEN}") };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/healthz")).send().await
            && r.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("galley did not start");
}

/// Calls a tool; panics on an error result (a benchmark of failures would measure nothing useful).
async fn call(http: &reqwest::Client, url: &str, tool: &str, args: &Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}});
    let r = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&body)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["result"]["isError"] != json!(true), "{tool} {args} failed: {v}");
    v["result"]["structuredContent"].clone()
}

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len();
    let pick = |q: f64| samples[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
    Stats { p50: pick(0.5), p99: pick(0.99), mean: samples.iter().sum::<Duration>() / n as u32 }
}

async fn measure(http: &reqwest::Client, url: &str, tool: &str, args: &Value, n: usize) -> Stats {
    for _ in 0..2 {
        call(http, url, tool, args).await; // warm-up: connections, the lazily built OCI client, page cache
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        call(http, url, tool, args).await;
        samples.push(started.elapsed());
    }
    stats(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn print_stats(label: &str, n: usize, s: &Stats) {
    println!("  {label:<44} n={n:<4} p50 {:>10}  p99 {:>10}  mean {:>10}", ms(s.p50), ms(s.p99), ms(s.mean));
}

async fn conformance(store: Arc<dyn Store>) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..CONFORMANCE_RUNS {
        let started = Instant::now();
        galley_store::conformance::run_all(Arc::clone(&store)).await;
        runs.push(started.elapsed());
    }
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let emulator_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let endpoint = emulator(&emulator_rt, dir.path());
    let home = dir.path().join("home");
    let env = oci_env(&home, &endpoint);
    let cli = std::env::var("GALLEY_OCI_CLI_BIN").ok().filter(|s| !s.trim().is_empty());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let server = start_galley(&env, cli.as_deref()).await;
        let http = reqwest::Client::new();
        let url = server.url.clone();
        // 20 objects to list.
        for i in 0..20 {
            let args = json!({"service": "object_storage", "operation": "put_object", "parameters": {
                "namespace_name": NS, "bucket_name": BUCKET, "object_name": format!("bench/obj-{i:02}"),
                "put_object_body": format!("object {i}")}});
            call(&http, &url, "oci_sdk_call", &args).await;
        }
        println!("galley {} against galley-emulator (in-process, signatures verified)", env!("CARGO_PKG_VERSION"));
        let reads: [(&str, Value, Value); 2] = [
            (
                "GetNamespace",
                json!({"service": "object_storage", "operation": "get_namespace"}),
                json!({"args": ["os", "ns", "get"]}),
            ),
            (
                "ListObjects (20 objects)",
                json!({"service": "object_storage", "operation": "list_objects", "parameters":
                    {"namespace_name": NS, "bucket_name": BUCKET, "prefix": "bench/"}}),
                json!({"args": ["os", "object", "list", "--bucket-name", BUCKET, "--prefix", "bench/"]}),
            ),
        ];
        for (name, sdk_args, cli_args) in reads {
            println!("{name}:");
            let sdk = measure(&http, &url, "oci_sdk_call", &sdk_args, SDK_CALLS).await;
            print_stats("oci_sdk_call (native)", SDK_CALLS, &sdk);
            match &cli {
                Some(_) => {
                    let via_cli = measure(&http, &url, "run_oci_cli", &cli_args, CLI_CALLS).await;
                    print_stats("run_oci_cli (Oracle's oci CLI)", CLI_CALLS, &via_cli);
                    println!(
                        "  ratio run_oci_cli / oci_sdk_call: p50 {:.0}x, mean {:.0}x",
                        via_cli.p50.as_secs_f64() / sdk.p50.as_secs_f64(),
                        via_cli.mean.as_secs_f64() / sdk.mean.as_secs_f64()
                    );
                }
                None => println!(
                    "  run_oci_cli: skipped (set GALLEY_OCI_CLI_BIN to an `oci` CLI, e.g. a venv with .ci/oci/requirements.txt)"
                ),
            }
        }
        drop(server);

        println!("store conformance suite (median of {CONFORMANCE_RUNS} runs):");
        let local = LocalStore::open(dir.path().join("local-store")).unwrap();
        let local = conformance(Arc::new(local)).await;
        println!("  {:<44} {:>10}", "local store (file://, fsync)", ms(local));
        let memory = conformance(Arc::new(MemoryStore::new())).await;
        println!("  {:<44} {:>10}", "memory store", ms(memory));
        let oci_env = Env::from_pairs(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let provider = galley_oci::auth::provider_from_env(&oci_env).await.unwrap();
        let client = OciClient::new(provider, ClientConfig { env: oci_env, ..ClientConfig::default() }).unwrap();
        let store = OciStore::from_url(client, &format!("oci://{NS}/{BUCKET}/conformance")).unwrap();
        let oci = conformance(Arc::new(store)).await;
        println!("  {:<44} {:>10}", "OciStore on the emulator (HTTP, signed)", ms(oci));
        println!("  ratio OciStore / local: {:.1}x", oci.as_secs_f64() / local.as_secs_f64());
    });
}

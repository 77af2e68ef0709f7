//! `cargo bench -p galley --bench terraform`: Galley's Terraform runs against terraform by hand.
//!
//! Prints (median of several runs, wall-clock on this machine):
//! - the second `run_terraform_plan` of an unchanged, applied workspace through MCP (Galley: files synced, init
//!   skipped, state over the loopback http backend from the store, plan saved to the store) vs `terraform plan`
//!   by hand in a prepared directory with local state; and the ratio;
//! - the same with pending changes (Galley saves the plan and reads its digest from the plan's own `-json`
//!   stream) vs `terraform plan -out` by hand;
//! - the first plan of a new workspace (init + plan) with the plugin cache warm;
//! - with a provider: when a filesystem mirror holds hashicorp/aws (`GALLEY_BENCH_PROVIDER_MIRROR`, default
//!   `/opt/tf-plugins`, as on our machines), the first plan of new workspaces that require it, the first with the
//!   plugin cache cold and then warm (Galley runs with `GALLEY_TERRAFORM_ALLOW_EXEC=1` there, since aws is outside
//!   the allow-list, and with the operator's `TF_CLI_CONFIG_FILE` pointing at the mirror).
//!
//! Numbers, not assertions: these machines are shared and noisy. Needs `terraform` on PATH.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods, clippy::print_stdout)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_galley");
const TOKEN: &str = "bench-token-0123456789abcdef";
const RUNS: usize = 9;
const CONFIG: &str = "resource \"terraform_data\" \"a\" {\n  input = \"hello\"\n}\n\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.output\n}\n\noutput \"x\" {\n  value = terraform_data.b.output\n}\n";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn call(http: &reqwest::Client, url: &str, tool: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}});
    let v: Value = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result = &v["result"];
    assert_ne!(result["isError"], true, "{tool}: {v}");
    result["structuredContent"].clone()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn terraform(dir: &Path, args: &[&str]) {
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", dir.join("none.tfrc"))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn by_hand(args: &[&str], pending: bool) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("none.tfrc"), "").unwrap();
    std::fs::write(dir.path().join("main.tf"), CONFIG).unwrap();
    terraform(dir.path(), &["init", "-input=false"]);
    if !pending {
        terraform(dir.path(), &["apply", "-input=false", "-auto-approve"]);
    }
    terraform(dir.path(), args);
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                terraform(dir.path(), args);
                t.elapsed()
            })
            .collect(),
    )
}

fn start_galley(store: &Path, work: &Path, extra_env: &[(&str, String)]) -> (Server, String, u16) {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store"])
        .arg(format!("file://{}", store.display()))
        .args(["--token", TOKEN])
        .env("GALLEY_TERRAFORM_WORK_DIR", work)
        .env("GALLEY_LOG", "warn")
        .env_remove("TF_CLI_CONFIG_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    (Server(cmd.spawn().unwrap()), format!("http://127.0.0.1:{port}/mcp?token={TOKEN}"), port)
}

async fn wait_healthy(http: &reqwest::Client, port: u16) {
    for _ in 0..300 {
        if http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// First plans of new workspaces requiring hashicorp/aws from a filesystem mirror: cache cold, then warm.
fn with_provider(rt: &tokio::runtime::Runtime) -> Option<(Duration, Duration)> {
    let mirror =
        std::env::var("GALLEY_BENCH_PROVIDER_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".to_owned());
    let version_dir = Path::new(&mirror).join("registry.terraform.io/hashicorp/aws");
    let version = std::fs::read_dir(&version_dir).ok()?.filter_map(Result::ok).next()?.file_name();
    let version = version.to_string_lossy().into_owned();
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let rc = work.path().join("mirror.tfrc");
    std::fs::write(
        &rc,
        format!("provider_installation {{\n  filesystem_mirror {{\n    path = \"{mirror}\"\n  }}\n}}\n"),
    )
    .unwrap();
    let env =
        [("GALLEY_TERRAFORM_ALLOW_EXEC", "1".to_owned()), ("TF_CLI_CONFIG_FILE", rc.display().to_string())];
    let (_server, url, port) = start_galley(store.path(), work.path(), &env);
    let config = format!(
        "terraform {{\n  required_providers {{\n    aws = {{ source = \"hashicorp/aws\", version = \"{version}\" }}\n  }}\n}}\n\n{CONFIG}"
    );
    rt.block_on(async {
        let http = reqwest::Client::new();
        wait_healthy(&http, port).await;
        let mut times = Vec::new();
        for _ in 0..3 {
            let s = call(
                &http,
                &url,
                "create_session",
                json!({"customer": "Bench", "project": "TF", "locale": "en"}),
            )
            .await;
            let sid = s["session_id"].as_str().unwrap().to_owned();
            let files = json!([{"name": "main.tf", "content": config}]);
            let t = Instant::now();
            let r = call(&http, &url, "run_terraform_plan", json!({"session_id": sid, "files": files})).await;
            assert_eq!(r["plan"]["init_ran"], true);
            times.push(t.elapsed());
        }
        Some((times[0], median(times[1..].to_vec())))
    })
}

fn main() {
    if !Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success()) {
        println!("terraform is not on PATH: nothing to measure");
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (server, url, port) = start_galley(store.path(), work.path(), &[]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (unchanged, pending, first) = rt.block_on(async {
        let http = reqwest::Client::new();
        wait_healthy(&http, port).await;
        let new_workspace = || async {
            let s = call(
                &http,
                &url,
                "create_session",
                json!({"customer": "Bench", "project": "TF", "locale": "en"}),
            )
            .await;
            let sid = s["session_id"].as_str().unwrap().to_owned();
            call(
                &http,
                &url,
                "write_terraform_files",
                json!({"session_id": sid, "files": [{"name": "main.tf", "content": CONFIG}]}),
            )
            .await;
            sid
        };
        // First plan of a new workspace (init + plan), the plugin cache warm from earlier runs.
        let mut firsts = Vec::new();
        for _ in 0..3 {
            let sid = new_workspace().await;
            let t = Instant::now();
            call(&http, &url, "run_terraform_plan", json!({"session_id": sid})).await;
            firsts.push(t.elapsed());
        }
        // Pending changes: every plan has a digest to compute.
        let sid = new_workspace().await;
        let p = call(&http, &url, "run_terraform_plan", json!({"session_id": sid})).await;
        let mut pending = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            call(&http, &url, "run_terraform_plan", json!({"session_id": sid})).await;
            pending.push(t.elapsed());
        }
        // Applied and unchanged.
        call(&http, &url, "run_terraform_apply", json!({"session_id": sid, "plan_id": p["plan"]["plan_id"]}))
            .await;
        call(&http, &url, "run_terraform_plan", json!({"session_id": sid})).await;
        let mut unchanged = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = call(&http, &url, "run_terraform_plan", json!({"session_id": sid})).await;
            assert_eq!(r["plan"]["changes"], false);
            unchanged.push(t.elapsed());
        }
        (median(unchanged), median(pending), median(firsts))
    });
    drop(server);
    let hand_unchanged = by_hand(&["plan", "-input=false"], false);
    let hand_pending = by_hand(&["plan", "-input=false", "-out=p.tfplan"], true);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("terraform plan, median of {RUNS} (terraform_data, 2 resources + 1 output):");
    println!(
        "  second plan, unchanged applied workspace: galley {:.0} ms, terraform by hand {:.0} ms, ratio {:.2}x",
        ms(unchanged),
        ms(hand_unchanged),
        ms(unchanged) / ms(hand_unchanged)
    );
    println!(
        "  plan with pending changes (saved, digest from the plan's stream): galley {:.0} ms, terraform plan -out by hand {:.0} ms, ratio {:.2}x",
        ms(pending),
        ms(hand_pending),
        ms(pending) / ms(hand_pending)
    );
    println!("  first plan of a new workspace (init + plan, plugin cache warm): galley {:.0} ms", ms(first));
    match with_provider(&rt) {
        Some((cold, warm)) => println!(
            "  first plan of a new workspace requiring hashicorp/aws from a filesystem mirror: plugin cache cold {:.0} ms, warm {:.0} ms",
            ms(cold),
            ms(warm)
        ),
        None => println!(
            "  (no hashicorp/aws in a filesystem mirror: set GALLEY_BENCH_PROVIDER_MIRROR to measure with a provider)"
        ),
    }
}

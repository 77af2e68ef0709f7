//! `cargo bench -p galley --bench terraform`: Galley's Terraform runs against terraform by hand.
//!
//! Prints (median of several runs, wall-clock on this machine):
//! - the second `run_terraform_plan` of an unchanged, applied workspace through MCP (Galley: files synced, init
//!   skipped, state over the loopback http backend from the store, plan saved to the store) vs `terraform plan`
//!   by hand in a prepared directory with local state; and the ratio;
//! - the same with pending changes (Galley also runs `terraform show -json` for the digest) vs `terraform plan
//!   -out` by hand;
//! - the first plan of a new workspace (init + plan) with the plugin cache warm.
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

fn main() {
    if !Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success()) {
        println!("terraform is not on PATH: nothing to measure");
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let server = Server(
        Command::new(BIN)
            .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store"])
            .arg(format!("file://{}", store.path().display()))
            .args(["--token", TOKEN])
            .env("GALLEY_TERRAFORM_WORK_DIR", work.path())
            .env("GALLEY_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}/mcp?token={TOKEN}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (unchanged, pending, first) = rt.block_on(async {
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
        // First plan of a new workspace (init + plan + show), the plugin cache warm from earlier runs.
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
        "  plan with pending changes (galley adds show -json): galley {:.0} ms, terraform plan -out by hand {:.0} ms, ratio {:.2}x",
        ms(pending),
        ms(hand_pending),
        ms(pending) / ms(hand_pending)
    );
    println!(
        "  first plan of a new workspace (init + plan + show, plugin cache warm): galley {:.0} ms",
        ms(first)
    );
}

//! `cargo bench -p galley --bench serve`: figures of the real `galley serve` process (release build).
//!
//! Prints: time from process start to the first answered `tools/list`; idle RSS; `save_answer` and
//! `get_hearing_result` throughput and p50/p99 latency over HTTP at 32 concurrent clients on the local store
//! (each client its own session, and all clients on one session). Numbers, not assertions: these machines are
//! shared and noisy, so nothing here fails on a slow run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods, clippy::print_stdout)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_galley");
const TOKEN: &str = "bench-token-0123456789abcdef";
const CLIENTS: usize = 32;
const CALLS_PER_CLIENT: usize = 100;

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn body(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

async fn post(http: &reqwest::Client, url: &str, b: &Value) -> Result<Value, String> {
    let raw = post_raw(http, url, b).await?;
    serde_json::from_slice(&raw).map_err(|e| e.to_string())
}

/// Like `post`, but returns the raw body (no JSON parse on the client side).
async fn post_raw(http: &reqwest::Client, url: &str, b: &Value) -> Result<Vec<u8>, String> {
    let r = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(b)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("status {}", r.status()));
    }
    r.bytes().await.map(|b| b.to_vec()).map_err(|e| e.to_string())
}

async fn start(store: &str) -> (Server, Duration) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/mcp?token={TOKEN}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let child = Command::new(BIN)
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store", store, "--token", TOKEN])
        .env("GALLEY_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let list = body("tools/list", json!({}));
    loop {
        if let Ok(v) = post(&http, &url, &list).await
            && v["result"]["tools"].is_array()
        {
            break;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
        assert!(started.elapsed() < Duration::from_secs(30), "galley did not answer tools/list");
    }
    (Server { child, url }, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort_unstable();
    println!(
        "{name:<46} {:>6} calls  {:>8.0} calls/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Runs `clients` clients, each making `CALLS_PER_CLIENT` calls built by `make(client, i)`.
async fn load(
    url: &str,
    clients: usize,
    make: impl Fn(usize, usize) -> Value + Send + Sync + Clone + 'static,
) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, make) = (url.to_owned(), make.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut lat = Vec::with_capacity(CALLS_PER_CLIENT);
            for i in 0..CALLS_PER_CLIENT {
                let b = make(c, i);
                let t = Instant::now();
                let raw = post_raw(&http, &url, &b).await.unwrap();
                lat.push(t.elapsed());
                // The load clients share the 2 cores with the server: they check the answer without parsing it.
                let text = String::from_utf8_lossy(&raw);
                assert!(
                    text.contains("\"result\"") && !text.contains("\"isError\":true"),
                    "call failed: {text}"
                );
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all, started.elapsed())
}

fn answer_for(q: &Value, n: usize) -> Value {
    match q["type"].as_str().unwrap_or_default() {
        "single_choice" => {
            let c = q["choices"].as_array().unwrap();
            c[n % c.len()]["value"].clone()
        }
        "multi_choice" => {
            let c = q["choices"].as_array().unwrap();
            json!([c[n % c.len()]["value"].clone()])
        }
        "number" => json!(q["min"].as_f64().unwrap_or(0.0) as i64 + (n % 5) as i64),
        "boolean" => json!(n.is_multiple_of(2)),
        _ => json!(format!("answer {n}")),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("galley serve benchmark ({} clients x {} calls, release build, local file store)", CLIENTS, CALLS_PER_CLIENT);
        // 1. start-up to first answered tools/list
        let mut startups = Vec::new();
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let (server, took) = start(&format!("file://{}", dir.path().display())).await;
            startups.push(took);
            drop(server);
        }
        startups.sort_unstable();
        println!(
            "start-up to first tools/list answer:          median {:.1} ms, min {:.1} ms, max {:.1} ms (10 runs)",
            percentile(&startups, 0.5).as_secs_f64() * 1e3,
            startups[0].as_secs_f64() * 1e3,
            startups[startups.len() - 1].as_secs_f64() * 1e3
        );

        let dir = tempfile::tempdir().unwrap();
        let (server, _) = start(&format!("file://{}", dir.path().display())).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("idle RSS after start-up:                      {:.1} MiB", rss_kib(server.child.id()) as f64 / 1024.0);

        let http = reqwest::Client::new();
        let catalog = post(&http, &server.url, &body("tools/call", json!({"name": "list_hearing_questions", "arguments": {}})))
            .await
            .unwrap();
        let questions: Vec<Value> = catalog["result"]["structuredContent"]["questions"].as_array().unwrap().clone();
        let mut sessions = Vec::new();
        for c in 0..CLIENTS {
            let v = post(&http, &server.url, &body("tools/call", json!({"name": "create_session", "arguments": {"customer": format!("c{c}"), "project": "bench"}})))
                .await
                .unwrap();
            sessions.push(v["result"]["structuredContent"]["session_id"].as_str().unwrap().to_owned());
        }

        let (qs, ss) = (questions.clone(), sessions.clone());
        let (lat, wall) = load(&server.url, CLIENTS, |_, _| body("ping", json!({}))).await;
        report("ping (32 clients: HTTP + MCP floor, no tool)", lat, wall);
        let (qs1, ss1) = (questions.clone(), sessions.clone());
        let (lat, wall) = load(&server.url, 1, move |c, i| {
            let q = &qs1[i % qs1.len()];
            body("tools/call", json!({"name": "save_answer", "arguments": {"session_id": ss1[c], "question_id": q["id"], "value": answer_for(q, i)}}))
        })
        .await;
        report("save_answer (1 client: service time)", lat, wall);
        let ss1 = sessions.clone();
        let (lat, wall) = load(&server.url, 1, move |c, _| {
            body("tools/call", json!({"name": "get_hearing_result", "arguments": {"session_id": ss1[c]}}))
        })
        .await;
        report("get_hearing_result (1 client: service time)", lat, wall);

        let (lat, wall) = load(&server.url, CLIENTS, move |c, i| {
            let q = &qs[i % qs.len()];
            body("tools/call", json!({"name": "save_answer", "arguments": {"session_id": ss[c], "question_id": q["id"], "value": answer_for(q, i)}}))
        })
        .await;
        report("save_answer (32 clients, own session each)", lat, wall);

        let (qs, shared) = (questions.clone(), sessions[0].clone());
        let (lat, wall) = load(&server.url, CLIENTS, move |c, i| {
            let q = &qs[(c * CALLS_PER_CLIENT + i) % qs.len()];
            body("tools/call", json!({"name": "save_answer", "arguments": {"session_id": shared, "question_id": q["id"], "value": answer_for(q, i)}}))
        })
        .await;
        report("save_answer (32 clients, one shared session)", lat, wall);

        let ss = sessions.clone();
        let (lat, wall) = load(&server.url, CLIENTS, move |c, _| {
            body("tools/call", json!({"name": "get_hearing_result", "arguments": {"session_id": ss[c]}}))
        })
        .await;
        report("get_hearing_result (32 clients)", lat, wall);

        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("RSS after the load:                           {:.1} MiB", rss_kib(server.child.id()) as f64 / 1024.0);
    });
}

//! The one integration-test binary: drives the real `galley` process over its CLI, stdio and HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)] // tests spawn the binary under test

mod check_terraform;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod deploy;
mod design;
mod iac;
mod oci;
mod oci_cli;
mod rm;
mod terraform;

const BIN: &str = env!("CARGO_BIN_EXE_galley");
const TOKEN: &str = "test-token-0123456789abcdef";

fn galley() -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("GALLEY_STORE").env_remove("GALLEY_AUTH_TOKEN").env_remove("GALLEY_MODE");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `galley serve --http`, killed on drop. Its stderr is collected.
struct Server {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(store: &str, extra: &[&str]) -> Server {
        Self::start_with(store, &["--token", TOKEN], extra)
    }

    fn start_with(store: &str, auth: &[&str], extra: &[&str]) -> Server {
        let port = free_port();
        let mut cmd = galley();
        cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store", store]).args(auth).args(extra);
        Self::spawn(cmd, port)
    }

    /// Spawns a prepared `galley serve --http 127.0.0.1:<port> ...` command, collects its stderr and waits for
    /// `/healthz`.
    fn spawn(mut cmd: Command, port: u16) -> Server {
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let server = Server { child, port, stderr };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(200) = reqwest::blocking_get(&format!("{}/healthz", self.base())) {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!("galley did not become healthy; stderr:\n{}", self.stderr());
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp?token={TOKEN}", self.base())
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

mod reqwest {
    //! Tiny blocking helpers over reqwest's async client (one runtime per call is fine in tests).
    pub fn blocking_get(url: &str) -> Result<u16, ::reqwest::Error> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { ::reqwest::get(url).await.map(|r| r.status().as_u16()) })
    }
}

/// An MCP client over stateless Streamable HTTP (plain JSON-RPC POSTs).
#[derive(Clone)]
struct Mcp {
    http: ::reqwest::Client,
    url: String,
}

impl Mcp {
    fn new(url: String) -> Mcp {
        Mcp { http: ::reqwest::Client::new(), url }
    }

    async fn post(&self, body: Value) -> ::reqwest::Response {
        self.http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn rpc(&self, method: &str, params: Value) -> Value {
        let resp = self.post(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await;
        assert_eq!(resp.status(), 200, "{method}");
        let v: Value = resp.json().await.unwrap();
        v
    }

    /// Calls a tool; returns (is_error, structured content or text).
    async fn call(&self, tool: &str, args: Value) -> (bool, Value) {
        let v = self.rpc("tools/call", json!({"name": tool, "arguments": args})).await;
        let result = &v["result"];
        assert!(result.is_object(), "{tool}: no result in {v}");
        let is_error = result["isError"].as_bool().unwrap_or(false);
        let payload = if result["structuredContent"].is_object() {
            result["structuredContent"].clone()
        } else {
            Value::String(result["content"][0]["text"].as_str().unwrap_or_default().to_owned())
        };
        (is_error, payload)
    }

    async fn ok(&self, tool: &str, args: Value) -> Value {
        let (is_error, v) = self.call(tool, args).await;
        assert!(!is_error, "{tool} failed: {v}");
        v
    }

    async fn err(&self, tool: &str, args: Value) -> String {
        let (is_error, v) = self.call(tool, args).await;
        assert!(is_error, "{tool} should have failed: {v}");
        v.as_str().unwrap_or_default().to_owned()
    }
}

/// POSTs `tools/list` to `url` with optional extra headers (e.g. Host, Authorization); returns the response.
async fn tools_list_with(url: &str, headers: &[(&str, &str)]) -> ::reqwest::Response {
    let mut req = ::reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

fn store_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// A valid answer for a catalog question; `round` varies it where the type allows.
fn valid_value(q: &Value, round: usize) -> Value {
    match q["type"].as_str().unwrap() {
        "text" => json!(format!("answer {round} to {}", q["id"].as_str().unwrap())),
        "single_choice" => {
            let choices = q["choices"].as_array().unwrap();
            choices[round % choices.len()]["value"].clone()
        }
        "multi_choice" => {
            let choices = q["choices"].as_array().unwrap();
            json!([choices[round % choices.len()]["value"].clone()])
        }
        "number" => {
            let min = q["min"].as_f64().unwrap_or(0.0);
            let max = q["max"].as_f64().unwrap_or(min + 100.0);
            json!((min + round as f64).min(max) as i64)
        }
        "boolean" => json!(round.is_multiple_of(2)),
        other => panic!("unknown type {other}"),
    }
}

#[test]
fn version_and_help() {
    let out = galley().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("galley {}", env!("CARGO_PKG_VERSION")));
    let out = galley().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--stdio", "--http", "--token", "--store", "--allowed-host", "--mode"] {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

#[test]
fn doctor_reports_store_and_fails_on_unusable_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = galley().args(["doctor", "--store", &store_url(dir.path())]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("store: ok"), "{text}");
    for line in ["terraform:", "oci:", "kubectl:", "oci auth:"] {
        assert!(text.contains(line), "doctor lacks {line}: {text}");
    }
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = galley().args(["doctor", "--store", &store_url(&file)]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("store: FAIL"));
}

#[test]
fn refuses_bad_configuration_with_one_clear_line() {
    let port = free_port();
    for (args, expect) in [
        (vec!["serve", "--http", "0.0.0.0:0", "--store", "memory://"], "without a token"),
        (vec!["serve", "--store", "s3://bucket"], "unsupported store URL"),
        (vec!["serve", "--store", "memory://", "--http", "127.0.0.1:0", "--token", "short"], "at least 16"),
    ] {
        let out = galley().args(&args).env("GALLEY_HTTP_ADDR", format!("127.0.0.1:{port}")).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

#[test]
fn a_token_that_begins_with_a_hyphen_is_a_token_not_an_option() {
    // URL-safe base64 (Python's secrets.token_urlsafe, Galley's own generator) starts with `-` one time in 64.
    let token = "-Lhyphen-first-0123456789";
    let server = Server::start_with("memory://", &["--token", token], &[]);
    rt().block_on(async {
        let v = Mcp::new(format!("{}/mcp?token={token}", server.base())).rpc("tools/list", json!({})).await;
        assert!(v["result"]["tools"].as_array().unwrap().len() >= 8, "{v}");
    });
}

#[test]
fn loopback_without_token_generates_one_and_prints_the_url() {
    let server = Server::start_with("memory://", &[], &[]);
    let err = server.stderr();
    let line = err.lines().find(|l| l.contains("/mcp?token=")).expect("URL printed");
    let url = line.trim().to_owned();
    let token = url.rsplit("token=").next().unwrap();
    assert!(token.len() >= 43, "{token}");
    rt().block_on(async {
        let resp = Mcp::new(format!("{}/mcp", server.base()))
            .post(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
            .await;
        assert_eq!(resp.status(), 401);
        let v = Mcp::new(url).rpc("tools/list", json!({})).await;
        assert!(v["result"]["tools"].as_array().unwrap().len() >= 8);
    });
}

#[test]
fn http_auth_health_hosts_and_limits() {
    let server = Server::start("memory://", &[]);
    rt().block_on(async {
        let http = ::reqwest::Client::new();
        // healthz: no auth, no secrets
        let r = http.get(format!("{}/healthz", server.base())).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains("\"ok\"") && !body.contains(TOKEN));
        // no token / wrong token: 401 JSON before MCP
        for url in [format!("{}/mcp", server.base()), format!("{}/mcp?token=wrong-token-0123456789", server.base())] {
            let r = Mcp::new(url).post(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"})).await;
            assert_eq!(r.status(), 401);
            assert!(r.headers().get("www-authenticate").is_some());
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "unauthorized");
            assert!(!v.to_string().contains(TOKEN));
        }
        // OAuth discovery probes get 401, not 400 (Claude Desktop probes these)
        let r = http.get(format!("{}/.well-known/oauth-protected-resource", server.base())).send().await.unwrap();
        assert_eq!(r.status(), 401);
        // bearer header works
        let bearer = format!("Bearer {TOKEN}");
        let r = tools_list_with(&format!("{}/mcp", server.base()), &[("authorization", &bearer)]).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("mcp-session-id").is_none(), "HTTP must be stateless");
        // DNS-rebinding protection on loopback
        let r = tools_list_with(&server.mcp_url(), &[("host", "evil.example")]).await;
        assert_eq!(r.status(), 403);
        // a huge payload is refused, the server survives
        let big = "x".repeat(5 * 1024 * 1024);
        let r = Mcp::new(server.mcp_url())
            .post(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_session","arguments":{"customer":big,"project":"p"}}}))
            .await;
        assert_eq!(r.status(), 413);
        let v = Mcp::new(server.mcp_url()).rpc("tools/list", json!({})).await;
        assert!(v["result"]["tools"].is_array());
    });
    let log = server.stderr();
    assert!(!log.contains(TOKEN), "token leaked into the log:\n{log}");
    assert!(log.contains("path=/mcp"), "access log missing:\n{log}");
}

#[test]
fn allowed_hosts_are_configurable() {
    let server = Server::start("memory://", &["--allowed-host", "galley.example.com"]);
    rt().block_on(async {
        let r = tools_list_with(&server.mcp_url(), &[("host", "galley.example.com")]).await;
        assert_eq!(r.status(), 200);
    });
}

#[test]
fn hearing_over_http_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&store_url(dir.path()), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let created = mcp.ok("create_session", json!({"customer": "Acme", "project": "EC", "locale": "en"})).await;
        let sid = created["session_id"].as_str().unwrap().to_owned();
        assert!(!created["next_questions"].as_array().unwrap().is_empty());
        let catalog = mcp.ok("list_hearing_questions", json!({"locale": "en"})).await;
        let questions = catalog["questions"].as_array().unwrap().clone();

        // wrong inputs: each a clear isError naming the problem
        let num = questions.iter().find(|q| q["type"] == "number").unwrap();
        let choice = questions.iter().find(|q| q["type"] == "single_choice" && q["allow_other"].is_null()).unwrap();
        let e = mcp.err("save_answer", json!({"session_id": sid, "question_id": num["id"], "value": "lots"})).await;
        assert!(e.contains("takes a number"), "{e}");
        let e = mcp.err("save_answer", json!({"session_id": sid, "question_id": choice["id"], "value": "zzz"})).await;
        assert!(e.contains("valid values:") && e.contains(choice["choices"][0]["value"].as_str().unwrap()), "{e}");
        let e = mcp.err("save_answer", json!({"session_id": sid, "question_id": "nope.nothing", "value": 1})).await;
        assert!(e.contains("unknown question id"), "{e}");
        let e = mcp.err("get_session", json!({"session_id": "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b"})).await;
        assert!(e.contains("no session"), "{e}");
        let e = mcp.err("get_session", json!({"session_id": "../../etc/passwd"})).await;
        assert!(e.contains("not a session id"), "{e}");
        let e = mcp.err("save_answer", json!({"session_id": sid, "value": 1})).await;
        assert!(e.contains("question_id"), "{e}");

        // batch: all or nothing
        let before = mcp.ok("get_session", json!({"session_id": sid})).await;
        let e = mcp
            .err(
                "save_answers_batch",
                json!({"session_id": sid, "answers": [
                    {"question_id": questions[0]["id"], "value": valid_value(&questions[0], 0)},
                    {"question_id": num["id"], "value": "lots"}]}),
            )
            .await;
        assert!(e.contains("[1]") && e.contains("nothing was saved"), "{e}");
        let after = mcp.ok("get_session", json!({"session_id": sid})).await;
        assert_eq!(before["revision"], after["revision"]);

        // answer everything, one assumption
        let answers: Vec<Value> = questions
            .iter()
            .skip(1)
            .map(|q| json!({"question_id": q["id"], "value": valid_value(q, 1)}))
            .collect();
        mcp.ok("save_answers_batch", json!({"session_id": sid, "answers": answers})).await;
        let saved = mcp
            .ok(
                "save_answer",
                json!({"session_id": sid, "question_id": questions[0]["id"], "value": valid_value(&questions[0], 1), "source": "assumption", "note": "from the RFP"}),
            )
            .await;
        assert!(saved["progress"]["required_open"].as_array().unwrap().is_empty(), "{saved}");
        let done = mcp.ok("complete_hearing", json!({"session_id": sid})).await;
        assert_eq!(done["status"], "completed");
        let e = mcp.err("save_answer", json!({"session_id": sid, "question_id": questions[0]["id"], "value": valid_value(&questions[0], 0)})).await;
        assert!(e.contains("completed"), "{e}");

        let result = mcp.ok("get_hearing_result", json!({"session_id": sid})).await;
        assert_eq!(result["status"], "completed");
        let mut read_back = 0;
        for cat in result["categories"].as_array().unwrap() {
            for r in cat["requirements"].as_array().unwrap() {
                let q = questions.iter().find(|q| q["id"] == r["question_id"]).unwrap();
                assert_eq!(r["value"], valid_value(q, 1), "{}", q["id"]);
                read_back += 1;
            }
        }
        assert_eq!(read_back, questions.len());
        assert_eq!(result["assumptions"][0]["question_id"], questions[0]["id"]);

        let list = mcp.ok("list_sessions", json!({})).await;
        assert_eq!(list["sessions"][0]["session_id"], sid.as_str());
    });
    // the session is a parseable document in the store, at the documented key
    let doc = dir.path().join("sessions");
    let entries: Vec<_> = std::fs::read_dir(&doc).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn read_only_mode_hides_mutating_tools() {
    let server = Server::start("memory://", &["--mode", "read-only"]);
    rt().block_on(async {
        let v = Mcp::new(server.mcp_url()).rpc("tools/list", json!({})).await;
        let names: Vec<&str> =
            v["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"get_hearing_result") && names.contains(&"list_sessions"));
        assert!(!names.contains(&"create_session") && !names.contains(&"save_answer"), "{names:?}");
    });
}

/// Parallel saves on one session, over two replicas sharing one store directory: nothing is lost.
#[test]
fn concurrent_saves_across_replicas_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = Server::start(&store_url(dir.path()), &[]);
    let b = Server::start(&store_url(dir.path()), &[]);
    let (ma, mb) = (Mcp::new(a.mcp_url()), Mcp::new(b.mcp_url()));
    rt().block_on(async {
        let sid =
            ma.ok("create_session", json!({"customer": "C", "project": "P"})).await["session_id"].clone();
        let questions =
            ma.ok("list_hearing_questions", json!({})).await["questions"].as_array().unwrap().clone();
        for round in [2usize, 3] {
            let mut tasks = Vec::new();
            for (i, q) in questions.iter().enumerate() {
                let client = if i % 2 == 0 { ma.clone() } else { mb.clone() };
                let args = json!({"session_id": sid, "question_id": q["id"], "value": valid_value(q, round)});
                tasks.push(tokio::spawn(async move { client.ok("save_answer", args).await }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        }
        let session = mb.ok("get_session", json!({"session_id": sid})).await;
        let answers = session["answers"].as_array().unwrap();
        assert_eq!(answers.len(), questions.len());
        for q in &questions {
            let a = answers.iter().find(|a| a["question_id"] == q["id"]).unwrap();
            assert_eq!(a["value"], valid_value(q, 3), "{}", q["id"]);
        }
        assert_eq!(session["revision"], json!(1 + 2 * questions.len()));
    });
}

/// A writer killed with SIGKILL in the middle of a stream of writes leaves every stored document parseable.
#[test]
fn sigkill_mid_write_leaves_every_document_parseable() {
    let dir = tempfile::tempdir().unwrap();
    for attempt in 0..3u64 {
        let mut server = Server::start(&store_url(dir.path()), &[]);
        let mcp = Mcp::new(server.mcp_url());
        let runtime = rt();
        runtime.block_on(async {
            let sid = mcp.ok("create_session", json!({"customer": "C", "project": "P"})).await["session_id"].clone();
            let questions = mcp.ok("list_hearing_questions", json!({})).await["questions"].as_array().unwrap().clone();
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut writers = Vec::new();
            for w in 0..8usize {
                let (mcp, questions, sid, stop) = (mcp.clone(), questions.clone(), sid.clone(), Arc::clone(&stop));
                writers.push(tokio::spawn(async move {
                    let mut n = w;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let q = &questions[n % questions.len()];
                        let args = json!({"session_id": sid, "question_id": q["id"], "value": valid_value(q, n)});
                        let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"save_answer","arguments":args}});
                        if mcp.http.post(&mcp.url).header("accept", "application/json, text/event-stream").json(&body).send().await.is_err() {
                            break;
                        }
                        let _ = mcp.http.post(&mcp.url).header("accept", "application/json, text/event-stream")
                            .json(&json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_session","arguments":{"customer":"C","project":format!("p{n}")}}}))
                            .send().await;
                        n += 8;
                    }
                }));
            }
            tokio::time::sleep(Duration::from_millis(300 + 150 * attempt)).await;
            // SIGKILL: no chance to clean up
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            for w in writers {
                let _ = w.await;
            }
        });
    }
    let mut docs = 0;
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains('~') {
                continue; // lock stripes and temp files: never visible as documents
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let mut s = String::new();
                std::fs::File::open(&p).unwrap().read_to_string(&mut s).unwrap();
                serde_json::from_str::<Value>(&s)
                    .unwrap_or_else(|err| panic!("{} is not JSON after SIGKILL: {err}", p.display()));
                docs += 1;
            }
        }
    }
    assert!(docs > 3, "the writers wrote too little to prove anything ({docs} documents)");
    // and a restarted server reads them all
    let server = Server::start(&store_url(dir.path()), &[]);
    rt().block_on(async {
        let list = Mcp::new(server.mcp_url()).ok("list_sessions", json!({"limit": 100})).await;
        assert!(!list["sessions"].as_array().unwrap().is_empty());
    });
}

#[test]
fn stdio_serves_a_hearing() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = galley()
        .args(["serve", "--stdio", "--store", &store_url(dir.path())])
        // HTTP settings in the environment (as in the container) must not stop a stdio run
        .env("GALLEY_AUTH_TOKEN", TOKEN)
        .env("GALLEY_ALLOWED_HOSTS", "galley.example.com")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut send = |v: Value| {
        writeln!(stdin, "{v}").unwrap();
        stdin.flush().unwrap();
    };
    let mut recv = || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        serde_json::from_str::<Value>(&line).unwrap()
    };
    send(
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
    );
    let init = recv();
    assert_eq!(init["result"]["serverInfo"]["name"], "galley");
    assert!(init["result"]["instructions"].as_str().unwrap().contains("session_id"));
    send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
    send(
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_session","arguments":{"customer":"A","project":"B","locale":"ja"}}}),
    );
    let created = recv();
    let sid = created["result"]["structuredContent"]["session_id"].as_str().unwrap().to_owned();
    send(
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_session","arguments":{"session_id":sid}}}),
    );
    let got = recv();
    assert_eq!(got["result"]["structuredContent"]["customer"], "A");
    let _ = send;
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "stdio server exits cleanly when stdin closes");
}

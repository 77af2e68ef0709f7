//! Terraform through the MCP tools of the real `galley serve`, with the real `terraform` binary and the
//! provider-less `terraform_data` resource: the error loop, stale plans, the lock, destroy, refusals and a
//! restart in the middle of an apply.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Mcp, Server, TOKEN, free_port, galley, rt, store_url};

/// Whether terraform runs here; without it the tests print why they skip (or fail under GALLEY_REQUIRE_TOOLS=1).
pub(super) fn terraform_available(test: &str) -> bool {
    let ok = Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("GALLEY_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{test}: terraform is not on PATH and GALLEY_REQUIRE_TOOLS=1"
        );
        eprintln!("skipping {test}: terraform is not on PATH");
    }
    ok
}

fn serve(store: &Path, work: &Path, allow_exec: bool) -> Server {
    serve_with(store, work, allow_exec, &[])
}

fn serve_with(store: &Path, work: &Path, allow_exec: bool, env: &[(&str, String)]) -> Server {
    let port = free_port();
    let mut cmd = galley();
    cmd.args([
        "serve",
        "--http",
        &format!("127.0.0.1:{port}"),
        "--store",
        &store_url(store),
        "--token",
        TOKEN,
    ])
    .env("GALLEY_TERRAFORM_WORK_DIR", work)
    .env("GALLEY_TERRAFORM_ALLOW_EXEC", if allow_exec { "1" } else { "0" })
    .env_remove("TF_CLI_CONFIG_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server::spawn(cmd, port)
}

async fn new_session(mcp: &Mcp) -> String {
    let s = mcp.ok("create_session", json!({"customer": "Acme", "project": "Infra", "locale": "en"})).await;
    s["session_id"].as_str().unwrap().to_owned()
}

const GOOD: &str = "resource \"terraform_data\" \"a\" {\n  input = \"hello\"\n}\n\noutput \"greeting\" {\n  value = terraform_data.a.output\n}\n\noutput \"secret\" {\n  value     = \"hunter2\"\n  sensitive = true\n}\n";
const BAD: &str = "resource \"terraform_data\" \"a\" {\n  input = \"hello\"\n  bogus = 1\n}\n";

#[test]
fn plan_fix_apply_destroy_through_the_tools() {
    if !terraform_available("plan_fix_apply_destroy_through_the_tools") {
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = serve(store.path(), work.path(), false);
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let sid = new_session(&mcp).await;

        // A mistake: the error names the file and line, quotes the line, and carries a hint.
        mcp.ok(
            "write_terraform_files",
            json!({"session_id": sid, "files": [{"name": "main.tf", "content": BAD}]}),
        )
        .await;
        let err = mcp.err("run_terraform_plan", json!({"session_id": sid})).await;
        assert!(err.contains("main.tf:3: Unsupported argument"), "{err}");
        assert!(err.contains("\"start_line\": 3") && err.contains("bogus = 1"), "{err}");
        assert!(err.contains("terraform_unsupported_argument"), "hint attached: {err}");

        // Fix it in the plan call itself: a clean plan with a digest and a plan_id.
        let plan = mcp
            .ok(
                "run_terraform_plan",
                json!({"session_id": sid, "files": [{"name": "main.tf", "content": GOOD}]}),
            )
            .await;
        assert_eq!(plan["status"], "succeeded", "{plan}");
        assert_eq!(plan["plan"]["digest"]["create"], json!(["terraform_data.a"]), "{plan}");
        let plan_id = plan["plan"]["plan_id"].as_str().unwrap().to_owned();

        // A second plan of the unchanged workspace reuses the working directory without init.
        let again = mcp.ok("run_terraform_plan", json!({"session_id": sid})).await;
        assert_eq!(again["plan"]["init_ran"], false, "{again}");

        // Apply the first plan: outputs, the sensitive one masked.
        let applied = mcp.ok("run_terraform_apply", json!({"session_id": sid, "plan_id": plan_id})).await;
        assert_eq!(applied["apply"]["outputs"]["greeting"]["value"], "hello", "{applied}");
        assert_eq!(applied["apply"]["outputs"]["secret"]["value"], "(sensitive)");
        assert!(!applied.to_string().contains("hunter2"));
        assert_eq!(applied["apply"]["applied"][0]["address"], "terraform_data.a");

        // The second plan was made before that apply: its state is gone, so it is refused; so is a replay.
        let stale = again["plan"]["plan_id"].as_str().unwrap();
        let err = mcp.err("run_terraform_apply", json!({"session_id": sid, "plan_id": stale})).await;
        assert!(err.contains("stale") && err.contains("state changed"), "{err}");
        let err = mcp.err("run_terraform_apply", json!({"session_id": sid, "plan_id": plan_id})).await;
        assert!(err.contains("stale") || err.contains("already applied"), "{err}");

        // A plan without changes has no plan_id: nothing to apply.
        let p = mcp.ok("run_terraform_plan", json!({"session_id": sid})).await;
        assert_eq!(p["plan"]["changes"], false, "{p}");
        assert!(p["plan"].get("plan_id").is_none(), "{p}");

        // A plan made before a file change is refused.
        let changed = GOOD.replace("hello", "bonjour");
        let main = json!([{"name": "main.tf", "content": changed}]);
        let p = mcp.ok("run_terraform_plan", json!({"session_id": sid, "files": main})).await;
        assert_eq!(p["plan"]["digest"]["update"], json!(["terraform_data.a"]), "{p}");
        let extra = json!([{"name": "extra.tf", "content": "locals {\n  x = 1\n}\n"}]);
        mcp.ok("write_terraform_files", json!({"session_id": sid, "files": extra})).await;
        let err =
            mcp.err("run_terraform_apply", json!({"session_id": sid, "plan_id": p["plan"]["plan_id"]})).await;
        assert!(err.contains("workspace's files changed"), "{err}");
        mcp.ok("delete_terraform_file", json!({"session_id": sid, "name": "extra.tf"})).await;

        // Destroy: a plan first (nothing destroyed), then exactly that plan.
        let dp = mcp.ok("run_terraform_destroy", json!({"session_id": sid})).await;
        assert_eq!(dp["plan"]["digest"]["destroy"], json!(["terraform_data.a"]), "{dp}");
        let err = mcp
            .err("run_terraform_apply", json!({"session_id": sid, "plan_id": dp["plan"]["plan_id"]}))
            .await;
        assert!(err.contains("destroy plan"), "{err}");
        let done = mcp
            .ok("run_terraform_destroy", json!({"session_id": sid, "plan_id": dp["plan"]["plan_id"]}))
            .await;
        assert_eq!(done["apply"]["applied"][0]["action"], "delete", "{done}");

        // The workspace tools.
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert_eq!(listed["files"], json!([{"name": "main.tf", "bytes": changed.len()}]), "{listed}");
        assert!(listed["state"]["serial"].as_u64().unwrap() >= 2, "{listed}");
        let read = mcp.ok("read_terraform_file", json!({"session_id": sid, "name": "main.tf"})).await;
        assert!(read["content"].as_str().unwrap().contains("bonjour"));
        let err = mcp
            .err(
                "write_terraform_files",
                json!({"session_id": sid, "files": [{"name": "../x.tf", "content": ""}]}),
            )
            .await;
        assert!(err.contains("directory"), "{err}");
        mcp.ok("delete_terraform_file", json!({"session_id": sid, "name": "main.tf"})).await;
        let err = mcp.err("run_terraform_plan", json!({"session_id": sid})).await;
        assert!(err.contains("no .tf files"), "{err}");
    });
    // The state is an object in the store, and no run left credentials behind.
    let state = std::fs::read_dir(store.path().join("tfstate")).unwrap().count();
    assert_eq!(state, 1);
    assert!(!server.stderr().contains("TF_HTTP_PASSWORD"));
}

#[test]
fn escape_hatches_are_refused_before_terraform_runs() {
    if !terraform_available("escape_hatches_are_refused_before_terraform_runs") {
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = serve(store.path(), work.path(), false);
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let sid = new_session(&mcp).await;
        let tf = "resource \"terraform_data\" \"a\" {\n  provisioner \"local-exec\" {\n    command = \"touch /tmp/galley-pwned\"\n  }\n}\n";
        let err = mcp
            .err("run_terraform_plan", json!({"session_id": sid, "files": [{"name": "main.tf", "content": tf}]}))
            .await;
        assert!(err.contains("main.tf:2: [provisioner]"), "{err}");
        assert!(err.contains("GALLEY_TERRAFORM_ALLOW_EXEC"), "{err}");
    });
    assert!(
        !work.path().join(server_session_dirs(work.path()).unwrap_or_default()).join(".terraform").exists()
    );
}

fn server_session_dirs(work: &Path) -> Option<String> {
    std::fs::read_dir(work)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.len() == 36)
}

const SLOW: &str = "resource \"terraform_data\" \"slow\" {\n  input = \"v1\"\n  provisioner \"local-exec\" {\n    command = \"sleep 6\"\n  }\n}\n";

#[test]
fn one_run_per_workspace_and_a_restart_interrupts_the_job() {
    if !terraform_available("one_run_per_workspace_and_a_restart_interrupts_the_job") {
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = serve(store.path(), work.path(), true);
    let (sid, job) = rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let sid = new_session(&mcp).await;
        let plan = mcp
            .ok(
                "run_terraform_plan",
                json!({"session_id": sid, "files": [{"name": "main.tf", "content": SLOW}]}),
            )
            .await;
        let plan_id = plan["plan"]["plan_id"].as_str().unwrap().to_owned();
        let started = mcp
            .ok("run_terraform_apply", json!({"session_id": sid, "plan_id": plan_id, "wait_seconds": 1}))
            .await;
        assert_eq!(started["status"], "running", "{started}");
        let job = started["job_id"].as_str().unwrap().to_owned();
        // A second run on the same workspace is refused, naming the job.
        let err = mcp.err("run_terraform_plan", json!({"session_id": sid})).await;
        assert!(err.contains(&format!("locked by job {job}")), "{err}");
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert_eq!(listed["locked_by_job"], job.as_str());
        let seen = mcp.ok("get_job", json!({"job_id": job})).await;
        assert_eq!(seen["status"], "running", "{seen}");
        (sid, job)
    });
    // Kill galley in the middle of the apply and start a new one on the same store.
    let _ = server.child.kill();
    let _ = server.child.wait();
    std::thread::sleep(Duration::from_millis(200));
    server = serve(store.path(), work.path(), true);
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let seen = mcp.ok("get_job", json!({"job_id": job})).await;
        assert_eq!(seen["status"], "interrupted", "{seen}");
        assert!(seen["error"]["message"].as_str().unwrap().contains("stopped"), "{seen}");
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert!(listed.get("locked_by_job").is_none(), "lock released: {listed}");
        // The stored state is usable: a new plan runs (the lock is free) and sees a consistent state.
        let deadline = Instant::now() + Duration::from_secs(20);
        let plan = loop {
            let (is_error, v) = mcp.call("run_terraform_plan", json!({"session_id": sid})).await;
            if !is_error || Instant::now() > deadline {
                assert!(!is_error, "{v}");
                break v;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert_eq!(plan["status"], "succeeded", "{plan}");
        // Apply it to completion: the state continues from the store.
        let plan_id = plan["plan"]["plan_id"].clone();
        if plan["plan"]["changes"] == true {
            let done = mcp
                .ok("run_terraform_apply", json!({"session_id": sid, "plan_id": plan_id, "wait_seconds": 30}))
                .await;
            assert_eq!(done["status"], "succeeded", "{done}");
        }
        let after = mcp.ok("run_terraform_plan", json!({"session_id": sid})).await;
        assert_eq!(after["plan"]["changes"], false, "{after}");
        let _: Value = after;
    });
}

/// Plans `main_tf` in a new session, starts applying it, and waits until the running job's log shows `needle`.
/// Returns the session and the job.
async fn apply_until(mcp: &Mcp, main_tf: &str, needle: &str) -> (String, String) {
    let sid = new_session(mcp).await;
    let files = json!([{"name": "main.tf", "content": main_tf}]);
    let plan = mcp.ok("run_terraform_plan", json!({"session_id": sid, "files": files})).await;
    let plan_id = plan["plan"]["plan_id"].as_str().unwrap().to_owned();
    let started = mcp
        .ok("run_terraform_apply", json!({"session_id": sid, "plan_id": plan_id, "wait_seconds": 0}))
        .await;
    let job = started["job_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = mcp.ok("get_job", json!({"job_id": job, "log_lines": 50})).await;
        assert_eq!(seen["status"], "running", "{seen}");
        if seen["log_tail"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains(needle)) {
            return (sid, job);
        }
        assert!(Instant::now() < deadline, "the log never showed {needle:?}: {seen}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

const FIRST_THEN_SLOW: &str = "resource \"terraform_data\" \"first\" {\n  input = \"v1\"\n}\n\nresource \"terraform_data\" \"slow\" {\n  input = terraform_data.first.output\n  provisioner \"local-exec\" {\n    command = \"sleep 120\"\n  }\n}\n";

#[test]
fn cancel_job_stops_an_apply_and_the_state_keeps_what_it_did() {
    if !terraform_available("cancel_job_stops_an_apply_and_the_state_keeps_what_it_did") {
        return;
    }
    let (store, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = serve(store.path(), work.path(), true);
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        // The first resource is created and the slow one is in its provisioner.
        let (sid, job) = apply_until(&mcp, FIRST_THEN_SLOW, "local-exec").await;
        // Bad ids are refused with what to pass instead.
        assert!(mcp.err("cancel_job", json!({"job_id": "nope"})).await.contains("not a job id"));
        let unknown = uuid::Uuid::now_v7().to_string();
        assert!(mcp.err("cancel_job", json!({"job_id": unknown})).await.contains("no job"));

        // The cancel answers well before the 120 s provisioner would end.
        let canceled = mcp.ok("cancel_job", json!({"job_id": job, "wait_seconds": 45})).await;
        assert_eq!(canceled["status"], "canceled", "{canceled}");
        let message = canceled["error"]["message"].as_str().unwrap();
        assert!(message.contains("apply canceled"), "{message}");
        assert!(message.contains("terraform_data.first"), "what was done before the stop: {message}");
        assert!(canceled["next_step"].as_str().unwrap().contains("run_terraform_plan"), "{canceled}");
        // Canceling again changes nothing; get_job agrees.
        let again = mcp.ok("cancel_job", json!({"job_id": job, "wait_seconds": 0})).await;
        assert_eq!(again["status"], "canceled");
        assert_eq!(mcp.ok("get_job", json!({"job_id": job})).await["status"], "canceled");

        // The lock is free and the state has the first resource: the next plan only deals with the slow one.
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert!(listed.get("locked_by_job").is_none(), "lock released: {listed}");
        let after = mcp.ok("run_terraform_plan", json!({"session_id": sid})).await;
        let digest = &after["plan"]["digest"];
        let touched: Vec<&str> = ["create", "update", "replace", "destroy"]
            .iter()
            .flat_map(|k| digest[*k].as_array().unwrap().iter().map(|v| v.as_str().unwrap()))
            .collect();
        assert!(touched.contains(&"terraform_data.slow"), "{after}");
        assert!(!touched.contains(&"terraform_data.first"), "first is in the state: {after}");
    });
}

/// Terraform whose apply ignores the interrupt, as it does while a provider's create call that does not honour
/// the stop runs (an OCI create can take many minutes): every other command is the real terraform.
const STUBBORN_TERRAFORM: &str = "#!/bin/sh\nif [ \"$1\" = apply ]; then\n  trap '' INT\n  echo '{\"@level\":\"info\",\"@message\":\"terraform_data.a: Creating... (a long create)\",\"type\":\"apply_start\"}'\n  sleep 120\n  exit 1\nfi\nexec terraform \"$@\"\n";

#[test]
fn a_forced_cancel_kills_a_run_that_a_graceful_cancel_cannot_stop() {
    if !terraform_available("a_forced_cancel_kills_a_run_that_a_graceful_cancel_cannot_stop") {
        return;
    }
    let (store, work, bin) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let program = bin.path().join("terraform-stubborn");
    std::fs::write(&program, STUBBORN_TERRAFORM).unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let server = serve_with(
        store.path(),
        work.path(),
        false,
        &[("GALLEY_TERRAFORM_BIN", program.display().to_string())],
    );
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let (sid, job) = apply_until(&mcp, GOOD, "a long create").await;
        let graceful = mcp.ok("cancel_job", json!({"job_id": job, "wait_seconds": 3})).await;
        assert_eq!(graceful["status"], "running", "the interrupt is ignored: {graceful}");
        assert!(graceful["next_step"].as_str().unwrap().contains("Stopping"), "{graceful}");
        let forced = mcp.ok("cancel_job", json!({"job_id": job, "force": true, "wait_seconds": 30})).await;
        assert_eq!(forced["status"], "canceled", "{forced}");
        let message = forced["error"]["message"].as_str().unwrap();
        assert!(message.contains("killed (forced)"), "{message}");
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert!(listed.get("locked_by_job").is_none(), "lock released: {listed}");
    });
}

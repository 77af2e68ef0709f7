//! Resource Manager through the real `galley` process against galley-emulator (served in-process, its RM jobs
//! run the real `terraform` on the stack's zip): a stack from a session's workspace (created once, then
//! updated), plan → apply of exactly that plan → status with outputs, stale and foreign plans refused, destroy
//! with confirmation, a broken configuration's Terraform error in the status, and the write modes.

use serde_json::{Value, json};

use super::oci::{Emulator, serve};
use super::{Mcp, rt, store_url};

const COMPARTMENT: &str = "ocid1.compartment.oc1..rmtest";

const GOOD: &str = r#"variable "greeting" {
  type = string
}

resource "terraform_data" "hello" {
  input = var.greeting
}

output "hello" {
  value = terraform_data.hello.output
}
"#;

const BROKEN: &str = r#"resource "terraform_data" "hello" {
  input = terraform_data.missing.output
}
"#;

fn env(emu: &Emulator) -> Vec<(&'static str, String)> {
    let mut env = emu.api_key_env();
    env.push(("GALLEY_OCI_ENDPOINT_RESOURCEMANAGER", emu.url.clone()));
    env.push(("GALLEY_WORK_COMPARTMENT_ID", COMPARTMENT.into()));
    env.push(("GALLEY_RM_POLL_MS", "200".into()));
    env
}

async fn new_session(mcp: &Mcp, main_tf: &str) -> String {
    let sid = mcp.ok("create_session", json!({"customer": "Acme", "project": "RM", "locale": "en"})).await
        ["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    mcp.ok(
        "write_terraform_files",
        json!({"session_id": sid, "files": [{"name": "main.tf", "content": main_tf}]}),
    )
    .await;
    sid
}

/// Waits for a run_rm_* result to finish (through get_job when it outlived its call).
async fn finished(mcp: &Mcp, run: Value) -> Value {
    let mut run = run;
    for _ in 0..30 {
        if run["status"] != "running" {
            return run;
        }
        let job = mcp.ok("get_job", json!({"job_id": run["job_id"], "wait_seconds": 10})).await;
        if job["status"] == "succeeded" {
            run["status"] = job["status"].clone();
            run["result"] = job["result"].clone();
            return run;
        }
        assert_eq!(job["status"], "running", "{job}");
    }
    panic!("the RM job did not finish: {run}");
}

/// run_rm_plan on the session's stack, followed until it finishes.
async fn rm_plan(mcp: &Mcp, sid: &str) -> Value {
    finished(mcp, mcp.ok("run_rm_plan", json!({"session_id": sid, "wait_seconds": 50})).await).await
}

#[test]
fn rm_stack_plan_apply_status_destroy_and_errors() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&store_url(dir.path()), &env(&emu), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = new_session(&mcp, GOOD).await;
        // No stack yet: plan says what to call first.
        let e = mcp.err("run_rm_plan", json!({"session_id": sid})).await;
        assert!(e.contains("create_rm_stack"), "{e}");
        let e = mcp.err("create_rm_stack", json!({"session_id": sid, "variables": {"region": "x"}})).await;
        assert!(e.contains("Galley sets region"), "{e}");

        // Created once, then updated: one stack.
        let first =
            mcp.ok("create_rm_stack", json!({"session_id": sid, "variables": {"greeting": "hi"}})).await;
        assert_eq!(first["created"], true, "{first}");
        assert_eq!(first["compartment_id"], COMPARTMENT);
        assert_eq!(first["terraform_version"], "1.5.x");
        let stack_id = first["stack_id"].as_str().unwrap().to_owned();
        let again = mcp.ok("create_rm_stack", json!({"session_id": sid})).await;
        assert_eq!((again["created"].clone(), again["stack_id"].clone()), (json!(false), json!(stack_id)));
        assert_eq!(again["revision"], 2);
        {
            let rm = emu.state.rm();
            assert_eq!(rm.stacks.len(), 1);
            let vars = &rm.stacks[&stack_id].variables;
            assert_eq!(vars["greeting"], "hi", "earlier variables kept");
            assert_eq!(vars["region"], "us-ashburn-1");
            assert_eq!(vars["compartment_ocid"], COMPARTMENT);
            assert!(vars["tenancy_ocid"].starts_with("ocid1.tenancy."));
        }
        let record: Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("sessions/{sid}/rm.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            (record["schema_version"].clone(), record["stack_id"].clone()),
            (json!(1), json!(stack_id))
        );

        // Plan, then apply exactly that plan.
        let plan = rm_plan(&mcp, &sid).await;
        assert_eq!(plan["status"], "succeeded", "{plan}");
        let result = &plan["result"];
        assert_eq!(result["operation"], "PLAN");
        assert_eq!(result["resource_counts"], json!({"add": 1, "change": 0, "destroy": 0}), "{plan}");
        let plan_job = plan["rm_job_id"].as_str().unwrap().to_owned();
        let e = mcp
            .err("run_rm_apply", json!({"session_id": sid, "plan_job_id": "ocid1.ormjob.oc1..nope"}))
            .await;
        assert!(e.contains("not a plan job Galley ran"), "{e}");
        let apply = finished(
            &mcp,
            mcp.ok("run_rm_apply", json!({"session_id": sid, "plan_job_id": plan_job, "wait_seconds": 50}))
                .await,
        )
        .await;
        assert_eq!(apply["status"], "succeeded", "{apply}");
        assert_eq!(apply["result"]["outputs"], json!({"hello": "hi"}), "{apply}");
        assert_eq!(apply["result"]["resources"], json!(["terraform_data.hello"]));
        let apply_job = apply["rm_job_id"].as_str().unwrap().to_owned();
        assert!(emu.state.rm().jobs.contains_key(&apply_job));
        // The same plan again: the apply ran after it.
        let e = mcp.err("run_rm_apply", json!({"session_id": sid, "plan_job_id": plan_job})).await;
        assert!(e.contains("changed since plan job"), "{e}");
        let status = mcp.ok("get_rm_job_status", json!({"session_id": sid})).await;
        assert_eq!(
            (status["rm_job_id"].as_str(), status["lifecycle_state"].as_str()),
            (Some(&*apply_job), Some("SUCCEEDED"))
        );
        assert!(
            status["log_tail"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l.as_str().unwrap().contains("Apply complete")),
            "{status}"
        );

        // A plan made before the stack changed is refused.
        let plan2 = rm_plan(&mcp, &sid).await;
        mcp.ok("create_rm_stack", json!({"session_id": sid, "variables": {"greeting": "hello"}})).await;
        let e = mcp.err("run_rm_apply", json!({"session_id": sid, "plan_job_id": plan2["rm_job_id"]})).await;
        assert!(e.contains("the stack changed since"), "{e}");

        // Destroy: only with confirm; with the apply-time variables.
        let e = mcp.err("run_rm_destroy", json!({"session_id": sid})).await;
        assert!(e.contains("confirm true"), "{e}");
        let destroy = finished(
            &mcp,
            mcp.ok("run_rm_destroy", json!({"session_id": sid, "confirm": true, "wait_seconds": 50})).await,
        )
        .await;
        assert_eq!(destroy["status"], "succeeded", "{destroy}");
        assert_eq!(destroy["result"]["resource_counts"]["destroy"], 1, "{destroy}");
        assert_eq!(emu.state.rm().stacks[&stack_id].variables["greeting"], "hi");

        // A broken configuration: upload needed first, then Terraform's error in the result and the status.
        mcp.ok(
            "write_terraform_files",
            json!({"session_id": sid, "files": [{"name": "main.tf", "content": BROKEN}]}),
        )
        .await;
        let e = mcp.err("run_rm_plan", json!({"session_id": sid})).await;
        assert!(e.contains("changed since it was uploaded"), "{e}");
        mcp.ok("create_rm_stack", json!({"session_id": sid})).await;
        let (is_error, failed) =
            mcp.call("run_rm_plan", json!({"session_id": sid, "wait_seconds": 50})).await;
        assert!(is_error, "{failed}");
        let failed = failed.as_str().unwrap().to_owned();
        assert!(failed.contains("Reference to undeclared resource"), "{failed}");
        let status = mcp.ok("get_rm_job_status", json!({"session_id": sid})).await;
        assert_eq!(status["lifecycle_state"], "FAILED");
        assert!(status["terraform_errors"][0].as_str().unwrap().contains("undeclared resource"), "{status}");
        assert!(status["next_step"].as_str().unwrap().contains("write_terraform_files"));
    });
}

#[test]
fn rm_write_modes() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let plan_mode = serve(&store_url(dir.path()), &env(&emu), &["--mode", "plan"]);
    let mcp = Mcp::new(plan_mode.mcp_url());
    rt().block_on(async {
        let sid = new_session(&mcp, GOOD).await;
        mcp.ok("create_rm_stack", json!({"session_id": sid, "variables": {"greeting": "x"}})).await;
        let plan = rm_plan(&mcp, &sid).await;
        let e = mcp.err("run_rm_apply", json!({"session_id": sid, "plan_job_id": plan["rm_job_id"]})).await;
        assert!(e.contains("--mode full"), "{e}");
        let e = mcp.err("run_rm_destroy", json!({"session_id": sid, "confirm": true})).await;
        assert!(e.contains("--mode full"), "{e}");
    });
    drop(plan_mode);
    let read_only = serve(&store_url(dir.path()), &env(&emu), &["--mode", "read-only"]);
    let mcp = Mcp::new(read_only.mcp_url());
    rt().block_on(async {
        let list = mcp.rpc("tools/list", json!({})).await;
        let names: Vec<&str> =
            list["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
        assert!(names.contains(&"get_rm_job_status"), "{names:?}");
        for hidden in ["create_rm_stack", "run_rm_plan", "run_rm_apply", "run_rm_destroy"] {
            assert!(!names.contains(&hidden), "{hidden} listed in read-only mode");
        }
    });
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn export_all_writes_the_hand_off_package_locally_and_links_it_on_oci() {
    let emu = Emulator::start();
    // Local store: files under the data dir, no link, escapes refused.
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&store_url(dir.path()), &env(&emu), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = new_session(&mcp, GOOD).await;
        for bad in ["../escape", "/tmp/x", "a/../../b"] {
            let e = mcp.err("export_all", json!({"session_id": sid, "output_dir": bad})).await;
            assert!(e.contains("relative path inside Galley's export directory"), "{bad}: {e}");
        }
        mcp.ok(
            "write_terraform_files",
            json!({"session_id": sid, "files": [{"name": "terraform.tfvars", "content": "greeting = \"x\"\n"}]}),
        )
        .await;
        let out = mcp.ok("export_all", json!({"session_id": sid, "output_dir": "acme/handoff-1"})).await;
        assert!(out["notes"].to_string().contains("Left out of stack.zip: terraform.tfvars"), "{out}");
        let root = dir.path().join("exports/acme/handoff-1");
        assert_eq!(out["location"], root.display().to_string(), "{out}");
        let names: Vec<&str> =
            out["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["summary.md", "architecture.mmd", "stack.zip"]);
        assert!(out.get("deploy_url").is_none(), "{out}");
        assert!(out["summary_head"][0].as_str().unwrap().starts_with('#'), "{out}");
        let zip = std::fs::read(root.join("stack.zip")).unwrap();
        assert_eq!(out["files"][2]["bytes"], zip.len());
        assert_eq!(zip_names(&zip), ["main.tf", "schema.yaml"]);
        assert!(std::fs::read_to_string(root.join("architecture.mmd")).unwrap().starts_with("flowchart"));
    });
    drop(server);

    // OCI store: the zip is an object with a read-only PAR, and the deploy link carries its URL.
    let server = serve("oci://galleyns/galley-state/handoff", &env(&emu), &[]);
    let mcp = Mcp::new(server.mcp_url());
    let deploy = rt().block_on(async {
        let sid = new_session(&mcp, GOOD).await;
        let out =
            mcp.ok("export_all", json!({"session_id": sid, "output_dir": "acme", "link_hours": 2})).await;
        assert_eq!(out["location"], "oci://galleyns/galley-state/handoff/exports/acme", "{out}");
        assert!(out["deploy_url_expires_at"].is_string(), "{out}");
        out["deploy_url"].as_str().unwrap().to_owned()
    });
    let prefix = "https://cloud.oracle.com/resourcemanager/stacks/create?region=home&zipUrl=";
    let par_url = percent_decode(deploy.strip_prefix(prefix).unwrap_or_else(|| panic!("{deploy}")));
    assert!(par_url.starts_with(&format!("{}/p/", emu.url)), "{par_url}");
    let zip = rt().block_on(async { ::reqwest::get(&par_url).await.unwrap().bytes().await.unwrap() });
    assert_eq!(zip_names(&zip), ["main.tf", "schema.yaml"]);
    assert_eq!(
        zip.to_vec(),
        emu.state.buckets()["galley-state"].objects["handoff/exports/acme/stack.zip"].data.to_vec()
    );
    // The PAR reads nothing else, and its token is never logged.
    let other = par_url.replace("stack.zip", "summary.md");
    let status = rt().block_on(async { ::reqwest::get(&other).await.unwrap().status() });
    assert_eq!(status, 404);
    let token = par_url.split("/p/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert!(!server.stderr().contains(&token), "the PAR token is in galley's log");
}

/// `a` is created; `b` fails at apply time (its input is known only then), so the plan succeeds.
const PARTIAL: &str = r#"resource "terraform_data" "a" {
  input = timestamp()
}

resource "terraform_data" "b" {
  input = tonumber(terraform_data.a.output)
}
"#;

#[test]
fn a_partial_apply_reports_created_and_failed_resources() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&store_url(dir.path()), &env(&emu), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = new_session(&mcp, PARTIAL).await;
        mcp.ok("create_rm_stack", json!({"session_id": sid})).await;
        let plan = rm_plan(&mcp, &sid).await;
        assert_eq!(plan["result"]["resource_counts"]["add"], 2, "{plan}");
        let (is_error, text) = mcp
            .call(
                "run_rm_apply",
                json!({"session_id": sid, "plan_job_id": plan["rm_job_id"], "wait_seconds": 50}),
            )
            .await;
        assert!(is_error, "{text}");
        let text = text.as_str().unwrap().to_owned();
        assert!(text.contains("Created: terraform_data.a. Failed: terraform_data.b."), "{text}");
        let status = mcp.ok("get_rm_job_status", json!({"session_id": sid})).await;
        assert_eq!(status["lifecycle_state"], "FAILED");
        assert_eq!(status["resources"], json!(["terraform_data.a"]), "{status}");
        assert_eq!(status["failed_resources"], json!(["terraform_data.b"]), "{status}");
        assert!(
            status["terraform_errors"][0].as_str().unwrap().contains("Invalid function argument"),
            "{status}"
        );
    });
}

const SLOW: &str = r#"resource "terraform_data" "slow" {
  input = "v1"
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
"#;

#[test]
fn cancel_job_cancels_the_resource_manager_job() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&store_url(dir.path()), &env(&emu), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = new_session(&mcp, SLOW).await;
        mcp.ok("create_rm_stack", json!({"session_id": sid})).await;
        let plan = rm_plan(&mcp, &sid).await;
        let run = mcp
            .ok(
                "run_rm_apply",
                json!({"session_id": sid, "plan_job_id": plan["rm_job_id"], "wait_seconds": 2}),
            )
            .await;
        assert_eq!(run["status"], "running", "{run}");
        // While it runs, the Galley job's log follows Terraform's output in Resource Manager.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let seen = mcp.ok("get_job", json!({"job_id": run["job_id"], "log_lines": 50})).await;
            let lines = seen["log_tail"].as_array().unwrap().clone();
            if lines.iter().any(|l| l.as_str().unwrap().contains("Provisioning with 'local-exec'")) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "RM's log never reached get_job: {seen}");
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        let canceled = mcp.ok("cancel_job", json!({"job_id": run["job_id"], "wait_seconds": 45})).await;
        assert_eq!(canceled["status"], "canceled", "{canceled}");
        let message = canceled["error"]["message"].as_str().unwrap();
        assert!(message.contains("CANCELED") && message.contains("The job was canceled"), "{message}");
        let status = mcp.ok("get_rm_job_status", json!({"rm_job_id": run["rm_job_id"]})).await;
        assert_eq!(status["lifecycle_state"], "CANCELED", "{status}");
        // The stack is free again: a new plan runs.
        let again = rm_plan(&mcp, &sid).await;
        assert_eq!(again["status"], "succeeded", "{again}");
    });
}

#[test]
fn two_replicas_creating_one_sessions_stack_at_once_make_one_stack() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let a = serve(&store_url(dir.path()), &env(&emu), &[]);
    let b = serve(&store_url(dir.path()), &env(&emu), &[]);
    let (ma, mb) = (Mcp::new(a.mcp_url()), Mcp::new(b.mcp_url()));
    rt().block_on(async {
        let sid = new_session(&ma, GOOD).await;
        let args = json!({"session_id": sid, "variables": {"greeting": "hi"}});
        let (x, y) = tokio::join!(ma.ok("create_rm_stack", args.clone()), mb.ok("create_rm_stack", args));
        assert_eq!(x["stack_id"], y["stack_id"], "{x}\n{y}");
        assert_eq!(emu.state.rm().stacks.len(), 1);
        // A later call from either replica updates that stack.
        let again = mb.ok("create_rm_stack", json!({"session_id": sid})).await;
        assert_eq!(
            (again["created"].clone(), again["stack_id"].clone()),
            (json!(false), x["stack_id"].clone())
        );
        assert_eq!(emu.state.rm().stacks.len(), 1);
    });
}

//! The Resource Manager routes, served without the signature layer (signatures are tested for every route in
//! `tests/api.rs`); the job tests run the real `terraform` when it is on PATH.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::archive::tests::zip_of;
use super::*;
use crate::state::Config;

const COMPARTMENT: &str = "ocid1.compartment.oc1..rmtest";

const GOOD_TF: &str = r#"variable "name" {
  type = string
}
variable "region" {
  type    = string
  default = "none"
}
resource "terraform_data" "greeting" {
  input = "hello ${var.name} in ${var.region}"
}
output "greeting" {
  value = terraform_data.greeting.output
}
"#;

const BROKEN_TF: &str = "resource \"terraform_data\" \"x\" {\n  input = \n}\n";

struct Rm {
    router: Router,
}

fn rm_with(settings: Settings) -> Rm {
    let state = AppState::new(Config { resource_manager: settings, ..Config::default() }).unwrap();
    Rm { router: router().with_state(state) }
}

fn rm() -> Rm {
    rm_with(Settings { step_delay: Duration::from_millis(20), ..Settings::default() })
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn etag(&self) -> String {
        self.headers["etag"].to_str().unwrap().to_string()
    }
}

impl Rm {
    async fn call(&self, method: &str, uri: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
        Answer { status, headers, body }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.call("GET", uri, None, &[]).await
    }

    async fn create_stack(&self, files: &[(&str, &str)], variables: Value) -> String {
        let answer = self.call("POST", "/20180917/stacks", Some(stack_body(files, variables)), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["id"].as_str().unwrap().to_string()
    }

    async fn create_job(&self, stack_id: &str, details: Value) -> Answer {
        self.call(
            "POST",
            "/20180917/jobs",
            Some(json!({"stackId": stack_id, "jobOperationDetails": details})),
            &[],
        )
        .await
    }

    /// Polls the job until it leaves ACCEPTED / IN_PROGRESS; returns it and the states seen.
    async fn wait(&self, job_id: &str) -> (Value, Vec<String>) {
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..600 {
            let job = self.get(&format!("/20180917/jobs/{job_id}")).await.json();
            let state = job["lifecycleState"].as_str().unwrap().to_string();
            if seen.last() != Some(&state) {
                seen.push(state.clone());
            }
            if !["ACCEPTED", "IN_PROGRESS", "CANCELING"].contains(&state.as_str()) {
                return (job, seen);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {job_id} did not finish: {seen:?}");
    }

    async fn run(&self, stack_id: &str, details: Value) -> (Value, Vec<String>) {
        let created = self.create_job(stack_id, details).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.text());
        assert_eq!(created.json()["lifecycleState"], "ACCEPTED");
        self.wait(created.json()["id"].as_str().unwrap()).await
    }
}

fn stack_body(files: &[(&str, &str)], variables: Value) -> Value {
    json!({
        "compartmentId": COMPARTMENT,
        "displayName": "test stack",
        "configSource": {"configSourceType": "ZIP_UPLOAD", "zipFileBase64Encoded": STANDARD.encode(zip_of(files))},
        "variables": variables,
        "terraformVersion": "1.5.x",
    })
}

/// Whether terraform can run here; without it, job tests are skipped unless GALLEY_REQUIRE_TOOLS=1.
async fn terraform_available() -> bool {
    let found =
        galley_runner::version_line("terraform", &["version"]).await.is_ok_and(|v| v.contains("Terraform"));
    if !found {
        let reason = "terraform is not on PATH, so the Resource Manager job test was skipped";
        assert!(
            std::env::var("GALLEY_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{reason} (GALLEY_REQUIRE_TOOLS=1)"
        );
        eprintln!("skipped: {reason}");
    }
    found
}

#[tokio::test]
async fn stack_crud_paging_and_etags() {
    let rm = rm();
    let created = rm
        .call(
            "POST",
            "/20180917/stacks",
            Some(stack_body(&[("main.tf", GOOD_TF)], json!({"name": "x"}))),
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let stack = created.json();
    let id = stack["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ocid1.ormstack."), "{id}");
    assert_eq!(stack["lifecycleState"], "ACTIVE");
    assert_eq!(stack["configSource"], json!({"configSourceType": "ZIP_UPLOAD"}));
    assert_eq!(stack["variables"], json!({"name": "x"}));
    assert_eq!(stack["terraformVersion"], "1.5.x");
    let etag = created.etag();

    let got = rm.get(&format!("/20180917/stacks/{id}")).await;
    assert_eq!((got.status, got.etag()), (StatusCode::OK, etag.clone()));

    let stale = rm
        .call(
            "PUT",
            &format!("/20180917/stacks/{id}"),
            Some(json!({"displayName": "n"})),
            &[("if-match", "nope")],
        )
        .await;
    assert_eq!((stale.status, stale.code().as_str()), (StatusCode::PRECONDITION_FAILED, "NoEtagMatch"));
    let updated = rm
        .call(
            "PUT",
            &format!("/20180917/stacks/{id}"),
            Some(json!({"displayName": "renamed", "variables": {"name": "y"}})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["displayName"], "renamed");
    assert_eq!(updated.json()["variables"], json!({"name": "y"}));
    assert_ne!(updated.etag(), etag);

    for _ in 0..2 {
        rm.create_stack(&[("main.tf", GOOD_TF)], json!({})).await;
    }
    let page1 = rm.get(&format!("/20180917/stacks?compartmentId={COMPARTMENT}&limit=2&sortOrder=ASC")).await;
    assert_eq!(page1.json().as_array().unwrap().len(), 2);
    assert_eq!(page1.json()[0]["id"], id.as_str());
    let next = page1.headers["opc-next-page"].to_str().unwrap().to_string();
    let page2 = rm
        .get(&format!("/20180917/stacks?compartmentId={COMPARTMENT}&limit=2&sortOrder=ASC&page={next}"))
        .await;
    assert_eq!(page2.json().as_array().unwrap().len(), 1);
    assert!(!page2.headers.contains_key("opc-next-page"));
    let other = rm.get("/20180917/stacks?compartmentId=ocid1.compartment.oc1..other").await;
    assert_eq!(other.json(), json!([]));

    let deleted = rm.call("DELETE", &format!("/20180917/stacks/{id}"), None, &[]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = rm.get(&format!("/20180917/stacks/{id}")).await;
    assert_eq!((gone.status, gone.code().as_str()), (StatusCode::NOT_FOUND, "NotAuthorizedOrNotFound"));
}

#[tokio::test]
async fn stack_create_refusals() {
    let rm = rm();
    let post = |body: Value| rm.call("POST", "/20180917/stacks", Some(body), &[]);
    let mut body = stack_body(&[("main.tf", GOOD_TF)], json!({}));
    body.as_object_mut().unwrap().remove("compartmentId");
    assert_eq!(post(body).await.code(), "MissingParameter");
    let mut body = stack_body(&[("main.tf", GOOD_TF)], json!({}));
    body["configSource"]["zipFileBase64Encoded"] = json!("%%%");
    assert_eq!(post(body).await.code(), "InvalidParameter");
    let traversal = post(stack_body(&[("main.tf", GOOD_TF), ("../escape.tf", "x")], json!({}))).await;
    assert_eq!((traversal.status, traversal.code().as_str()), (StatusCode::BAD_REQUEST, "InvalidParameter"));
    assert!(traversal.json()["message"].as_str().unwrap().contains("../escape.tf"));
    let no_tf = post(stack_body(&[("sub/main.tf", GOOD_TF)], json!({}))).await;
    assert!(no_tf.json()["message"].as_str().unwrap().contains("no Terraform"), "{}", no_tf.text());
    let mut body = stack_body(&[("sub/main.tf", GOOD_TF)], json!({}));
    body["configSource"]["workingDirectory"] = json!("sub");
    assert_eq!(post(body).await.status, StatusCode::OK);
    let mut body = stack_body(&[("main.tf", GOOD_TF)], json!({}));
    body["terraformVersion"] = json!("1.11.x");
    assert!(post(body).await.json()["message"].as_str().unwrap().contains("1.5.x"));
    assert_eq!(post(stack_body(&[("main.tf", GOOD_TF)], json!({"n": 1}))).await.code(), "InvalidParameter");
    let mut body = stack_body(&[("main.tf", GOOD_TF)], json!({}));
    body["configSource"] = json!({"configSourceType": "GIT_CONFIG_SOURCE"});
    assert_eq!(post(body).await.code(), "InvalidParameter");
    let bad_json =
        rm.router.clone().oneshot(Request::post("/20180917/stacks").body(Body::from("{")).unwrap()).await;
    assert_eq!(bad_json.unwrap().status(), StatusCode::BAD_REQUEST);
    let versions = rm.get("/20180917/terraformVersions?compartmentId=x").await.json();
    assert!(versions["items"].as_array().unwrap().contains(&json!({"name": "1.5.x"})));
}

#[tokio::test]
async fn retry_tokens_create_once() {
    let rm = rm();
    let body = stack_body(&[("main.tf", GOOD_TF)], json!({}));
    let a = rm.call("POST", "/20180917/stacks", Some(body.clone()), &[("opc-retry-token", "t1")]).await;
    let b = rm.call("POST", "/20180917/stacks", Some(body), &[("opc-retry-token", "t1")]).await;
    assert_eq!(a.json()["id"], b.json()["id"]);
    assert_eq!(rm.get("/20180917/stacks").await.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_locked_stack_refuses_jobs_updates_and_deletes_until_the_job_is_canceled() {
    let rm = rm_with(Settings { step_delay: Duration::from_secs(600), ..Settings::default() });
    let stack = rm.create_stack(&[("main.tf", GOOD_TF)], json!({"name": "x"})).await;
    let first = rm.create_job(&stack, json!({"operation": "PLAN"})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let job_id = first.json()["id"].as_str().unwrap().to_string();
    let second = rm.create_job(&stack, json!({"operation": "PLAN"})).await;
    assert_eq!((second.status, second.code().as_str()), (StatusCode::CONFLICT, "Conflict"));
    assert!(second.json()["message"].as_str().unwrap().contains(&job_id));
    let update =
        rm.call("PUT", &format!("/20180917/stacks/{stack}"), Some(json!({"displayName": "x"})), &[]).await;
    assert_eq!(update.status, StatusCode::CONFLICT);
    let delete = rm.call("DELETE", &format!("/20180917/stacks/{stack}"), None, &[]).await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    let no_state = rm.get(&format!("/20180917/jobs/{job_id}/tfState")).await;
    assert_eq!(no_state.status, StatusCode::CONFLICT);

    let cancel = rm.call("DELETE", &format!("/20180917/jobs/{job_id}"), None, &[]).await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT);
    let (job, _) = rm.wait(&job_id).await;
    assert_eq!(job["lifecycleState"], "CANCELED");
    assert_eq!(job["cancellationDetails"], json!({"isForced": false}));
    let again = rm.call("DELETE", &format!("/20180917/jobs/{job_id}"), None, &[]).await;
    assert_eq!((again.status, again.code().as_str()), (StatusCode::CONFLICT, "IncorrectState"));
    let delete = rm.call("DELETE", &format!("/20180917/stacks/{stack}"), None, &[]).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn job_details_are_checked() {
    let rm = rm();
    let stack = rm.create_stack(&[("main.tf", GOOD_TF)], json!({"name": "x"})).await;
    let other = rm.create_stack(&[("main.tf", GOOD_TF)], json!({"name": "x"})).await;
    let cases = [
        (json!({"operation": "APPLY"}), "MissingParameter"),
        (json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID"}), "MissingParameter"),
        (json!({"operation": "APPLY", "executionPlanStrategy": "SOMETIMES"}), "InvalidParameter"),
        (json!({"operation": "APPLY", "executionPlanStrategy": "FROM_LATEST_PLAN_JOB"}), "InvalidParameter"),
        (json!({"operation": "DESTROY", "executionPlanStrategy": "FROM_PLAN_JOB_ID"}), "InvalidParameter"),
        (json!({"operation": "IMPORT_TF_STATE"}), "InvalidParameter"),
        (json!({"operation": "MAKE_IT_SO"}), "InvalidParameter"),
        (
            json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": "ocid1.ormjob.oc1..nope"}),
            "NotAuthorizedOrNotFound",
        ),
    ];
    for (details, code) in cases {
        let answer = rm.create_job(&stack, details.clone()).await;
        assert_eq!(answer.code(), code, "{details}: {}", answer.text());
    }
    let missing = rm.create_job("ocid1.ormstack.oc1..nope", json!({"operation": "PLAN"})).await;
    assert_eq!((missing.status, missing.code().as_str()), (StatusCode::NOT_FOUND, "NotAuthorizedOrNotFound"));
    // A plan job of another stack cannot be applied here (and an unfinished one nowhere).
    let plan = rm.create_job(&other, json!({"operation": "PLAN"})).await.json();
    let plan_id = plan["id"].as_str().unwrap();
    let apply = rm
        .create_job(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": plan_id}))
        .await;
    assert!(
        apply.json()["message"].as_str().unwrap().contains("not a plan job of the stack"),
        "{}",
        apply.text()
    );
    let apply = rm
        .create_job(&other, json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": plan_id}))
        .await;
    assert_eq!(apply.code(), "InvalidParameter", "{}", apply.text());
    rm.wait(plan_id).await;
}

#[tokio::test]
async fn a_missing_terraform_fails_the_job_clearly() {
    let rm = rm_with(Settings {
        terraform_bin: "galley-no-such-terraform".into(),
        step_delay: Duration::from_millis(10),
        ..Settings::default()
    });
    let stack = rm.create_stack(&[("main.tf", GOOD_TF)], json!({"name": "x"})).await;
    let (job, _) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    assert_eq!(job["lifecycleState"], "FAILED");
    assert_eq!(job["failureDetails"]["code"], "INTERNAL_SERVICE_ERROR");
    let message = job["failureDetails"]["message"].as_str().unwrap();
    assert!(message.contains("GALLEY_EMULATOR_TERRAFORM_BIN"), "{message}");
}

#[tokio::test]
async fn plan_apply_from_the_plan_then_destroy_with_real_terraform() {
    if !terraform_available().await {
        return;
    }
    let rm = rm();
    let stack = rm
        .create_stack(
            &[("main.tf", GOOD_TF)],
            json!({"name": "galley", "region": "us-ashburn-1", "compartment_ocid": COMPARTMENT}),
        )
        .await;

    let (plan, seen) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let logs = rm.get(&format!("/20180917/jobs/{plan_id}/logs/content")).await;
    assert_eq!(plan["lifecycleState"], "SUCCEEDED", "{}", logs.text());
    assert!(seen.contains(&"IN_PROGRESS".to_string()), "{seen:?}");
    assert!(plan["timeFinished"].is_string());
    assert_eq!(logs.headers["content-type"], "text/plain; charset=utf-8");
    assert!(logs.text().contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", logs.text());
    let plan_json = rm.get(&format!("/20180917/jobs/{plan_id}/tfPlan?tfPlanFormat=JSON")).await.json();
    assert_eq!(plan_json["resource_changes"][0]["change"]["actions"], json!(["create"]));
    assert_eq!(plan_json["resource_changes"][0]["change"]["after"]["input"], "hello galley in us-ashburn-1");
    let no_state = rm.get(&format!("/20180917/jobs/{plan_id}/tfState")).await;
    assert_eq!(no_state.status, StatusCode::NOT_FOUND);

    // Structured logs: paging and the level filter.
    let entries = rm.get(&format!("/20180917/jobs/{plan_id}/logs?limit=2")).await;
    assert_eq!(entries.json().as_array().unwrap().len(), 2);
    let entry = &entries.json()[0];
    assert_eq!((entry["type"].as_str(), entry["level"].as_str()), (Some("TERRAFORM_CONSOLE"), Some("INFO")));
    assert!(entry["timestamp"].as_str().unwrap().ends_with('Z'));
    let next = entries.headers["opc-next-page"].to_str().unwrap().to_string();
    let second = rm.get(&format!("/20180917/jobs/{plan_id}/logs?limit=2&page={next}")).await.json();
    assert_ne!(second[0], entry.clone());
    let errors =
        rm.get(&format!("/20180917/jobs/{plan_id}/logs?levelGreaterThanOrEqualTo=ERROR")).await.json();
    assert_eq!(errors, json!([]));

    let (apply, _) = rm
        .run(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": plan_id}))
        .await;
    let apply_id = apply["id"].as_str().unwrap().to_string();
    let logs = rm.get(&format!("/20180917/jobs/{apply_id}/logs/content")).await.text();
    assert_eq!(apply["lifecycleState"], "SUCCEEDED", "{logs}");
    assert_eq!(apply["resolvedPlanJobId"], plan_id.as_str());
    assert_eq!(apply["jobOperationDetails"]["executionPlanStrategy"], "FROM_PLAN_JOB_ID");
    assert!(logs.contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."), "{logs}");
    let tf_state = rm.get(&format!("/20180917/jobs/{apply_id}/tfState")).await;
    assert_eq!(tf_state.headers["content-type"], "application/octet-stream");
    assert_eq!(tf_state.json()["outputs"]["greeting"]["value"], "hello galley in us-ashburn-1");
    let stack_state = rm.get(&format!("/20180917/stacks/{stack}/tfState")).await.json();
    assert_eq!(stack_state["resources"][0]["type"], "terraform_data");

    // The same plan again is stale now that the state changed: terraform's own refusal fails the job.
    let (stale, _) = rm
        .run(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": plan_id}))
        .await;
    assert_eq!(stale["lifecycleState"], "FAILED");
    let stale_logs =
        rm.get(&format!("/20180917/jobs/{}/logs/content", stale["id"].as_str().unwrap())).await.text();
    assert!(stale_logs.contains("Saved plan is stale"), "{stale_logs}");

    // A second plan sees the state: no changes.
    let (replan, _) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    let replan_logs =
        rm.get(&format!("/20180917/jobs/{}/logs/content", replan["id"].as_str().unwrap())).await.text();
    assert!(replan_logs.contains("No changes."), "{replan_logs}");

    let (destroy, _) =
        rm.run(&stack, json!({"operation": "DESTROY", "executionPlanStrategy": "AUTO_APPROVED"})).await;
    let destroy_id = destroy["id"].as_str().unwrap().to_string();
    let logs = rm.get(&format!("/20180917/jobs/{destroy_id}/logs/content")).await.text();
    assert_eq!(destroy["lifecycleState"], "SUCCEEDED", "{logs}");
    assert!(logs.contains("Destroy complete! Resources: 1 destroyed."), "{logs}");
    let stack_state = rm.get(&format!("/20180917/stacks/{stack}/tfState")).await.json();
    assert_eq!(stack_state["resources"], json!([]));

    // Jobs of the stack, newest first by default.
    let jobs = rm.get(&format!("/20180917/jobs?stackId={stack}")).await.json();
    let ops: Vec<&str> = jobs.as_array().unwrap().iter().map(|j| j["operation"].as_str().unwrap()).collect();
    assert_eq!(ops, ["DESTROY", "PLAN", "APPLY", "APPLY", "PLAN"]);
    let succeeded = rm.get(&format!("/20180917/jobs?stackId={stack}&lifecycleState=FAILED")).await.json();
    assert_eq!(succeeded.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_broken_configuration_fails_with_terraforms_message() {
    if !terraform_available().await {
        return;
    }
    let rm = rm();
    let stack = rm.create_stack(&[("main.tf", BROKEN_TF)], json!({})).await;
    let (job, _) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    assert_eq!(job["lifecycleState"], "FAILED");
    assert_eq!(job["failureDetails"]["code"], "TERRAFORM_EXECUTION_ERROR");
    let message = job["failureDetails"]["message"].as_str().unwrap();
    assert!(message.contains("Error:"), "{message}");
    let id = job["id"].as_str().unwrap();
    let logs = rm.get(&format!("/20180917/jobs/{id}/logs/content")).await.text();
    assert!(logs.contains("Error: Invalid expression"), "{logs}");
    let errors = rm.get(&format!("/20180917/jobs/{id}/logs?levelGreaterThanOrEqualTo=ERROR")).await.json();
    assert!(
        errors
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("Invalid expression"))
    );
    // A failed job releases the lock.
    let (again, _) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    assert_eq!(again["lifecycleState"], "FAILED");
}

#[tokio::test]
async fn apply_auto_approved_and_from_the_latest_plan() {
    if !terraform_available().await {
        return;
    }
    let rm = rm();
    let stack = rm.create_stack(&[("main.tf", GOOD_TF)], json!({"name": "a"})).await;
    let (apply, _) =
        rm.run(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "AUTO_APPROVED"})).await;
    assert_eq!(apply["lifecycleState"], "SUCCEEDED");
    assert_eq!(apply["applyJobPlanResolution"], json!({"isAutoApproved": true}));
    // Change a variable: the latest plan updates the resource, and applying it works.
    let update = rm
        .call("PUT", &format!("/20180917/stacks/{stack}"), Some(json!({"variables": {"name": "b"}})), &[])
        .await;
    assert_eq!(update.status, StatusCode::OK);
    let (plan, _) = rm.run(&stack, json!({"operation": "PLAN"})).await;
    let logs = rm.get(&format!("/20180917/jobs/{}/logs/content", plan["id"].as_str().unwrap())).await.text();
    assert!(logs.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{logs}");
    let (apply, _) =
        rm.run(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "FROM_LATEST_PLAN_JOB"})).await;
    assert_eq!(apply["lifecycleState"], "SUCCEEDED");
    assert_eq!(apply["resolvedPlanJobId"], plan["id"]);
    let tf_state = rm.get(&format!("/20180917/jobs/{}/tfState", apply["id"].as_str().unwrap())).await.json();
    assert_eq!(tf_state["outputs"]["greeting"]["value"], "hello b in none");
}

const FIRST_THEN_SLOW_TF: &str = r#"resource "terraform_data" "first" {
  input = "v1"
}
resource "terraform_data" "slow" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
"#;

/// Starts an auto-approved apply of FIRST_THEN_SLOW_TF and returns its id once the slow provisioner runs.
async fn apply_until_slow(rm: &Rm) -> (String, String) {
    let stack = rm.create_stack(&[("main.tf", FIRST_THEN_SLOW_TF)], json!({})).await;
    let created =
        rm.create_job(&stack, json!({"operation": "APPLY", "executionPlanStrategy": "AUTO_APPROVED"})).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let job_id = created.json()["id"].as_str().unwrap().to_string();
    for _ in 0..600 {
        let logs = rm.get(&format!("/20180917/jobs/{job_id}/logs/content")).await.text();
        if logs.contains("local-exec") {
            return (stack, job_id);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the slow provisioner never started");
}

#[tokio::test]
async fn a_graceful_cancel_interrupts_terraform_which_saves_its_state() {
    if !terraform_available().await {
        return;
    }
    let rm = rm();
    let (stack, job_id) = apply_until_slow(&rm).await;
    let cancel = rm.call("DELETE", &format!("/20180917/jobs/{job_id}"), None, &[]).await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT);
    let (job, _) = rm.wait(&job_id).await;
    assert_eq!(job["lifecycleState"], "CANCELED");
    assert_eq!(job["cancellationDetails"], json!({"isForced": false}));
    let logs = rm.get(&format!("/20180917/jobs/{job_id}/logs/content")).await.text();
    assert!(logs.contains("saved its state"), "{logs}");
    let state = rm.get(&format!("/20180917/stacks/{stack}/tfState")).await;
    assert_eq!(state.status, StatusCode::OK, "{}", state.text());
    let state = state.json();
    let names: Vec<&str> = state["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{state}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"first"),
        "what terraform created before the stop is in the stack's state: {state}"
    );
}

#[tokio::test]
async fn a_forced_cancel_kills_terraform() {
    if !terraform_available().await {
        return;
    }
    let rm = rm();
    let (_, job_id) = apply_until_slow(&rm).await;
    let cancel = rm.call("DELETE", &format!("/20180917/jobs/{job_id}?isForced=true"), None, &[]).await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT);
    let (job, _) = rm.wait(&job_id).await;
    assert_eq!(job["lifecycleState"], "CANCELED");
    assert_eq!(job["cancellationDetails"], json!({"isForced": true}));
    let logs = rm.get(&format!("/20180917/jobs/{job_id}/logs/content")).await.text();
    assert!(logs.contains("(forced); terraform was killed"), "{logs}");
}

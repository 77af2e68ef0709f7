//! The Resource Manager client against galley-emulator served in-process (signatures verified): a stack from
//! [`zip_files`], plan → apply of that plan → destroy with the real `terraform` (skipped when it is not on
//! PATH, unless `GALLEY_REQUIRE_TOOLS=1`), logs, state, the stack's lock and errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use galley_emulator::{AppState, Config, Keys, PublicKey};
use galley_oci::auth::ApiKeyProvider;
use galley_oci::client::{ClientConfig, OciClient};
use galley_oci::env::Env;
use galley_oci::error::ErrorKind;
use galley_oci::key::PrivateKey;
use galley_oci::resourcemanager::{
    ApplyPlan, CreateStack, JobOperation, LogSource, ResourceCounts, ResourceManager, UpdateStack, zip_files,
};

const TENANCY: &str = "ocid1.tenancy.oc1..rmclient";
const USER: &str = "ocid1.user.oc1..rmclient";
const COMPARTMENT: &str = "ocid1.compartment.oc1..rmclient";

const MAIN_TF: &str = r#"variable "name" {
  type = string
}

resource "terraform_data" "greeting" {
  input = "hello ${var.name}"
}

output "greeting" {
  value = terraform_data.greeting.output
}
"#;

/// The emulator on a loopback port, trusting one API key; a client signing with it.
async fn serve(step: Duration) -> ResourceManager {
    let key = PrivateKey::generate().unwrap();
    let mut keys = Keys::default();
    keys.add_api_key(
        format!("{TENANCY}/{USER}/{}", key.fingerprint()),
        PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap(),
    );
    let state = AppState::new(Config {
        keys,
        resource_manager: galley_emulator::resourcemanager::Settings {
            step_delay: step,
            ..Default::default()
        },
        ..Config::default()
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, galley_emulator::app(state)).await });
    let provider = Arc::new(ApiKeyProvider::new(TENANCY, USER, key, None));
    let env = Env::from_pairs([("GALLEY_OCI_ENDPOINT_RESOURCEMANAGER", url)]);
    let config = ClientConfig { env, region: None, ..ClientConfig::default() };
    ResourceManager::new(OciClient::new(provider, config).unwrap())
}

fn stack_details(name: &str, files: &[(&str, &str)]) -> CreateStack {
    CreateStack {
        compartment_id: COMPARTMENT.into(),
        display_name: Some(name.into()),
        zip: zip_files(files).unwrap(),
        variables: BTreeMap::from([("name".to_string(), "galley".to_string())]),
        terraform_version: Some("1.5.x".into()),
        ..CreateStack::default()
    }
}

async fn terraform_available() -> bool {
    let found =
        galley_runner::version_line("terraform", &["version"]).await.is_ok_and(|v| v.contains("Terraform"));
    if !found {
        let reason = "terraform is not on PATH, so the Resource Manager client job test was skipped";
        assert!(
            std::env::var("GALLEY_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{reason} (GALLEY_REQUIRE_TOOLS=1)"
        );
        eprintln!("skipped: {reason}");
    }
    found
}

const POLL: Duration = Duration::from_millis(50);
const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_and_the_lock() {
    let rm = serve(Duration::from_secs(600)).await;
    let created = rm.create_stack(&stack_details("client-stack", &[("main.tf", MAIN_TF)])).await.unwrap();
    assert_eq!((created.lifecycle_state.as_str(), created.display_name.as_str()), ("ACTIVE", "client-stack"));
    let etag = created.etag.clone().unwrap();
    let got = rm.get_stack(&created.id).await.unwrap();
    assert_eq!((got.etag.as_deref(), got.variables["name"].as_str()), (Some(etag.as_str()), "galley"));
    let update = UpdateStack { description: Some("d".into()), ..UpdateStack::default() };
    let stale = rm.update_stack(&created.id, &update, Some("stale")).await.unwrap_err();
    assert_eq!(stale.kind(), Some(ErrorKind::PreconditionFailed), "{stale}");
    let updated = rm.update_stack(&created.id, &update, Some(&etag)).await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("d"));
    assert_eq!(rm.list_stacks(COMPARTMENT, 5).await.unwrap().len(), 1);

    // The job waits ACCEPTED for 10 minutes here: the stack stays locked until it is canceled.
    let job = rm.create_plan_job(&created.id).await.unwrap();
    assert_eq!(job.lifecycle_state, "ACCEPTED");
    let locked = rm.create_destroy_job(&created.id).await.unwrap_err();
    assert_eq!(locked.kind(), Some(ErrorKind::Conflict), "{locked}");
    assert!(locked.to_string().contains(&job.id), "{locked}");
    assert_eq!(rm.delete_stack(&created.id, None).await.unwrap_err().kind(), Some(ErrorKind::Conflict));
    rm.cancel_job(&job.id, false).await.unwrap();
    let canceled = rm.wait_for_job(&job.id, POLL, TIMEOUT).await.unwrap();
    assert_eq!(canceled.lifecycle_state, "CANCELED");
    assert_eq!(canceled.cancellation_details.map(|c| c.is_forced), Some(false));
    let job = rm.create_plan_job(&created.id).await.unwrap();
    rm.cancel_job(&job.id, true).await.unwrap();
    let forced = rm.wait_for_job(&job.id, POLL, TIMEOUT).await.unwrap();
    assert_eq!(forced.cancellation_details.map(|c| c.is_forced), Some(true), "isForced=true sent");
    assert_eq!(rm.list_jobs(&created.id, 5).await.unwrap().len(), 2);

    let bad = rm.create_stack(&stack_details("bad", &[("README.md", "no terraform")])).await.unwrap_err();
    assert_eq!(bad.kind(), Some(ErrorKind::BadRequest), "{bad}");
    let missing_plan = rm
        .create_apply_job(&created.id, ApplyPlan::FromPlanJob("ocid1.ormjob.oc1..nope".into()))
        .await
        .unwrap_err();
    assert_eq!(missing_plan.kind(), Some(ErrorKind::NotAuthorizedOrNotFound), "{missing_plan}");
    rm.delete_stack(&created.id, None).await.unwrap();
    let gone = rm.get_stack(&created.id).await.unwrap_err();
    assert_eq!(gone.kind(), Some(ErrorKind::NotAuthorizedOrNotFound));
    let no_job = rm.job_log_text("ocid1.ormjob.oc1..nope", 5).await.unwrap_err();
    assert_eq!(no_job.kind(), Some(ErrorKind::NotAuthorizedOrNotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_destroy_with_real_terraform() {
    if !terraform_available().await {
        return;
    }
    let rm = serve(Duration::from_millis(20)).await;
    let stack = rm.create_stack(&stack_details("client-tf", &[("main.tf", MAIN_TF)])).await.unwrap();

    let plan = rm.create_plan_job(&stack.id).await.unwrap();
    let plan = rm.wait_for_job(&plan.id, POLL, TIMEOUT).await.unwrap();
    let log = rm.job_log_text(&plan.id, 10).await.unwrap();
    assert!(plan.succeeded(), "{plan:?}\n{}", log.text);
    assert_eq!(log.source, LogSource::Content);
    assert_eq!(ResourceCounts::from_log(&log.text), Some(ResourceCounts { add: 1, change: 0, destroy: 0 }));
    let entries = rm.get_job_logs(&plan.id, 10).await.unwrap();
    assert_eq!(entries.iter().map(|e| format!("{}\n", e.message)).collect::<String>(), log.text);
    let plan_json: serde_json::Value =
        serde_json::from_slice(&rm.get_job_tf_plan(&plan.id, true).await.unwrap()).unwrap();
    assert_eq!(plan_json["resource_changes"][0]["change"]["after"]["input"], "hello galley");

    let apply = rm.create_apply_job(&stack.id, ApplyPlan::FromPlanJob(plan.id.clone())).await.unwrap();
    let apply = rm.wait_for_job(&apply.id, POLL, TIMEOUT).await.unwrap();
    assert!(apply.succeeded(), "{apply:?}");
    assert_eq!(apply.resolved_plan_job_id.as_deref(), Some(plan.id.as_str()));
    let text = rm.get_job_logs_content(&apply.id).await.unwrap();
    assert_eq!(ResourceCounts::from_log(&text), Some(ResourceCounts { add: 1, change: 0, destroy: 0 }));
    let state: serde_json::Value =
        serde_json::from_slice(&rm.get_job_tf_state(&apply.id).await.unwrap()).unwrap();
    assert_eq!(state["outputs"]["greeting"]["value"], "hello galley");

    let destroy = rm.create_job(&stack.id, &JobOperation::Destroy, Some("tear down")).await.unwrap();
    let destroy = rm.wait_for_job(&destroy.id, POLL, TIMEOUT).await.unwrap();
    assert!(destroy.succeeded() && destroy.display_name == "tear down", "{destroy:?}");
    let text = rm.get_job_logs_content(&destroy.id).await.unwrap();
    assert_eq!(ResourceCounts::from_log(&text), Some(ResourceCounts { add: 0, change: 0, destroy: 1 }));

    // A syntax error: the job FAILS with Terraform's message.
    let broken = rm
        .create_stack(&stack_details(
            "client-broken",
            &[("main.tf", "resource \"terraform_data\" \"x\" {\n  input =\n}\n")],
        ))
        .await
        .unwrap();
    let job = rm.create_plan_job(&broken.id).await.unwrap();
    let job = rm.wait_for_job(&job.id, POLL, TIMEOUT).await.unwrap();
    assert_eq!(job.lifecycle_state, "FAILED");
    let failure = job.failure_details.clone().unwrap();
    assert_eq!(failure.code, "TERRAFORM_EXECUTION_ERROR");
    assert!(failure.message.contains("Invalid expression"), "{failure:?}");
    let text = rm.job_log_text(&job.id, 10).await.unwrap().text;
    assert!(
        text.contains("Error: Invalid expression") && ResourceCounts::from_log(&text).is_none(),
        "{text}"
    );
    let no_state = rm.get_job_tf_state(&job.id).await.unwrap_err();
    assert_eq!(no_state.kind(), Some(ErrorKind::NotAuthorizedOrNotFound), "{no_state}");
}

//! Resource Manager tools: the session's Terraform workspace as an RM stack (`create_rm_stack`), its plan /
//! apply / destroy jobs (`run_rm_*`, followed by Galley jobs: they wait `wait_seconds` and return the result or a
//! `job_id` for `get_job`), and `get_rm_job_status` for any RM job.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::GalleyServer;
use super::terraform::wait_with_progress;
use super::{fail, failure_text, session};
use crate::services::jobs::Phase;
use crate::services::rm::{RmJobStatus, StackOutcome, Started};

const DEFAULT_WAIT_SECS: u64 = 20;
const MAX_WAIT_SECS: u64 = 50;
const DEFAULT_LOG_LINES: usize = 30;

fn wait_for(secs: Option<u64>) -> Duration {
    Duration::from_secs(secs.unwrap_or(DEFAULT_WAIT_SECS).min(MAX_WAIT_SECS))
}

// ---------- inputs ----------

/// Arguments of `create_rm_stack`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStackInput {
    /// The session id whose Terraform workspace (write_terraform_files) becomes the stack.
    pub session_id: String,
    /// OCID of the compartment for a new stack. Default: Galley's work compartment. A session's existing stack
    /// stays where it is.
    #[serde(default)]
    pub compartment_id: Option<String>,
    /// Terraform variables of the stack, name -> string value (all of them; omitted: keep the stack's earlier
    /// ones). Galley sets region, compartment_ocid and tenancy_ocid itself.
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
    /// Resource Manager's Terraform version, e.g. "1.5.x" (default: the stack's current one, or "1.5.x").
    #[serde(default)]
    pub terraform_version: Option<String>,
}

/// Arguments of `run_rm_plan`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RmPlanInput {
    /// The session id (its stack comes from create_rm_stack).
    pub session_id: String,
    /// Seconds to wait for the result (0-50, default 20); a longer job returns job_id with status running: call
    /// get_job or get_rm_job_status.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `run_rm_apply`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RmApplyInput {
    /// The session id.
    pub session_id: String,
    /// The rm_job_id of the succeeded plan run_rm_plan returned, after the user agreed to it. Refused unless it
    /// is the stack's latest succeeded plan and the stack has not changed since.
    pub plan_job_id: String,
    /// Seconds to wait for the result (0-50, default 20); longer applies continue: call get_job.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `run_rm_destroy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RmDestroyInput {
    /// The session id.
    pub session_id: String,
    /// Must be true: set it only after the user explicitly agreed to destroy everything the stack manages.
    #[serde(default)]
    pub confirm: bool,
    /// Seconds to wait for the result (0-50, default 20); longer runs continue: call get_job.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `get_rm_job_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RmStatusInput {
    /// The RM job OCID (rm_job_id of a run_rm_* result). Omitted: the last RM job Galley started for session_id.
    #[serde(default)]
    pub rm_job_id: Option<String>,
    /// The session id (used when rm_job_id is omitted).
    #[serde(default)]
    pub session_id: Option<String>,
    /// How many of the log's last lines to return (0-200, default 30).
    #[serde(default)]
    pub log_lines: Option<usize>,
}

// ---------- outputs ----------

/// Result of `create_rm_stack`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateStackOutput {
    /// Session id.
    pub session_id: String,
    /// The stack.
    #[serde(flatten)]
    pub stack: StackOutcome,
    /// What to do next.
    pub next_step: String,
}

/// Result of the run_rm_* tools.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RmRunOutput {
    /// The Galley job following the RM job (pass to get_job while it runs).
    pub job_id: String,
    /// Session id.
    pub session_id: String,
    /// rm_plan, rm_apply or rm_destroy.
    pub operation: String,
    /// running or succeeded (failures come back as errors).
    pub status: Phase,
    /// The RM job's last seen state (accepted, in_progress, succeeded, ...).
    pub step: String,
    /// Seconds since the job started.
    pub elapsed_seconds: f64,
    /// The RM job OCID (run_rm_apply takes a plan's; get_rm_job_status takes any).
    pub rm_job_id: String,
    /// The stack OCID.
    pub stack_id: String,
    /// The finished RM job: counts, resources, outputs, the log's last lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RmJobStatus>,
    /// What to do next.
    pub next_step: String,
}

/// Result of `get_rm_job_status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RmStatusOutput {
    /// The job's status.
    #[serde(flatten)]
    pub status: RmJobStatus,
    /// What to do next.
    pub next_step: String,
}

// ---------- helpers ----------

fn next_after(session: &str, status: &RmJobStatus) -> String {
    if !status.finished {
        return format!(
            "Still {}. Call get_rm_job_status with rm_job_id {} again in 15-30 seconds.",
            status.lifecycle_state, status.rm_job_id
        );
    }
    match (status.operation.as_str(), status.lifecycle_state.as_str()) {
        ("PLAN", "SUCCEEDED") => format!(
            "Show the user what the plan does (resource_counts and log_tail). Only after they agree, call run_rm_apply with session_id {session} and plan_job_id {}.",
            status.rm_job_id
        ),
        ("APPLY", "SUCCEEDED") => "Applied. Show the user the outputs and resources.".to_owned(),
        ("DESTROY", "SUCCEEDED") => "Destroyed: the stack manages no resources now.".to_owned(),
        _ => "Read failure and terraform_errors; fix the file they name with write_terraform_files, upload it with create_rm_stack, and run run_rm_plan again. After a partial apply, resources lists what exists and failed_resources what did not.".to_owned(),
    }
}

impl GalleyServer {
    async fn rm_run_output(
        &self,
        session: &str,
        started: Started,
        wait: Duration,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<Json<RmRunOutput>, String> {
        let Started { mut handle, rm_job_id, stack_id } = started;
        let job = match wait_with_progress(&mut handle, wait, ctx).await {
            Some(job) => job,
            None => match self.app().jobs.check(&handle.job_id).await.map_err(fail)? {
                Some(job) => job,
                None => return Err(format!("job {} disappeared from the store", handle.job_id)),
            },
        };
        let elapsed =
            job.finished_at.unwrap_or_else(Timestamp::now).duration_since(job.started_at).as_secs_f64();
        let (result, next_step) = match job.phase {
            Phase::Running => (
                None,
                format!(
                    "Still running in Resource Manager. Call get_job with job_id {} and wait_seconds 30 (or get_rm_job_status with rm_job_id {rm_job_id}) until it finishes.",
                    job.job_id
                ),
            ),
            Phase::Succeeded => {
                let status: RmJobStatus = serde_json::from_value(job.result.clone().unwrap_or_default())
                    .map_err(|e| format!("internal: RM job result: {e}"))?;
                let next = next_after(session, &status);
                (Some(status), next)
            }
            Phase::Failed | Phase::Interrupted | Phase::Canceled => return Err(failure_text(&job)),
        };
        Ok(Json(RmRunOutput {
            job_id: job.job_id,
            session_id: session.to_owned(),
            operation: job.kind,
            status: job.phase,
            step: job.step,
            elapsed_seconds: elapsed.max(0.0),
            rm_job_id,
            stack_id,
            result,
            next_step,
        }))
    }
}

// ---------- tools ----------

#[tool_router(router = rm_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Upload the session's Terraform workspace to OCI Resource Manager as a stack (a zip with the .tf files at
    /// its root), so Terraform runs in the customer's tenancy under Resource Manager. Calling it again for the
    /// same session updates that stack (new files, variables) instead of creating another. Galley sets the
    /// variables region, compartment_ocid and tenancy_ocid; give the others in variables. Returns the stack id,
    /// its variables' names and the files uploaded. Next: run_rm_plan.
    #[tool(annotations(
        title = "Create or update a Resource Manager stack",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn create_rm_stack(
        &self,
        Parameters(input): Parameters<CreateStackInput>,
    ) -> Result<Json<CreateStackOutput>, String> {
        let id = session(&input.session_id)?;
        let stack = self
            .app()
            .rm
            .create_stack(
                id,
                input.compartment_id,
                input.variables.unwrap_or_default(),
                input.terraform_version,
            )
            .await
            .map_err(fail)?;
        Ok(Json(CreateStackOutput {
            session_id: id.to_string(),
            next_step: format!(
                "Call run_rm_plan with session_id {id} to see what Resource Manager would create."
            ),
            stack,
        }))
    }

    /// Run a Resource Manager PLAN job on the session's stack (upload the current workspace with create_rm_stack
    /// first). Returns the RM job id (rm_job_id), its state and, when done, the resource counts to add, change
    /// and destroy and the log's last lines; a broken configuration comes back as an error with Terraform's
    /// messages. Waits up to wait_seconds (default 20); a longer job returns job_id with status running: call
    /// get_job. Show the user the plan; run_rm_apply applies exactly this plan job.
    #[tool(annotations(
        title = "Resource Manager plan",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_rm_plan(
        &self,
        Parameters(input): Parameters<RmPlanInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RmRunOutput>, String> {
        let id = session(&input.session_id)?;
        let started = self.app().rm.plan(id).await.map_err(fail)?;
        self.rm_run_output(&id.to_string(), started, wait_for(input.wait_seconds), &ctx).await
    }

    /// Apply a Resource Manager plan the user saw and agreed to: pass its rm_job_id as plan_job_id (APPLY with
    /// FROM_PLAN_JOB_ID, so exactly that plan runs). Refused when it is not the stack's latest succeeded plan or
    /// the stack changed since (plan again then). Returns the resources created and the outputs; a failure lists
    /// Terraform's errors, the resources created and those that failed. Waits up to wait_seconds (default 20);
    /// longer applies continue: call get_job. Needs Galley in full mode.
    #[tool(annotations(
        title = "Resource Manager apply",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_rm_apply(
        &self,
        Parameters(input): Parameters<RmApplyInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RmRunOutput>, String> {
        let id = session(&input.session_id)?;
        let started = self.app().rm.apply(id, &input.plan_job_id).await.map_err(fail)?;
        self.rm_run_output(&id.to_string(), started, wait_for(input.wait_seconds), &ctx).await
    }

    /// Destroy everything the session's Resource Manager stack manages (a DESTROY job, with the variables of
    /// the last apply), to clean up after a demo. Destructive: list the stack's resources to the user first and
    /// pass confirm=true only after they explicitly agree. Waits up to wait_seconds (default 20); longer runs
    /// continue: call get_job. Needs Galley in full mode.
    #[tool(annotations(
        title = "Resource Manager destroy",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_rm_destroy(
        &self,
        Parameters(input): Parameters<RmDestroyInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RmRunOutput>, String> {
        let id = session(&input.session_id)?;
        let started = self.app().rm.destroy(id, input.confirm).await.map_err(fail)?;
        self.rm_run_output(&id.to_string(), started, wait_for(input.wait_seconds), &ctx).await
    }

    /// The status of a Resource Manager job (by rm_job_id, or the session's last one): lifecycle state, failure
    /// details, Terraform's error messages, the log's last lines, for a plan the resource counts, and after an
    /// apply the resources in the state, the outputs, and (after a partial apply) the resources that failed.
    /// Works for any RM job, also one whose Galley job was interrupted.
    #[tool(annotations(
        title = "Resource Manager job status",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_rm_job_status(
        &self,
        Parameters(input): Parameters<RmStatusInput>,
    ) -> Result<Json<RmStatusOutput>, String> {
        let app = self.app();
        let session_id = match input.session_id.as_deref() {
            Some(raw) => Some(session(raw)?),
            None => None,
        };
        let rm_job_id = match (
            input.rm_job_id.map(|j| j.trim().to_owned()).filter(|j| !j.is_empty()),
            session_id,
        ) {
            (Some(job), _) => job,
            (None, Some(sid)) => {
                let record = app.rm.record(sid).await.map_err(fail)?;
                record.and_then(|r| r.last_job_id).ok_or_else(|| {
                    format!("session {sid} has no Resource Manager job yet; call run_rm_plan with session_id {sid}")
                })?
            }
            (None, None) => return Err("give rm_job_id (from a run_rm_* result) or session_id".to_owned()),
        };
        let lines = input.log_lines.unwrap_or(DEFAULT_LOG_LINES).min(200);
        let status = app.rm.status(&rm_job_id, lines).await.map_err(fail)?;
        let session_text = session_id.map_or_else(|| "<session_id>".to_owned(), |s| s.to_string());
        Ok(Json(RmStatusOutput { next_step: next_after(&session_text, &status), status }))
    }
}

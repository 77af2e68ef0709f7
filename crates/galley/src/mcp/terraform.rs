//! Terraform tools: the session's workspace (write, read, list, delete `.tf` files), plan / apply / destroy as
//! jobs, and `get_job`.
//!
//! The run tools wait up to `wait_seconds` for their job and return either the result or the `job_id` to pass to
//! `get_job`; while they wait they send progress notifications when the request carries a progress token.

use std::time::Duration;

use jiff::Timestamp;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GalleyServer;
use super::{fail, failure_text, session};
use crate::services::ServiceError;
use crate::services::jobs::{Job, JobError, JobHandle, Phase, parse_job_id};
use crate::services::terraform::workspace::{self, FileInfo};
use crate::services::terraform::{ApplyOutcome, PlanOutcome, StateRef, TerraformService};

/// Default seconds a run tool waits for its job.
const DEFAULT_WAIT_SECS: u64 = 20;
/// Longest wait (clients give a tool call about a minute).
const MAX_WAIT_SECS: u64 = 50;
/// Log lines returned by default.
const DEFAULT_LOG_LINES: usize = 20;

fn wait_for(secs: Option<u64>, default: u64) -> Duration {
    Duration::from_secs(secs.unwrap_or(default).min(MAX_WAIT_SECS))
}

// ---------- inputs ----------

/// One file to write.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileArg {
    /// File name in the workspace: letters, digits, '_', '-', '.', ending in .tf, .tf.json or .tfvars (e.g.
    /// "main.tf", "network.tf", "terraform.tfvars"). No directories.
    pub name: String,
    /// The whole file content (replaces the file). Up to 256 KiB.
    pub content: String,
}

/// Arguments of `write_terraform_files`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteFilesInput {
    /// The session id (from create_session / list_sessions).
    pub session_id: String,
    /// Files to create or replace (1-64). All names and sizes are checked first; if any is invalid, none is written.
    pub files: Vec<FileArg>,
}

/// Arguments naming one workspace file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    /// The session id.
    pub session_id: String,
    /// File name in the workspace, e.g. "main.tf".
    pub name: String,
}

/// Arguments naming a session's workspace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceInput {
    /// The session id.
    pub session_id: String,
}

/// Arguments of `run_terraform_plan`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The session id whose workspace to plan.
    pub session_id: String,
    /// Files to write into the workspace before planning (same as write_terraform_files): handy to fix one file
    /// and plan again in one call.
    #[serde(default)]
    pub files: Vec<FileArg>,
    /// Seconds to wait for the result (0-50, default 20). If the plan takes longer, the result has job_id and
    /// status "running": call get_job.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `run_terraform_apply`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyInput {
    /// The session id.
    pub session_id: String,
    /// The plan_id returned by run_terraform_plan, after the user agreed to its digest. Refused when the
    /// workspace or the state changed since that plan.
    pub plan_id: String,
    /// Seconds to wait for the result (0-50, default 20); longer applies continue as a job: call get_job.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `run_terraform_destroy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyInput {
    /// The session id.
    pub session_id: String,
    /// Without it: make a destroy plan (nothing is destroyed) and return its digest and plan_id. With the plan_id
    /// of such a destroy plan, after the user explicitly agreed to what it destroys: destroy exactly that.
    #[serde(default)]
    pub plan_id: Option<String>,
    /// Seconds to wait for the result (0-50, default 20); longer runs continue as a job: call get_job.
    #[serde(default)]
    pub wait_seconds: Option<u64>,
}

/// Arguments of `get_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetJobInput {
    /// The job_id returned by a run_* tool.
    pub job_id: String,
    /// Seconds to wait for the job to finish before answering (0-50, default 0: answer at once).
    #[serde(default)]
    pub wait_seconds: Option<u64>,
    /// How many of the last log lines to return (0-200, default 20).
    #[serde(default)]
    pub log_lines: Option<usize>,
}

/// Arguments of `cancel_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelJobInput {
    /// The job_id returned by a run_* tool (or shown by get_job).
    pub job_id: String,
    /// Seconds to wait for the job to stop before answering (0-50, default 20).
    #[serde(default)]
    pub wait_seconds: Option<u64>,
    /// Kill at once instead of stopping cleanly (default false). Only when a graceful cancel is stuck and the
    /// user accepts the risk: what Terraform was creating at that moment may be missing from the state.
    #[serde(default)]
    pub force: Option<bool>,
}

// ---------- outputs ----------

/// Result of `write_terraform_files` and `delete_terraform_file`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkspaceOutput {
    /// Session id.
    pub session_id: String,
    /// What this call changed.
    pub changed: Vec<String>,
    /// The workspace's files now.
    pub files: Vec<FileInfo>,
    /// What to do next.
    pub next_step: String,
}

/// Result of `read_terraform_file`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReadFileOutput {
    /// File name.
    pub name: String,
    /// The content.
    pub content: String,
    /// Number of lines (diagnostics refer to line numbers).
    pub lines: usize,
}

/// Result of `list_terraform_files`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListFilesOutput {
    /// Session id.
    pub session_id: String,
    /// The files.
    pub files: Vec<FileInfo>,
    /// The stored state (absent before the first apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<StateRef>,
    /// The job holding the workspace lock, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_by_job: Option<String>,
}

/// Result of the run tools.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunOutput {
    /// The job (pass to get_job while it runs).
    pub job_id: String,
    /// Session id.
    pub session_id: String,
    /// terraform_plan, terraform_destroy_plan, terraform_apply or terraform_destroy.
    pub operation: String,
    /// running or succeeded (failures come back as errors).
    pub status: Phase,
    /// The current or last step (prepare, init, plan, show, apply, outputs).
    pub step: String,
    /// Seconds since the job started.
    pub elapsed_seconds: f64,
    /// The plan's result: plan_id and digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanOutcome>,
    /// The apply's result: what changed and the outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<ApplyOutcome>,
    /// The last log lines while it runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
    /// What to do next.
    pub next_step: String,
}

/// Result of `get_job`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetJobOutput {
    /// Job id.
    pub job_id: String,
    /// What it does (terraform_plan, terraform_apply, ...).
    pub kind: String,
    /// Its session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// running, succeeded, failed, interrupted or canceled.
    pub status: Phase,
    /// The current or last step.
    pub step: String,
    /// Seconds from start to now (or to the end).
    pub elapsed_seconds: f64,
    /// Start time.
    pub started_at: Timestamp,
    /// End time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// The last log lines.
    pub log_tail: Vec<String>,
    /// The result when it succeeded (a plan: plan_id and digest; an apply: changes and outputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Why it failed or was interrupted: message and details (diagnostics with file, lines and hints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    /// What to do next.
    pub next_step: String,
}

// ---------- helpers ----------

/// Waits up to `wait` for a job, sending its log lines as progress notifications when the request asked for them.
pub(super) async fn wait_with_progress(
    handle: &mut JobHandle,
    wait: Duration,
    ctx: &RequestContext<RoleServer>,
) -> Option<Job> {
    let token = ctx.meta.get_progress_token();
    let mut progress = handle.progress.clone();
    let deadline = tokio::time::Instant::now() + wait;
    let mut last_sent = 0u64;
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        tokio::select! {
            job = handle.wait(remaining) => return job,
            changed = progress.changed(), if token.is_some() => {
                if changed.is_err() {
                    return handle.wait(remaining).await;
                }
                let p = progress.borrow_and_update().clone();
                if let Some(token) = &token && p.lines > last_sent {
                    last_sent = p.lines;
                    let line: String = p.last_line.chars().take(200).collect();
                    let param = ProgressNotificationParam::new(token.clone(), p.lines as f64)
                        .with_message(format!("{}: {line}", p.step));
                    if let Err(error) = ctx.peer.notify_progress(param).await {
                        tracing::debug!(%error, "progress notification not delivered");
                    }
                }
            }
        }
    }
}

fn plan_next_step(session: &str, p: &PlanOutcome) -> String {
    let plan_id = p.plan_id.as_deref().unwrap_or("?");
    match (p.destroy, p.changes && p.plan_id.is_some()) {
        (true, false) => "Nothing to destroy: the state holds no resources.".to_owned(),
        (false, false) => {
            "No changes: the infrastructure matches the configuration; nothing to apply.".to_owned()
        }
        (false, true) => format!(
            "Show the user this digest ({}), naming every address under replace and destroy. Only after they agree, call run_terraform_apply with session_id {session} and plan_id {}. If anything must change, edit the files and plan again.",
            p.summary, plan_id
        ),
        (true, true) => format!(
            "This destroy plan destroys {} resource(s): list every address to the user. Only after they explicitly agree, call run_terraform_destroy with session_id {session} and plan_id {}.",
            p.digest.destroy.len(),
            plan_id
        ),
    }
}

impl GalleyServer {
    async fn run_output(
        &self,
        session: &str,
        mut handle: JobHandle,
        wait: Duration,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<Json<RunOutput>, String> {
        let job = match wait_with_progress(&mut handle, wait, ctx).await {
            Some(job) => job,
            None => {
                let view = self.app().jobs.view(&handle.job_id, 10).await.map_err(fail)?;
                let Some(view) = view else {
                    return Err(format!("job {} disappeared from the store", handle.job_id));
                };
                if view.job.phase.is_terminal() {
                    view.job
                } else {
                    return Ok(Json(RunOutput {
                        job_id: view.job.job_id.clone(),
                        session_id: session.to_owned(),
                        operation: view.job.kind.clone(),
                        status: view.job.phase,
                        step: view.job.step.clone(),
                        elapsed_seconds: TerraformService::elapsed_since(view.job.started_at),
                        plan: None,
                        apply: None,
                        log_tail: view.log_tail,
                        next_step: format!(
                            "Still running. Call get_job with job_id {} and wait_seconds 30 until status is succeeded or failed.",
                            view.job.job_id
                        ),
                    }));
                }
            }
        };
        job_output(session, job)
    }
}

fn job_output(session: &str, job: Job) -> Result<Json<RunOutput>, String> {
    if job.phase != Phase::Succeeded {
        return Err(failure_text(&job));
    }
    let elapsed = job.finished_at.unwrap_or_else(Timestamp::now).duration_since(job.started_at).as_secs_f64();
    let result = job.result.clone().unwrap_or(Value::Null);
    let (plan, apply, next_step) = if job.kind.ends_with("plan") {
        let p: PlanOutcome =
            serde_json::from_value(result).map_err(|e| format!("internal: plan result: {e}"))?;
        let next = plan_next_step(session, &p);
        (Some(p), None, next)
    } else {
        let a: ApplyOutcome =
            serde_json::from_value(result).map_err(|e| format!("internal: apply result: {e}"))?;
        let next = if a.destroy {
            "Destroyed. Tell the user what was removed; the state in Galley's store is now empty of these resources.".to_owned()
        } else {
            "Applied. Show the user the outputs and what changed. For further changes edit the files, run run_terraform_plan and apply the new plan_id.".to_owned()
        };
        (None, Some(a), next)
    };
    Ok(Json(RunOutput {
        job_id: job.job_id,
        session_id: session.to_owned(),
        operation: job.kind,
        status: job.phase,
        step: job.step,
        elapsed_seconds: elapsed.max(0.0),
        plan,
        apply,
        log_tail: Vec::new(),
        next_step,
    }))
}

fn changes_of(files: &[FileArg]) -> Vec<(String, String)> {
    files.iter().map(|f| (f.name.clone(), f.content.clone())).collect()
}

// ---------- tools ----------

#[tool_router(router = terraform_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Create or replace .tf files in the session's Terraform workspace (stored with the session, so any later
    /// chat can continue). Use it to write the configuration, and to fix the exact file a plan's diagnostics
    /// name. Names end in .tf, .tf.json or .tfvars, without directories; at most 256 KiB per file, 64 files.
    /// Galley refuses (at plan time, with file and line) provisioners, data "external", providers other than oci,
    /// random, tls, null and time, modules, file() functions and backend blocks: Galley keeps the state itself.
    /// Returns the workspace's files. Next: run_terraform_plan.
    #[tool(annotations(
        title = "Write Terraform files",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn write_terraform_files(
        &self,
        Parameters(input): Parameters<WriteFilesInput>,
    ) -> Result<Json<WorkspaceOutput>, String> {
        let id = session(&input.session_id)?;
        let store = self.app().store.as_ref();
        workspace::require_session(store, id).await.map_err(fail)?;
        if input.files.is_empty() {
            return Err("files is empty: give at least one {name, content}".to_owned());
        }
        workspace::write(store, id, &changes_of(&input.files)).await.map_err(fail)?;
        let files = workspace::list(store, id).await.map_err(fail)?;
        Ok(Json(WorkspaceOutput {
            session_id: id.to_string(),
            changed: input.files.into_iter().map(|f| f.name).collect(),
            files,
            next_step: format!(
                "Call run_terraform_plan with session_id {id} to see what Terraform would do."
            ),
        }))
    }

    /// Read one file of the session's Terraform workspace, with its line count (plan diagnostics name files and
    /// lines). Use it before fixing a file, or to show the configuration to the user.
    #[tool(annotations(
        title = "Read a Terraform file",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn read_terraform_file(
        &self,
        Parameters(input): Parameters<FileInput>,
    ) -> Result<Json<ReadFileOutput>, String> {
        let id = session(&input.session_id)?;
        let store = self.app().store.as_ref();
        workspace::require_session(store, id).await.map_err(fail)?;
        match workspace::read(store, id, &input.name).await.map_err(fail)? {
            Some(content) => {
                Ok(Json(ReadFileOutput { name: input.name, lines: content.lines().count(), content }))
            }
            None => Err(format!(
                "no file {:?} in the workspace of session {id}; list_terraform_files shows the files",
                input.name
            )),
        }
    }

    /// List the files of the session's Terraform workspace with their sizes, the stored state's serial (after the
    /// first apply) and the job holding the workspace lock, if one runs. Use it to resume work on a session's
    /// infrastructure or to see why a run is refused.
    #[tool(annotations(
        title = "List Terraform files",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_terraform_files(
        &self,
        Parameters(input): Parameters<WorkspaceInput>,
    ) -> Result<Json<ListFilesOutput>, String> {
        let id = session(&input.session_id)?;
        let app = self.app();
        workspace::require_session(app.store.as_ref(), id).await.map_err(fail)?;
        let files = workspace::list(app.store.as_ref(), id).await.map_err(fail)?;
        let (state, lock) = app.terraform.workspace_status(id).await.map_err(fail)?;
        Ok(Json(ListFilesOutput { session_id: id.to_string(), files, state, locked_by_job: lock }))
    }

    /// Delete one file from the session's Terraform workspace (the resources it declared are destroyed by the
    /// next plan and apply, which the plan's digest shows). Returns the remaining files.
    #[tool(annotations(
        title = "Delete a Terraform file",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn delete_terraform_file(
        &self,
        Parameters(input): Parameters<FileInput>,
    ) -> Result<Json<WorkspaceOutput>, String> {
        let id = session(&input.session_id)?;
        let store = self.app().store.as_ref();
        workspace::require_session(store, id).await.map_err(fail)?;
        if !workspace::delete(store, id, &input.name).await.map_err(fail)? {
            return Err(format!(
                "no file {:?} in the workspace of session {id}; list_terraform_files shows the files",
                input.name
            ));
        }
        Ok(Json(WorkspaceOutput {
            session_id: id.to_string(),
            changed: vec![input.name],
            files: workspace::list(store, id).await.map_err(fail)?,
            next_step: format!(
                "Call run_terraform_plan with session_id {id}: the digest shows what the deletion destroys."
            ),
        }))
    }

    /// Run `terraform plan` on the session's workspace (optionally writing `files` first). Returns a digest —
    /// the addresses to create, update, replace and destroy — and a plan_id; show the digest to the user and,
    /// once they agree, pass the plan_id to run_terraform_apply, which applies exactly this plan. When the
    /// configuration has a mistake the result is an error listing diagnostics with file, line range, the source
    /// snippet and a hint: fix that file (write_terraform_files or files here) and plan again. Waits up to
    /// wait_seconds (default 20); a longer plan returns job_id with status running: call get_job. State is kept in
    /// Galley's store with locking; only one run per workspace at a time.
    #[tool(annotations(
        title = "Terraform plan",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_terraform_plan(
        &self,
        Parameters(input): Parameters<PlanInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RunOutput>, String> {
        let id = session(&input.session_id)?;
        let app = self.app();
        if !input.files.is_empty() {
            workspace::require_session(app.store.as_ref(), id).await.map_err(fail)?;
            workspace::write(app.store.as_ref(), id, &changes_of(&input.files)).await.map_err(fail)?;
        }
        let handle = app.terraform.plan(id, false).await.map_err(fail)?;
        self.run_output(&id.to_string(), handle, wait_for(input.wait_seconds, DEFAULT_WAIT_SECS), &ctx).await
    }

    /// Apply a saved plan: pass the plan_id from run_terraform_plan, only after the user agreed to its digest.
    /// Galley applies exactly that plan and refuses it when the workspace files or the state changed since (plan
    /// again then) or when it was applied already. Returns what changed and the outputs (sensitive values
    /// masked); an error lists diagnostics with hints and which resources were changed before the failure. Waits
    /// up to wait_seconds (default 20); longer applies continue as a job: call get_job. Needs Galley in full mode.
    #[tool(annotations(
        title = "Terraform apply",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_terraform_apply(
        &self,
        Parameters(input): Parameters<ApplyInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RunOutput>, String> {
        let id = session(&input.session_id)?;
        let handle = self.app().terraform.apply(id, &input.plan_id, false).await.map_err(fail)?;
        self.run_output(&id.to_string(), handle, wait_for(input.wait_seconds, DEFAULT_WAIT_SECS), &ctx).await
    }

    /// Destroy the session's infrastructure in two steps. Without plan_id: make a destroy plan (nothing is
    /// destroyed yet) and return its digest and plan_id; list every address it destroys to the user. With that
    /// plan_id, after the user explicitly agreed: destroy exactly that (refused when the files or state changed
    /// since). Waits up to wait_seconds (default 20); longer runs continue as a job: call get_job. Needs Galley in
    /// full mode.
    #[tool(annotations(
        title = "Terraform destroy",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_terraform_destroy(
        &self,
        Parameters(input): Parameters<DestroyInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<RunOutput>, String> {
        let id = session(&input.session_id)?;
        let terraform = &self.app().terraform;
        let handle = match input.plan_id.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => terraform.plan(id, true).await,
            Some(plan_id) => terraform.apply(id, plan_id, true).await,
        }
        .map_err(fail)?;
        self.run_output(&id.to_string(), handle, wait_for(input.wait_seconds, DEFAULT_WAIT_SECS), &ctx).await
    }

    /// Look at a job (a Terraform plan, apply or destroy, or a Resource Manager job, that outlived its tool
    /// call): status (running, succeeded, failed, interrupted, canceled), step, elapsed time, the last log lines,
    /// and the result when done (a plan's plan_id and digest, an apply's changes and outputs) or the error with
    /// diagnostics. wait_seconds (up to 50) waits for the end first. A job whose Galley process stopped is
    /// reported interrupted and its workspace lock released. To stop a running job, call cancel_job.
    #[tool(annotations(
        title = "Get job",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn get_job(
        &self,
        Parameters(input): Parameters<GetJobInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<GetJobOutput>, String> {
        let job_id = parse_job_id(&input.job_id).map_err(fail)?;
        self.job_report(&job_id, wait_for(input.wait_seconds, 0), input.log_lines, &ctx).await
    }

    /// Stop a running job: a Terraform plan, apply or destroy (Terraform gets an interrupt, as from Ctrl-C: it
    /// finishes the operations in flight, saves the state and stops; killed only if it has not stopped after 10
    /// minutes) or a Resource Manager job (Galley asks RM to cancel it). Use it when the user wants to stop a run,
    /// or a run works on the wrong thing. Works from any Galley replica. Waits up to wait_seconds (default 20) for
    /// the stop and returns the job like get_job: status canceled with error.message saying what was done before
    /// the stop (an apply lists the resources it changed), or still running while OCI finishes a create (call
    /// get_job). force=true kills at once: only when a graceful cancel is stuck and the user accepts that a
    /// resource being created may be missing from the state. A finished job is returned unchanged. Then run
    /// run_terraform_plan (or run_rm_plan) to see what is left to do.
    #[tool(annotations(
        title = "Cancel job",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn cancel_job(
        &self,
        Parameters(input): Parameters<CancelJobInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<GetJobOutput>, String> {
        let job_id = parse_job_id(&input.job_id).map_err(fail)?;
        let force = input.force.unwrap_or(false);
        if self.app().jobs.cancel(&job_id, force).await.map_err(fail)?.is_none() {
            return Err(no_job(&job_id));
        }
        self.job_report(&job_id, wait_for(input.wait_seconds, DEFAULT_WAIT_SECS), None, &ctx).await
    }
}

fn no_job(job_id: &str) -> String {
    ServiceError::InvalidInput(format!(
        "no job {job_id}; job ids come from run_terraform_plan, run_terraform_apply, run_terraform_destroy and the run_rm_* tools"
    ))
    .to_string()
}

impl GalleyServer {
    /// A job as get_job shows it, after waiting up to `wait` for it to finish.
    async fn job_report(
        &self,
        job_id: &str,
        wait: Duration,
        log_lines: Option<usize>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<Json<GetJobOutput>, String> {
        let jobs = &self.app().jobs;
        if !wait.is_zero() {
            if let Some(mut handle) = jobs.handle(job_id) {
                let _ = wait_with_progress(&mut handle, wait, ctx).await;
            } else {
                let deadline = tokio::time::Instant::now() + wait;
                while tokio::time::Instant::now() < deadline {
                    match jobs.check(job_id).await.map_err(fail)? {
                        Some(job) if job.phase == Phase::Running => {
                            tokio::time::sleep(Duration::from_millis(500)).await
                        }
                        _ => break,
                    }
                }
            }
        }
        let lines = log_lines.unwrap_or(DEFAULT_LOG_LINES).min(200);
        let Some(view) = jobs.view(job_id, lines).await.map_err(fail)? else {
            return Err(no_job(job_id));
        };
        let job = view.job;
        let end = job.finished_at.unwrap_or_else(Timestamp::now);
        let next_step = match job.phase {
            Phase::Running if job.cancel_requested_at.is_some() => format!(
                "Stopping ({}): the cancel was requested and the run is finishing the operations in flight. Call get_job again with wait_seconds 30.",
                job.step
            ),
            Phase::Running => format!("Still running ({}). Call get_job again with wait_seconds 30.", job.step),
            Phase::Succeeded => match job.result.as_ref().and_then(|r| serde_json::from_value::<PlanOutcome>(r.clone()).ok()) {
                Some(p) => plan_next_step(job.session_id.as_deref().unwrap_or("?"), &p),
                None => "Done: show the user the result.".to_owned(),
            },
            Phase::Failed => "Read error.message and error.details.diagnostics (file, line, hint), fix the file with write_terraform_files and run run_terraform_plan again.".to_owned(),
            Phase::Interrupted => "The run stopped with its Galley process. Run run_terraform_plan to see the current state and what is left to do.".to_owned(),
            Phase::Canceled => "Canceled. Tell the user what error.message says was done before the stop, then run run_terraform_plan (or run_rm_plan for a Resource Manager job) to see what is left to do.".to_owned(),
        };
        Ok(Json(GetJobOutput {
            elapsed_seconds: end.duration_since(job.started_at).as_secs_f64().max(0.0),
            job_id: job.job_id,
            kind: job.kind,
            session_id: job.session_id,
            status: job.phase,
            step: job.step,
            started_at: job.started_at,
            finished_at: job.finished_at,
            log_tail: view.log_tail,
            result: job.result,
            error: job.error,
            next_step,
        }))
    }
}

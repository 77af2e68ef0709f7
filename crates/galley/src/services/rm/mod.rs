//! Resource Manager: a session's Terraform workspace as an RM stack, and its plan / apply / destroy jobs.
//!
//! `create_stack` zips the workspace (the files at the zip's root) and creates the stack, or updates the one
//! the session already has: its id is kept in `sessions/<id>/rm.json` ([`RmRecord`]), with the variables, a
//! revision counted up at every upload, and the plan jobs Galley started against each revision. An RM job is
//! created in the tool call (so a locked stack or a refused plan is an immediate error); a Galley job
//! ([`super::jobs`]) then polls it, so a slow RM job never blocks a call and `get_job` follows it. Apply takes
//! only the latest succeeded plan of the stack, made against its current revision (`FROM_PLAN_JOB_ID`).

pub mod status;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use galley_domain::ids::SessionId;
use galley_oci::resourcemanager::{self, ApplyPlan, CreateStack, Job as RmJob, ResourceCounts, UpdateStack};
use galley_oci::{ErrorKind, OciError, ResourceManager};
use galley_store::{Key, Store, StoreExt};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ServiceError;
use super::doc::{DocLocks, update_doc};
use super::jobs::{JobCtx, JobError, JobHandle, JobService};
use super::oci_sdk::{OciSdkService, hint};
use super::terraform::workspace::{self, FileInfo};
use crate::config::Mode;

/// Version of the [`RmRecord`] shape.
pub const RM_SCHEMA_VERSION: u32 = 1;
/// The Terraform version stacks get unless one is given (Resource Manager's newest, `ListTerraformVersions`).
pub const DEFAULT_TERRAFORM_VERSION: &str = "1.5.x";
/// Plan jobs remembered per session.
const KEPT_PLANS: usize = 20;
/// The longest a Galley job follows an RM job.
const MAX_FOLLOW: Duration = Duration::from_secs(3 * 3600);
/// Variables Galley sets on every stack (the API does not fill them in as the Console does).
pub const BUILTIN_VARIABLES: [&str; 3] = ["region", "compartment_ocid", "tenancy_ocid"];

/// A plan job Galley started, and the stack revision it planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanRef {
    /// The RM job OCID.
    pub job_id: String,
    /// [`RmRecord::revision`] when it was created.
    pub revision: u64,
    /// When it was created.
    pub created_at: Timestamp,
}

/// The session's stack, `sessions/<id>/rm.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RmRecord {
    /// Shape version ([`RM_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The session.
    pub session_id: String,
    /// The stack OCID.
    pub stack_id: String,
    /// Its compartment.
    pub compartment_id: String,
    /// Its region.
    pub region: String,
    /// Its Terraform version.
    pub terraform_version: String,
    /// The stack's variables as last set (the built-in ones included).
    pub variables: BTreeMap<String, String>,
    /// SHA-256 of the workspace files last uploaded.
    pub files_hash: String,
    /// Counted up at every create or update.
    pub revision: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last uploaded.
    pub updated_at: Timestamp,
    /// The plan jobs Galley started (oldest first, the last few).
    #[serde(default)]
    pub plans: Vec<PlanRef>,
    /// The variables of the last apply (destroy runs with them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_variables: Option<BTreeMap<String, String>>,
    /// The last RM job Galley started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_job_id: Option<String>,
}

/// Settings of the Resource Manager tools.
#[derive(Debug, Clone)]
pub struct RmConfig {
    /// `GALLEY_WORK_COMPARTMENT_ID`: where stacks go unless a call names a compartment.
    pub work_compartment_id: Option<String>,
    /// The server's write mode.
    pub mode: Mode,
    /// How often a Galley job polls its RM job (`GALLEY_RM_POLL_MS`, default 2000).
    pub poll: Duration,
}

impl RmConfig {
    /// From environment variables.
    ///
    /// # Errors
    /// A malformed `GALLEY_RM_POLL_MS`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>, mode: Mode) -> anyhow::Result<Self> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let work_compartment_id =
            vars.get("GALLEY_WORK_COMPARTMENT_ID").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let poll = match vars.get("GALLEY_RM_POLL_MS") {
            None => Duration::from_secs(2),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(ms) if (50..=60_000).contains(&ms) => Duration::from_millis(ms),
                _ => anyhow::bail!("GALLEY_RM_POLL_MS must be milliseconds between 50 and 60000, not {v:?}"),
            },
        };
        Ok(RmConfig { work_compartment_id, mode, poll })
    }
}

/// What `create_stack` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackOutcome {
    /// The stack OCID.
    pub stack_id: String,
    /// Whether it was created now (false: the session's stack was updated).
    pub created: bool,
    /// Its compartment.
    pub compartment_id: String,
    /// Its region.
    pub region: String,
    /// Its Terraform version.
    pub terraform_version: String,
    /// The names of its variables (values are not echoed).
    pub variable_names: Vec<String>,
    /// The files uploaded (at the zip's root).
    pub files: Vec<FileInfo>,
    /// The zip's size in bytes.
    pub zip_bytes: usize,
    /// The stack revision (1 at creation, +1 per update).
    pub revision: u64,
}

/// Failure details of an RM job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    /// `TERRAFORM_EXECUTION_ERROR`, `JOB_TIMEOUT`, ...
    pub code: String,
    /// The service's message.
    pub message: String,
}

/// Resources a plan or apply adds, changes and destroys.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Added (or to add).
    pub add: u32,
    /// Changed (or to change).
    pub change: u32,
    /// Destroyed (or to destroy).
    pub destroy: u32,
}

impl From<ResourceCounts> for Counts {
    fn from(c: ResourceCounts) -> Self {
        Counts { add: c.add, change: c.change, destroy: c.destroy }
    }
}

/// An RM job as `get_rm_job_status` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RmJobStatus {
    /// The RM job OCID.
    pub rm_job_id: String,
    /// Its stack.
    pub stack_id: String,
    /// PLAN, APPLY or DESTROY.
    pub operation: String,
    /// ACCEPTED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELING or CANCELED.
    pub lifecycle_state: String,
    /// Whether it has ended.
    pub finished: bool,
    /// Created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_created: Option<String>,
    /// Finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_finished: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Terraform's error diagnostics from the log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terraform_errors: Vec<String>,
    /// For a plan: what it would do; for an apply or destroy: what it did (from Terraform's summary line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_counts: Option<Counts>,
    /// After an apply: the resources in the stack's state (or, without state, those the log shows created).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// After a failed apply: the resources that failed or never completed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_resources: Vec<String>,
    /// After an apply: Terraform's outputs (sensitive values masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<serde_json::Map<String, Value>>,
    /// The last lines of the job's log (empty while it is queued; often while it runs).
    pub log_tail: Vec<String>,
    /// Whether the log came from GetJobLogsContent (`content`) or GetJobLogs (`entries`).
    pub log_source: String,
}

fn rm_key(session: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("sessions/{session}/rm.json"))?)
}

/// An OCI failure as a message for the model: what failed, OCI's answer and what to do next.
pub fn oci_failure(what: &str, err: &OciError) -> ServiceError {
    let next = match err.service() {
        Some(s) if s.kind == ErrorKind::Conflict => {
            "the stack is locked by a running job (or busy): wait for it (get_rm_job_status), then retry"
        }
        Some(s) => hint(s.kind, &s.code),
        None => "check that Galley reaches OCI (`galley doctor`), then retry",
    };
    ServiceError::InvalidInput(format!("Resource Manager could not {what}: {err}. Next: {next}"))
}

/// An RM job started and the Galley job following it.
#[derive(Debug)]
pub struct Started {
    /// The Galley job (wait on it; `get_job` reads it).
    pub handle: JobHandle,
    /// The RM job OCID.
    pub rm_job_id: String,
    /// Its stack.
    pub stack_id: String,
}

/// The session's stack and its jobs.
#[derive(Debug)]
pub struct RmService {
    store: Arc<dyn Store>,
    jobs: Arc<JobService>,
    sdk: Arc<OciSdkService>,
    config: RmConfig,
    locks: DocLocks,
    creating: tokio::sync::Mutex<()>,
}

impl RmService {
    /// A service over `store`, running its polls as `jobs`, reaching OCI with `sdk`'s client.
    pub fn new(
        store: Arc<dyn Store>,
        jobs: Arc<JobService>,
        sdk: Arc<OciSdkService>,
        config: RmConfig,
    ) -> Self {
        RmService {
            store,
            jobs,
            sdk,
            config,
            locks: DocLocks::default(),
            creating: tokio::sync::Mutex::new(()),
        }
    }

    async fn rm(&self) -> Result<ResourceManager, ServiceError> {
        let client = self.sdk.client().await.map_err(|e| ServiceError::InvalidInput(e.to_string()))?;
        Ok(ResourceManager::new(client.clone()))
    }

    fn require_full_mode(&self, what: &str) -> Result<(), ServiceError> {
        if self.config.mode != Mode::Full {
            return Err(ServiceError::InvalidInput(format!(
                "Galley runs in {:?} mode, which allows Resource Manager plans but no {what}; the operator must start it with --mode full",
                self.config.mode
            )));
        }
        Ok(())
    }

    /// The session's stack record, if it has one.
    pub async fn record(&self, session: SessionId) -> Result<Option<RmRecord>, ServiceError> {
        Ok(self.store.get_json_opt::<RmRecord>(&rm_key(session)?).await?.map(|(r, _)| r))
    }

    async fn require_record(&self, session: SessionId) -> Result<RmRecord, ServiceError> {
        workspace::require_session(self.store.as_ref(), session).await?;
        self.record(session).await?.ok_or_else(|| {
            ServiceError::InvalidInput(format!(
                "session {session} has no Resource Manager stack yet; call create_rm_stack with session_id {session} first"
            ))
        })
    }

    async fn update_record(
        &self,
        session: SessionId,
        change: impl Fn(&mut RmRecord) + Send + Sync,
    ) -> Result<RmRecord, ServiceError> {
        let (record, ()) = update_doc(self.store.as_ref(), &self.locks, &rm_key(session)?, |current| {
            let Some(mut record) = current else {
                return Err(ServiceError::InvalidInput(format!(
                    "the stack record of session {session} is gone"
                )));
            };
            change(&mut record);
            Ok((record, ()))
        })
        .await?;
        Ok(record)
    }

    /// Zips the workspace and creates the session's stack, or updates the one it has.
    pub async fn create_stack(
        &self,
        session: SessionId,
        compartment_id: Option<String>,
        variables: BTreeMap<String, String>,
        terraform_version: Option<String>,
    ) -> Result<StackOutcome, ServiceError> {
        workspace::require_session(self.store.as_ref(), session).await?;
        for name in variables.keys() {
            if BUILTIN_VARIABLES.contains(&name.as_str()) {
                return Err(ServiceError::InvalidInput(format!(
                    "variables must not set {name}: Galley sets region, compartment_ocid and tenancy_ocid itself (give compartment_id instead)"
                )));
            }
        }
        let files = workspace::read_all(self.store.as_ref(), session).await?;
        if !files.keys().any(|n| n.ends_with(".tf") || n.ends_with(".tf.json")) {
            return Err(ServiceError::InvalidInput(format!(
                "the Terraform workspace of session {session} has no .tf files; write them with write_terraform_files first"
            )));
        }
        let list: Vec<(&String, &String)> = files.iter().collect();
        let zip = resourcemanager::zip_files(&list)
            .map_err(|e| ServiceError::InvalidInput(format!("cannot zip the workspace: {e}")))?;
        let files_hash = workspace::hash(&files);
        let rm = self.rm().await?;
        let client = rm.client();
        let region = client.region().map(|r| r.id().to_owned()).ok_or_else(|| {
            ServiceError::InvalidInput(
                "Galley's OCI principal has no region; the operator must set GALLEY_REGION (or OCI_REGION)"
                    .into(),
            )
        })?;
        let tenancy = client.auth().tenancy().ok_or_else(|| {
            ServiceError::InvalidInput(
                "Galley's OCI principal does not name its tenancy; tell the Galley operator".into(),
            )
        })?;

        let _guard = self.creating.lock().await;
        let existing = self.record(session).await?;
        let compartment = match (&existing, compartment_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())) {
            (Some(rec), Some(given)) if given != rec.compartment_id => {
                return Err(ServiceError::InvalidInput(format!(
                    "the session's stack {} is in compartment {}; a stack cannot move here. Call without compartment_id to update it",
                    rec.stack_id, rec.compartment_id
                )));
            }
            (Some(rec), _) => rec.compartment_id.clone(),
            (None, Some(given)) => given,
            (None, None) => self.config.work_compartment_id.clone().ok_or_else(|| {
                ServiceError::InvalidInput(
                    "no compartment: pass compartment_id (the OCID of the compartment for the stack), or the operator sets GALLEY_WORK_COMPARTMENT_ID".into(),
                )
            })?,
        };
        if !compartment.starts_with("ocid1.") {
            return Err(ServiceError::InvalidInput(format!(
                "compartment_id {compartment:?} is not an OCID (ocid1.compartment... or ocid1.tenancy...)"
            )));
        }
        // Variables: the built-in three, then the given ones, or (when none are given) the stack's earlier ones.
        let mut vars: BTreeMap<String, String> = match (&existing, variables.is_empty()) {
            (Some(rec), true) => rec.variables.clone(),
            _ => variables,
        };
        vars.insert("region".into(), region.clone());
        vars.insert("compartment_ocid".into(), compartment.clone());
        vars.insert("tenancy_ocid".into(), tenancy);
        let version = terraform_version
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .or_else(|| existing.as_ref().map(|r| r.terraform_version.clone()))
            .unwrap_or_else(|| DEFAULT_TERRAFORM_VERSION.to_owned());

        let updated = match &existing {
            Some(rec) => {
                let details = UpdateStack {
                    zip: Some(zip.clone()),
                    variables: Some(vars.clone()),
                    terraform_version: Some(version.clone()),
                    ..UpdateStack::default()
                };
                match rm.update_stack(&rec.stack_id, &details, None).await {
                    Ok(stack) => Some(stack),
                    Err(e) if e.kind() == Some(ErrorKind::NotAuthorizedOrNotFound) => {
                        tracing::info!(%session, stack = %rec.stack_id, "the session's stack is gone; creating a new one");
                        None
                    }
                    Err(e) => return Err(oci_failure("update the stack", &e)),
                }
            }
            None => None,
        };
        let now = Timestamp::now();
        let (stack, created) = match updated {
            Some(stack) => (stack, false),
            None => {
                let details = CreateStack {
                    compartment_id: compartment.clone(),
                    display_name: Some(format!("galley-{session}")),
                    description: Some(format!("Terraform of Galley session {session}")),
                    zip: zip.clone(),
                    working_directory: None,
                    variables: vars.clone(),
                    terraform_version: Some(version.clone()),
                    retry_token: Some(create_token(
                        session,
                        existing.as_ref().map(|r| r.stack_id.as_str()),
                        &compartment,
                        &files_hash,
                        &vars,
                        &version,
                    )),
                };
                (rm.create_stack(&details).await.map_err(|e| oci_failure("create the stack", &e))?, true)
            }
        };
        let record = RmRecord {
            schema_version: RM_SCHEMA_VERSION,
            session_id: session.to_string(),
            stack_id: stack.id.clone(),
            compartment_id: compartment.clone(),
            region: region.clone(),
            terraform_version: version.clone(),
            variables: vars.clone(),
            files_hash: files_hash.clone(),
            revision: 1,
            created_at: now,
            updated_at: now,
            plans: Vec::new(),
            applied_variables: None,
            last_job_id: None,
        };
        let (saved, ()) =
            update_doc(self.store.as_ref(), &self.locks, &rm_key(session)?, |current: Option<RmRecord>| {
                let doc = match current {
                    // An update, or the same stack created by another replica's identical request (retry token).
                    Some(mut old) if !created || old.stack_id == record.stack_id => {
                        old.revision += 1;
                        old.updated_at = now;
                        old.variables.clone_from(&record.variables);
                        old.files_hash.clone_from(&record.files_hash);
                        old.terraform_version.clone_from(&record.terraform_version);
                        old
                    }
                    Some(old) => RmRecord { revision: old.revision + 1, ..record.clone() },
                    None => record.clone(),
                };
                Ok((doc, ()))
            })
            .await?;
        Ok(StackOutcome {
            stack_id: saved.stack_id,
            created,
            compartment_id: compartment,
            region,
            terraform_version: version,
            variable_names: vars.into_keys().collect(),
            files: workspace::list(self.store.as_ref(), session).await?,
            zip_bytes: zip.len(),
            revision: saved.revision,
        })
    }

    /// Starts a PLAN job of the session's stack.
    pub async fn plan(self: &Arc<Self>, session: SessionId) -> Result<Started, ServiceError> {
        let record = self.require_record(session).await?;
        let files = workspace::read_all(self.store.as_ref(), session).await?;
        if workspace::hash(&files) != record.files_hash {
            return Err(ServiceError::InvalidInput(format!(
                "the workspace of session {session} changed since it was uploaded to the stack; call create_rm_stack with session_id {session} to upload it, then plan"
            )));
        }
        let rm = self.rm().await?;
        let job =
            rm.create_plan_job(&record.stack_id).await.map_err(|e| oci_failure("start a plan job", &e))?;
        let revision = record.revision;
        let job_id = job.id.clone();
        self.update_record(session, move |r| {
            r.plans.push(PlanRef { job_id: job_id.clone(), revision, created_at: Timestamp::now() });
            let excess = r.plans.len().saturating_sub(KEPT_PLANS);
            r.plans.drain(..excess);
            r.last_job_id = Some(job_id.clone());
        })
        .await?;
        self.follow(session, "rm_plan", rm, job).await
    }

    /// Starts an APPLY job of `plan_job_id`: the latest succeeded plan of the stack, made by Galley against the
    /// stack's current revision.
    pub async fn apply(
        self: &Arc<Self>,
        session: SessionId,
        plan_job_id: &str,
    ) -> Result<Started, ServiceError> {
        self.require_full_mode("apply")?;
        let plan_job_id = plan_job_id.trim();
        let record = self.require_record(session).await?;
        let plan_again =
            format!("call run_rm_plan with session_id {session} and apply the rm_job_id it returns");
        let Some(planned) = record.plans.iter().find(|p| p.job_id == plan_job_id) else {
            return Err(ServiceError::InvalidInput(format!(
                "{plan_job_id:?} is not a plan job Galley ran on the stack of session {session}; {plan_again}"
            )));
        };
        if planned.revision != record.revision {
            return Err(ServiceError::InvalidInput(format!(
                "the stack changed since plan job {plan_job_id} (its configuration was uploaded again): that plan is stale; {plan_again}"
            )));
        }
        let rm = self.rm().await?;
        let plan = rm.get_job(plan_job_id).await.map_err(|e| oci_failure("read the plan job", &e))?;
        if plan.stack_id != record.stack_id || plan.operation != "PLAN" {
            return Err(ServiceError::InvalidInput(format!(
                "job {plan_job_id} is not a plan job of the session's stack; {plan_again}"
            )));
        }
        if !plan.succeeded() {
            return Err(ServiceError::InvalidInput(format!(
                "plan job {plan_job_id} is {}; only a SUCCEEDED plan can be applied (get_rm_job_status shows why it failed, or wait for it)",
                plan.lifecycle_state
            )));
        }
        let jobs =
            rm.list_jobs(&record.stack_id, 5).await.map_err(|e| oci_failure("list the stack's jobs", &e))?;
        let newer = jobs.iter().filter(|j| j.id != plan.id && j.time_created > plan.time_created);
        for j in newer {
            if j.operation == "PLAN" && j.succeeded() {
                return Err(ServiceError::InvalidInput(format!(
                    "plan job {plan_job_id} is not the latest succeeded plan of the stack ({} is newer); show the user that plan and apply it instead",
                    j.id
                )));
            }
            if j.operation != "PLAN" && j.lifecycle_state != "CANCELED" && j.lifecycle_state != "FAILED" {
                return Err(ServiceError::InvalidInput(format!(
                    "the stack's infrastructure changed since plan job {plan_job_id} ({} job {} ran after it); {plan_again}",
                    j.operation, j.id
                )));
            }
        }
        let job = rm
            .create_apply_job(&record.stack_id, ApplyPlan::FromPlanJob(plan.id.clone()))
            .await
            .map_err(|e| oci_failure("start the apply job", &e))?;
        let (job_id, applied) = (job.id.clone(), record.variables.clone());
        self.update_record(session, move |r| {
            r.applied_variables = Some(applied.clone());
            r.last_job_id = Some(job_id.clone());
        })
        .await?;
        self.follow(session, "rm_apply", rm, job).await
    }

    /// Starts a DESTROY job of the session's stack (with the variables of the last apply).
    pub async fn destroy(
        self: &Arc<Self>,
        session: SessionId,
        confirm: bool,
    ) -> Result<Started, ServiceError> {
        self.require_full_mode("destroy")?;
        let record = self.require_record(session).await?;
        if !confirm {
            return Err(ServiceError::InvalidInput(format!(
                "run_rm_destroy destroys every resource of stack {}: show the user what it manages (get_rm_job_status of the last apply lists the resources) and, only after they explicitly agree, call again with confirm true",
                record.stack_id
            )));
        }
        let rm = self.rm().await?;
        if let Some(applied) = &record.applied_variables {
            let stack =
                rm.get_stack(&record.stack_id).await.map_err(|e| oci_failure("read the stack", &e))?;
            if &stack.variables != applied {
                let details = UpdateStack { variables: Some(applied.clone()), ..UpdateStack::default() };
                rm.update_stack(&record.stack_id, &details, None)
                    .await
                    .map_err(|e| oci_failure("restore the apply-time variables", &e))?;
            }
        }
        let job = rm
            .create_destroy_job(&record.stack_id)
            .await
            .map_err(|e| oci_failure("start the destroy job", &e))?;
        let job_id = job.id.clone();
        self.update_record(session, move |r| r.last_job_id = Some(job_id.clone())).await?;
        self.follow(session, "rm_destroy", rm, job).await
    }

    /// Starts a Galley job that polls `job` until it ends; its result is the job's [`RmJobStatus`].
    async fn follow(
        self: &Arc<Self>,
        session: SessionId,
        kind: &str,
        rm: ResourceManager,
        job: RmJob,
    ) -> Result<Started, ServiceError> {
        let (rm_job_id, stack_id) = (job.id.clone(), job.stack_id.clone());
        let this = Arc::clone(self);
        let poll = self.config.poll;
        let galley_job = uuid::Uuid::now_v7().to_string();
        self.jobs
            .start(galley_job, kind, Some(session.to_string()), Vec::new(), false, move |ctx| async move {
                ctx.step("rm_job");
                ctx.log(&format!("Resource Manager job {} ({}) on stack {}", job.id, job.operation, job.stack_id));
                let started = tokio::time::Instant::now();
                let mut state = String::new();
                let mut misses = 0;
                let mut mirror = LogMirror::new(poll * LOG_EVERY_POLLS);
                let (mut cancel_sent, mut force_sent) = (false, false);
                let finished = loop {
                    let force = ctx.kill_token().is_cancelled();
                    if ctx.is_canceled() && (!cancel_sent || (force && !force_sent)) {
                        // Not forced, RM lets Terraform finish the operations in flight and keeps the state.
                        cancel_sent = true;
                        force_sent = force;
                        match rm.cancel_job(&job.id, force).await {
                            Ok(()) => ctx.log(&format!(
                                "cancel_job: asked Resource Manager to cancel job {}{}",
                                job.id,
                                if force { " (forced)" } else { "" }
                            )),
                            Err(e) => ctx.log(&format!("CancelJob failed: {e}")),
                        }
                    }
                    match rm.get_job(&job.id).await {
                        Ok(now) => {
                            misses = 0;
                            if now.lifecycle_state != state {
                                state.clone_from(&now.lifecycle_state);
                                ctx.step(&state.to_ascii_lowercase());
                            }
                            if now.is_finished() {
                                break now;
                            }
                            if now.lifecycle_state != "ACCEPTED" {
                                mirror.pull(&rm, &job.id, &ctx).await;
                            }
                        }
                        Err(e) => {
                            misses += 1;
                            ctx.log(&format!("GetJob failed ({misses}/5): {e}"));
                            if misses >= 5 {
                                return Err(JobError::msg(format!(
                                    "{}. The RM job {} may still run: call get_rm_job_status with rm_job_id {}",
                                    oci_failure("read the job", &e),
                                    job.id,
                                    job.id
                                )));
                            }
                        }
                    }
                    if started.elapsed() > MAX_FOLLOW {
                        return Err(JobError::msg(format!(
                            "the RM job {} is still {state} after {} hours; follow it with get_rm_job_status",
                            job.id,
                            MAX_FOLLOW.as_secs() / 3600
                        )));
                    }
                    tokio::select! {
                        () = tokio::time::sleep(poll) => {}
                        () = ctx.cancel_token().cancelled(), if !cancel_sent => {}
                        () = ctx.kill_token().cancelled(), if !force_sent => {}
                    }
                };
                // One read of the finished job's log serves both the mirror's last lines and the status.
                let status = this
                    .status_with(&rm, finished, 40, |log| mirror.absorb(log, &ctx))
                    .await
                    .map_err(|e| JobError::msg(e.to_string()))?;
                let value = serde_json::to_value(&status).unwrap_or(Value::Null);
                if status.lifecycle_state == "SUCCEEDED" {
                    Ok(value)
                } else {
                    Err(JobError { message: failure_message(&status), details: value })
                }
            })
            .await
            .map(|handle| Started { handle, rm_job_id, stack_id })
    }

    /// The status of an RM job: state, failure, Terraform errors, the log's last `lines`, counts, resources and
    /// outputs.
    pub async fn status(&self, rm_job_id: &str, lines: usize) -> Result<RmJobStatus, ServiceError> {
        let rm = self.rm().await?;
        let job = rm.get_job(rm_job_id.trim()).await.map_err(|e| oci_failure("read the job", &e))?;
        self.status_with(&rm, job, lines, |_| {}).await
    }

    /// The status of `job` as just read, with its log (also handed to `on_log`) and, for a finished apply, its
    /// state.
    async fn status_with(
        &self,
        rm: &ResourceManager,
        job: RmJob,
        lines: usize,
        on_log: impl FnOnce(&str),
    ) -> Result<RmJobStatus, ServiceError> {
        let id = job.id.as_str();
        let (log, source) = match rm.job_log_text(id, 10).await {
            Ok(text) => {
                let source = match text.source {
                    resourcemanager::LogSource::Content => "content",
                    resourcemanager::LogSource::Entries => "entries",
                };
                (text.text, source)
            }
            Err(e) => {
                tracing::info!(job = id, error = %e, "no job log");
                (String::new(), "none")
            }
        };
        on_log(&log);
        let mut status = RmJobStatus {
            rm_job_id: job.id.clone(),
            stack_id: job.stack_id.clone(),
            operation: job.operation.clone(),
            lifecycle_state: job.lifecycle_state.clone(),
            finished: job.is_finished(),
            time_created: job.time_created.clone(),
            time_finished: job.time_finished.clone(),
            failure: job
                .failure_details
                .as_ref()
                .map(|f| Failure { code: f.code.clone(), message: f.message.clone() }),
            terraform_errors: status::terraform_errors(&log),
            resource_counts: ResourceCounts::from_log(&log).map(Counts::from),
            resources: Vec::new(),
            failed_resources: Vec::new(),
            outputs: None,
            log_tail: status::tail(&log, lines),
            log_source: source.to_owned(),
        };
        if job.operation == "APPLY" && job.is_finished() {
            let state = match rm.get_job_tf_state(id).await {
                Ok(bytes) => serde_json::from_slice::<Value>(&bytes).ok(),
                Err(e) => {
                    tracing::info!(job = id, error = %e, "no job state");
                    None
                }
            };
            status.resources = match &state {
                Some(state) => status::resources_in_state(state),
                None => status::completed_from_log(&log),
            };
            status.outputs = state.as_ref().map(status::outputs_in_state);
            if !job.succeeded() {
                status.failed_resources = status::failed_from_log(&log);
            }
        }
        Ok(status)
    }
}

/// The `opc-retry-token` of a session's CreateStack. Replicas that create the stack of one session at the same
/// time (each with no record yet) send the same token, so Resource Manager creates one stack and returns it to
/// both. It covers everything the stack is made of, so a retry with other files or variables is a new request, and
/// the stack it replaces (one deleted behind Galley's back), so a re-creation is never answered with the old one.
fn create_token(
    session: SessionId,
    replaces: Option<&str>,
    compartment: &str,
    files_hash: &str,
    variables: &BTreeMap<String, String>,
    version: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [session.to_string().as_str(), replaces.unwrap_or(""), compartment, files_hash, version] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (name, value) in variables {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.update([0]);
    }
    // OCI accepts at most 64 characters.
    format!("galley-{}", &workspace::hex_lower(&h.finalize())[..56])
}

/// A Galley job following an RM job reads the RM job's log every this many polls while it runs.
const LOG_EVERY_POLLS: u32 = 5;

/// Copies the new lines of an RM job's log into the Galley job's log as the job runs, so `get_job` and progress
/// notifications show Terraform's progress ("Still creating... [5m0s elapsed]") as for a local run.
struct LogMirror {
    seen: usize,
    every: Duration,
    last: Option<tokio::time::Instant>,
}

impl LogMirror {
    fn new(every: Duration) -> Self {
        LogMirror { seen: 0, every, last: None }
    }

    /// Appends the lines of `log` (the whole log so far) that were not appended yet.
    fn absorb(&mut self, log: &str, ctx: &JobCtx) {
        let lines: Vec<&str> = log.lines().collect();
        for line in lines.iter().skip(self.seen) {
            ctx.log(line);
        }
        self.seen = self.seen.max(lines.len());
    }

    /// Reads the log and appends its new lines, at most once per `every`. A failed read is left for the next pull
    /// (the end of the job reads the log with its status anyway).
    async fn pull(&mut self, rm: &ResourceManager, job_id: &str, ctx: &JobCtx) {
        if self.last.is_some_and(|t| t.elapsed() < self.every) {
            return;
        }
        self.last = Some(tokio::time::Instant::now());
        match rm.job_log_text(job_id, 10).await {
            Ok(log) => {
                self.absorb(&log.text, ctx);
            }
            Err(e) => tracing::debug!(job_id, error = %e, "job log not read yet"),
        }
    }
}

/// The message of a failed RM job: state, failure, the first Terraform error, what to do.
pub fn failure_message(status: &RmJobStatus) -> String {
    let mut text =
        format!("Resource Manager {} job {} {}", status.operation, status.rm_job_id, status.lifecycle_state);
    if let Some(f) = &status.failure {
        text.push_str(&format!(": {} {}", f.code, f.message));
    }
    if let Some(first) = status.terraform_errors.first() {
        text.push_str(&format!("\nTerraform: {first}"));
    }
    if !status.resources.is_empty() || !status.failed_resources.is_empty() {
        text.push_str(&format!(
            "\nCreated: {}. Failed: {}.",
            status.resources.join(", "),
            status.failed_resources.join(", ")
        ));
    }
    if status.lifecycle_state == "CANCELED" {
        text.push_str(
            "\nThe job was canceled (by cancel_job, or in the Console). Next: run run_rm_plan to see what is left to do (after an apply, resources lists what was created before the stop).",
        );
    } else {
        text.push_str(
            "\nNext: fix the file the error names (write_terraform_files), upload it with create_rm_stack, and run run_rm_plan again; details has the whole status.",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rm_record_shape() {
        let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let record = RmRecord {
            schema_version: RM_SCHEMA_VERSION,
            session_id: "0190f0e0-0000-7000-8000-000000000001".into(),
            stack_id: "ocid1.ormstack.oc1..s".into(),
            compartment_id: "ocid1.compartment.oc1..c".into(),
            region: "us-ashburn-1".into(),
            terraform_version: "1.5.x".into(),
            variables: BTreeMap::from([("region".into(), "us-ashburn-1".into())]),
            files_hash: "abc".into(),
            revision: 2,
            created_at: t,
            updated_at: t,
            plans: vec![PlanRef { job_id: "ocid1.ormjob.oc1..p".into(), revision: 2, created_at: t }],
            applied_variables: Some(BTreeMap::new()),
            last_job_id: Some("ocid1.ormjob.oc1..p".into()),
        };
        insta::assert_json_snapshot!(record);
    }

    #[test]
    fn config_from_vars() {
        let c = RmConfig::from_vars(
            [("GALLEY_WORK_COMPARTMENT_ID".to_owned(), " ocid1.compartment.x ".to_owned())],
            Mode::Plan,
        )
        .unwrap();
        assert_eq!(c.work_compartment_id.as_deref(), Some("ocid1.compartment.x"));
        assert_eq!(c.poll, Duration::from_secs(2));
        assert!(RmConfig::from_vars([("GALLEY_RM_POLL_MS".to_owned(), "1".to_owned())], Mode::Full).is_err());
    }
}

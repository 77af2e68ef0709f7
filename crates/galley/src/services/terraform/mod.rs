//! Terraform runs: plan → fix → apply, as jobs, with the state in the store.
//!
//! - [`workspace`]: the session's `.tf` files in the store.
//! - [`backend`]: the `http` state backend Galley serves to its own runs on loopback.
//!
//! A run checks the workspace ([`galley_domain::terraform::safety`]), takes the workspace lock
//! (`tfstate/<session>/lock.json`, owned by the run's job), and starts a job that materialises the workspace into
//! a reused working directory (`<work dir>/<session>/`), runs `terraform init` only when the provider
//! requirements changed, and then `plan` or `apply` with `-json` output. A plan is saved in the store
//! (`tfstate/<session>/plans/<plan_id>.tfplan` + `.json`, with the hash of the files and the state's lineage and
//! serial it was made from); apply takes a `plan_id`, refuses it when the files or the state changed since, and
//! applies exactly that saved plan. Diagnostics come from the `-json` stream with file, lines, snippet and a hint
//! from the knowledge base.

pub mod backend;
pub mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use galley_domain::ids::SessionId;
use galley_domain::terraform::knowledge::KnowledgeBase;
use galley_domain::terraform::run::{
    Diagnostic, OutputValue, PlanDigest, StreamEvent, digest_from_show_json, digest_from_stream,
    outputs_from_json, parse_stream_line, state_identity,
};
use galley_domain::terraform::safety::{self, Policy, Refusal};
use galley_store::{Key, PutMode, Store, StoreExt, UpdateError};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use self::backend::Backend;
use self::workspace::{Files, hex_lower};
use super::ServiceError;
use super::jobs::{CANCEL_GRACE, JobCtx, JobError, JobHandle, JobService};
use crate::config::Mode;

/// Version of the [`PlanRecord`] shape.
pub const PLAN_SCHEMA_VERSION: u32 = 1;
/// The backend configuration Galley adds to every working directory.
const BACKEND_FILE: &str = "galley_backend.tf";
const BACKEND_TF: &str = "terraform {\n  backend \"http\" {}\n}\n";
/// The saved plan in the working directory.
const PLAN_FILE: &str = "galley.tfplan";
/// The marker of the last successful init: the fingerprint it was made for.
const INIT_MARKER: &str = ".terraform/galley-init";
const LOCK_FILE: &str = ".terraform.lock.hcl";
/// Bytes kept of each stream of a Terraform process.
const MAX_PROCESS_OUTPUT: usize = 16 * 1024 * 1024;
/// Saved plans kept per session (older ones are deleted).
const KEEP_PLANS: usize = 20;
/// Most diagnostics returned.
const MAX_DIAGNOSTICS: usize = 20;

/// Operator settings (from the environment at start-up).
#[derive(Debug, Clone)]
pub struct TerraformConfig {
    /// The program (`GALLEY_TERRAFORM_BIN`, default `terraform`).
    pub program: String,
    /// Where working directories live (`GALLEY_TERRAFORM_WORK_DIR`).
    pub work_root: PathBuf,
    /// The shared provider plugin cache (`GALLEY_TERRAFORM_PLUGIN_CACHE_DIR`, default `<work dir>/plugin-cache`).
    pub plugin_cache: PathBuf,
    /// Allow provisioners, external data, other providers, modules and file functions
    /// (`GALLEY_TERRAFORM_ALLOW_EXEC=1`).
    pub allow_exec: bool,
    /// Longest single Terraform command (`GALLEY_TERRAFORM_TIMEOUT_SECS`, default 7200).
    pub timeout: Duration,
    /// The server's write mode.
    pub mode: Mode,
    /// Variables passed to every run (PATH, proxies, CA bundles, an operator's TF_CLI_CONFIG_FILE).
    pub base_env: Vec<(String, String)>,
    /// Variables passed only when the workspace uses the OCI provider (OCI_*, HOME, TF_VAR_*).
    pub oci_env: Vec<(String, String)>,
}

/// Variables always passed through to Terraform.
const PASS_ALWAYS: [&str; 9] = [
    "PATH",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

impl TerraformConfig {
    /// Reads the settings from `vars` (the process environment in production).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>, mode: Mode) -> anyhow::Result<Self> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let get = |k: &str| vars.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let work_root = match get("GALLEY_TERRAFORM_WORK_DIR") {
            Some(d) => PathBuf::from(d),
            None => match get("XDG_CACHE_HOME").or_else(|| get("HOME").map(|h| format!("{h}/.cache"))) {
                Some(cache) => PathBuf::from(cache).join("galley/terraform"),
                None => std::env::temp_dir().join("galley-terraform"),
            },
        };
        let allow_exec = match get("GALLEY_TERRAFORM_ALLOW_EXEC").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => anyhow::bail!("GALLEY_TERRAFORM_ALLOW_EXEC must be 1 or 0, not {other:?}"),
        };
        let timeout = match get("GALLEY_TERRAFORM_TIMEOUT_SECS") {
            None => Duration::from_secs(7200),
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n > 0 => Duration::from_secs(n),
                _ => anyhow::bail!(
                    "GALLEY_TERRAFORM_TIMEOUT_SECS must be a positive number of seconds, not {s:?}"
                ),
            },
        };
        let mut base_env: Vec<(String, String)> =
            PASS_ALWAYS.iter().filter_map(|k| vars.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect();
        if let Some(cfg) = get("TF_CLI_CONFIG_FILE") {
            base_env.push(("TF_CLI_CONFIG_FILE".to_owned(), cfg)); // e.g. the image's provider mirror
        }
        let oci_env = vars
            .iter()
            .filter(|(k, _)| k.starts_with("OCI_") || k.starts_with("TF_VAR_") || k.as_str() == "HOME")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(TerraformConfig {
            program: get("GALLEY_TERRAFORM_BIN").unwrap_or_else(|| "terraform".to_owned()),
            plugin_cache: get("GALLEY_TERRAFORM_PLUGIN_CACHE_DIR")
                .map_or_else(|| work_root.join("plugin-cache"), PathBuf::from),
            work_root,
            allow_exec,
            timeout,
            mode,
            base_env,
            oci_env,
        })
    }
}

/// The lineage and serial of a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StateRef {
    /// The state's lineage (constant for its life).
    pub lineage: String,
    /// Its serial (increases with every write).
    pub serial: u64,
}

/// A saved plan, `tfstate/<session>/plans/<plan_id>.json` (the plan file itself is `<plan_id>.tfplan`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanRecord {
    /// Shape version ([`PLAN_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The plan's id.
    pub plan_id: String,
    /// The session.
    pub session_id: String,
    /// The job that made it.
    pub job_id: String,
    /// A destroy plan.
    pub destroy: bool,
    /// SHA-256 of the workspace files it was made from.
    pub workspace_hash: String,
    /// The state it was made against (`None`: no state yet).
    pub state: Option<StateRef>,
    /// When.
    pub created_at: Timestamp,
    /// What it does.
    pub digest: PlanDigest,
    /// The job that applied it (a plan is applied at most once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
}

/// The result of a plan job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PlanOutcome {
    /// Pass this to run_terraform_apply (or run_terraform_destroy for a destroy plan) to apply exactly this plan.
    /// Absent when the plan has no changes (nothing to apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Whether this is a destroy plan.
    pub destroy: bool,
    /// Whether applying it changes anything.
    pub changes: bool,
    /// "N to create, N to update, N to replace, N to destroy".
    pub summary: String,
    /// The addresses by action; `replace` and `destroy` list everything that would be destroyed.
    pub digest: PlanDigest,
    /// Warnings Terraform printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
    /// Whether `terraform init` ran (only when the provider requirements changed).
    pub init_ran: bool,
}

/// One resource the apply changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AppliedChange {
    /// Resource address.
    pub address: String,
    /// What was done (create, update, delete, ...).
    pub action: String,
}

/// The result of an apply job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApplyOutcome {
    /// The plan applied.
    pub plan_id: String,
    /// Whether it was a destroy.
    pub destroy: bool,
    /// The resources changed, in order.
    pub applied: Vec<AppliedChange>,
    /// The root module's outputs after apply (sensitive values masked).
    pub outputs: BTreeMap<String, OutputValue>,
    /// Warnings Terraform printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
    /// The state after apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateRef>,
}

/// Terraform runs.
#[derive(Debug)]
pub struct TerraformService {
    store: Arc<dyn Store>,
    jobs: Arc<JobService>,
    config: TerraformConfig,
    backend: tokio::sync::OnceCell<Backend>,
}

fn state_key(s: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("tfstate/{s}/terraform.tfstate"))?)
}
fn lock_key(s: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("tfstate/{s}/lock.json"))?)
}
fn deps_lock_key(s: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("tfstate/{s}/terraform.lock.hcl"))?)
}
fn plan_key(s: SessionId, plan_id: &str, ext: &str) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("tfstate/{s}/plans/{plan_id}.{ext}"))?)
}

/// The refusals as one message for the model.
pub fn refusal_message(refusals: &[Refusal]) -> String {
    let lines: Vec<String> = refusals
        .iter()
        .map(|r| match r.line {
            Some(l) => format!("- {}:{l}: [{}] {}", r.file, r.rule, r.message),
            None => format!("- {}: [{}] {}", r.file, r.rule, r.message),
        })
        .collect();
    format!(
        "Galley refused to run this workspace ({} problem(s)); nothing ran. Fix these lines with write_terraform_files and plan again:\n{}",
        refusals.len(),
        lines.join("\n")
    )
}

fn io_err(what: &str, path: &Path, e: &std::io::Error) -> JobError {
    JobError::msg(format!(
        "{what} {}: {e}; check the disk space and GALLEY_TERRAFORM_WORK_DIR",
        path.display()
    ))
}

/// What one Terraform command left.
struct Run {
    ok: bool,
    /// Stopped by `cancel_job` (SIGINT) and exited cleanly: only apply returns such a run, to report what it did.
    interrupted: bool,
    diagnostics: Vec<Diagnostic>,
    events: Vec<StreamEvent>,
    stdout: String,
}

impl TerraformService {
    /// A service over `store` and `jobs`.
    pub fn new(store: Arc<dyn Store>, jobs: Arc<JobService>, config: TerraformConfig) -> Self {
        TerraformService { store, jobs, config, backend: tokio::sync::OnceCell::new() }
    }

    /// The operator settings.
    pub fn config(&self) -> &TerraformConfig {
        &self.config
    }

    async fn backend(&self) -> Result<&Backend, ServiceError> {
        self.backend.get_or_try_init(|| Backend::start(Arc::clone(&self.store))).await.map_err(|e| {
            ServiceError::InvalidInput(format!("cannot start the Terraform state backend on 127.0.0.1: {e}"))
        })
    }

    fn require_full_mode(&self, what: &str) -> Result<(), ServiceError> {
        if self.config.mode != Mode::Full {
            return Err(ServiceError::InvalidInput(format!(
                "Galley runs in {:?} mode, which allows plans but no {what}; the operator must start it with --mode full",
                self.config.mode
            )));
        }
        Ok(())
    }

    /// Reads and checks the workspace: not empty, nothing refused.
    async fn load_checked(&self, session: SessionId) -> Result<Files, ServiceError> {
        workspace::require_session(self.store.as_ref(), session).await?;
        let files = workspace::read_all(self.store.as_ref(), session).await?;
        if !files.keys().any(|n| n.ends_with(".tf") || n.ends_with(".tf.json")) {
            return Err(ServiceError::InvalidInput(format!(
                "the Terraform workspace of session {session} has no .tf files; write them with write_terraform_files (or pass files to run_terraform_plan)"
            )));
        }
        let list: Vec<(String, String)> = files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let refusals = safety::scan(&list, Policy { allow_exec: self.config.allow_exec });
        if !refusals.is_empty() {
            return Err(ServiceError::InvalidInput(refusal_message(&refusals)));
        }
        Ok(files)
    }

    async fn current_state(&self, session: SessionId) -> Result<Option<StateRef>, ServiceError> {
        match self.store.get(&state_key(session)?).await {
            Ok(got) => Ok(state_identity(&got.bytes).map(|(lineage, serial)| StateRef { lineage, serial })),
            Err(galley_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Starts a plan (or a destroy plan) of the session's workspace.
    pub async fn plan(
        self: &Arc<Self>,
        session: SessionId,
        destroy: bool,
    ) -> Result<JobHandle, ServiceError> {
        if destroy {
            self.require_full_mode("destroy")?;
        }
        let files = self.load_checked(session).await?;
        let kind = if destroy { "terraform_destroy_plan" } else { "terraform_plan" };
        let job_id = uuid::Uuid::now_v7().to_string();
        let this = Arc::clone(self);
        self.jobs
            .start(
                job_id,
                kind,
                Some(session.to_string()),
                vec![lock_key(session)?],
                true,
                move |ctx| async move { this.plan_job(&ctx, session, files, destroy).await },
            )
            .await
    }

    /// Starts applying a saved plan. `destroy` says which tool asked (a destroy plan only through destroy).
    pub async fn apply(
        self: &Arc<Self>,
        session: SessionId,
        plan_id: &str,
        destroy: bool,
    ) -> Result<JobHandle, ServiceError> {
        self.require_full_mode(if destroy { "destroy" } else { "apply" })?;
        let plan_id = uuid::Uuid::parse_str(plan_id.trim())
            .map_err(|_| {
                ServiceError::InvalidInput(format!(
                    "{plan_id:?} is not a plan_id; run run_terraform_plan to get one"
                ))
            })?
            .to_string();
        let record_key = plan_key(session, &plan_id, "json")?;
        let Some((record, _)) = self.store.get_json_opt::<PlanRecord>(&record_key).await? else {
            return Err(ServiceError::InvalidInput(format!(
                "no plan {plan_id} in session {session}; run run_terraform_plan (or run_terraform_destroy without plan_id) and use the plan_id it returns"
            )));
        };
        match (record.destroy, destroy) {
            (true, false) => {
                return Err(ServiceError::InvalidInput(format!(
                    "plan {plan_id} is a destroy plan: apply it with run_terraform_destroy (session_id, plan_id) after the user agreed to what it destroys"
                )));
            }
            (false, true) => {
                return Err(ServiceError::InvalidInput(format!(
                    "plan {plan_id} is not a destroy plan: apply it with run_terraform_apply, or call run_terraform_destroy without plan_id to make a destroy plan"
                )));
            }
            _ => {}
        }
        let files = self.load_checked(session).await?;
        if workspace::hash(&files) != record.workspace_hash {
            return Err(ServiceError::InvalidInput(format!(
                "plan {plan_id} is stale: the workspace's files changed after it was made, so it is not what the user saw; run run_terraform_plan again, show the new digest, and apply the new plan_id"
            )));
        }
        let kind = if destroy { "terraform_destroy" } else { "terraform_apply" };
        let job_id = uuid::Uuid::now_v7().to_string();
        let lock = lock_key(session)?;
        self.jobs.acquire_lock(&lock, &job_id, kind).await?;
        let claimed = self.claim_plan(session, &record_key, &plan_id, &job_id, record.state.as_ref()).await;
        let started = match claimed {
            Ok(()) => {
                let this = Arc::clone(self);
                self.jobs
                    .start(
                        job_id.clone(),
                        kind,
                        Some(session.to_string()),
                        vec![lock.clone()],
                        false,
                        move |ctx| async move { this.apply_job(&ctx, session, files, record).await },
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        if started.is_err() {
            self.jobs.release_lock(&lock, &job_id).await?;
        }
        started
    }

    /// Under the lock: the plan is unused and the state is the one it was made against; marks it used.
    async fn claim_plan(
        &self,
        session: SessionId,
        record_key: &Key,
        plan_id: &str,
        job_id: &str,
        planned_state: Option<&StateRef>,
    ) -> Result<(), ServiceError> {
        let now = self.current_state(session).await?;
        if now.as_ref() != planned_state {
            let show =
                |s: Option<&StateRef>| s.map_or("no state".to_owned(), |s| format!("serial {}", s.serial));
            return Err(ServiceError::InvalidInput(format!(
                "plan {plan_id} is stale: the state changed after it was made ({} then, {} now: another apply ran); run run_terraform_plan again and apply the new plan_id",
                show(planned_state),
                show(now.as_ref())
            )));
        }
        let claimed = self
            .store
            .update_json(record_key, |current: Option<PlanRecord>| {
                let Some(mut r) = current else { return Err(format!("plan {plan_id} disappeared; plan again")) };
                if let Some(by) = &r.applied_by {
                    return Err(format!(
                        "plan {plan_id} was already applied (job {by}); a plan is applied once: run run_terraform_plan for the next change"
                    ));
                }
                r.applied_by = Some(job_id.to_owned());
                Ok(r)
            })
            .await;
        match claimed {
            Ok(_) => Ok(()),
            Err(UpdateError::Aborted(msg)) => Err(ServiceError::InvalidInput(msg)),
            Err(UpdateError::Store(e)) => Err(e.into()),
        }
    }

    /// Loads the knowledge base: built-in entries plus `knowledge/terraform_errors/*.yaml` from the store
    /// (store entries first). Broken store files are reported, not fatal.
    pub async fn knowledge(&self) -> (KnowledgeBase, Vec<String>) {
        let mut problems = Vec::new();
        let mut kb = KnowledgeBase::builtin().unwrap_or_else(|e| {
            problems.push(e);
            KnowledgeBase::default()
        });
        match self.store.list_all("knowledge/terraform_errors/").await {
            Ok(metas) => {
                for meta in metas.iter().rev().filter(|m| m.key.as_str().ends_with(".yaml")) {
                    let text = match self.store.get(&meta.key).await {
                        Ok(got) => String::from_utf8_lossy(&got.bytes).into_owned(),
                        Err(e) => {
                            problems.push(format!("{}: {e}", meta.key));
                            continue;
                        }
                    };
                    if let Err(e) = kb.prepend_yaml(meta.key.as_str(), &text) {
                        tracing::warn!(problem = %e, "skipped a broken knowledge file");
                        problems.push(e);
                    }
                }
            }
            Err(e) => problems.push(format!("knowledge/terraform_errors/: {e}")),
        }
        (kb, problems)
    }

    fn env(&self, files: &Files, grant: &backend::RunGrant) -> Vec<(String, String)> {
        let list: Vec<(String, String)> = files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let uses_oci = safety::providers_used(&list).contains("oci");
        let mut env = self.config.base_env.clone();
        if !env.iter().any(|(k, _)| k == "PATH") {
            env.push(("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()));
        }
        if uses_oci {
            env.extend(self.config.oci_env.iter().cloned());
        }
        if !env.iter().any(|(k, _)| k == "HOME") {
            env.push(("HOME".to_owned(), self.config.work_root.join("home").display().to_string()));
        }
        if !env.iter().any(|(k, _)| k == "TF_CLI_CONFIG_FILE") {
            env.push((
                "TF_CLI_CONFIG_FILE".to_owned(),
                self.config.work_root.join("terraformrc").display().to_string(),
            ));
        }
        env.extend([
            ("TF_IN_AUTOMATION".to_owned(), "1".to_owned()),
            ("TF_INPUT".to_owned(), "0".to_owned()),
            ("CHECKPOINT_DISABLE".to_owned(), "1".to_owned()),
            ("TF_PLUGIN_CACHE_DIR".to_owned(), self.config.plugin_cache.display().to_string()),
        ]);
        env.extend(grant.env.iter().cloned());
        env
    }

    /// Writes the workspace into its working directory (reused between runs): changed files rewritten, removed
    /// ones deleted, the backend file and the dependency lock file from the store added.
    async fn prepare(&self, ctx: &JobCtx, session: SessionId, files: &Files) -> Result<PathBuf, JobError> {
        let root = &self.config.work_root;
        let dir = root.join(session.to_string());
        for d in [&dir, &root.join("home"), &self.config.plugin_cache] {
            tokio::fs::create_dir_all(d).await.map_err(|e| io_err("cannot create", d, &e))?;
        }
        let rc = root.join("terraformrc");
        if tokio::fs::metadata(&rc).await.is_err() {
            tokio::fs::write(
                &rc,
                "# Galley's Terraform CLI configuration (the plugin cache comes from TF_PLUGIN_CACHE_DIR)\n",
            )
            .await
            .map_err(|e| io_err("cannot write", &rc, &e))?;
        }
        let mut entries = tokio::fs::read_dir(&dir).await.map_err(|e| io_err("cannot read", &dir, &e))?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_config = name.ends_with(".tf") || name.ends_with(".tf.json") || name.ends_with(".tfvars");
            if is_config && name != BACKEND_FILE && !files.contains_key(&name) {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        let mut written = 0;
        for (name, content) in
            files.iter().map(|(n, c)| (n.as_str(), c.as_str())).chain([(BACKEND_FILE, BACKEND_TF)])
        {
            let path = dir.join(name);
            if tokio::fs::read(&path).await.ok().as_deref() != Some(content.as_bytes()) {
                tokio::fs::write(&path, content).await.map_err(|e| io_err("cannot write", &path, &e))?;
                written += 1;
            }
        }
        // The dependency lock file follows the store (another replica may have initialised meanwhile).
        let stored = self.store.get(&deps_lock_key(session).map_err(|e| JobError::msg(e.to_string()))?).await;
        if let Ok(got) = stored {
            let path = dir.join(LOCK_FILE);
            if tokio::fs::read(&path).await.ok().as_deref() != Some(&got.bytes[..]) {
                tokio::fs::write(&path, &got.bytes).await.map_err(|e| io_err("cannot write", &path, &e))?;
                let _ = tokio::fs::remove_file(dir.join(INIT_MARKER)).await;
            }
        }
        let _ = tokio::fs::remove_file(dir.join(PLAN_FILE)).await;
        ctx.log(&format!("workspace: {} file(s), {written} written to the working directory", files.len()));
        Ok(dir)
    }

    fn init_fingerprint(files: &Files) -> String {
        let list: Vec<(String, String)> = files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut h = Sha256::new();
        h.update(safety::init_fingerprint(&list).as_bytes());
        h.update(BACKEND_TF.as_bytes());
        hex_lower(&h.finalize())
    }

    /// Runs one Terraform command, streaming its `-json` lines into the job log.
    async fn terraform(
        &self,
        ctx: &JobCtx,
        dir: &Path,
        env: &[(String, String)],
        args: &[&str],
    ) -> Result<Run, JobError> {
        let command = args.first().copied().unwrap_or("");
        if ctx.is_canceled() {
            return Err(JobError::msg(format!(
                "canceled (cancel_job) before terraform {command} started; nothing was changed by this run"
            )));
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(galley_runner::Stream, String)>();
        let spec = galley_runner::Spec {
            program: &self.config.program,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: Some(dir),
            env: Some(env.to_vec()),
            limits: galley_runner::Limits { timeout: self.config.timeout, max_output: MAX_PROCESS_OUTPUT },
            interrupt: Some(galley_runner::Interrupt {
                token: ctx.cancel_token().clone(),
                grace: CANCEL_GRACE,
                kill: Some(ctx.kill_token().clone()),
            }),
        };
        let json = args.contains(&"-json");
        let pump = async {
            let mut diagnostics = Vec::new();
            let mut events = Vec::new();
            while let Some((_, line)) = rx.recv().await {
                if line.trim().is_empty() {
                    continue;
                }
                if !json {
                    continue; // plain output (show, output): parsed after the run, not logged
                }
                let (message, event) = parse_stream_line(&line);
                ctx.log(&message);
                match event {
                    StreamEvent::Diagnostic(d) => diagnostics.push(d),
                    StreamEvent::Other => {}
                    other => events.push(other),
                }
            }
            (diagnostics, events)
        };
        let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
        let record_child = async {
            if let Ok(pid) = pid_rx.await {
                ctx.set_child(Some(pid));
            }
        };
        let (out, (mut diagnostics, events), ()) =
            tokio::join!(galley_runner::run_spec(&spec, Some(tx), Some(pid_tx)), pump, record_child);
        ctx.set_child(None);
        let out = out.map_err(|e| match e {
            galley_runner::Error::Killed { forced, .. } => JobError::msg(format!(
                "canceled (cancel_job): terraform {command} was killed ({}); the state in the store may miss what it was creating at that moment (check the Console for resources Terraform does not know). Run run_terraform_plan to compare the state with the configuration.",
                if forced {
                    "forced".to_owned()
                } else {
                    format!("it did not stop within {} s of the interrupt", CANCEL_GRACE.as_secs())
                }
            )),
            e => JobError::msg(format!("terraform {command}: {e}")),
        })?;
        if out.interrupted && command != "apply" {
            return Err(JobError::msg(format!(
                "canceled (cancel_job): terraform {command} was interrupted and stopped; nothing was changed by this run"
            )));
        }
        if !out.success() && diagnostics.is_empty() && !out.interrupted {
            // Terraform failed before it could speak JSON (bad flags, a crash): keep the end of its stderr.
            let tail: String = out
                .stderr
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            for l in tail.lines() {
                ctx.log(l);
            }
            diagnostics.push(Diagnostic {
                severity: "error".to_owned(),
                summary: format!("terraform {} exited with {:?}", args.first().unwrap_or(&""), out.code),
                detail: tail,
                file: None,
                start_line: None,
                end_line: None,
                snippet: None,
                address: None,
                hint: None,
            });
        }
        Ok(Run { ok: out.success(), interrupted: out.interrupted, diagnostics, events, stdout: out.stdout })
    }

    async fn failure(&self, what: &str, run: Run, extra: Value) -> JobError {
        let (kb, problems) = self.knowledge().await;
        let mut errors: Vec<Diagnostic> =
            run.diagnostics.into_iter().filter(|d| d.severity == "error").collect();
        kb.annotate(&mut errors);
        errors.truncate(MAX_DIAGNOSTICS);
        let first = errors.first().map_or_else(String::new, |d| {
            let at = match (&d.file, d.start_line) {
                (Some(f), Some(l)) => format!("{f}:{l}: "),
                _ => String::new(),
            };
            format!(
                " First: {at}{}{}",
                d.summary,
                if d.detail.is_empty() { String::new() } else { format!(" — {}", d.detail) }
            )
        });
        let mut details = serde_json::json!({ "diagnostics": errors });
        if let (Some(obj), Value::Object(more)) = (details.as_object_mut(), extra) {
            obj.extend(more);
        }
        if !problems.is_empty()
            && let Some(obj) = details.as_object_mut()
        {
            obj.insert("knowledge_base_problems".to_owned(), serde_json::json!(problems));
        }
        JobError {
            message: format!(
                "terraform {what} failed with {} error(s).{first} Fix the file and line named in diagnostics (hint says what usually causes it) with write_terraform_files, then run run_terraform_plan again.",
                errors.len()
            ),
            details,
        }
    }

    /// Runs init when the provider requirements changed since the last one in this directory.
    async fn init_if_needed(
        &self,
        ctx: &JobCtx,
        session: SessionId,
        dir: &Path,
        files: &Files,
        env: &[(String, String)],
    ) -> Result<bool, JobError> {
        let fingerprint = Self::init_fingerprint(files);
        let marker = dir.join(INIT_MARKER);
        if tokio::fs::read_to_string(&marker).await.ok().as_deref() == Some(fingerprint.as_str()) {
            ctx.log("init: provider requirements unchanged, skipped");
            return Ok(false);
        }
        ctx.step("init");
        let run =
            self.terraform(ctx, dir, env, &["init", "-input=false", "-json", "-lock-timeout=0s"]).await?;
        if !run.ok {
            return Err(self.failure("init", run, Value::Null).await);
        }
        tokio::fs::write(&marker, &fingerprint).await.map_err(|e| io_err("cannot write", &marker, &e))?;
        if let Ok(lock) = tokio::fs::read(dir.join(LOCK_FILE)).await {
            let key = deps_lock_key(session).map_err(|e| JobError::msg(e.to_string()))?;
            let same = self.store.get(&key).await.is_ok_and(|got| got.bytes[..] == lock[..]);
            if !same {
                self.store
                    .put(&key, bytes::Bytes::from(lock), PutMode::Overwrite)
                    .await
                    .map_err(|e| JobError::msg(format!("cannot save the dependency lock file: {e}")))?;
            }
        }
        Ok(true)
    }

    async fn plan_job(
        &self,
        ctx: &JobCtx,
        session: SessionId,
        files: Files,
        destroy: bool,
    ) -> Result<Value, JobError> {
        let store_err = |e: ServiceError| JobError::msg(e.to_string());
        ctx.step("prepare");
        let dir = self.prepare(ctx, session, &files).await?;
        let backend = self.backend().await.map_err(store_err)?;
        let grant = backend.grant(
            &ctx.job_id,
            state_key(session).map_err(store_err)?,
            lock_key(session).map_err(store_err)?,
        );
        let env = self.env(&files, &grant);
        let init_ran = self.init_if_needed(ctx, session, &dir, &files, &env).await?;
        ctx.step(if destroy { "plan -destroy" } else { "plan" });
        let out = format!("-out={PLAN_FILE}");
        // No Terraform lock for a plan: it writes no state, and the job already holds the workspace lock, so no
        // other Galley run can change the state meanwhile (two backend round trips saved on every plan).
        let mut args = vec!["plan", "-input=false", "-json", "-lock=false", out.as_str()];
        if destroy {
            args.push("-destroy");
        }
        let run = self.terraform(ctx, &dir, &env, &args).await?;
        if !run.ok {
            return Err(self.failure("plan", run, Value::Null).await);
        }
        // The digest comes from the plan's own `planned_change` and `outputs` events. `terraform show -json` (a
        // second Terraform process, as long as the plan itself) runs only when the stream's change summary counts
        // changes the events did not name, e.g. from a Terraform that reports differently.
        let mut digest = digest_from_stream(&run.events);
        let counted = run.events.iter().any(|e| match e {
            StreamEvent::ChangeSummary { add, change, remove, import } => add + change + remove + import > 0,
            _ => false,
        });
        if counted && !digest.has_changes() {
            ctx.step("show");
            let show = self.terraform(ctx, &dir, &env, &["show", "-json", "-no-color", PLAN_FILE]).await?;
            if !show.ok {
                return Err(self.failure("show", show, Value::Null).await);
            }
            digest = digest_from_show_json(&show.stdout).map_err(JobError::msg)?;
        }
        drop(grant);
        // A plan without changes is not saved: there is nothing to apply.
        let plan_id = if digest.has_changes() {
            let state = self.current_state(session).await.map_err(store_err)?;
            let plan_bytes = tokio::fs::read(dir.join(PLAN_FILE))
                .await
                .map_err(|e| io_err("cannot read", &dir.join(PLAN_FILE), &e))?;
            let plan_id = uuid::Uuid::now_v7().to_string();
            let record = PlanRecord {
                schema_version: PLAN_SCHEMA_VERSION,
                plan_id: plan_id.clone(),
                session_id: session.to_string(),
                job_id: ctx.job_id.clone(),
                destroy,
                workspace_hash: workspace::hash(&files),
                state,
                created_at: Timestamp::now(),
                digest: digest.clone(),
                applied_by: None,
            };
            let file_key = plan_key(session, &plan_id, "tfplan").map_err(store_err)?;
            let record_key = plan_key(session, &plan_id, "json").map_err(store_err)?;
            let (file, rec) = tokio::join!(
                self.store.put(&file_key, bytes::Bytes::from(plan_bytes), PutMode::Create),
                self.store.put_json(&record_key, &record, PutMode::Create)
            );
            file.and(rec).map_err(|e| JobError::msg(format!("cannot save the plan: {e}")))?;
            self.prune_plans(session).await;
            Some(plan_id)
        } else {
            None
        };
        let warnings =
            run.diagnostics.into_iter().filter(|d| d.severity != "error").take(MAX_DIAGNOSTICS).collect();
        ctx.log(&format!(
            "plan {}: {}",
            plan_id.as_deref().unwrap_or("(not saved: no changes)"),
            digest.summary()
        ));
        let outcome = PlanOutcome {
            plan_id,
            destroy,
            changes: digest.has_changes(),
            summary: digest.summary(),
            digest,
            warnings,
            init_ran,
        };
        serde_json::to_value(outcome).map_err(|e| JobError::msg(format!("internal: {e}")))
    }

    async fn apply_job(
        &self,
        ctx: &JobCtx,
        session: SessionId,
        files: Files,
        record: PlanRecord,
    ) -> Result<Value, JobError> {
        let store_err = |e: ServiceError| JobError::msg(e.to_string());
        ctx.step("prepare");
        let dir = self.prepare(ctx, session, &files).await?;
        let plan =
            self.store.get(&plan_key(session, &record.plan_id, "tfplan").map_err(store_err)?).await.map_err(
                |e| JobError::msg(format!("cannot read the saved plan {}: {e}; plan again", record.plan_id)),
            )?;
        let plan_path = dir.join(PLAN_FILE);
        tokio::fs::write(&plan_path, &plan.bytes)
            .await
            .map_err(|e| io_err("cannot write", &plan_path, &e))?;
        let backend = self.backend().await.map_err(store_err)?;
        let grant = backend.grant(
            &ctx.job_id,
            state_key(session).map_err(store_err)?,
            lock_key(session).map_err(store_err)?,
        );
        let env = self.env(&files, &grant);
        self.init_if_needed(ctx, session, &dir, &files, &env).await?;
        ctx.step(if record.destroy { "destroy" } else { "apply" });
        let run = self
            .terraform(ctx, &dir, &env, &["apply", "-input=false", "-json", "-lock-timeout=0s", PLAN_FILE])
            .await?;
        let applied: Vec<AppliedChange> = run
            .events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Applied { address, action } => {
                    Some(AppliedChange { address: address.clone(), action: action.clone() })
                }
                _ => None,
            })
            .collect();
        if !run.ok {
            let failed: Vec<String> = run
                .events
                .iter()
                .filter_map(|e| match e {
                    StreamEvent::ApplyFailed { address } => Some(address.clone()),
                    _ => None,
                })
                .collect();
            let extra = serde_json::json!({ "applied": applied, "failed": failed });
            if run.interrupted {
                let what = if record.destroy { "destroy" } else { "apply" };
                return Err(JobError {
                    message: format!(
                        "{what} canceled (cancel_job): Terraform finished the operations in flight and saved the state in the store. {} resource(s) were changed before the stop{}. Run run_terraform_plan to see what is left to create (or plan a destroy to remove what was created).",
                        applied.len(),
                        if applied.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ": {}",
                                applied.iter().map(|a| a.address.as_str()).collect::<Vec<_>>().join(", ")
                            )
                        }
                    ),
                    details: extra,
                });
            }
            let mut err = self.failure("apply", run, extra).await;
            err.message = format!(
                "{} {} resource(s) were changed before the failure (the state in the store records them); failed: {}.",
                err.message,
                applied.len(),
                if failed.is_empty() { "none named".to_owned() } else { failed.join(", ") }
            );
            return Err(err);
        }
        ctx.step("outputs");
        let out = self.terraform(ctx, &dir, &env, &["output", "-json", "-no-color"]).await?;
        let outputs =
            if out.ok { outputs_from_json(&out.stdout).unwrap_or_default() } else { BTreeMap::new() };
        drop(grant);
        let state = self.current_state(session).await.map_err(store_err)?;
        let warnings =
            run.diagnostics.into_iter().filter(|d| d.severity != "error").take(MAX_DIAGNOSTICS).collect();
        ctx.log(&format!("applied plan {}: {} resource(s) changed", record.plan_id, applied.len()));
        let outcome = ApplyOutcome {
            plan_id: record.plan_id,
            destroy: record.destroy,
            applied,
            outputs,
            warnings,
            state,
        };
        serde_json::to_value(outcome).map_err(|e| JobError::msg(format!("internal: {e}")))
    }

    /// Keeps the newest [`KEEP_PLANS`] plans of a session (plan ids are UUID v7, so key order is age order).
    async fn prune_plans(&self, session: SessionId) {
        let prefix = format!("tfstate/{session}/plans/");
        let Ok(metas) = self.store.list_all(&prefix).await else { return };
        let mut ids: Vec<String> = metas
            .iter()
            .filter_map(|m| m.key.as_str().strip_prefix(&prefix)?.strip_suffix(".json").map(str::to_owned))
            .collect();
        ids.sort();
        let old = ids.len().saturating_sub(KEEP_PLANS);
        for id in &ids[..old] {
            for ext in ["json", "tfplan"] {
                if let Ok(key) = plan_key(session, id, ext) {
                    let _ = self.store.delete(&key).await;
                }
            }
        }
    }

    /// The stored state's identity and the job holding the workspace lock.
    pub async fn workspace_status(
        &self,
        session: SessionId,
    ) -> Result<(Option<StateRef>, Option<String>), ServiceError> {
        let state = self.current_state(session).await?;
        let lock = self.jobs.lock_holder(&lock_key(session)?).await?.map(|l| l.job_id);
        Ok((state, lock))
    }

    /// The job service (for `get_job`).
    pub fn jobs(&self) -> &Arc<JobService> {
        &self.jobs
    }

    /// How long a run has been going.
    pub fn elapsed_since(started: Timestamp) -> f64 {
        Timestamp::now().duration_since(started).as_secs_f64().max(0.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn config_from_vars() {
        let vars = |v: &[(&str, &str)]| {
            v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>()
        };
        let c = TerraformConfig::from_vars(
            vars(&[
                ("PATH", "/bin"),
                ("HOME", "/h"),
                ("GALLEY_AUTH_TOKEN", "secret"),
                ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
            ]),
            Mode::Full,
        )
        .unwrap();
        assert_eq!(c.work_root, PathBuf::from("/h/.cache/galley/terraform"));
        assert_eq!(c.plugin_cache, PathBuf::from("/h/.cache/galley/terraform/plugin-cache"));
        assert!(!c.allow_exec);
        let all: Vec<&str> = c.base_env.iter().chain(&c.oci_env).map(|(k, _)| k.as_str()).collect();
        assert_eq!(all, ["PATH", "HOME", "OCI_RESOURCE_PRINCIPAL_VERSION"]);
        assert!(
            TerraformConfig::from_vars(vars(&[("GALLEY_TERRAFORM_ALLOW_EXEC", "maybe")]), Mode::Full)
                .is_err()
        );
        assert!(
            TerraformConfig::from_vars(vars(&[("GALLEY_TERRAFORM_ALLOW_EXEC", "1")]), Mode::Full)
                .unwrap()
                .allow_exec
        );
    }

    fn service(mode: Mode, vars: &[(&str, &str)]) -> (Arc<dyn Store>, Arc<TerraformService>) {
        let store: Arc<dyn Store> = Arc::new(galley_store::MemoryStore::new());
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let config = TerraformConfig::from_vars(vars, mode).unwrap();
        let jobs = Arc::new(JobService::new(Arc::clone(&store)));
        (Arc::clone(&store), Arc::new(TerraformService::new(store, jobs, config)))
    }

    #[tokio::test]
    async fn plan_mode_refuses_apply_and_destroy() {
        let (_, tf) = service(Mode::Plan, &[]);
        let s = SessionId::from_uuid(uuid::Uuid::now_v7());
        let id = uuid::Uuid::now_v7().to_string();
        for err in [
            tf.apply(s, &id, false).await.unwrap_err(),
            tf.apply(s, &id, true).await.unwrap_err(),
            tf.plan(s, true).await.unwrap_err(),
        ] {
            assert!(
                err.to_string().contains("Plan mode") && err.to_string().contains("--mode full"),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn knowledge_base_reads_store_files_and_reports_broken_ones() {
        let (store, tf) = service(Mode::Full, &[]);
        let good = "entries:\n  - id: team_rule\n    match: [\"Out of host capacity\"]\n    cause: c\n    fix: use AD-2\n";
        store
            .put(&Key::new("knowledge/terraform_errors/team.yaml").unwrap(), good.into(), PutMode::Create)
            .await
            .unwrap();
        store
            .put(
                &Key::new("knowledge/terraform_errors/broken.yaml").unwrap(),
                "entries: [".into(),
                PutMode::Create,
            )
            .await
            .unwrap();
        let (kb, problems) = tf.knowledge().await;
        assert_eq!(kb.lookup("500-InternalError, Out of host capacity.").unwrap().id, "team_rule");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("broken.yaml"));
    }

    /// Runs terraform in `dir` with a clean environment; `None` when terraform is not installed (the test skips,
    /// unless GALLEY_REQUIRE_TOOLS=1).
    async fn tf(dir: &Path, args: &[&str]) -> Option<galley_runner::Output> {
        let spec = galley_runner::Spec {
            program: "terraform",
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: Some(dir),
            env: Some(vec![
                ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
                ("HOME".into(), dir.display().to_string()),
                ("TF_IN_AUTOMATION".into(), "1".into()),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
            ]),
            limits: galley_runner::Limits { timeout: Duration::from_secs(120), max_output: 16 << 20 },
            interrupt: None,
        };
        match galley_runner::run_spec(&spec, None, None).await {
            Err(galley_runner::Error::NotFound { .. }) => {
                assert_ne!(
                    std::env::var("GALLEY_REQUIRE_TOOLS").as_deref(),
                    Ok("1"),
                    "terraform is not on PATH"
                );
                None
            }
            Err(e) => panic!("terraform {args:?}: {e}"),
            Ok(out) => {
                assert!(out.success(), "terraform {args:?}: {}", out.stderr);
                Some(out)
            }
        }
    }

    /// The digest Galley reads from the plan's stream equals the one from `terraform show -json`, on a real plan
    /// that creates, updates, replaces, destroys (by config and by count), moves and forgets resources and
    /// changes outputs.
    #[tokio::test]
    async fn the_stream_digest_equals_the_show_json_digest() {
        let dir = tempfile::tempdir().unwrap();
        let before = "resource \"terraform_data\" \"a\" {\n  input = \"v1\"\n}\nresource \"terraform_data\" \"b\" {\n  triggers_replace = \"v1\"\n}\nresource \"terraform_data\" \"c\" {\n  input = \"gone\"\n}\nresource \"terraform_data\" \"e\" {\n  input = \"moving\"\n}\nresource \"terraform_data\" \"f\" {\n  input = \"forget me\"\n}\nresource \"terraform_data\" \"g\" {\n  count = 2\n  input = count.index\n}\noutput \"o\" {\n  value = terraform_data.a.output\n}\noutput \"same\" {\n  value = \"x\"\n}\n";
        let after = "resource \"terraform_data\" \"a\" {\n  input = \"v2\"\n}\nresource \"terraform_data\" \"b\" {\n  triggers_replace = \"v2\"\n}\nresource \"terraform_data\" \"d\" {\n  input = \"new\"\n}\nresource \"terraform_data\" \"e2\" {\n  input = \"moving\"\n}\nmoved {\n  from = terraform_data.e\n  to   = terraform_data.e2\n}\nremoved {\n  from = terraform_data.f\n  lifecycle {\n    destroy = false\n  }\n}\nresource \"terraform_data\" \"g\" {\n  count = 1\n  input = count.index\n}\noutput \"o\" {\n  value = terraform_data.a.output\n}\noutput \"same\" {\n  value = \"x\"\n}\noutput \"new\" {\n  value = 1\n}\n";
        std::fs::write(dir.path().join("main.tf"), before).unwrap();
        if tf(dir.path(), &["init", "-input=false"]).await.is_none() {
            return;
        }
        let plan = |dir: &Path| {
            let dir = dir.to_owned();
            async move {
                let out = tf(&dir, &["plan", "-input=false", "-json", "-out=p.tfplan"]).await.unwrap();
                let events: Vec<StreamEvent> = out.stdout.lines().map(|l| parse_stream_line(l).1).collect();
                let show = tf(&dir, &["show", "-json", "p.tfplan"]).await.unwrap();
                (digest_from_stream(&events), digest_from_show_json(&show.stdout).unwrap())
            }
        };
        let (stream, show) = plan(dir.path()).await;
        assert_eq!(stream, show);
        assert_eq!(stream.create.len(), 7, "{stream:?}");
        tf(dir.path(), &["apply", "-input=false", "p.tfplan"]).await.unwrap();
        std::fs::write(dir.path().join("main.tf"), after).unwrap();
        let (stream, show) = plan(dir.path()).await;
        assert_eq!(stream, show);
        assert_eq!(stream.create, ["terraform_data.d"]);
        assert_eq!(stream.update, ["terraform_data.a"]);
        assert_eq!(stream.replace, ["terraform_data.b"]);
        assert_eq!(stream.destroy, ["terraform_data.c", "terraform_data.g[1]"]);
        assert_eq!(stream.other, ["terraform_data.e2", "terraform_data.f"]);
        assert_eq!(stream.output_changes, ["new", "o"]);
        // A destroy plan.
        let out =
            tf(dir.path(), &["plan", "-input=false", "-json", "-destroy", "-out=p.tfplan"]).await.unwrap();
        let events: Vec<StreamEvent> = out.stdout.lines().map(|l| parse_stream_line(l).1).collect();
        let show = tf(dir.path(), &["show", "-json", "p.tfplan"]).await.unwrap();
        assert_eq!(digest_from_stream(&events), digest_from_show_json(&show.stdout).unwrap());
    }

    #[tokio::test]
    async fn terraform_gets_a_minimal_environment() {
        let vars = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("GALLEY_AUTH_TOKEN", "secret-token"),
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
            ("UNRELATED", "x"),
            ("GALLEY_TERRAFORM_WORK_DIR", "/w"),
        ];
        let (store, tf) = service(Mode::Full, &vars);
        let backend = Backend::start(store).await.unwrap();
        let key = |k: &str| Key::new(k).unwrap();
        let grant = backend.grant("j", key("tfstate/s/terraform.tfstate"), key("tfstate/s/lock.json"));
        let plain: Files = [("main.tf".to_owned(), "resource \"terraform_data\" \"a\" {}".to_owned())].into();
        let env: BTreeMap<String, String> = tf.env(&plain, &grant).into_iter().collect();
        let names: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "CHECKPOINT_DISABLE",
                "HOME",
                "PATH",
                "TF_CLI_CONFIG_FILE",
                "TF_HTTP_ADDRESS",
                "TF_HTTP_LOCK_ADDRESS",
                "TF_HTTP_PASSWORD",
                "TF_HTTP_RETRY_MAX",
                "TF_HTTP_UNLOCK_ADDRESS",
                "TF_HTTP_USERNAME",
                "TF_INPUT",
                "TF_IN_AUTOMATION",
                "TF_PLUGIN_CACHE_DIR"
            ]
        );
        assert_eq!(env["HOME"], "/w/home", "the real HOME (~/.oci) only for the OCI provider");
        assert!(env["TF_HTTP_ADDRESS"].starts_with("http://127.0.0.1:"));
        let oci: Files = [("main.tf".to_owned(), "resource \"oci_core_vcn\" \"v\" {}".to_owned())].into();
        let env: BTreeMap<String, String> = tf.env(&oci, &grant).into_iter().collect();
        assert_eq!(env["HOME"], "/home/me");
        assert_eq!(env["OCI_RESOURCE_PRINCIPAL_VERSION"], "2.2");
        assert!(!env.contains_key("GALLEY_AUTH_TOKEN") && !env.contains_key("UNRELATED"));
    }

    #[test]
    fn plan_record_shape() {
        let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let record = PlanRecord {
            schema_version: PLAN_SCHEMA_VERSION,
            plan_id: "0190f0e0-0000-7000-8000-000000000002".into(),
            session_id: "0190f0e0-0000-7000-8000-000000000001".into(),
            job_id: "0190f0e0-0000-7000-8000-000000000003".into(),
            destroy: false,
            workspace_hash: "ab".into(),
            state: Some(StateRef { lineage: "l".into(), serial: 3 }),
            created_at: t,
            digest: PlanDigest { create: vec!["terraform_data.a".into()], ..PlanDigest::default() },
            applied_by: None,
        };
        insta::assert_json_snapshot!(record);
    }
}

//! Running a job: Terraform on the job's configuration, through `galley-runner` (the only crate that spawns
//! processes), in a fresh temporary directory.
//!
//! The job's zip is unpacked into `<work>/config`, the variables written to `terraform.tfvars.json` in the
//! working directory, the stack's state (if any) to `terraform.tfstate` there (the local backend's default
//! path), and then `terraform init`, and `plan -out` (+ `show -json`), `apply` (auto-approved or of the plan
//! job's saved plan) or `destroy` run with a minimal environment (only `PATH`, `HOME` in the work
//! directory, `TF_IN_AUTOMATION`, `CHECKPOINT_DISABLE`, an empty CLI configuration unless the emulator's own
//! `TF_CLI_CONFIG_FILE` exists, `TF_PLUGIN_CACHE_DIR` when set) and a timeout per command. Standard output
//! becomes INFO log lines and standard error ERROR lines. After an apply or destroy, failed or not, the state
//! file is kept as the stack's state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::resourcemanager::archive;
use crate::resourcemanager::model::{JobState, Level, LogEntry, Operation, PlanStrategy};
use crate::state::{AppState, new_etag};

/// How long terraform has after a graceful CancelJob (SIGINT) before it is killed.
const CANCEL_GRACE: Duration = Duration::from_secs(60);

/// How jobs run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The terraform binary (a name looked up on `PATH`, or a path).
    pub terraform_bin: String,
    /// The limit of each terraform command; the process group is killed when it passes.
    pub command_timeout: Duration,
    /// How long a job stays ACCEPTED, and at least IN_PROGRESS, so clients see the lifecycle.
    pub step_delay: Duration,
    /// The variables passed to terraform (`PATH`, `TF_CLI_CONFIG_FILE`, `TF_PLUGIN_CACHE_DIR`, from the
    /// emulator's own environment); nothing else of the emulator's environment reaches terraform.
    pub pass_env: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            terraform_bin: "terraform".to_string(),
            command_timeout: Duration::from_secs(30 * 60),
            step_delay: Duration::from_secs(1),
            pass_env: Self::env_from_process(),
        }
    }
}

impl Settings {
    /// The variables of the emulator's environment that terraform gets.
    pub fn env_from_process() -> Vec<(String, String)> {
        ["PATH", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR"]
            .into_iter()
            .filter_map(|name| {
                std::env::var(name).ok().filter(|v| !v.is_empty()).map(|v| (name.to_string(), v))
            })
            .collect()
    }
}

/// What the job runs, copied out of the state when it starts.
struct Inputs {
    operation: Operation,
    strategy: PlanStrategy,
    zip: Arc<Vec<u8>>,
    working_directory: Option<String>,
    variables: BTreeMap<String, String>,
    stack_state: Option<Arc<Vec<u8>>>,
    plan: Option<Arc<Vec<u8>>>,
}

/// How the job ended.
struct Failure {
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

#[derive(Default)]
struct Products {
    plan: Option<Vec<u8>>,
    plan_json: Option<Vec<u8>>,
}

fn append_logs(state: &AppState, job_id: &str, entries: Vec<LogEntry>) {
    if entries.is_empty() {
        return;
    }
    if let Some(job) = state.rm().jobs.get_mut(job_id) {
        job.logs.extend(entries);
    }
}

fn log(state: &AppState, job_id: &str, level: Level, message: impl Into<String>) {
    let entry = LogEntry { level, timestamp: state.now(), message: message.into() };
    append_logs(state, job_id, vec![entry]);
}

/// The job's lifecycle: ACCEPTED for a step, IN_PROGRESS while terraform runs (at least a step), then
/// SUCCEEDED, FAILED or (after CancelJob) CANCELED; the stack's lock is released at the end.
pub async fn run_job(state: AppState, job_id: String) {
    let settings = state.rm_settings().clone();
    let Some(cancel) = state.rm().jobs.get(&job_id).map(|j| j.cancel.clone()) else { return };
    tokio::select! {
        () = tokio::time::sleep(settings.step_delay) => {}
        () = cancel.cancelled() => {
            finish(&state, &job_id, JobState::Canceled, None, None, Products::default());
            return;
        }
    }
    let Some(inputs) = start(&state, &job_id) else { return };
    let started = Instant::now();
    let work = match tempfile::Builder::new().prefix("galley-emulator-rm-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            let failure =
                Failure::new("INTERNAL_SERVICE_ERROR", format!("cannot create a work directory: {e}"));
            finish(&state, &job_id, JobState::Failed, Some(failure), None, Products::default());
            return;
        }
    };
    let run_dir = work.path().join("config").join(inputs.working_directory.as_deref().unwrap_or(""));
    // A forced cancel drops the run (killing terraform); a graceful one interrupts terraform (see `terraform`) and
    // lets it end.
    let forced = async {
        cancel.cancelled().await;
        if !state.rm().jobs.get(&job_id).is_some_and(|j| j.cancel_forced) {
            std::future::pending::<()>().await;
        }
    };
    let outcome = tokio::select! {
        outcome = execute(&state, &job_id, &settings, &inputs, work.path(), &run_dir) => Some(outcome),
        () = forced => None,
    };
    // Apply and destroy change the state even when they fail or are stopped: keep what terraform left.
    let new_state = match inputs.operation {
        Operation::Plan => None,
        Operation::Apply | Operation::Destroy => std::fs::read(run_dir.join("terraform.tfstate")).ok(),
    };
    match outcome {
        None => {
            log(&state, &job_id, Level::Info, "The job was canceled (forced); terraform was killed.");
            finish(&state, &job_id, JobState::Canceled, None, new_state, Products::default());
        }
        Some(_) if cancel.is_cancelled() => {
            log(
                &state,
                &job_id,
                Level::Info,
                "The job was canceled; terraform stopped after the operations in flight and saved its state.",
            );
            finish(&state, &job_id, JobState::Canceled, None, new_state, Products::default());
        }
        Some(result) => {
            if let Some(rest) = settings.step_delay.checked_sub(started.elapsed()) {
                tokio::time::sleep(rest).await;
            }
            match result {
                Ok(products) => finish(&state, &job_id, JobState::Succeeded, None, new_state, products),
                Err(failure) => {
                    log(&state, &job_id, Level::Error, format!("{}: {}", failure.code, failure.message));
                    finish(&state, &job_id, JobState::Failed, Some(failure), new_state, Products::default());
                }
            }
        }
    }
}

/// Moves the job to IN_PROGRESS and copies out what it runs (`None` when it is gone or was canceled).
fn start(state: &AppState, job_id: &str) -> Option<Inputs> {
    let mut rm = state.rm();
    let job = rm.jobs.get_mut(job_id)?;
    if job.lifecycle_state != JobState::Accepted {
        return None;
    }
    job.lifecycle_state = JobState::InProgress;
    job.etag = new_etag();
    let (operation, strategy, zip, working_directory, variables, stack_id) = (
        job.operation,
        job.strategy.clone(),
        job.zip.clone(),
        job.working_directory.clone(),
        job.variables.clone(),
        job.stack_id.clone(),
    );
    let plan = match &strategy {
        PlanStrategy::FromPlanJob { job_id, .. } => rm.jobs.get(job_id).and_then(|j| j.plan.clone()),
        PlanStrategy::AutoApproved => None,
    };
    let stack_state = rm.stacks.get(&stack_id).and_then(|s| s.tf_state.clone());
    Some(Inputs { operation, strategy, zip, working_directory, variables, stack_state, plan })
}

fn finish(
    state: &AppState,
    job_id: &str,
    end: JobState,
    failure: Option<Failure>,
    new_state: Option<Vec<u8>>,
    products: Products,
) {
    let now = state.now();
    let mut rm = state.rm();
    let Some(job) = rm.jobs.get_mut(job_id) else { return };
    job.lifecycle_state = end;
    job.time_finished = Some(now);
    job.etag = new_etag();
    job.failure = failure.map(|f| (f.code, f.message));
    job.plan = products.plan.map(Arc::new);
    job.plan_json = products.plan_json.map(Arc::new);
    let new_state = new_state.map(Arc::new);
    if end != JobState::Canceled {
        job.tf_state.clone_from(&new_state);
    }
    let stack_id = job.stack_id.clone();
    let (operation, state_name) = (job.operation, end.as_str());
    if let (Some(tf_state), Some(stack)) = (new_state, rm.stacks.get_mut(&stack_id)) {
        stack.tf_state = Some(tf_state);
    }
    tracing::info!(job_id, stack_id, operation = operation.as_str(), state = state_name, "job finished");
}

/// The only environment terraform runs with (the emulator's own is not inherited).
fn environment(settings: &Settings, work: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_string(), work.join("home").display().to_string()),
        ("TMPDIR".to_string(), work.join("tmp").display().to_string()),
        ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
        ("TF_INPUT".to_string(), "0".to_string()),
        ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
    ];
    let mut cli_config = None;
    for (name, value) in &settings.pass_env {
        match name.as_str() {
            // A CLI configuration that does not exist only makes terraform warn: use an empty one instead.
            "TF_CLI_CONFIG_FILE" if !Path::new(value).is_file() => {}
            "TF_CLI_CONFIG_FILE" => cli_config = Some(value.clone()),
            _ => env.push((name.clone(), value.clone())),
        }
    }
    let cli_config = cli_config.unwrap_or_else(|| work.join("terraform.rc").display().to_string());
    env.push(("TF_CLI_CONFIG_FILE".to_string(), cli_config));
    env
}

/// Lines of output as log entries: empty trailing lines dropped.
/// Terraform's error diagnostics in standard error, for `failureDetails.message`: each headline with its
/// location (`Error: Invalid expression (on main.tf line 2, in resource ...)`), at most three, without the
/// preamble `terraform init` prints before configuration errors.
fn errors(stderr: &str) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("Error: ") || line.starts_with("Error: Terraform encountered problems") {
            continue;
        }
        let location = lines[i + 1..].iter().find(|l| !l.is_empty()).filter(|l| l.starts_with("on "));
        out.push(match location {
            Some(at) => format!("{line} ({})", at.trim_end_matches(':')),
            None => (*line).to_string(),
        });
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Where a job's terraform commands run.
struct Commands<'a> {
    state: &'a AppState,
    job_id: &'a str,
    settings: &'a Settings,
    work: &'a Path,
    run_dir: &'a Path,
}

impl Commands<'_> {
    /// Runs one terraform command: its output into the log (standard output only with `log_stdout`), a failure
    /// on a non-zero exit.
    async fn run(&self, args: &[&str], log_stdout: bool) -> Result<galley_runner::Output, Failure> {
        let Commands { state, job_id, settings, work, run_dir } = *self;
        let command = args.first().copied().unwrap_or("terraform");
        let cancel = state.rm().jobs.get(job_id).map(|j| j.cancel.clone());
        if cancel.as_ref().is_some_and(tokio_util::sync::CancellationToken::is_cancelled) {
            return Err(Failure::new("JOB_CANCELED", format!("canceled before terraform {command} started")));
        }
        let spec = galley_runner::Spec {
            program: &settings.terraform_bin,
            args: args.iter().map(|a| (*a).to_string()).collect(),
            dir: Some(run_dir),
            env: Some(environment(settings, work)),
            limits: galley_runner::Limits { timeout: settings.command_timeout, max_output: 4 * 1024 * 1024 },
            interrupt: cancel.clone().map(|token| galley_runner::Interrupt {
                token,
                grace: CANCEL_GRACE,
                kill: None,
            }),
        };
        tracing::debug!(job_id, command, "running terraform");
        // Lines reach the job's log as terraform prints them, so GetJobLogs shows a running job's progress.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pump = async {
            while let Some((stream, line)) = rx.recv().await {
                let level = match stream {
                    galley_runner::Stream::Stdout if log_stdout => Level::Info,
                    galley_runner::Stream::Stdout => continue,
                    galley_runner::Stream::Stderr => Level::Error,
                };
                log(state, job_id, level, line);
            }
        };
        let (output, ()) = tokio::join!(galley_runner::run_spec(&spec, Some(tx), None), pump);
        let output = match output {
            Ok(output) => output,
            Err(galley_runner::Error::Timeout { timeout, .. }) => {
                return Err(Failure::new(
                    "JOB_TIMEOUT",
                    format!(
                        "terraform {command} did not finish within {} s and was stopped",
                        timeout.as_secs()
                    ),
                ));
            }
            Err(e) => {
                return Err(Failure::new(
                    "INTERNAL_SERVICE_ERROR",
                    format!(
                        "the emulator cannot run {:?} ({e}): install terraform or set GALLEY_EMULATOR_TERRAFORM_BIN",
                        settings.terraform_bin
                    ),
                ));
            }
        };
        if output.success() {
            return Ok(output);
        }
        let exit = output.code.map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
        let found = errors(&output.stderr);
        let detail = if found.is_empty() { String::new() } else { format!(": {}", found.join("; ")) };
        Err(Failure::new(
            "TERRAFORM_EXECUTION_ERROR",
            format!("terraform {command} failed with {exit}{detail}. See the job's logs for the details."),
        ))
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            Failure::new("INTERNAL_SERVICE_ERROR", format!("cannot write {}: {e}", path.display()))
        })?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| Failure::new("INTERNAL_SERVICE_ERROR", format!("cannot write {}: {e}", path.display())))
}

async fn execute(
    state: &AppState,
    job_id: &str,
    settings: &Settings,
    inputs: &Inputs,
    work: &Path,
    run_dir: &Path,
) -> Result<Products, Failure> {
    let config = work.join("config");
    for dir in [config.clone(), work.join("home"), work.join("tmp")] {
        std::fs::create_dir_all(&dir).map_err(|e| {
            Failure::new("INTERNAL_SERVICE_ERROR", format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    write(&work.join("terraform.rc"), b"")?;
    archive::unpack(&inputs.zip, &config)
        .map_err(|e| Failure::new("TERRAFORM_CONFIG_UNZIP_FAILED", e.to_string()))?;
    if !run_dir.is_dir() {
        return Err(Failure::new(
            "INVALID_WORKING_DIRECTORY",
            format!(
                "the working directory {:?} is not a directory of the configuration",
                inputs.working_directory.as_deref().unwrap_or("")
            ),
        ));
    }
    if !inputs.variables.is_empty() {
        let json = serde_json::to_vec_pretty(&inputs.variables).map_err(|e| {
            Failure::new("INTERNAL_SERVICE_ERROR", format!("cannot write the variables: {e}"))
        })?;
        write(&run_dir.join("terraform.tfvars.json"), &json)?;
    }
    let state_file = run_dir.join("terraform.tfstate");
    match &inputs.stack_state {
        Some(tf_state) => write(&state_file, tf_state)?,
        None => {
            // The zip's own state file (if any) is not the stack's state.
            let _ = std::fs::remove_file(&state_file);
        }
    }
    let plan_file: PathBuf = work.join("tfplan");
    let plan_arg = plan_file.display().to_string();
    let out_arg = format!("-out={plan_arg}");
    let tf = Commands { state, job_id, settings, work, run_dir };
    tf.run(&["init", "-input=false", "-no-color"], true).await?;
    let mut products = Products::default();
    match (inputs.operation, &inputs.strategy) {
        (Operation::Plan, _) => {
            tf.run(&["plan", "-input=false", "-no-color", &out_arg], true).await?;
            products.plan = Some(std::fs::read(&plan_file).map_err(|e| {
                Failure::new("INTERNAL_SERVICE_ERROR", format!("terraform plan wrote no plan file: {e}"))
            })?);
            let shown = tf.run(&["show", "-json", "-no-color", &plan_arg], false).await?;
            products.plan_json = Some(shown.stdout.into_bytes());
        }
        (Operation::Apply, PlanStrategy::AutoApproved) => {
            tf.run(&["apply", "-input=false", "-no-color", "-auto-approve"], true).await?;
        }
        (Operation::Apply, PlanStrategy::FromPlanJob { job_id: plan_job, .. }) => {
            let plan = inputs.plan.as_ref().ok_or_else(|| {
                Failure::new("INTERNAL_SERVICE_ERROR", format!("the plan job {plan_job} has no saved plan"))
            })?;
            write(&plan_file, plan)?;
            tf.run(&["apply", "-input=false", "-no-color", &plan_arg], true).await?;
        }
        (Operation::Destroy, _) => {
            tf.run(&["destroy", "-input=false", "-no-color", "-auto-approve"], true).await?;
        }
    }
    Ok(products)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_diagnostics() {
        let stderr = "Error: Terraform encountered problems during initialisation, including problems\nwith the configuration.\n\n\nError: Invalid expression\n\n  on main.tf line 2, in resource \"terraform_data\" \"broken\":\n   2:   input =\n\nError: Saved plan is stale\n\nThe given plan file can no longer be applied.\n";
        assert_eq!(
            errors(stderr),
            [
                "Error: Invalid expression (on main.tf line 2, in resource \"terraform_data\" \"broken\")",
                "Error: Saved plan is stale"
            ]
        );
        assert!(errors("warning only").is_empty());
    }

    #[test]
    fn environment_is_minimal() {
        let settings = Settings {
            pass_env: vec![
                ("PATH".into(), "/usr/bin".into()),
                ("TF_CLI_CONFIG_FILE".into(), "/nonexistent/terraformrc".into()),
            ],
            ..Settings::default()
        };
        let env: Vec<String> =
            environment(&settings, Path::new("/w")).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert!(env.contains(&"PATH=/usr/bin".to_string()));
        assert!(env.contains(&"HOME=/w/home".to_string()));
        assert!(env.contains(&"TF_CLI_CONFIG_FILE=/w/terraform.rc".to_string()), "{env:?}");
        assert!(!env.iter().any(|e| e.starts_with("OCI_") || e.starts_with("GALLEY_")));
    }
}

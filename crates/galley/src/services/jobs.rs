//! Jobs: slow work (Terraform runs now, Resource Manager and deployments later) that outlives one tool call.
//!
//! A tool starts a job, waits a bounded time for it, and returns either the result or the job id; `get_job`
//! reads it later. Everything is in the store, so any replica (or a restarted container) can answer:
//! `jobs/<job_id>.json` is the [`Job`] document (phase, step, owner, heartbeat, result), `jobs/<job_id>.log` the
//! log (capped, the end kept). The process running a job rewrites its heartbeat every few seconds; a job whose
//! owner is gone (same host and its pid dead or reused, or no heartbeat for [`STALE_AFTER`]) is marked
//! `interrupted` by whoever looks at it first (a `get_job`, the start-up sweep, or a run that wants its lock), and
//! the locks it held are released.
//!
//! A job is canceled with [`JobService::cancel`] from any replica: the request is written into the job document
//! (`cancel_requested_at`, and `cancel_forced` for a forced cancel) and the owner, which reads the document at every
//! heartbeat, cancels the job's [`JobCtx::cancel_token`] (and [`JobCtx::kill_token`]); in the owning process the
//! tokens are cancelled at once. Work that runs a child passes them to [`galley_runner::Interrupt`] (SIGINT, then
//! SIGKILL after [`CANCEL_GRACE`] or at once when forced); any work still running [`HARD_STOP_MARGIN`] after that
//! is dropped. A canceled job ends `canceled`.
//!
//! Locks ([`Lock`], e.g. `tfstate/<session>/lock.json`) name the job holding them and are taken with
//! `PutMode::Create`, so two replicas never both hold one; a lock whose job is finished or interrupted is taken
//! over with a compare-and-swap on its ETag.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use galley_store::{Key, PutMode, Store, StoreExt, UpdateError};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::ServiceError;

/// Version of the [`Job`] and [`Lock`] document shapes.
pub const JOB_SCHEMA_VERSION: u32 = 1;
/// How often a running job's heartbeat (and log) is written.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A running job without a heartbeat for this long is interrupted.
pub const STALE_AFTER: Duration = Duration::from_secs(15);
/// The program name of children whose orphaned process groups are stopped (see [`Job::child_pgid`]).
pub const CHILD_PROGRAM: &str = "terraform";
/// The most log bytes kept per job (the end is kept).
pub const MAX_LOG_BYTES: usize = 512 * 1024;
/// How long a child (terraform) has after SIGINT to finish the operations in flight and save its state. Long,
/// because an OCI resource being created (an Autonomous Database takes minutes) is only in the state once its
/// create call returns; a forced cancel does not wait.
pub const CANCEL_GRACE: Duration = Duration::from_secs(600);
/// After [`CANCEL_GRACE`] (or a forced cancel), how long a canceled job's work may still take before it is dropped.
pub const HARD_STOP_MARGIN: Duration = Duration::from_secs(15);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Working.
    Running,
    /// Finished; `result` holds the outcome.
    Succeeded,
    /// Finished with an error; `error` says what and what to do.
    Failed,
    /// Its process stopped (restart, crash) before it finished; its locks were released.
    Interrupted,
    /// Stopped by `cancel_job`; `error` says what was done before the stop.
    Canceled,
}

impl Phase {
    /// Whether the job is finished (in any way).
    pub fn is_terminal(self) -> bool {
        self != Phase::Running
    }
}

/// The process that runs a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Owner {
    /// A random id of the Galley process (new at every start).
    pub instance: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
}

/// Why a job failed: a message with the next step, and structured details (e.g. diagnostics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobError {
    /// What went wrong and what to do next.
    pub message: String,
    /// Structured details (for Terraform: the diagnostics with file, line and hints).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

impl JobError {
    /// An error with only a message.
    pub fn msg(message: impl Into<String>) -> Self {
        JobError { message: message.into(), details: Value::Null }
    }
}

/// The persisted job document, `jobs/<job_id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Job {
    /// Shape version ([`JOB_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The job's id (UUID v7: sortable by start time).
    pub job_id: String,
    /// What it does, e.g. `terraform_plan`, `terraform_apply`.
    pub kind: String,
    /// The session it works on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Where it is.
    pub phase: Phase,
    /// The current step (e.g. `init`, `plan`, `apply`), for progress.
    pub step: String,
    /// The process running it.
    pub owner: Owner,
    /// Store keys of the locks it holds (released when it ends or is interrupted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// The owner's last sign of life.
    pub heartbeat_at: Timestamp,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// The process group of the child the job runs now (e.g. terraform), stopped when the job is found
    /// interrupted on the same host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_pgid: Option<u32>,
    /// When `cancel_job` asked the job to stop (the owner stops it at its next heartbeat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_requested_at: Option<Timestamp>,
    /// Whether the cancel is forced: the child is killed at once instead of stopping cleanly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_forced: bool,
    /// Lines logged so far.
    pub log_lines: u64,
    /// The outcome, when it succeeded (and partial results of a failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Why it failed or was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
}

/// A lock document (e.g. `tfstate/<session>/lock.json`): which job holds what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lock {
    /// Shape version ([`JOB_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The job holding it.
    pub job_id: String,
    /// What the job does.
    pub kind: String,
    /// Since when.
    pub acquired_at: Timestamp,
}

/// What a caller sees of a running job while it waits.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The step.
    pub step: String,
    /// Lines logged.
    pub lines: u64,
    /// The last line.
    pub last_line: String,
    /// Finished.
    pub done: bool,
}

/// The handle a job's work uses to log and report its step.
#[derive(Debug, Clone)]
pub struct JobCtx {
    /// The job's id.
    pub job_id: String,
    inner: Arc<Mutex<Live>>,
    progress: Arc<watch::Sender<Progress>>,
    cancel: CancellationToken,
    kill: CancellationToken,
}

#[derive(Debug, Default)]
struct Live {
    child: Option<u32>,
    log: String,
    lines: u64,
    dropped: bool,
    step: String,
    dirty: bool,
}

impl JobCtx {
    /// Appends a line to the job's log (secrets must already be out of it).
    pub fn log(&self, line: &str) {
        let mut live = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        live.log.push_str(line);
        live.log.push('\n');
        live.lines += 1;
        live.dirty = true;
        if live.log.len() > MAX_LOG_BYTES {
            let cut = live.log.len() - MAX_LOG_BYTES / 2;
            let cut = live.log[cut..].find('\n').map_or(cut, |i| cut + i + 1);
            live.log.drain(..cut);
            live.dropped = true;
        }
        let (step, lines) = (live.step.clone(), live.lines);
        drop(live);
        self.progress.send_replace(Progress { step, lines, last_line: line.to_owned(), done: false });
    }

    /// Sets the current step (and logs it).
    pub fn step(&self, step: &str) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).step = step.to_owned();
        self.log(&format!("== {step}"));
    }

    /// Records the process group of the child now running (`None` when it ended); written with the next heartbeat.
    pub fn set_child(&self, pgid: Option<u32>) {
        let mut live = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        live.child = pgid;
        live.dirty = true;
    }

    /// Cancelled when the job is asked to stop (`cancel_job`): work passes it to the child it runs, or checks
    /// it between steps.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Cancelled (with [`JobCtx::cancel_token`]) when the cancel is forced: kill the child at once.
    pub fn kill_token(&self) -> &CancellationToken {
        &self.kill
    }

    /// Whether the job was asked to stop.
    pub fn is_canceled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    fn child(&self) -> Option<u32> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).child
    }

    fn snapshot(&self) -> (String, u64, String, bool) {
        let mut live = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let dirty = std::mem::take(&mut live.dirty);
        let log =
            if live.dropped { format!("(earlier lines dropped)\n{}", live.log) } else { live.log.clone() };
        (log, live.lines, live.step.clone(), dirty)
    }
}

/// A started job: wait for it with [`JobHandle::wait`].
#[derive(Debug, Clone)]
pub struct JobHandle {
    /// The job's id.
    pub job_id: String,
    /// Progress updates.
    pub progress: watch::Receiver<Progress>,
    done: watch::Receiver<Option<Job>>,
    cancel: CancellationToken,
    kill: CancellationToken,
}

impl JobHandle {
    /// The finished job, or `None` when `timeout` passed first.
    pub async fn wait(&mut self, timeout: Duration) -> Option<Job> {
        let done = &mut self.done;
        let fut = done.wait_for(Option::is_some);
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(job)) => job.clone(),
            _ => None,
        }
    }
}

/// A job and the end of its log, as `get_job` shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    /// The document.
    pub job: Job,
    /// The last lines of the log.
    pub log_tail: Vec<String>,
}

/// Starts, tracks and reads jobs and their locks.
#[derive(Debug)]
pub struct JobService {
    store: Arc<dyn Store>,
    owner: Owner,
    running: Mutex<HashMap<String, JobHandle>>,
}

fn job_key(id: &str) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("jobs/{id}.json"))?)
}

fn log_key(id: &str) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("jobs/{id}.log"))?)
}

/// Parses a job id given by the model (a UUID).
pub fn parse_job_id(raw: &str) -> Result<String, ServiceError> {
    uuid::Uuid::parse_str(raw.trim()).map(|u| u.to_string()).map_err(|_| {
        ServiceError::InvalidInput(format!("{raw:?} is not a job id (a UUID returned by a run_* tool)"))
    })
}

impl JobService {
    /// A service over `store`, owning the jobs this process starts.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let owner = Owner {
            instance: uuid::Uuid::new_v4().to_string(),
            host: galley_runner::host_name(),
            pid: std::process::id(),
        };
        JobService { store, owner, running: Mutex::new(HashMap::new()) }
    }

    /// A service whose jobs belong to `owner` (tests: another replica on another host).
    #[cfg(test)]
    fn with_owner(store: Arc<dyn Store>, owner: Owner) -> Self {
        JobService { store, owner, running: Mutex::new(HashMap::new()) }
    }

    /// This process's owner record.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// Whether a running job's owner is gone.
    fn owner_gone(&self, job: &Job, now: Timestamp) -> bool {
        if job.owner.instance == self.owner.instance {
            // Ours: alive exactly when this process still tracks it.
            let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            return !running.contains_key(&job.job_id);
        }
        if job.owner.host == self.owner.host && !job.owner.host.is_empty() {
            // Same machine (or container): a dead pid, or our own pid (a restarted container's pid 1), is gone.
            if job.owner.pid == self.owner.pid || !galley_runner::process_alive(job.owner.pid) {
                return true;
            }
        }
        let silent = now.duration_since(job.heartbeat_at);
        silent > jiff::SignedDuration::try_from(STALE_AFTER).unwrap_or(jiff::SignedDuration::from_secs(15))
    }

    /// Takes `lock_key` for `job_id`, taking over a lock whose job is finished or gone.
    ///
    /// # Errors
    /// [`ServiceError::Locked`] naming the live job that holds it.
    pub async fn acquire_lock(&self, lock_key: &Key, job_id: &str, kind: &str) -> Result<(), ServiceError> {
        let lock = Lock {
            schema_version: JOB_SCHEMA_VERSION,
            job_id: job_id.to_owned(),
            kind: kind.to_owned(),
            acquired_at: Timestamp::now(),
        };
        for _ in 0..8 {
            match self.store.put_json(lock_key, &lock, PutMode::Create).await {
                Ok(_) => return Ok(()),
                Err(galley_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let Some((held, etag)) = self.store.get_json_opt::<Lock>(lock_key).await? else { continue };
            let holder = self.check(&held.job_id).await?;
            let live = match &holder {
                Some(j) => j.phase == Phase::Running,
                // The holder took the lock but has not written its job document yet (or died right then):
                // live until the lock is older than a heartbeat timeout.
                None => {
                    Timestamp::now().duration_since(held.acquired_at).as_secs_f64()
                        < STALE_AFTER.as_secs_f64()
                }
            };
            if live {
                return Err(ServiceError::Locked { job_id: held.job_id, kind: held.kind });
            }
            // Finished, interrupted or unknown holder: take it over, unless someone else just did.
            match self.store.put_json(lock_key, &lock, PutMode::Update(etag)).await {
                Ok(_) => {
                    tracing::info!(lock = %lock_key, old_job = %held.job_id, job = job_id, "took over a released lock");
                    return Ok(());
                }
                Err(galley_store::Error::Precondition { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::InvalidInput(format!("the lock {lock_key} is contended; retry in a few seconds")))
    }

    /// Releases `lock_key` if `job_id` holds it.
    pub async fn release_lock(&self, lock_key: &Key, job_id: &str) -> Result<(), ServiceError> {
        if let Some((held, _)) = self.store.get_json_opt::<Lock>(lock_key).await?
            && held.job_id == job_id
        {
            match self.store.delete(lock_key).await {
                Ok(()) | Err(galley_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The lock at `lock_key`, if any.
    pub async fn lock_holder(&self, lock_key: &Key) -> Result<Option<Lock>, ServiceError> {
        Ok(self.store.get_json_opt::<Lock>(lock_key).await?.map(|(l, _)| l))
    }

    /// Starts `work` as a job holding `locks`, released at the end. With `acquire`, the locks are taken here
    /// (concurrently with writing the job document; nothing is started and the document is deleted when one is
    /// held); without it the caller already holds them for `job_id`.
    pub async fn start<F, Fut>(
        self: &Arc<Self>,
        job_id: String,
        kind: &str,
        session_id: Option<String>,
        locks: Vec<Key>,
        acquire: bool,
        work: F,
    ) -> Result<JobHandle, ServiceError>
    where
        F: FnOnce(JobCtx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Value, JobError>> + Send + 'static,
    {
        let now = Timestamp::now();
        let job = Job {
            schema_version: JOB_SCHEMA_VERSION,
            job_id: job_id.clone(),
            kind: kind.to_owned(),
            session_id,
            phase: Phase::Running,
            step: "starting".to_owned(),
            owner: self.owner.clone(),
            locks: locks.iter().map(ToString::to_string).collect(),
            started_at: now,
            heartbeat_at: now,
            finished_at: None,
            child_pgid: None,
            cancel_requested_at: None,
            cancel_forced: false,
            log_lines: 0,
            result: None,
            error: None,
        };
        let key = job_key(&job_id)?;
        // Tracked before its document exists: a reader that finds the document must find it running here too,
        // or it would take the job for abandoned.
        let (progress_tx, progress_rx) = watch::channel(Progress::default());
        let (done_tx, done_rx) = watch::channel(None);
        let (cancel, kill) = (CancellationToken::new(), CancellationToken::new());
        let handle = JobHandle {
            job_id: job_id.clone(),
            progress: progress_rx,
            done: done_rx,
            cancel: cancel.clone(),
            kill: kill.clone(),
        };
        self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(job_id.clone(), handle.clone());
        let untrack = || {
            self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&job_id);
        };
        let take_locks = async {
            for (i, lock) in locks.iter().enumerate() {
                if !acquire {
                    break;
                }
                if let Err(e) = self.acquire_lock(lock, &job_id, kind).await {
                    for held in &locks[..i] {
                        let _ = self.release_lock(held, &job_id).await;
                    }
                    return Err(e);
                }
            }
            Ok(())
        };
        let (locked, created) = tokio::join!(take_locks, self.store.put_json(&key, &job, PutMode::Create));
        match (locked, created) {
            (Ok(()), Ok(_)) => {}
            (Err(e), created) => {
                if created.is_ok() {
                    let _ = self.store.delete(&key).await;
                }
                untrack();
                return Err(e);
            }
            (Ok(()), Err(e)) => {
                if acquire {
                    for lock in &locks {
                        let _ = self.release_lock(lock, &job_id).await;
                    }
                }
                untrack();
                return Err(e.into());
            }
        }
        let ctx = JobCtx {
            job_id: job_id.clone(),
            inner: Arc::default(),
            progress: Arc::new(progress_tx),
            cancel,
            kill,
        };
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let beat = service.heartbeat_loop(ctx.clone());
            let hard_stop = async {
                ctx.cancel.cancelled().await;
                tokio::select! {
                    () = tokio::time::sleep(CANCEL_GRACE) => {}
                    () = ctx.kill.cancelled() => {}
                }
                tokio::time::sleep(HARD_STOP_MARGIN).await;
            };
            let outcome = tokio::select! {
                outcome = work(ctx.clone()) => outcome,
                () = beat => Err(JobError::msg("internal: the heartbeat stopped")),
                () = hard_stop => Err(JobError::msg(format!(
                    "canceled: the work did not stop within {} s of the cancel and was abandoned (its child processes were killed); check what it left with run_terraform_plan or get_rm_job_status",
                    (CANCEL_GRACE + HARD_STOP_MARGIN).as_secs()
                ))),
            };
            let finished = service.finish(&ctx, &locks, outcome).await;
            service.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&ctx.job_id);
            ctx.progress.send_modify(|p| p.done = true);
            done_tx.send_replace(finished);
        });
        Ok(handle)
    }

    async fn heartbeat_loop(&self, ctx: JobCtx) {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(e) = self.flush(&ctx, None).await {
                tracing::warn!(job = %ctx.job_id, error = %e, "could not write a job heartbeat");
            }
        }
    }

    /// Writes the log (when changed) and the heartbeat; with `end`, the final phase and outcome.
    async fn flush(
        &self,
        ctx: &JobCtx,
        end: Option<(Phase, Option<Value>, Option<JobError>)>,
    ) -> Result<Option<Job>, ServiceError> {
        let (log, lines, step, dirty) = ctx.snapshot();
        let child = ctx.child();
        let log_key = log_key(&ctx.job_id)?;
        let write_log = async {
            if dirty || end.is_some() {
                self.store
                    .put(&log_key, bytes::Bytes::from(log.into_bytes()), PutMode::Overwrite)
                    .await
                    .map(|_| ())
            } else {
                Ok(())
            }
        };
        let mut end = end.clone();
        let doc_key = job_key(&ctx.job_id)?;
        let update = self.store.update_json(&doc_key, |current: Option<Job>| {
            let Some(mut job) = current else { return Err("the job document is gone") };
            if job.phase != Phase::Running {
                return Err("the job was marked finished elsewhere");
            }
            job.heartbeat_at = Timestamp::now();
            job.log_lines = lines;
            job.child_pgid = child;
            job.step.clone_from(&step);
            if let Some((phase, result, error)) = end.clone() {
                job.phase = phase;
                job.result = result;
                job.error = error;
                job.finished_at = Some(Timestamp::now());
                job.child_pgid = None;
            }
            Ok(job)
        });
        let (logged, result) = tokio::join!(write_log, update);
        logged?;
        end.take();
        match result {
            Ok((job, _)) => {
                if job.phase == Phase::Running && job.cancel_forced && !ctx.kill.is_cancelled() {
                    tracing::info!(job = %ctx.job_id, "forced cancel requested from another process");
                    ctx.log("== forced cancel requested: killing");
                    ctx.kill.cancel();
                }
                if job.phase == Phase::Running && job.cancel_requested_at.is_some() && !ctx.is_canceled() {
                    tracing::info!(job = %ctx.job_id, "cancel requested from another process; stopping the job");
                    ctx.log("== cancel requested: stopping");
                    ctx.cancel.cancel();
                }
                Ok(Some(job))
            }
            Err(UpdateError::Aborted(why)) => {
                tracing::warn!(job = %ctx.job_id, why, "job document not updated");
                Ok(None)
            }
            Err(UpdateError::Store(e)) => Err(e.into()),
        }
    }

    async fn finish(&self, ctx: &JobCtx, locks: &[Key], outcome: Result<Value, JobError>) -> Option<Job> {
        let end = match outcome {
            Ok(v) => (Phase::Succeeded, Some(v), None),
            Err(e) if ctx.is_canceled() => (Phase::Canceled, None, Some(e)),
            Err(e) => (Phase::Failed, None, Some(e)),
        };
        // Recording the end and releasing the locks are independent writes: do them at the same time.
        let record = async {
            for attempt in 0..5 {
                match self.flush(ctx, Some(end.clone())).await {
                    Ok(j) => return j,
                    Err(e) => {
                        tracing::warn!(job = %ctx.job_id, error = %e, attempt, "could not record the end of a job");
                        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
                    }
                }
            }
            None
        };
        let release = async {
            for lock in locks {
                if let Err(e) = self.release_lock(lock, &ctx.job_id).await {
                    tracing::warn!(job = %ctx.job_id, lock = %lock, error = %e, "could not release a lock");
                }
            }
        };
        tokio::join!(record, release).0
    }

    /// Reads a job, marking it interrupted (and releasing its locks) when its owner is gone.
    pub async fn check(&self, job_id: &str) -> Result<Option<Job>, ServiceError> {
        let Some((job, _)) = self.store.get_json_opt::<Job>(&job_key(job_id)?).await? else {
            return Ok(None);
        };
        if job.phase != Phase::Running || !self.owner_gone(&job, Timestamp::now()) {
            return Ok(Some(job));
        }
        let marked = self
            .store
            .update_json(&job_key(job_id)?, |current: Option<Job>| {
                let Some(mut j) = current else { return Err(()) };
                if j.phase != Phase::Running || j.heartbeat_at != job.heartbeat_at {
                    return Err(()); // it moved on meanwhile
                }
                j.phase = Phase::Interrupted;
                j.finished_at = Some(Timestamp::now());
                j.error = Some(JobError::msg(format!(
                    "the Galley process running this job (host {:?}, pid {}) stopped during step {:?} before it finished; its locks were released. Check the state (run_terraform_plan shows what is left to do) and run again",
                    j.owner.host, j.owner.pid, j.step
                )));
                Ok(j)
            })
            .await;
        let job = match marked {
            Ok((j, _)) => {
                tracing::info!(job = job_id, step = %j.step, "marked an abandoned job interrupted");
                if let Some(pgid) = job.child_pgid
                    && job.owner.host == self.owner.host
                    && galley_runner::kill_group_named(pgid, CHILD_PROGRAM)
                {
                    tracing::info!(job = job_id, pgid, "stopped the process group the job left running");
                }
                for lock in &j.locks {
                    if let Ok(key) = Key::new(lock.clone()) {
                        self.release_lock(&key, job_id).await?;
                    }
                }
                j
            }
            Err(UpdateError::Aborted(())) => match self.store.get_json_opt::<Job>(&job_key(job_id)?).await? {
                Some((j, _)) => j,
                None => return Ok(None),
            },
            Err(UpdateError::Store(e)) => return Err(e.into()),
        };
        Ok(Some(job))
    }

    /// A job with the last `lines` lines of its log.
    pub async fn view(&self, job_id: &str, lines: usize) -> Result<Option<JobView>, ServiceError> {
        let Some(job) = self.check(job_id).await? else { return Ok(None) };
        let log = match self.store.get(&log_key(job_id)?).await {
            Ok(got) => String::from_utf8_lossy(&got.bytes).into_owned(),
            Err(galley_store::Error::NotFound { .. }) => String::new(),
            Err(e) => return Err(e.into()),
        };
        let all: Vec<&str> = log.lines().collect();
        let log_tail = all[all.len().saturating_sub(lines)..].iter().map(|l| (*l).to_owned()).collect();
        Ok(Some(JobView { job, log_tail }))
    }

    /// Asks a running job to stop, wherever it runs: records the request in its document (its owner stops it at
    /// the next heartbeat) and, when this process runs it, cancels it at once. `force` kills its child instead of
    /// letting it stop cleanly (also after an earlier graceful cancel). Returns the job as it is now (`None`: no
    /// such job); a finished job is returned unchanged.
    pub async fn cancel(&self, job_id: &str, force: bool) -> Result<Option<Job>, ServiceError> {
        let Some(job) = self.check(job_id).await? else { return Ok(None) };
        if job.phase.is_terminal() {
            return Ok(Some(job));
        }
        let updated = self
            .store
            .update_json(&job_key(job_id)?, |current: Option<Job>| {
                let Some(mut j) = current else { return Err(()) };
                if j.phase.is_terminal() || (j.cancel_requested_at.is_some() && (j.cancel_forced || !force)) {
                    return Err(()); // finished meanwhile, or already asked as much
                }
                j.cancel_requested_at.get_or_insert_with(Timestamp::now);
                j.cancel_forced |= force;
                Ok(j)
            })
            .await;
        let job = match updated {
            Ok((j, _)) => {
                tracing::info!(job = job_id, step = %j.step, force, "cancel requested");
                j
            }
            Err(UpdateError::Aborted(())) => match self.store.get_json_opt::<Job>(&job_key(job_id)?).await? {
                Some((j, _)) => j,
                None => return Ok(None),
            },
            Err(UpdateError::Store(e)) => return Err(e.into()),
        };
        if let Some(handle) = self.handle(job_id) {
            if force {
                handle.kill.cancel();
            }
            handle.cancel.cancel();
        }
        Ok(Some(job))
    }

    /// The handle of a job this process is running.
    pub fn handle(&self, job_id: &str) -> Option<JobHandle> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).get(job_id).cloned()
    }

    /// Marks every abandoned running job interrupted (called once at start-up).
    pub async fn sweep(&self) -> Result<usize, ServiceError> {
        let mut n = 0;
        for meta in self.store.list_all("jobs/").await? {
            let Some(id) = meta.key.as_str().strip_prefix("jobs/").and_then(|k| k.strip_suffix(".json"))
            else {
                continue;
            };
            if let Some(job) = self.check(id).await?
                && job.phase == Phase::Interrupted
                && job.finished_at.is_some_and(|t| Timestamp::now().duration_since(t).as_secs() < 5)
            {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use galley_store::MemoryStore;

    fn svc(store: &Arc<dyn Store>) -> Arc<JobService> {
        Arc::new(JobService::new(Arc::clone(store)))
    }

    #[tokio::test]
    async fn a_job_runs_logs_and_releases_its_lock() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let jobs = svc(&store);
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        let id = uuid::Uuid::now_v7().to_string();
        let other = uuid::Uuid::now_v7().to_string();
        let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
        let mut h = jobs
            .start(id.clone(), "test", None, vec![lock.clone()], true, move |ctx| async move {
                ctx.step("work");
                ctx.log("hello");
                let _ = gate_rx.await;
                Ok(serde_json::json!({"answer": 42}))
            })
            .await
            .unwrap();
        assert!(h.wait(Duration::from_millis(50)).await.is_none());
        let err = jobs.acquire_lock(&lock, &other, "test").await.unwrap_err();
        assert!(err.to_string().contains(&id), "{err}");
        gate_tx.send(()).unwrap();
        let job = h.wait(Duration::from_secs(5)).await.unwrap();
        assert_eq!(job.phase, Phase::Succeeded);
        assert_eq!(job.result.unwrap()["answer"], 42);
        let view = jobs.view(&id, 10).await.unwrap().unwrap();
        assert_eq!(view.log_tail, ["== work", "hello"]);
        assert!(jobs.lock_holder(&lock).await.unwrap().is_none());
        jobs.acquire_lock(&lock, &other, "test").await.unwrap();
    }

    #[tokio::test]
    async fn a_fresh_lock_without_its_job_document_yet_is_held() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let jobs = svc(&store);
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        jobs.acquire_lock(&lock, "first", "test").await.unwrap();
        let err = jobs.acquire_lock(&lock, "second", "test").await.unwrap_err();
        assert!(matches!(err, ServiceError::Locked { ref job_id, .. } if job_id == "first"), "{err}");
    }

    #[tokio::test]
    async fn jobs_of_a_dead_process_are_interrupted_and_their_locks_released() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        let id = uuid::Uuid::now_v7().to_string();
        // A job document left by a process on this host that no longer exists.
        let now = Timestamp::now();
        let job = Job {
            schema_version: JOB_SCHEMA_VERSION,
            job_id: id.clone(),
            kind: "terraform_apply".into(),
            session_id: None,
            phase: Phase::Running,
            step: "apply".into(),
            owner: Owner { instance: "gone".into(), host: galley_runner::host_name(), pid: i32::MAX as u32 },
            locks: vec![lock.to_string()],
            started_at: now,
            heartbeat_at: now,
            finished_at: None,
            child_pgid: None,
            cancel_requested_at: None,
            cancel_forced: false,
            log_lines: 0,
            result: None,
            error: None,
        };
        store.put_json(&job_key(&id).unwrap(), &job, PutMode::Create).await.unwrap();
        let held =
            Lock { schema_version: 1, job_id: id.clone(), kind: "terraform_apply".into(), acquired_at: now };
        store.put_json(&lock, &held, PutMode::Create).await.unwrap();
        let jobs = svc(&store);
        let other = uuid::Uuid::now_v7().to_string();
        jobs.acquire_lock(&lock, &other, "test").await.unwrap();
        let seen = jobs.check(&id).await.unwrap().unwrap();
        assert_eq!(seen.phase, Phase::Interrupted);
        assert!(seen.error.unwrap().message.contains("stopped during step \"apply\""));
        assert_eq!(jobs.lock_holder(&lock).await.unwrap().unwrap().job_id, other);
    }

    /// A job that waits for its cancel token, then reports what it did.
    async fn start_cancelable(jobs: &Arc<JobService>, lock: &Key) -> JobHandle {
        let id = uuid::Uuid::now_v7().to_string();
        jobs.start(id, "test", None, vec![lock.clone()], true, |ctx| async move {
            ctx.step("work");
            ctx.cancel_token().cancelled().await;
            Err(JobError::msg("stopped after step work"))
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_job_is_canceled_in_its_own_process_and_its_lock_released() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let jobs = svc(&store);
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        let mut h = start_cancelable(&jobs, &lock).await;
        let asked = jobs.cancel(&h.job_id, false).await.unwrap().unwrap();
        assert!(asked.cancel_requested_at.is_some());
        let job = h.wait(Duration::from_secs(5)).await.unwrap();
        assert_eq!(job.phase, Phase::Canceled);
        assert_eq!(job.error.unwrap().message, "stopped after step work");
        assert!(jobs.lock_holder(&lock).await.unwrap().is_none());
        // Canceling a finished job changes nothing.
        let again = jobs.cancel(&h.job_id, false).await.unwrap().unwrap();
        assert_eq!(again.phase, Phase::Canceled);
        assert!(jobs.cancel(&uuid::Uuid::now_v7().to_string(), false).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_job_is_canceled_from_another_replica_at_its_next_heartbeat() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let owner = svc(&store);
        let replica = Owner { instance: "replica".into(), host: "another-host".into(), pid: 1 };
        let other = Arc::new(JobService::with_owner(Arc::clone(&store), replica));
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        let mut h = start_cancelable(&owner, &lock).await;
        let asked = other.cancel(&h.job_id, false).await.unwrap().unwrap();
        assert_eq!(asked.phase, Phase::Running, "the other replica only records the request");
        let job = h.wait(HEARTBEAT * 6).await.expect("stopped at the next heartbeat");
        assert_eq!(job.phase, Phase::Canceled);
        assert!(other.check(&h.job_id).await.unwrap().unwrap().phase == Phase::Canceled);
    }

    #[tokio::test]
    async fn a_forced_cancel_from_another_replica_reaches_the_kill_token() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let owner = svc(&store);
        let replica = Owner { instance: "replica".into(), host: "another-host".into(), pid: 1 };
        let other = Arc::new(JobService::with_owner(Arc::clone(&store), replica));
        let id = uuid::Uuid::now_v7().to_string();
        let mut h = owner
            .start(id.clone(), "test", None, Vec::new(), false, |ctx| async move {
                ctx.kill_token().cancelled().await; // ignores the graceful cancel
                Err(JobError::msg("killed"))
            })
            .await
            .unwrap();
        let graceful = other.cancel(&id, false).await.unwrap().unwrap();
        assert!(graceful.cancel_requested_at.is_some() && !graceful.cancel_forced);
        assert!(h.wait(HEARTBEAT * 2).await.is_none(), "a graceful cancel does not reach the kill token");
        let forced = other.cancel(&id, true).await.unwrap().unwrap();
        assert!(forced.cancel_forced);
        assert_eq!(
            forced.cancel_requested_at, graceful.cancel_requested_at,
            "the first request time is kept"
        );
        let job = h.wait(HEARTBEAT * 6).await.expect("killed at the next heartbeat");
        assert_eq!((job.phase, job.error.unwrap().message.as_str()), (Phase::Canceled, "killed"));
    }

    #[tokio::test]
    async fn a_job_that_ignores_its_cancel_still_finishes_when_its_work_ends() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let jobs = svc(&store);
        let id = uuid::Uuid::now_v7().to_string();
        let mut h = jobs
            .start(id, "test", None, Vec::new(), false, |_ctx| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(serde_json::json!("done"))
            })
            .await
            .unwrap();
        jobs.cancel(&h.job_id, false).await.unwrap();
        let job = h.wait(Duration::from_secs(5)).await.unwrap();
        assert_eq!(job.phase, Phase::Succeeded, "work that finished anyway is not reported canceled");
    }

    #[test]
    fn job_document_shape() {
        let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let job = Job {
            schema_version: JOB_SCHEMA_VERSION,
            job_id: "0190f0e0-0000-7000-8000-000000000000".into(),
            kind: "terraform_plan".into(),
            session_id: Some("0190f0e0-0000-7000-8000-000000000001".into()),
            phase: Phase::Failed,
            step: "plan".into(),
            owner: Owner { instance: "i".into(), host: "h".into(), pid: 7 },
            locks: vec!["tfstate/s/lock.json".into()],
            started_at: t,
            heartbeat_at: t,
            finished_at: Some(t),
            child_pgid: None,
            cancel_requested_at: None,
            cancel_forced: false,
            log_lines: 3,
            result: None,
            error: Some(JobError { message: "m".into(), details: serde_json::json!({"diagnostics": []}) }),
        };
        insta::assert_json_snapshot!(job);
        let lock =
            Lock { schema_version: 1, job_id: "j".into(), kind: "terraform_apply".into(), acquired_at: t };
        insta::assert_json_snapshot!(lock);
    }
}

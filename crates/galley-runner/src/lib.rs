//! The only place in Galley that spawns processes.
//!
//! Every child runs in its own process group with a timeout; on timeout (or when the caller's future is
//! dropped) the whole group is killed, so a hung `terraform` cannot leave grandchildren behind. A run can also be
//! interrupted ([`Interrupt`]): the group gets SIGINT, as from Ctrl-C in a terminal (Terraform then stops after
//! the operations in flight and saves its state), and SIGKILL only when it has not exited after a grace period. Output is
//! captured up to a cap per stream; what is cut is counted and flagged. Arguments are passed as argv, never
//! through a shell.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock limit; the process group is killed when it passes.
    pub timeout: Duration,
    /// Bytes kept per stream (stdout, stderr); the rest is read and dropped.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(30), max_output: 1024 * 1024 }
    }
}

/// What a finished process left.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code (None when killed by a signal).
    pub code: Option<i32>,
    /// Captured standard output (lossy UTF-8).
    pub stdout: String,
    /// Captured standard error (lossy UTF-8).
    pub stderr: String,
    /// Whether either stream was cut at `max_output`.
    pub truncated: bool,
    /// Whether the run was interrupted ([`Spec::interrupt`]) and exited within the grace period.
    pub interrupted: bool,
}

impl Output {
    /// Whether the process exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a run failed to produce an [`Output`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program is not on PATH (or not executable).
    #[error("{program} was not found on PATH (install it or set its path in the configuration)")]
    NotFound {
        /// Program name.
        program: String,
    },
    /// Spawning failed for another reason.
    #[error("could not start {program}: {source}")]
    Spawn {
        /// Program name.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The timeout passed; the process group was killed.
    #[error("{program} did not finish within {timeout:?} and was stopped")]
    Timeout {
        /// Program name.
        program: String,
        /// The limit.
        timeout: Duration,
    },
    /// The run was interrupted and killed: it did not exit within the grace period, or the caller asked for the
    /// kill ([`Interrupt::kill`]).
    #[error("{program} was interrupted and killed ({})", if *.forced { "forced".to_owned() } else { format!("it did not exit within {grace:?}") })]
    Killed {
        /// Program name.
        program: String,
        /// The grace period it had.
        grace: Duration,
        /// Whether the caller asked for the kill (rather than the grace period passing).
        forced: bool,
    },
}

/// How a caller stops a [`run_spec`] before it ends: when `token` is cancelled the process group gets SIGINT, and
/// SIGKILL if it is still running `grace` later.
#[derive(Debug, Clone)]
pub struct Interrupt {
    /// Cancelled to interrupt the run.
    pub token: tokio_util::sync::CancellationToken,
    /// How long the program may take to stop cleanly after SIGINT.
    pub grace: Duration,
    /// Cancelled to kill the process group at once (a forced cancel), after or instead of the interrupt.
    pub kill: Option<tokio_util::sync::CancellationToken>,
}

async fn read_capped(mut r: impl AsyncRead + Unpin, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (kept, truncated)
}

fn signal_group(pid: Option<u32>, signal: nix::sys::signal::Signal) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), signal);
    }
}

fn kill_group(pid: Option<u32>) {
    signal_group(pid, nix::sys::signal::Signal::SIGKILL);
}

/// Kills the child's process group if the run is abandoned (timeout or the caller's future dropped).
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

/// Runs `program` with `args` (no shell), stdin closed, in `dir` if given, and returns its output.
pub async fn run<I, S>(program: &str, args: I, dir: Option<&Path>, limits: &Limits) -> Result<Output, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = command(program);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let (mut child, mut guard, out, err) = spawn(&mut cmd, program)?;
    let work = async {
        let ((o, ot), (e, et), status) = tokio::join!(
            read_capped(out, limits.max_output),
            read_capped(err, limits.max_output),
            child.wait()
        );
        (o, ot, e, et, status)
    };
    finish(work, &mut guard, program, limits.timeout, None).await
}

/// A command with stdin closed, both outputs piped, its own process group, and killed when dropped.
fn command(program: &str) -> tokio::process::Command {
    #[allow(clippy::disallowed_methods)] // this crate is the one place allowed to spawn
    let mut cmd = tokio::process::Command::new(program);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    cmd
}

/// Starts `cmd`: the child, the guard that kills its group if the run is abandoned, and its two outputs.
fn spawn(
    cmd: &mut tokio::process::Command,
    program: &str,
) -> Result<
    (tokio::process::Child, GroupGuard, tokio::process::ChildStdout, tokio::process::ChildStderr),
    Error,
> {
    let mut child = cmd.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { program: program.to_owned() },
        _ => Error::Spawn { program: program.to_owned(), source },
    })?;
    let guard = GroupGuard(child.id());
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(Error::Spawn { program: program.to_owned(), source: std::io::Error::other("no pipes") });
    };
    Ok((child, guard, out, err))
}

/// What reading both outputs and waiting for the exit yields: stdout and whether it was cut, the same for
/// stderr, and the exit status.
type Finished = (Vec<u8>, bool, Vec<u8>, bool, std::io::Result<std::process::ExitStatus>);

/// Waits for `work` (the outputs read and the child reaped) within `timeout`, interrupting the group when
/// `interrupt` says so (SIGINT, then SIGKILL after its grace period or on its kill token).
async fn finish(
    work: impl std::future::Future<Output = Finished>,
    guard: &mut GroupGuard,
    program: &str,
    timeout: Duration,
    interrupt: Option<&Interrupt>,
) -> Result<Output, Error> {
    tokio::pin!(work);
    let interrupted = async {
        match interrupt {
            Some(i) => {
                tokio::select! {
                    () = i.token.cancelled() => {}
                    () = killed(i) => {}
                }
                i
            }
            None => std::future::pending().await,
        }
    };
    let ((o, ot, e, et, status), interrupted) = tokio::select! {
        done = &mut work => (done, false),
        () = tokio::time::sleep(timeout) => {
            return Err(Error::Timeout { program: program.to_owned(), timeout });
        }
        i = interrupted => {
            let killed_error = |forced| Error::Killed { program: program.to_owned(), grace: i.grace, forced };
            if i.kill.as_ref().is_some_and(tokio_util::sync::CancellationToken::is_cancelled) {
                return Err(killed_error(true)); // the guard kills the group
            }
            signal_group(guard.0, nix::sys::signal::Signal::SIGINT);
            tokio::select! {
                done = tokio::time::timeout(i.grace, &mut work) => match done {
                    Ok(done) => (done, true),
                    Err(_) => return Err(killed_error(false)),
                },
                () = killed(i) => return Err(killed_error(true)),
            }
        }
    };
    guard.0 = None; // exited: its group id may be reused, do not signal it
    Ok(Output {
        code: status.ok().and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&o).into_owned(),
        stderr: String::from_utf8_lossy(&e).into_owned(),
        truncated: ot || et,
        interrupted,
    })
}

/// A run with a controlled environment and line streaming (see [`run_spec`]).
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// The program.
    pub program: &'a str,
    /// Its arguments (argv, no shell).
    pub args: Vec<String>,
    /// Working directory.
    pub dir: Option<&'a Path>,
    /// `Some`: the child gets exactly these variables (the parent's environment is cleared). `None`: inherited.
    pub env: Option<Vec<(String, String)>>,
    /// Timeout and output caps.
    pub limits: Limits,
    /// How the caller may interrupt the run (`None`: only the timeout or dropping the future stops it).
    pub interrupt: Option<Interrupt>,
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

async fn read_lines(
    r: impl AsyncRead + Unpin,
    cap: usize,
    stream: Stream,
    tx: Option<tokio::sync::mpsc::UnboundedSender<(Stream, String)>>,
) -> (Vec<u8>, bool) {
    use tokio::io::AsyncBufReadExt;
    let mut reader = tokio::io::BufReader::new(r);
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&line[..n.min(room)]);
                truncated |= n > room;
                if let Some(tx) = &tx {
                    let text = String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']).to_owned();
                    let _ = tx.send((stream, text));
                }
            }
        }
    }
    (kept, truncated)
}

/// Runs a [`Spec`]: like [`run`], with the environment under control, and every output line also sent to
/// `lines` as it arrives (for logs and progress).
///
/// `started` receives the child's pid (which is also its process group id) once it runs, so a caller can record
/// it and stop an orphaned group later with [`kill_group_named`].
pub async fn run_spec(
    spec: &Spec<'_>,
    lines: Option<tokio::sync::mpsc::UnboundedSender<(Stream, String)>>,
    started: Option<tokio::sync::oneshot::Sender<u32>>,
) -> Result<Output, Error> {
    let program = spec.program;
    let mut cmd = command(program);
    cmd.args(&spec.args);
    if let Some(dir) = spec.dir {
        cmd.current_dir(dir);
    }
    if let Some(env) = &spec.env {
        cmd.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    }
    let (mut child, mut guard, out, err) = spawn(&mut cmd, program)?;
    if let (Some(tx), Some(pid)) = (started, child.id()) {
        let _ = tx.send(pid);
    }
    let cap = spec.limits.max_output;
    let work = async {
        let ((o, ot), (e, et), status) = tokio::join!(
            read_lines(out, cap, Stream::Stdout, lines.clone()),
            read_lines(err, cap, Stream::Stderr, lines.clone()),
            child.wait()
        );
        (o, ot, e, et, status)
    };
    finish(work, &mut guard, program, spec.limits.timeout, spec.interrupt.as_ref()).await
}

/// Resolves when the interrupt's kill token is cancelled (never without one).
async fn killed(i: &Interrupt) {
    match &i.kill {
        Some(kill) => kill.cancelled().await,
        None => std::future::pending().await,
    }
}

/// Whether a process with this id exists on this machine (used to tell a crashed job owner from a live one).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e != nix::errno::Errno::ESRCH,
    }
}

/// Kills the process group `pgid` if its leader still runs `name` (checked in `/proc`, so a reused pid of another
/// program is left alone). For process groups a stopped Galley process left behind. Returns whether it signalled.
pub fn kill_group_named(pgid: u32, name: &str) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pgid}/comm")).unwrap_or_default();
    if comm.trim() != name {
        return false;
    }
    kill_group(Some(pgid));
    true
}

/// This machine's host name (empty when unknown).
pub fn host_name() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default()
}

/// Runs `program --version`-style probes: the first line of its output, or the error.
pub async fn version_line(program: &str, args: &[&str]) -> Result<String, Error> {
    let out =
        run(program, args, None, &Limits { timeout: Duration::from_secs(20), max_output: 64 * 1024 }).await?;
    let text = if out.stdout.trim().is_empty() { &out.stderr } else { &out.stdout };
    Ok(text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(no output)").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn captures_output_and_exit_code() {
        let out =
            run("sh", ["-c", "echo out; echo err >&2; exit 3"], None, &Limits::default()).await.unwrap();
        assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(3), "out\n", "err\n"));
    }

    #[tokio::test]
    async fn caps_output() {
        let limits = Limits { max_output: 10, ..Limits::default() };
        let out = run("sh", ["-c", "yes | head -c 100000"], None, &limits).await.unwrap();
        assert_eq!(out.stdout.len(), 10);
        assert!(out.truncated);
    }

    #[tokio::test]
    async fn times_out_and_kills_the_group() {
        let limits = Limits { timeout: Duration::from_millis(300), ..Limits::default() };
        let started = std::time::Instant::now();
        let err = run("sh", ["-c", "sleep 30 & sleep 30"], None, &limits).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn spec_controls_the_environment_and_streams_lines() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let spec = Spec {
            program: "sh",
            args: vec!["-c".into(), "echo \"a=$A b=$HOME\"; echo two >&2".into()],
            dir: None,
            env: Some(vec![("A".into(), "1".into()), ("PATH".into(), "/usr/bin:/bin".into())]),
            limits: Limits::default(),
            interrupt: None,
        };
        let out = run_spec(&spec, Some(tx), None).await.unwrap();
        assert_eq!(out.stdout, "a=1 b=\n");
        let mut lines = Vec::new();
        while let Some(l) = rx.recv().await {
            lines.push(l);
        }
        lines.sort_by_key(|(s, _)| *s == Stream::Stderr);
        assert_eq!(lines, [(Stream::Stdout, "a=1 b=".to_owned()), (Stream::Stderr, "two".to_owned())]);
    }

    #[tokio::test]
    async fn kills_named_orphan_groups_only() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spec = Spec {
            program: "sleep",
            args: vec!["30".into()],
            dir: None,
            env: None,
            limits: Limits { timeout: Duration::from_secs(20), ..Limits::default() },
            interrupt: None,
        };
        let run = tokio::spawn(async move { run_spec(&spec, None, Some(tx)).await });
        let pid = rx.await.unwrap();
        // Between fork and exec the child still has the test's name: wait for the exec.
        for _ in 0..200 {
            if std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim() == "sleep" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!kill_group_named(pid, "terraform"), "another program is left alone");
        assert!(kill_group_named(pid, "sleep"));
        let out = run.await.unwrap().unwrap();
        assert_eq!(out.code, None, "killed by a signal");
    }

    /// A shell that, on SIGINT, prints what it was doing and exits 130 after `stop_secs`.
    fn interruptible(
        stop_secs: &str,
        grace: Duration,
    ) -> (Spec<'static>, tokio_util::sync::CancellationToken) {
        let token = tokio_util::sync::CancellationToken::new();
        let script = format!(
            "trap 'sleep {stop_secs}; echo saved state; exit 130' INT; echo working; while :; do sleep 0.05; done"
        );
        let spec = Spec {
            program: "sh",
            args: vec!["-c".into(), script],
            dir: None,
            env: None,
            limits: Limits { timeout: Duration::from_secs(60), ..Limits::default() },
            interrupt: Some(Interrupt { token: token.clone(), grace, kill: None }),
        };
        (spec, token)
    }

    /// Runs `spec` in a task and returns once the program printed "working".
    async fn spawn_working(spec: Spec<'static>) -> tokio::task::JoinHandle<Result<Output, Error>> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let run = tokio::spawn(async move { run_spec(&spec, Some(tx), None).await });
        while let Some((_, line)) = rx.recv().await {
            if line == "working" {
                break;
            }
        }
        run
    }

    async fn cancel_when_working(
        spec: Spec<'static>,
        token: tokio_util::sync::CancellationToken,
    ) -> Result<Output, Error> {
        let run = spawn_working(spec).await;
        token.cancel();
        run.await.unwrap()
    }

    #[tokio::test]
    async fn an_interrupt_lets_the_program_stop_cleanly() {
        let (spec, token) = interruptible("0.1", Duration::from_secs(20));
        let out = cancel_when_working(spec, token).await.unwrap();
        assert!(out.interrupted);
        assert_eq!(out.code, Some(130));
        assert!(out.stdout.contains("saved state"), "{out:?}");
    }

    #[tokio::test]
    async fn a_kill_stops_the_group_during_the_grace_period() {
        let (mut spec, token) = interruptible("30", Duration::from_secs(60));
        let kill = tokio_util::sync::CancellationToken::new();
        if let Some(i) = spec.interrupt.as_mut() {
            i.kill = Some(kill.clone());
        }
        let started = std::time::Instant::now();
        let run = spawn_working(spec).await;
        token.cancel();
        tokio::time::sleep(Duration::from_millis(200)).await;
        kill.cancel();
        let err = run.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Killed { forced: true, .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20), "killed long before the 60 s grace");
    }

    #[tokio::test]
    async fn an_interrupt_kills_the_group_after_the_grace_period() {
        let (spec, token) = interruptible("30", Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = cancel_when_working(spec, token).await.unwrap_err();
        assert!(matches!(err, Error::Killed { forced: false, .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn knows_live_processes() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(i32::MAX as u32));
    }

    #[tokio::test]
    async fn reports_missing_programs() {
        let err = run("galley-no-such-program", ["x"], None, &Limits::default()).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
    }
}

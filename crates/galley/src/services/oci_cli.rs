//! The OCI CLI service behind `run_oci_cli`: policy check, argv assembly, the run, and output shaping.
//!
//! The argv comes from the model. [`galley_domain::oci::policy`] refuses what may never run (trust- or
//! target-changing options, local files, credential commands) and decides the rest by write mode and
//! confirmation. Galley then adds what the operator configured: `--auth` for the principal Galley runs as
//! (`GALLEY_OCI_AUTH`, or `auto` with the Resource Principal environment present) and `--endpoint` when
//! `GALLEY_OCI_ENDPOINT_<SERVICE>` is set for the CLI service. The CLI runs through `galley-runner` (argv only,
//! own process group, timeout); its output is parsed as JSON when it is JSON, capped (text keeps its tail, JSON
//! is summarised) and redacted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use galley_domain::oci::policy::{self, Class, Decision, WriteMode, cli_endpoint_services};
use galley_domain::oci::redact::{redact_argv, redact_json, redact_text};
use galley_domain::oci::shape::{ShapeOptions, shape};
use serde_json::Value;

use crate::config::Mode;

/// Default and largest timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Largest timeout.
pub const MAX_TIMEOUT_SECS: u64 = 600;
/// Default output cap in characters.
pub const DEFAULT_MAX_OUTPUT_CHARS: usize = 20_000;
/// Smallest and largest output caps.
pub const OUTPUT_CHARS_RANGE: (usize, usize) = (1_000, 200_000);
/// Characters of stderr returned.
const STDERR_TAIL_CHARS: usize = 4_000;
/// Bytes the runner keeps per stream (far above any cap, so the tail of real output is there).
const RUNNER_MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// The `--auth` Galley passes to the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliAuth {
    /// None: the CLI's default (API key from `~/.oci/config`).
    ConfigFile,
    /// `--auth resource_principal` (a Container Instance, a Function).
    ResourcePrincipal,
    /// `--auth instance_principal` (a compute instance).
    InstancePrincipal,
    /// `--auth security_token` (a session token from `oci session authenticate`, in the config profile).
    SecurityToken,
}

impl CliAuth {
    /// From `GALLEY_OCI_AUTH` and whether `OCI_RESOURCE_PRINCIPAL_VERSION` is set.
    pub fn resolve(galley_oci_auth: Option<&str>, rp_env_present: bool) -> anyhow::Result<CliAuth> {
        match galley_oci_auth.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("auto") {
            "auto" if rp_env_present => Ok(CliAuth::ResourcePrincipal),
            "auto" | "api_key" => Ok(CliAuth::ConfigFile),
            "resource_principal" => Ok(CliAuth::ResourcePrincipal),
            "instance_principal" => Ok(CliAuth::InstancePrincipal),
            "security_token" => Ok(CliAuth::SecurityToken),
            other => anyhow::bail!(
                "GALLEY_OCI_AUTH={other:?} is not one of auto, api_key, resource_principal, instance_principal, security_token"
            ),
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            CliAuth::ConfigFile => &[],
            CliAuth::ResourcePrincipal => &["--auth", "resource_principal"],
            CliAuth::InstancePrincipal => &["--auth", "instance_principal"],
            CliAuth::SecurityToken => &["--auth", "security_token"],
        }
    }
}

/// The server's write mode as the policy sees it.
pub fn write_mode(mode: Mode) -> WriteMode {
    match mode {
        Mode::ReadOnly => WriteMode::ReadOnly,
        Mode::Plan => WriteMode::Plan,
        Mode::Full => WriteMode::Full,
    }
}

/// Operator configuration of the CLI (from the environment at start-up).
#[derive(Debug, Clone)]
pub struct OciCliConfig {
    /// The program (`GALLEY_OCI_CLI_BIN`, default `oci`).
    pub program: String,
    /// The `--auth` to add.
    pub auth: CliAuth,
    /// `GALLEY_OCI_ENDPOINT_<SERVICE>` values by `<SERVICE>` (upper case, alphanumerics only).
    pub endpoints: BTreeMap<String, String>,
    /// What the server allows.
    pub mode: WriteMode,
}

impl OciCliConfig {
    /// Reads `GALLEY_OCI_CLI_BIN`, `GALLEY_OCI_AUTH`, `OCI_RESOURCE_PRINCIPAL_VERSION` and
    /// `GALLEY_OCI_ENDPOINT_*` from `vars`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>, mode: Mode) -> anyhow::Result<Self> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let auth = CliAuth::resolve(get("GALLEY_OCI_AUTH"), get("OCI_RESOURCE_PRINCIPAL_VERSION").is_some())?;
        let mut endpoints = BTreeMap::new();
        for (k, v) in &vars {
            let Some(service) = k.strip_prefix("GALLEY_OCI_ENDPOINT_") else { continue };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                anyhow::bail!("{k} must be an http:// or https:// URL, not {v:?}");
            }
            endpoints.insert(normalize_service(service), v.trim_end_matches('/').to_owned());
        }
        Ok(OciCliConfig {
            program: get("GALLEY_OCI_CLI_BIN").unwrap_or("oci").to_owned(),
            auth,
            endpoints,
            mode: write_mode(mode),
        })
    }

    /// From the process environment.
    pub fn from_env(mode: Mode) -> anyhow::Result<Self> {
        Self::from_vars(std::env::vars(), mode)
    }

    /// The endpoint override for a CLI service: its own name first (`GALLEY_OCI_ENDPOINT_OS`), then the endpoint
    /// services it talks to (`GALLEY_OCI_ENDPOINT_OBJECTSTORAGE`).
    pub fn endpoint_for(&self, cli_service: &str) -> Option<&str> {
        std::iter::once(cli_service)
            .chain(cli_endpoint_services(cli_service).iter().copied())
            .find_map(|s| self.endpoints.get(&normalize_service(s)))
            .map(String::as_str)
    }
}

fn normalize_service(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// One call.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The CLI arguments (a leading `oci` is dropped).
    pub args: Vec<String>,
    /// The user confirmed a destructive call.
    pub confirm_destructive: bool,
    /// Seconds before the CLI is stopped.
    pub timeout_seconds: Option<u64>,
    /// Output cap in characters.
    pub max_output_chars: Option<usize>,
}

/// What a successful run returns.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The argv as run (program first), secrets redacted.
    pub command: Vec<String>,
    /// Read, mutation or destructive.
    pub class: Class,
    /// `json`, `text` or `empty`.
    pub output_format: &'static str,
    /// Parsed JSON, text, or null.
    pub output: Value,
    /// Characters of standard output before capping.
    pub output_chars: usize,
    /// Whether the output was capped or summarised.
    pub truncated: bool,
    /// The end of standard error (warnings), redacted.
    pub stderr_tail: String,
    /// What was done to the output, for the model.
    pub note: Option<String>,
    /// Wall-clock milliseconds.
    pub duration_ms: u64,
}

/// Why a call produced no result. Every message says what to do next and contains no secrets.
#[derive(Debug, thiserror::Error)]
pub enum OciCliError {
    /// The policy refused it; nothing ran.
    #[error("{0}")]
    Refused(String),
    /// An argument is out of range.
    #[error("{0}")]
    InvalidInput(String),
    /// The CLI is not installed.
    #[error(
        "the OCI CLI ({program}) is not installed on the Galley server; tell the operator (set GALLEY_OCI_CLI_BIN or install oci-cli)"
    )]
    NotInstalled {
        /// The program.
        program: String,
    },
    /// The run did not finish in time.
    #[error(
        "the OCI CLI did not finish within {seconds} s and was stopped; raise timeout_seconds (up to 600), narrow the request (--limit, --compartment-id), or check the command"
    )]
    Timeout {
        /// The limit.
        seconds: u64,
    },
    /// The CLI could not be started.
    #[error("the OCI CLI could not be started: {0}; tell the operator")]
    Spawn(String),
    /// The CLI exited with an error.
    #[error(
        "oci exited with code {code}{}. stderr: {stderr}{}. Fix the arguments (add --help to see them) and call again.",
        command_hint(command),
        stdout_hint(stdout)
    )]
    Failed {
        /// Exit code (-1 when killed by a signal).
        code: i32,
        /// The command (redacted).
        command: Vec<String>,
        /// The end of stderr (redacted).
        stderr: String,
        /// The end of stdout (redacted).
        stdout: String,
    },
}

fn command_hint(command: &[String]) -> String {
    format!(" running `{}`", command.join(" "))
}

fn stdout_hint(stdout: &str) -> String {
    if stdout.trim().is_empty() { String::new() } else { format!(". stdout: {stdout}") }
}

/// The last `max` characters of `text`, starting at a line when one starts close enough.
fn tail(text: &str, max: usize) -> (String, bool) {
    let total = text.chars().count();
    if total <= max {
        return (text.to_owned(), false);
    }
    let cut: String = text.chars().skip(total - max).collect();
    let from_line = match cut.find('\n') {
        Some(i) if i < max / 10 => cut[i + 1..].to_owned(),
        _ => cut,
    };
    (from_line, true)
}

/// Runs the OCI CLI for the model.
#[derive(Debug, Clone)]
pub struct OciCliService {
    config: OciCliConfig,
}

impl OciCliService {
    /// A service with `config`.
    pub fn new(config: OciCliConfig) -> Self {
        OciCliService { config }
    }

    /// The configuration.
    pub fn config(&self) -> &OciCliConfig {
        &self.config
    }

    /// Checks the policy, then builds the argv (without the program) Galley would run.
    pub fn plan(&self, request: &RunRequest) -> Result<(Vec<String>, Class), OciCliError> {
        let mut args: &[String] = &request.args;
        if args.first().is_some_and(|a| a == "oci") {
            args = &args[1..];
        }
        let command = policy::check_cli(args).map_err(|e| OciCliError::Refused(e.0))?;
        if let Decision::Refuse(why) =
            policy::decide(self.config.mode, command.class, request.confirm_destructive)
        {
            return Err(OciCliError::Refused(format!("`oci {}`: {why}", command.words.join(" "))));
        }
        let mut argv: Vec<String> = self.config.auth.args().iter().map(|s| (*s).to_owned()).collect();
        if let Some(url) = self.config.endpoint_for(&command.service) {
            argv.push("--endpoint".to_owned());
            argv.push(url.to_owned());
        }
        argv.extend(args.iter().cloned());
        Ok((argv, command.class))
    }

    /// Runs one call.
    pub async fn run(&self, request: RunRequest) -> Result<RunOutcome, OciCliError> {
        let timeout = request.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if !(1..=MAX_TIMEOUT_SECS).contains(&timeout) {
            return Err(OciCliError::InvalidInput(format!(
                "timeout_seconds must be 1-{MAX_TIMEOUT_SECS}, not {timeout}"
            )));
        }
        let max_chars = request.max_output_chars.unwrap_or(DEFAULT_MAX_OUTPUT_CHARS);
        if !(OUTPUT_CHARS_RANGE.0..=OUTPUT_CHARS_RANGE.1).contains(&max_chars) {
            return Err(OciCliError::InvalidInput(format!(
                "max_output_chars must be {}-{}, not {max_chars}",
                OUTPUT_CHARS_RANGE.0, OUTPUT_CHARS_RANGE.1
            )));
        }
        let (argv, class) = self.plan(&request)?;
        let program = &self.config.program;
        let command: Vec<String> = std::iter::once("oci".to_owned()).chain(redact_argv(&argv)).collect();
        let limits =
            galley_runner::Limits { timeout: Duration::from_secs(timeout), max_output: RUNNER_MAX_OUTPUT };
        let started = Instant::now();
        tracing::info!(class = %class, command = %command.join(" "), "running the OCI CLI");
        let out = galley_runner::run(program, &argv, None, &limits).await.map_err(|e| match e {
            galley_runner::Error::NotFound { .. } => OciCliError::NotInstalled { program: program.clone() },
            galley_runner::Error::Timeout { .. } | galley_runner::Error::Killed { .. } => {
                OciCliError::Timeout { seconds: timeout }
            }
            galley_runner::Error::Spawn { source, .. } => OciCliError::Spawn(source.to_string()),
        })?;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (stderr_tail, _) = tail(&redact_text(&out.stderr), STDERR_TAIL_CHARS);
        if !out.success() {
            let (stdout, _) = tail(&redact_text(&out.stdout), STDERR_TAIL_CHARS / 2);
            return Err(OciCliError::Failed {
                code: out.code.unwrap_or(-1),
                command,
                stderr: if stderr_tail.trim().is_empty() {
                    "(empty)".to_owned()
                } else {
                    stderr_tail.trim().to_owned()
                },
                stdout: stdout.trim().to_owned(),
            });
        }
        let mut notes: Vec<String> = Vec::new();
        if out.truncated {
            notes.push(format!(
                "the CLI printed more than {} MiB; Galley read only the first {} MiB of it",
                RUNNER_MAX_OUTPUT / (1024 * 1024),
                RUNNER_MAX_OUTPUT / (1024 * 1024)
            ));
        }
        let output_chars = out.stdout.chars().count();
        let trimmed = out.stdout.trim();
        let (output_format, output, truncated) = if trimmed.is_empty() {
            ("empty", Value::Null, false)
        } else if let Ok(mut json) = serde_json::from_str::<Value>(trimmed) {
            redact_json(&mut json);
            let shaped = shape(json, &ShapeOptions { fields: Vec::new(), max_results: None, max_chars });
            if let Some(note) = shaped.note {
                notes.push(format!(
                    "{note}. For the CLI: narrow with --query (JMESPath, e.g. \"data[].{{id:id,name:\\\"display-name\\\"}}\") or --limit"
                ));
            }
            ("json", shaped.data, shaped.truncated)
        } else {
            let text = redact_text(&out.stdout);
            let (kept, cut) = tail(&text, max_chars);
            if cut {
                notes.push(format!(
                    "the output was {output_chars} characters; this is its last {} (raise max_output_chars, or narrow the command)",
                    kept.chars().count()
                ));
            }
            ("text", Value::String(kept), cut)
        };
        Ok(RunOutcome {
            command,
            class,
            output_format,
            output,
            output_chars,
            truncated: truncated || out.truncated,
            stderr_tail: stderr_tail.trim().to_owned(),
            note: if notes.is_empty() { None } else { Some(notes.join(". ")) },
            duration_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_modes() {
        for (configured, rp, want) in [
            (None, false, Some(CliAuth::ConfigFile)),
            (Some("auto"), false, Some(CliAuth::ConfigFile)),
            (Some(""), true, Some(CliAuth::ResourcePrincipal)),
            (Some("auto"), true, Some(CliAuth::ResourcePrincipal)),
            (Some("api_key"), true, Some(CliAuth::ConfigFile)),
            (Some("resource_principal"), false, Some(CliAuth::ResourcePrincipal)),
            (Some("instance_principal"), true, Some(CliAuth::InstancePrincipal)),
            (Some("security_token"), false, Some(CliAuth::SecurityToken)),
            (Some("magic"), false, None),
        ] {
            assert_eq!(CliAuth::resolve(configured, rp).ok(), want, "{configured:?} {rp}");
        }
    }

    fn config(vars: &[(&str, &str)], mode: Mode) -> anyhow::Result<OciCliConfig> {
        OciCliConfig::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())), mode)
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    /// (env, mode, argv, confirm) → the argv Galley runs, or a piece of the refusal.
    fn check(vars: &[(&str, &str)], mode: Mode, argv: &str, confirm: bool, expect: Result<&str, &str>) {
        let service = OciCliService::new(config(vars, mode).unwrap());
        let request = RunRequest {
            args: args(argv),
            confirm_destructive: confirm,
            timeout_seconds: None,
            max_output_chars: None,
        };
        match (service.plan(&request), expect) {
            (Ok((got, _)), Ok(want)) => assert_eq!(got.join(" "), want, "{argv}"),
            (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{argv}: {e}"),
            (got, want) => panic!("{argv}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn plans_argv() {
        let rp = [("GALLEY_OCI_AUTH", "auto"), ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")];
        check(&rp, Mode::Full, "os ns get", false, Ok("--auth resource_principal os ns get"));
        check(&rp, Mode::Full, "oci os ns get", false, Ok("--auth resource_principal os ns get"));
        check(
            &[("GALLEY_OCI_AUTH", "instance_principal")],
            Mode::Full,
            "iam region list",
            false,
            Ok("--auth instance_principal iam region list"),
        );
        check(&[], Mode::Full, "iam region list", false, Ok("iam region list"));
        let ep = [
            ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", "http://127.0.0.1:9100/"),
            ("GALLEY_OCI_ENDPOINT_RESOURCE_MANAGER", "http://127.0.0.1:9200"),
        ];
        check(&ep, Mode::Full, "os ns get", false, Ok("--endpoint http://127.0.0.1:9100 os ns get"));
        check(
            &ep,
            Mode::Full,
            "resource-manager stack list -c x",
            false,
            Ok("--endpoint http://127.0.0.1:9200 resource-manager stack list -c x"),
        );
        check(&ep, Mode::Full, "compute instance list -c x", false, Ok("compute instance list -c x"));
        check(
            &[("GALLEY_OCI_ENDPOINT_OS", "http://os-own:1")],
            Mode::Full,
            "os ns get",
            false,
            Ok("--endpoint http://os-own:1 os ns get"),
        );
        // Refusals: the model may not pass --endpoint itself, mode and confirmation apply.
        check(&ep, Mode::Full, "os ns get --endpoint http://evil", false, Err("--endpoint is not allowed"));
        check(
            &[],
            Mode::Full,
            "os object delete --bucket-name b --object-name o",
            false,
            Err("confirm_destructive=true"),
        );
        check(
            &[],
            Mode::Full,
            "os object delete --bucket-name b --object-name o --force",
            true,
            Ok("os object delete --bucket-name b --object-name o --force"),
        );
        check(&[], Mode::ReadOnly, "os bucket create --name b", false, Err("read-only mode"));
        check(&[], Mode::ReadOnly, "os bucket list", false, Ok("os bucket list"));
        check(&[], Mode::Plan, "compute instance launch", false, Err("plan mode"));
    }

    #[test]
    fn bad_configuration_is_an_error() {
        assert!(
            config(&[("GALLEY_OCI_AUTH", "magic")], Mode::Full)
                .unwrap_err()
                .to_string()
                .contains("GALLEY_OCI_AUTH")
        );
        assert!(
            config(&[("GALLEY_OCI_ENDPOINT_OS", "ftp://x")], Mode::Full)
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert_eq!(config(&[("GALLEY_OCI_CLI_BIN", "/opt/oci")], Mode::Full).unwrap().program, "/opt/oci");
    }

    #[test]
    fn tails() {
        assert_eq!(tail("abc", 10), ("abc".to_owned(), false));
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let (kept, cut) = tail(&text, 50);
        assert!(cut && kept.starts_with("line ") && kept.ends_with("line 99\n"), "{kept:?}");
        assert!(kept.chars().count() <= 50);
    }
}

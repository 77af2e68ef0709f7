//! OCI tools: `run_oci_cli` (the OCI CLI with an argument array, under the mutation policy).
//!
//! `oci_sdk_call` joins this file when the HTTP client lands: `galley_domain::oci` already has the operation table,
//! request building, the policy and result shaping, so it will be parse → `build_request` → `decide` → send →
//! `shape`.
//!
//! `run_oci_cli` stays listed in read-only mode: reads are useful there, and the tool refuses every mutation by
//! itself ([`MODE_ENFORCING_TOOLS`]).

use galley_domain::oci::Class;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GalleyServer;
use crate::services::oci_cli::RunRequest;

/// Tools that are not read-only but enforce `--mode` per call, so read-only mode keeps them (reads stay possible).
pub const MODE_ENFORCING_TOOLS: &[&str] = &["run_oci_cli"];

/// Arguments of `run_oci_cli`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunOciCliInput {
    /// The OCI CLI arguments without the leading `oci`, one array element per argument, e.g.
    /// ["compute", "instance", "list", "--compartment-id", "ocid1.compartment.oc1..xxx"]. This is not a shell:
    /// no quotes, pipes, redirections or $VARIABLES; JSON option values are one element each.
    pub args: Vec<String>,
    /// Set to true only after the user explicitly agreed to this deletion, termination, cancellation or removal
    /// (show them exactly what goes). Default false: destructive commands are refused.
    #[serde(default)]
    pub confirm_destructive: bool,
    /// Seconds before the CLI is stopped (1-600, default 60).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Most characters of output to return (1000-200000, default 20000). Longer text keeps its end; longer JSON is
    /// summarised (count and first items).
    #[serde(default)]
    pub max_output_chars: Option<usize>,
}

/// Result of `run_oci_cli`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunOciCliOutput {
    /// The command that ran, with the options Galley added (--auth, --endpoint); secrets redacted.
    pub command: Vec<String>,
    /// What the command does: read, mutation or destructive.
    pub class: Class,
    /// The exit code (always 0 here: failures come back as errors).
    pub exit_code: i32,
    /// `json` (output is the parsed JSON), `text` or `empty`.
    pub output_format: String,
    /// The CLI's output: parsed JSON, text, or null.
    pub output: Value,
    /// Characters the CLI printed on standard output (before capping).
    pub output_chars: usize,
    /// Whether the output was capped (text: only its end is here) or summarised (JSON).
    pub truncated: bool,
    /// The end of the CLI's standard error (warnings), if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr_tail: String,
    /// What was done to the output and how to get the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How long the CLI ran, in milliseconds.
    pub duration_ms: u64,
}

#[tool_router(router = oci_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Run the OCI CLI (`oci`) with an argument array, never through a shell. Use it to look at or change OCI
    /// resources when no dedicated Galley tool fits, e.g. args ["os", "ns", "get"] or ["compute", "instance",
    /// "list", "--compartment-id", ID]. Reads (list, get, search) are always allowed; creates and updates only
    /// when Galley runs in full mode; deletions, terminations and cancellations only with confirm_destructive=true
    /// after the user agreed (add --force as well: the CLI cannot prompt here). Galley supplies authentication
    /// and endpoints itself, so --endpoint, --profile, --config-file, --auth, --debug and server files (--file
    /// PATH, file://...) are refused. Returns the command as run, the exit code, the output (parsed JSON when it
    /// is JSON, else text; capped, text keeping its end) and the end of stderr. Narrow big lists with --query
    /// (JMESPath) or --limit.
    #[tool(annotations(
        title = "Run OCI CLI",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_oci_cli(
        &self,
        Parameters(input): Parameters<RunOciCliInput>,
    ) -> Result<Json<RunOciCliOutput>, String> {
        let request = RunRequest {
            args: input.args,
            confirm_destructive: input.confirm_destructive,
            timeout_seconds: input.timeout_seconds,
            max_output_chars: input.max_output_chars,
        };
        let out = self.app().oci_cli.run(request).await.map_err(|e| e.to_string())?;
        Ok(Json(RunOciCliOutput {
            command: out.command,
            class: out.class,
            exit_code: 0,
            output_format: out.output_format.to_owned(),
            output: out.output,
            output_chars: out.output_chars,
            truncated: out.truncated,
            stderr_tail: out.stderr_tail,
            note: out.note,
            duration_ms: out.duration_ms,
        }))
    }
}

//! OCI tools: `oci_sdk_call` (any OCI API operation, called natively) and `run_oci_cli` (the OCI CLI with an
//! argument array), both under the same mutation policy.
//!
//! Both stay listed in read-only mode: reads are useful there, and the tools refuse every mutation by themselves
//! ([`MODE_ENFORCING_TOOLS`]).

use galley_domain::oci::Class;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::GalleyServer;
use crate::services::oci_cli::RunRequest;
use crate::services::oci_sdk::{SdkCall, SdkOutcome, Target};

/// Tools that are not read-only but enforce `--mode` per call, so read-only mode keeps them (reads stay possible).
pub const MODE_ENFORCING_TOOLS: &[&str] = &["run_oci_cli", "oci_sdk_call"];

/// Arguments of `oci_sdk_call`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OciSdkCallInput {
    /// The OCI service as the OCI Python SDK names its module: core (compute, network, block storage), identity,
    /// object_storage, resource_manager, container_engine, database, load_balancer, ... ("module.client", e.g.
    /// "core.compute", when a module has several clients). Required unless `raw` is given.
    #[serde(default)]
    pub service: Option<String>,
    /// The operation as the SDK names it (list_instances, get_namespace, create_vcn) or as the API does
    /// (ListInstances). Required unless `raw` is given. A wrong name comes back with the closest valid ones.
    #[serde(default)]
    pub operation: Option<String>,
    /// The operation's parameters by SDK name (compartment_id, namespace_name, bucket_name) or API name
    /// (compartmentId); the request body under its SDK name (create_vcn_details) or "body", as a JSON object
    /// with the API's camelCase fields. Problems come back all at once, with the valid parameter names.
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
    /// Keep only these fields of each list item (or of the object), as dot paths, e.g. ["id", "displayName",
    /// "lifecycleState", "shapeConfig.ocpus"]. Default: all fields.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Most list items to return (1-10000). Default: all items of the pages read.
    #[serde(default)]
    pub max_results: Option<usize>,
    /// For list operations: follow the pages (opc-next-page, or Object Storage's nextStartWith) and return the
    /// items of all of them, at most 20 pages and 5000 items (or max_results). Default false: one page, and
    /// next_page says how to ask for the next one.
    #[serde(default)]
    pub all_pages: bool,
    /// Set to true only after the user explicitly agreed to this deletion, termination, cancellation or removal
    /// (show them exactly what goes). Default false: destructive operations are refused.
    #[serde(default)]
    pub confirm_destructive: bool,
    /// Most characters of JSON data to return (1000-200000, default 20000); larger data is summarised (count,
    /// keys and first items).
    #[serde(default)]
    pub max_output_chars: Option<usize>,
    /// Raw mode, only for what the operation table lacks: a request to a service's endpoint by method and
    /// path. Give either raw, or service and operation.
    #[serde(default)]
    pub raw: Option<RawCallInput>,
}

/// A raw OCI API request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCallInput {
    /// The service whose endpoint to call, named as for `service` (object_storage, core, identity, ...).
    pub service: String,
    /// GET, HEAD, POST, PUT, PATCH or DELETE (GET and HEAD are reads; DELETE is destructive).
    pub method: String,
    /// The full path with the API version and no host or query, e.g. "/20160918/instances" or "/n".
    pub path: String,
    /// Query parameters; an array value repeats the key.
    #[serde(default)]
    pub query: Option<Map<String, Value>>,
    /// JSON body (POST, PUT and PATCH only).
    #[serde(default)]
    pub body: Option<Value>,
}

impl OciSdkCallInput {
    fn into_call(self) -> Result<SdkCall, String> {
        let target = match (self.raw, self.service, self.operation) {
            (Some(raw), None, None) => {
                if self.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    return Err("raw mode takes no parameters: put them in raw.query or raw.body".to_owned());
                }
                Target::Raw {
                    service: raw.service,
                    method: raw.method,
                    path: raw.path,
                    query: raw.query,
                    body: raw.body,
                }
            }
            (Some(_), _, _) => {
                return Err(
                    "give either raw (raw mode) or service and operation, not both; raw.service names the service in raw mode"
                        .to_owned(),
                );
            }
            (None, Some(service), Some(operation)) => {
                Target::Operation { service, operation, parameters: self.parameters.unwrap_or_default() }
            }
            (None, service, _) => {
                return Err(format!(
                    "{} is missing: give service (e.g. \"object_storage\") and operation (e.g. \"list_objects\"), or raw",
                    if service.is_none() { "service" } else { "operation" }
                ));
            }
        };
        Ok(SdkCall {
            target,
            fields: self.fields,
            max_results: self.max_results,
            all_pages: self.all_pages,
            confirm_destructive: self.confirm_destructive,
            max_output_chars: self.max_output_chars,
        })
    }
}

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
    /// Call any OCI API operation natively, like the OCI Python SDK does: service + operation + parameters,
    /// e.g. service "object_storage", operation "list_objects", parameters {"namespace_name": NS, "bucket_name":
    /// B}; or service "core", operation "list_instances", parameters {"compartment_id": ID}. Faster than
    /// run_oci_cli and covers every operation of the SDK. Reads (list, get, head, search, summarize) are always
    /// allowed; creates and updates only when Galley runs in full mode; deletions, terminations and
    /// cancellations only with confirm_destructive=true after the user agreed. Galley signs with its own
    /// principal and picks the endpoint. Returns the status, opc-request-id, the data (narrow it with fields and
    /// max_results; all_pages follows list pages) and next_page when more exists. An unknown operation or
    /// parameter comes back as an error naming the closest valid ones. raw mode ({"raw": {"service", "method",
    /// "path", "query", "body"}}) is for what the table lacks.
    #[tool(annotations(
        title = "Call OCI API",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn oci_sdk_call(
        &self,
        Parameters(input): Parameters<OciSdkCallInput>,
    ) -> Result<Json<SdkOutcome>, String> {
        let call = input.into_call()?;
        let out = self.app().oci_sdk.call(call).await.map_err(|e| e.to_string())?;
        Ok(Json(out))
    }

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

//! The MCP face of Galley: one server type, its instructions, and the tool groups (one file per group).
//!
//! Tool functions are thin: parse the input, call a service, shape the output. Business failures come back as
//! tool results with `isError: true` and a next step; JSON-RPC errors are kept for protocol misuse.

pub mod conformance;
pub mod design;
pub mod handoff;
pub mod hearing;
#[cfg(test)]
mod inventory;
pub mod oci;
pub mod rm;
pub mod terraform;

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    Implementation, ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool_handler};

use galley_domain::ids::SessionId;
use galley_domain::locale::Locale;

use crate::app::App;
use crate::config::Mode;
use crate::services::hearing::parse_session_id;
use crate::services::jobs::Job;

/// What the model reads first: the whole Galley workflow and the rules of the road.
pub const INSTRUCTIONS: &str = "\
Galley helps an Oracle Cloud (OCI) pre-sales engineer go from a customer conversation to running infrastructure.
Workflow: 1) requirements hearing -> 2) architecture design (proposed or interactive, validated against OCI rules) ->
3) Terraform generated, planned and applied -> 4) application scaffolded and deployed to OKE -> 5) exports.
This server currently offers the hearing layer, the design layer, Terraform (plan/apply/destroy) and OCI access (the
OCI API and the OCI CLI).

Hearing:
- Start with create_session (customer, project, locale 'ja' or 'en'). ALWAYS show the session_id to the user and
  repeat it whenever you refer to the session: it is how the work is found again in a later chat.
- Ask the questions conversationally in chat, a few at a time, in the session's language. Never render the hearing
  as an HTML form, artifact or widget.
- list_hearing_questions shows the catalog (ids, types, choices, units, ranges). Save what the customer says with
  save_answer, or several answers at once with save_answers_batch (all-or-nothing). Mark guesses and defaults with
  source='assumption' so they are confirmed later.
- When a tool result has isError=true, read its message: it names what was wrong and the valid values; fix the
  argument and call again.
- complete_hearing closes the hearing; it lists required questions still open (force=true records them as open
  assumptions). get_hearing_result returns the structured requirements to design from.
- list_sessions and get_session find earlier sessions.

Design (after the hearing):
- propose_architecture builds Galley's proposal from the hearing (each component names the answers that justify
  it) and saves it; or save_architecture stores a whole design you made; or build it step by step: add_component
  (a vcn, subnets placed in it, then services placed in subnets), configure_component, connect_components.
  list_available_services shows the OCI services, their attributes, defaults and allowed values.
- After edits call validate_architecture: it checks the design against OCI's rules and returns findings with a
  fix for each. Apply the fixes (configure_component, add_component, ...) and validate again.
- export_mermaid returns the diagram (show it to the user in a mermaid code block); export_summary the Markdown
  summary for the customer document. get_architecture shows the design.

Terraform (per session):
- write_terraform_files puts .tf files in the session's workspace; run_terraform_plan returns a digest and a
  plan_id. Show the digest (especially replace/destroy addresses) and apply only after the user agrees, with
  run_terraform_apply(plan_id). Errors list diagnostics with file, line and a hint: fix that file and plan again.
- run_terraform_destroy is two-step the same way. Slow runs return a job_id: poll get_job. To stop a run the
  user no longer wants, call cancel_job(job_id), then run_terraform_plan to see what is left.

Resource Manager (Terraform in the customer's tenancy):
- create_rm_stack uploads the session's workspace as a stack (again: updates it). run_rm_plan returns an rm_job_id
  and what it would do; apply only after the user agrees, with run_rm_apply(plan_job_id). get_rm_job_status shows
  any RM job (state, Terraform errors, resources, outputs). run_rm_destroy needs confirm=true after the user agrees.
- export_all writes the customer hand-off package (summary, diagram, stack zip with schema.yaml; on an OCI store a
  'Deploy to Oracle Cloud' link).

OCI:
- oci_sdk_call calls any OCI API operation by service + operation + parameters (SDK names, e.g. object_storage /
  list_objects); prefer it to run_oci_cli (faster, structured). Narrow results with fields and max_results.
- run_oci_cli runs the OCI CLI with an argument array (no shell).
- For both: reads are always allowed; changes depend on the server's mode; deletions need confirm_destructive=true,
  and only after the user agreed to exactly what goes.";

/// The server: shared application state plus the tool router built once at start-up.
#[derive(Clone)]
pub struct GalleyServer {
    app: Arc<App>,
    tools: Arc<ToolRouter<GalleyServer>>,
}

impl std::fmt::Debug for GalleyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GalleyServer").finish_non_exhaustive()
    }
}

/// Which tools a server offers.
#[derive(Debug, Clone, Copy)]
pub struct ToolSelection {
    /// `read-only` hides every tool that is not read-only.
    pub mode: Mode,
    /// Adds the MCP conformance suite's fixture tools (never on by default).
    pub conformance_fixtures: bool,
}

/// Builds the tool router for a selection. Called once per process.
pub fn tool_router(selection: ToolSelection) -> ToolRouter<GalleyServer> {
    let mut router = GalleyServer::hearing_tools();
    router.merge(GalleyServer::design_tools());
    router.merge(GalleyServer::oci_tools());
    router.merge(GalleyServer::terraform_tools());
    router.merge(GalleyServer::rm_tools());
    router.merge(GalleyServer::handoff_tools());
    if selection.conformance_fixtures {
        router.merge(GalleyServer::conformance_tools());
    }
    if selection.mode == Mode::ReadOnly {
        // Tools that enforce the mode per call (run_oci_cli: reads allowed, mutations refused) stay.
        let mutating: Vec<String> = router
            .list_all()
            .into_iter()
            .filter(|t| !t.annotations.as_ref().and_then(|a| a.read_only_hint).unwrap_or(false))
            .filter(|t| !oci::MODE_ENFORCING_TOOLS.contains(&t.name.as_ref()))
            .map(|t| t.name.to_string())
            .collect();
        for name in mutating {
            router.remove_route(&name);
        }
    }
    router
}

impl GalleyServer {
    /// A server over `app` with a prebuilt router (cheap: stateless HTTP makes one per request).
    pub fn new(app: Arc<App>, tools: Arc<ToolRouter<GalleyServer>>) -> Self {
        GalleyServer { app, tools }
    }

    /// The application state.
    pub fn app(&self) -> &App {
        &self.app
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for GalleyServer {
    fn get_info(&self) -> ServerConfig {
        let caps = if self.app.conformance_fixtures {
            conformance::capabilities()
        } else {
            ServerCapabilities::builder().enable_tools().enable_resources().build()
        };
        ServerConfig::new(caps)
            .with_server_info(Implementation::new("galley", env!("CARGO_PKG_VERSION")).with_title("Galley"))
            .with_instructions(INSTRUCTIONS.to_owned())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let mut resources = hearing::resources();
        if self.app.conformance_fixtures {
            resources.extend(conformance::resources());
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if let Some(result) = hearing::read_resource(self, &request.uri)? {
            return Ok(result.into());
        }
        if self.app.conformance_fixtures
            && let Some(result) = conformance::read_resource(&request.uri)
        {
            return Ok(result.into());
        }
        Err(McpError::resource_not_found(
            format!("unknown resource {}; list_resources shows what exists", request.uri),
            Some(serde_json::json!({ "uri": request.uri })),
        ))
    }

    // The handlers below serve the conformance fixtures (`--conformance-fixtures`); without the flag they keep
    // rmcp's default answers.

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, McpError> {
        let templates =
            if self.app.conformance_fixtures { conformance::resource_templates() } else { Vec::new() };
        Ok(rmcp::model::ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, McpError> {
        let prompts = if self.app.conformance_fixtures { conformance::prompts() } else { Vec::new() };
        Ok(rmcp::model::ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, McpError> {
        if self.app.conformance_fixtures {
            return conformance::get_prompt(request, &context);
        }
        Err(McpError::method_not_found::<rmcp::model::GetPromptRequestMethod>())
    }

    #[allow(deprecated)] // logging/setLevel is deprecated (SEP-2577); only the 2025-11-25 fixtures accept it.
    async fn set_level(
        &self,
        _request: rmcp::model::SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if self.app.conformance_fixtures {
            return conformance::set_level(&context);
        }
        Err(McpError::method_not_found::<rmcp::model::SetLevelRequestMethod>())
    }

    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if self.app.conformance_fixtures {
            return conformance::subscription(&request.uri);
        }
        Err(McpError::method_not_found::<rmcp::model::SubscribeRequestMethod>())
    }

    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if self.app.conformance_fixtures {
            return conformance::subscription(&request.uri);
        }
        Err(McpError::method_not_found::<rmcp::model::UnsubscribeRequestMethod>())
    }
}

// ---------- helpers shared by the tool groups ----------

/// A failure as the text of an `isError` result (the message already says what to do next).
pub(crate) fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A session id given by the model.
pub(crate) fn session(raw: &str) -> Result<SessionId, String> {
    parse_session_id(raw).map_err(fail)
}

/// A locale given by the model, or `fallback`.
pub(crate) fn parse_locale(raw: Option<&str>, fallback: Locale) -> Result<Locale, String> {
    raw.map_or(Ok(fallback), |l| l.parse::<Locale>().map_err(fail))
}

/// A locale given by the model, if any.
pub(crate) fn optional_locale(raw: Option<&str>) -> Result<Option<Locale>, String> {
    raw.map(|l| l.parse::<Locale>().map_err(fail)).transpose()
}

/// A failed job as the text of an `isError` result: its message, id and kind, and its details.
pub(crate) fn failure_text(job: &Job) -> String {
    let mut text = match &job.error {
        Some(e) => e.message.clone(),
        None => "the job failed without a message".to_owned(),
    };
    text.push_str(&format!("\n(job_id {}, {})", job.job_id, job.kind));
    if let Some(details) = job.error.as_ref().map(|e| &e.details).filter(|d| !d.is_null()) {
        text.push_str("\ndetails: ");
        text.push_str(&serde_json::to_string_pretty(details).unwrap_or_default());
    }
    text
}

//! `export_all`: the customer hand-off package (summary, diagram, Resource Manager-ready zip with schema.yaml,
//! and on an OCI store a "Deploy to Oracle Cloud" link).

use galley_domain::export::{SummaryInput, mermaid, summary};
use galley_domain::locale::Locale;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::GalleyServer;
use super::fail;
use crate::services::handoff::{Documents, HandoffOutcome};
use crate::services::hearing::parse_session_id;

/// Arguments of `export_all`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportAllInput {
    /// The session id.
    pub session_id: String,
    /// Directory for the files, relative to Galley's export directory (e.g. "acme/handoff-1"); no "..", no
    /// absolute paths. Default: "<session_id>/<UTC time>".
    #[serde(default)]
    pub output_dir: Option<String>,
    /// Language of the summary and diagram: "ja" or "en" (default: the session's).
    #[serde(default)]
    pub locale: Option<String>,
    /// Hours the "Deploy to Oracle Cloud" link works (1-720, default 72; only on an OCI store).
    #[serde(default)]
    pub link_hours: Option<u32>,
}

/// Result of `export_all`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportAllOutput {
    /// Session id.
    pub session_id: String,
    /// What was written.
    #[serde(flatten)]
    pub package: HandoffOutcome,
    /// What to do next.
    pub next_step: String,
}

#[tool_router(router = handoff_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Write the customer hand-off package of a session: summary.md (requirements, design, findings),
    /// architecture.mmd (the Mermaid diagram) and stack.zip (the session's Terraform files at the zip's root plus a
    /// schema.yaml, Resource Manager's variable form for the customer's Console). On an OCI Object Storage store
    /// the result also has deploy_url, a time-limited "Deploy to Oracle Cloud" link that opens Resource Manager
    /// with the zip. Returns where the files are, their sizes and the summary's first lines (not the contents).
    #[tool(annotations(
        title = "Export the hand-off package",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn export_all(
        &self,
        Parameters(input): Parameters<ExportAllInput>,
    ) -> Result<Json<ExportAllOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let app = self.app();
        let locale = input.locale.as_deref().map(|l| l.parse::<Locale>().map_err(fail)).transpose()?;
        let (session, v) = app.design.validate(&app.hearing, id, locale).await.map_err(fail)?;
        let locale = locale.unwrap_or(session.locale);
        let mut doc = SummaryInput::new(&session, app.hearing.catalog(), app.design.services());
        doc.locale = locale;
        if !v.architecture.components.is_empty() {
            doc.architecture = Some(&v.architecture);
            doc.validation = Some(&v.validation);
        }
        let docs = Documents {
            title: format!("{}: {}", session.customer, session.project),
            description: format!("Terraform from Galley session {id}"),
            summary: summary(&doc),
            mermaid: mermaid(&v.architecture, app.design.services(), locale),
        };
        let package = app
            .handoff
            .export(id, docs, input.output_dir.as_deref(), input.link_hours)
            .await
            .map_err(fail)?;
        let next_step = match &package.deploy_url {
            Some(_) => "Give the customer deploy_url (it opens Resource Manager with the stack; it expires at deploy_url_expires_at) and summary.md. The link is a secret: share it only with them.".to_owned(),
            None => format!("Tell the user where the files are ({}) and give the customer summary.md and stack.zip.", package.location),
        };
        Ok(Json(ExportAllOutput { session_id: id.to_string(), package, next_step }))
    }
}

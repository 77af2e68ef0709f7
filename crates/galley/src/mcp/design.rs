//! Design tools: the service catalog, the architecture and its edits, validation, proposals.

use std::collections::BTreeMap;

use galley_domain::architecture::{
    Architecture, ArchitectureInput, Component, ComponentInput, ConfigureInput, Connection, ConnectionInput,
    Rationale, Removed,
};
use galley_domain::catalog::{PlacementKind, Service, ServiceCatalog};
use galley_domain::export::{SummaryInput, mermaid, summary};
use galley_domain::locale::Locale;
use galley_domain::rules::{Finding, RuleLoadProblem, Summary};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GalleyServer;
use super::{fail, optional_locale, parse_locale};
use crate::services::hearing::parse_session_id;

// ---------- inputs ----------

/// Arguments of `list_available_services`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListServicesInput {
    /// Only this category: compute, containers, serverless, database, storage, networking, security,
    /// observability, integration, devops, ai.
    #[serde(default)]
    pub category: Option<String>,
    /// Only services whose id, name, description or keywords contain this (case-insensitive), e.g. "ATP",
    /// "kafka", "Kubernetes", "ロードバランサ".
    #[serde(default)]
    pub keyword: Option<String>,
    /// One service id: return its full attribute schema (types, defaults, allowed values, ranges) instead of
    /// the compact list. Use it before configure_component.
    #[serde(default)]
    pub service: Option<String>,
    /// "ja" or "en" (default "ja", or the session's language with session_id).
    #[serde(default)]
    pub locale: Option<String>,
}

/// Arguments naming a session's design.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignInput {
    /// The session id (from create_session or list_sessions).
    pub session_id: String,
    /// "ja" or "en". Defaults to the session's language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Arguments of `add_component`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddComponentInput {
    /// The session id.
    pub session_id: String,
    /// Catalog service id, e.g. "oke", "autonomous_database", "subnet" (list_available_services lists them).
    pub service: String,
    /// Component id: 1-63 lowercase letters, digits and '-', starting with a letter (e.g. "app-db"). Derived
    /// from the service when absent ("oke", "oke-2", ...).
    #[serde(default)]
    pub id: Option<String>,
    /// Display name (defaults to the service name).
    #[serde(default)]
    pub name: Option<String>,
    /// Attribute values, e.g. {"node_count": 3, "node_shape": "VM.Standard.E5.Flex"}; the catalog's defaults
    /// fill the rest. list_available_services with service=<id> shows the attributes.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
    /// Parent component id: the subnet it is placed in (subnet-placed services), or the VCN (subnets and
    /// gateways). Leave empty for regional or global services (Object Storage, Vault, DNS, ...).
    #[serde(default)]
    pub placement: Option<String>,
    /// Why it is in the design (shown in the summary export).
    #[serde(default)]
    pub reason: Option<String>,
    /// Hearing question ids whose answers justify it, e.g. ["workload.containerization"].
    #[serde(default)]
    pub answers: Vec<String>,
}

/// Arguments of `remove_component`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveComponentInput {
    /// The session id.
    pub session_id: String,
    /// The component to remove.
    pub component_id: String,
    /// Also remove what depends on it: components placed in it or referring to it (recursively) and every
    /// connection of a removed component. Default false: refuse and list the dependents.
    #[serde(default)]
    pub cascade: bool,
}

/// Arguments of `configure_component`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigureComponentInput {
    /// The session id.
    pub session_id: String,
    /// The component to change.
    pub component_id: String,
    /// Attribute values to set, e.g. {"network_access": "private_endpoint"}; null removes an attribute.
    /// Unknown attributes and invalid values are refused with the valid ones listed.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New parent (subnet or VCN id). Use clear_placement to make it regional.
    #[serde(default)]
    pub placement: Option<String>,
    /// Remove the placement (e.g. an Autonomous Database going back to a public endpoint). Default false.
    #[serde(default)]
    pub clear_placement: bool,
    /// New reason for the component.
    #[serde(default)]
    pub reason: Option<String>,
    /// New hearing question ids justifying it (replaces the list when given with reason).
    #[serde(default)]
    pub answers: Option<Vec<String>>,
}

/// Arguments of `connect_components`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectInput {
    /// The session id.
    pub session_id: String,
    /// The component that opens the connection (e.g. "oke").
    pub from: String,
    /// The component it connects to (e.g. "adb").
    pub to: String,
    /// Protocol, e.g. "tcp", "https", "sqlnet".
    #[serde(default)]
    pub protocol: Option<String>,
    /// Destination port, e.g. 1522 for Autonomous Database over TLS, 443 for HTTPS. Connecting the same pair on
    /// the same port again updates that connection.
    #[serde(default)]
    pub port: Option<u16>,
    /// What it is for, e.g. "orders API reads and writes orders".
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Arguments of `disconnect_components`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisconnectInput {
    /// The session id.
    pub session_id: String,
    /// The component that opens the connection.
    pub from: String,
    /// The component it connects to.
    pub to: String,
    /// Only the connection on this port (default: every connection from `from` to `to`).
    #[serde(default)]
    pub port: Option<u16>,
}

/// Arguments of `save_architecture`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveArchitectureInput {
    /// The session id.
    pub session_id: String,
    /// The whole design: region, components (parents before children: a VCN before its subnets, a subnet before
    /// what is placed in it) and connections. Replaces the current design; every problem is listed at once and
    /// nothing is saved when there is one.
    pub architecture: ArchitectureInput,
}

/// Arguments of `propose_architecture`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeInput {
    /// The session id (the hearing should be complete or nearly so).
    pub session_id: String,
    /// Force a pattern instead of letting the answers choose: web_three_tier, api_oke_adb, event_driven, batch,
    /// data_analytics, container_light.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Replace the session's existing design. Default false: refuse when the session already has one.
    #[serde(default)]
    pub replace: bool,
    /// "ja" or "en" for the reasons and assumptions. Defaults to the session's language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Arguments of `export_iac`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportIacInput {
    /// The session id.
    pub session_id: String,
    /// Also overwrite workspace files you (the model) edited since Galley's last export. Default false: they are
    /// kept and their difference from the new export is shown.
    #[serde(default)]
    pub overwrite_edited: bool,
    /// Only report what would change; write nothing. Default false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `set_design_region`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRegionInput {
    /// The session id.
    pub session_id: String,
    /// OCI region identifier, e.g. "ap-tokyo-1", "us-ashburn-1". Availability rules check services against it.
    pub region: String,
}

// ---------- outputs ----------

/// A catalog service, compact.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceEntry {
    /// Service id (use it as `service` in add_component).
    pub id: String,
    /// Name.
    pub name: String,
    /// Category id.
    pub category: String,
    /// Where it is placed: public_subnet, private_subnet, subnet, optional_subnet, in_vcn, vcn, regional, global.
    pub placement: PlacementKind,
    /// What it is.
    pub description: String,
    /// Its attribute names (list_available_services with service=<id> shows the details).
    pub attributes: Vec<String>,
}

/// One attribute of a service, in detail.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AttributeView {
    /// Name (the key in `config`).
    pub name: String,
    /// string, integer, number, boolean, enum, list or component (the id of another component).
    #[serde(rename = "type")]
    pub kind: String,
    /// What it means.
    pub description: String,
    /// Default value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Allowed values (enum, list), or allowed services (component).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// Smallest value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A catalog service in detail.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceDetail {
    /// The compact entry.
    #[serde(flatten)]
    pub entry: ServiceEntry,
    /// Every attribute.
    pub attribute_details: Vec<AttributeView>,
    /// Terraform resource types it becomes.
    pub terraform: Vec<String>,
    /// Services it typically connects to.
    pub connects_to: Vec<String>,
    /// OCI documentation.
    pub docs: String,
}

/// Result of `list_available_services`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListServicesOutput {
    /// Categories (id and title).
    pub categories: Vec<CategoryEntry>,
    /// Matching services (compact).
    pub services: Vec<ServiceEntry>,
    /// With `service`: that service in detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<ServiceDetail>,
}

/// A service category.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryEntry {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Services in it.
    pub service_count: usize,
}

/// Counts of a design.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DesignCounts {
    /// Components.
    pub components: usize,
    /// Connections.
    pub connections: usize,
}

/// Result of `get_architecture`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ArchitectureOutput {
    /// The design.
    pub architecture: Architecture,
    /// Counts.
    pub counts: DesignCounts,
    /// What to do next.
    pub next_step: String,
}

/// Result of a component edit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ComponentOutput {
    /// The component as stored (defaults filled in).
    pub component: Component,
    /// The design's revision after the edit.
    pub revision: u64,
    /// What validation now says about this component (validate_architecture shows the whole design).
    pub findings: Vec<Finding>,
    /// Counts for the whole design after the edit.
    pub validation: Summary,
    /// What to do next.
    pub next_step: String,
}

/// Result of `remove_component`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RemoveOutput {
    /// What was removed.
    pub removed: Removed,
    /// The design's revision after the edit.
    pub revision: u64,
    /// What to do next.
    pub next_step: String,
}

/// Result of `connect_components` and `disconnect_components`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionOutput {
    /// The connections added, updated or removed.
    pub connections: Vec<Connection>,
    /// The design's revision after the edit.
    pub revision: u64,
    /// What to do next.
    pub next_step: String,
}

/// Result of `save_architecture` and `set_design_region`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SaveOutput {
    /// The design's revision after the save.
    pub revision: u64,
    /// The region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Counts.
    pub counts: DesignCounts,
    /// What to do next.
    pub next_step: String,
}

/// A proposed component and why it is there.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProposedComponent {
    /// Component id.
    pub id: String,
    /// Service id.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Why it is there.
    pub reason: String,
    /// The hearing questions whose answers justify it.
    pub answers: Vec<String>,
}

/// Result of `propose_architecture`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProposeOutput {
    /// The pattern chosen.
    pub pattern: String,
    /// Its title.
    pub title: String,
    /// The flow and size of the design.
    pub summary: String,
    /// Why this pattern and the main decisions, with the answers behind them.
    pub reasons: Vec<String>,
    /// What was assumed (confirm with the customer).
    pub assumptions: Vec<String>,
    /// Other patterns that also fit.
    pub alternatives: Vec<String>,
    /// The components and their justification.
    pub components: Vec<ProposedComponent>,
    /// The saved design's revision.
    pub revision: u64,
    /// Counts.
    pub counts: DesignCounts,
    /// What to do next.
    pub next_step: String,
}

/// Result of `validate_architecture`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidateOutput {
    /// The revision that was validated.
    pub revision: u64,
    /// The design's region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Findings: errors first, each with the rule, the components, the message, the fix and a docs link.
    pub findings: Vec<Finding>,
    /// Counts; `valid` is true when there is no error.
    pub summary: Summary,
    /// Uploaded rule files or rules that could not be loaded and were skipped (for Galley's developers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_problems: Vec<RuleLoadProblem>,
    /// What to do next.
    pub next_step: String,
}

/// Result of `export_mermaid`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MermaidOutput {
    /// The diagram (Mermaid flowchart): show it in a ```mermaid code block.
    pub mermaid: String,
    /// The design revision it shows.
    pub revision: u64,
}

/// Result of `export_summary`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SummaryOutput {
    /// The Markdown document.
    pub markdown: String,
    /// The design revision it describes.
    pub revision: u64,
}

/// One file of an IaC export.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IacFileOutput {
    /// File name in the workspace.
    pub name: String,
    /// unchanged, new, update, edited_in_workspace (kept unless overwrite_edited), obsolete (deleted),
    /// workspace_only (yours, kept).
    pub change: String,
    /// What happened, in one sentence.
    pub message: String,
    /// For edited files: the line diff from the workspace's content (-) to the generated one (+).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

/// Something in the export that needs a person.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IacNoteOutput {
    /// The component it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// What to do.
    pub message: String,
}

/// Result of `export_iac`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportIacOutput {
    /// The design revision exported.
    pub revision: u64,
    /// Generated files with their size in bytes.
    pub generated: BTreeMap<String, usize>,
    /// What happened to each workspace file.
    pub files: Vec<IacFileOutput>,
    /// What Terraform cannot express from the design (certificates, on-premises addresses, code to deploy, ...).
    pub notes: Vec<IacNoteOutput>,
    /// Errors of the offline provider-schema check (none expected).
    pub schema_errors: Vec<String>,
    /// Resources whose type the offline schema does not describe (checked by Terraform itself at plan time).
    pub unchecked_resources: usize,
    /// Whether the workspace was changed.
    pub written: bool,
    /// What to do next.
    pub next_step: String,
}

const AFTER_EDIT: &str = "Call validate_architecture to check the design against OCI's rules, or export_mermaid to show the diagram.";

fn entry(s: &Service, locale: Locale) -> ServiceEntry {
    ServiceEntry {
        id: s.id.clone(),
        name: s.name.get(locale).to_owned(),
        category: s.category.clone(),
        placement: s.placement,
        description: s.description.get(locale).to_owned(),
        attributes: s.attributes.iter().map(|a| a.name.clone()).collect(),
    }
}

fn detail(s: &Service, locale: Locale) -> ServiceDetail {
    ServiceDetail {
        entry: entry(s, locale),
        attribute_details: s
            .attributes
            .iter()
            .map(|a| AttributeView {
                name: a.name.clone(),
                kind: a.kind.as_str().to_owned(),
                description: a.description.get(locale).to_owned(),
                default: a.default.clone(),
                allowed: a.allowed.clone(),
                min: a.min,
                max: a.max,
                unit: a.unit.clone(),
            })
            .collect(),
        terraform: s.terraform.clone(),
        connects_to: s.connects_to.clone(),
        docs: s.docs.clone(),
    }
}

fn categories(catalog: &ServiceCatalog, locale: Locale) -> Vec<CategoryEntry> {
    catalog
        .categories
        .iter()
        .map(|c| CategoryEntry {
            id: c.id.clone(),
            title: c.title.get(locale).to_owned(),
            service_count: catalog.services.iter().filter(|s| s.category == c.id).count(),
        })
        .collect()
}

fn counts(a: &Architecture) -> DesignCounts {
    DesignCounts { components: a.components.len(), connections: a.connections.len() }
}

fn rationale(reason: Option<String>, answers: Vec<String>) -> Option<Rationale> {
    match (reason, answers.is_empty()) {
        (None, true) => None,
        (reason, _) => Some(Rationale { reason: reason.unwrap_or_default(), answers }),
    }
}

impl GalleyServer {
    /// The result of a component edit, with what validation now says about that component.
    async fn component_output(
        &self,
        arch: &Architecture,
        component: Component,
    ) -> Result<Json<ComponentOutput>, String> {
        let design = &self.app().design;
        let rules = design.rules().await.map_err(fail)?;
        let session = self.app().hearing.get(arch.session_id).await.map_err(fail)?;
        let v = galley_domain::rules::validate(arch, design.services(), &rules.set, session.locale);
        let findings = v.findings.into_iter().filter(|f| f.components.contains(&component.id)).collect();
        let next_step = if v.summary.valid {
            AFTER_EDIT.to_owned()
        } else {
            format!(
                "The design has {} error(s): call validate_architecture for the findings and their fixes.",
                v.summary.errors
            )
        };
        Ok(Json(ComponentOutput {
            component,
            revision: arch.revision,
            findings,
            validation: v.summary,
            next_step,
        }))
    }
}

#[tool_router(router = design_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// List the OCI services a design can use (Galley's catalog of 40+ services): id, name, category, placement
    /// (subnet, VCN, regional, global), a description and the attribute names. Filter by category or keyword;
    /// with service=<id> it also returns that service's full attribute schema (types, defaults, allowed values,
    /// ranges), the Terraform resource types and typical connections. Use it before add_component and
    /// configure_component. Read-only.
    #[tool(annotations(
        title = "List available OCI services",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_available_services(
        &self,
        Parameters(input): Parameters<ListServicesInput>,
    ) -> Result<Json<ListServicesOutput>, String> {
        let catalog = self.app().design.services();
        let locale = parse_locale(input.locale.as_deref(), Locale::Ja)?;
        if let Some(c) = input.category.as_deref()
            && catalog.category(c).is_none()
        {
            let valid: Vec<&str> = catalog.categories.iter().map(|c| c.id.as_str()).collect();
            return Err(format!("unknown category {c:?}; valid categories: {}", valid.join(", ")));
        }
        let detail = match input.service.as_deref() {
            Some(id) => Some(detail(catalog.require(id.trim())?, locale)),
            None => None,
        };
        let services: Vec<ServiceEntry> = catalog
            .search(input.category.as_deref(), input.keyword.as_deref())
            .map(|s| entry(s, locale))
            .collect();
        if services.is_empty() && detail.is_none() {
            return Err(format!(
                "no service matches keyword {:?}{}; call list_available_services without a keyword to see all",
                input.keyword.unwrap_or_default(),
                input.category.map(|c| format!(" in category {c}")).unwrap_or_default()
            ));
        }
        Ok(Json(ListServicesOutput { categories: categories(catalog, locale), services, detail }))
    }

    /// Get a session's architecture: region, components (service, config, placement, rationale) and
    /// connections, with the revision. Empty (revision 0) before the first edit. Use it to show the design or
    /// to resume work on it. Read-only.
    #[tool(annotations(
        title = "Get architecture",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn get_architecture(
        &self,
        Parameters(input): Parameters<DesignInput>,
    ) -> Result<Json<ArchitectureOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let (_, arch) = self.app().design.get(&self.app().hearing, id).await.map_err(fail)?;
        let next_step = if arch.components.is_empty() {
            "The design is empty: call propose_architecture for a proposal from the hearing, save_architecture with a whole design, or add_component to build it step by step."
        } else {
            AFTER_EDIT
        };
        Ok(Json(ArchitectureOutput {
            counts: counts(&arch),
            architecture: arch,
            next_step: next_step.to_owned(),
        }))
    }

    /// Add one component (an instance of a catalog service) to the session's design. Its configuration is
    /// checked against the catalog (defaults fill what is not given) and its placement against the service's
    /// (subnet-placed services need a subnet, subnets and gateways a VCN). Build the network first: a vcn, then
    /// subnets placed in it, then what goes in the subnets. Returns the stored component and the revision.
    /// Next: connect_components, then validate_architecture.
    #[tool(annotations(
        title = "Add component",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn add_component(
        &self,
        Parameters(input): Parameters<AddComponentInput>,
    ) -> Result<Json<ComponentOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let component_input = ComponentInput {
            id: input.id,
            service: input.service,
            name: input.name,
            config: input.config,
            placement: input.placement,
            rationale: rationale(input.reason, input.answers),
        };
        let (arch, component) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, c, now| {
                a.add_component(c, component_input.clone(), now).cloned()
            })
            .await
            .map_err(fail)?;
        self.component_output(&arch, component).await
    }

    /// Remove a component from the session's design. When others depend on it (components placed in it or
    /// referring to it, connections) it refuses and lists them, unless cascade=true, which removes them too and
    /// says exactly what went. Returns what was removed and the revision.
    #[tool(annotations(
        title = "Remove component",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn remove_component(
        &self,
        Parameters(input): Parameters<RemoveComponentInput>,
    ) -> Result<Json<RemoveOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let target = input.component_id.trim().to_owned();
        let (arch, removed) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, c, now| a.remove_component(c, &target, input.cascade, now))
            .await
            .map_err(fail)?;
        Ok(Json(RemoveOutput { removed, revision: arch.revision, next_step: AFTER_EDIT.to_owned() }))
    }

    /// Change a component's configuration (shape, OCPUs, node count, network access, ...), name, placement or
    /// reason. Every value is checked against the catalog: an unknown attribute or an invalid value is refused
    /// with the valid attributes or values listed, and nothing changes. null removes an attribute. Returns the
    /// component as stored. Next: validate_architecture.
    #[tool(annotations(
        title = "Configure component",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn configure_component(
        &self,
        Parameters(input): Parameters<ConfigureComponentInput>,
    ) -> Result<Json<ComponentOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        if input.clear_placement && input.placement.is_some() {
            return Err("give either placement or clear_placement=true, not both".to_owned());
        }
        let target = input.component_id.trim().to_owned();
        let placement = if input.clear_placement { Some(None) } else { input.placement.map(Some) };
        let rationale = match (input.reason, input.answers) {
            (None, None) => None,
            (reason, answers) => {
                Some(Rationale { reason: reason.unwrap_or_default(), answers: answers.unwrap_or_default() })
            }
        };
        let change = ConfigureInput { config: input.config, name: input.name, placement, rationale };
        let (arch, component) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, c, now| {
                a.configure_component(c, &target, change.clone(), now).cloned()
            })
            .await
            .map_err(fail)?;
        self.component_output(&arch, component).await
    }

    /// Connect two components of the session's design: `from` opens connections to `to` (e.g. oke → adb on tcp
    /// 1522). Connections drive validation (an OKE → Autonomous Database connection needs a private endpoint),
    /// the diagram and the security rules of the Terraform export. Connecting the same pair on the same port
    /// again updates it. Returns the connection and the revision.
    #[tool(annotations(
        title = "Connect components",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn connect_components(
        &self,
        Parameters(input): Parameters<ConnectInput>,
    ) -> Result<Json<ConnectionOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let conn = ConnectionInput {
            from: input.from,
            to: input.to,
            protocol: input.protocol,
            port: input.port,
            purpose: input.purpose,
        };
        let (arch, connection) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, _, now| a.connect(conn.clone(), now).cloned())
            .await
            .map_err(fail)?;
        Ok(Json(ConnectionOutput {
            connections: vec![connection],
            revision: arch.revision,
            next_step: AFTER_EDIT.to_owned(),
        }))
    }

    /// Remove the connections from one component to another (only the one on `port` when given). Returns the
    /// removed connections and the revision.
    #[tool(annotations(
        title = "Disconnect components",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn disconnect_components(
        &self,
        Parameters(input): Parameters<DisconnectInput>,
    ) -> Result<Json<ConnectionOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let (from, to) = (input.from.trim().to_owned(), input.to.trim().to_owned());
        let (arch, removed) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, _, now| a.disconnect(&from, &to, input.port, now))
            .await
            .map_err(fail)?;
        Ok(Json(ConnectionOutput {
            connections: removed,
            revision: arch.revision,
            next_step: AFTER_EDIT.to_owned(),
        }))
    }

    /// Save a whole architecture for the session in one call, replacing the current design (the auto-design
    /// mode: you designed it, Galley checks and stores it). Components are given parents first (a vcn, its
    /// subnets, then what goes in them); component-typed attributes may refer to components listed later. Every
    /// problem of every component and connection is listed at once and nothing is saved when there is one.
    /// Returns the revision and counts. Next: validate_architecture.
    #[tool(annotations(
        title = "Save architecture",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn save_architecture(
        &self,
        Parameters(input): Parameters<SaveArchitectureInput>,
    ) -> Result<Json<SaveOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let design = input.architecture;
        let (arch, ()) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, c, now| a.replace(c, design.clone(), None, now))
            .await
            .map_err(fail)?;
        Ok(Json(SaveOutput {
            revision: arch.revision,
            region: arch.region.clone(),
            counts: counts(&arch),
            next_step: AFTER_EDIT.to_owned(),
        }))
    }

    /// Propose an architecture from the session's hearing and save it as the session's design: Galley picks a
    /// pattern from the answers (web_three_tier, api_oke_adb, event_driven, batch, data_analytics,
    /// container_light; or the one given), sizes it from the numbers, builds the network the OCI way (subnet
    /// roles, gateways, security lists) and records for every component the answers that justify it. Returns the
    /// pattern, reasons, assumptions to confirm, alternatives and the components with their rationale. Refuses to
    /// overwrite an existing design unless replace=true. Next: show the proposal, then validate_architecture and
    /// export_mermaid.
    #[tool(annotations(
        title = "Propose architecture",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn propose_architecture(
        &self,
        Parameters(input): Parameters<ProposeInput>,
    ) -> Result<Json<ProposeOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let locale = optional_locale(input.locale.as_deref())?;
        let (arch, p) = self
            .app()
            .design
            .propose(&self.app().hearing, id, input.pattern.as_deref(), input.replace, locale)
            .await
            .map_err(fail)?;
        let components = arch
            .components
            .iter()
            .map(|c| ProposedComponent {
                id: c.id.to_string(),
                service: c.service.clone(),
                name: c.name.clone(),
                reason: c.rationale.as_ref().map(|r| r.reason.clone()).unwrap_or_default(),
                answers: c.rationale.as_ref().map(|r| r.answers.clone()).unwrap_or_default(),
            })
            .collect();
        Ok(Json(ProposeOutput {
            pattern: p.pattern,
            title: p.title,
            summary: p.summary,
            reasons: p.reasons,
            assumptions: p.assumptions,
            alternatives: p.alternatives,
            components,
            revision: arch.revision,
            counts: counts(&arch),
            next_step: "Present the proposal and its assumptions to the user, then call validate_architecture and export_mermaid.".to_owned(),
        }))
    }

    /// Validate the session's architecture against Galley's OCI rules (100 built in, plus rules Galley's
    /// developers uploaded): connectivity (e.g. OKE → Autonomous Database needs a private endpoint and port 1522),
    /// network (subnet tiers, NAT and service gateways, OKE's subnet roles and security lists), security (no
    /// SSH from 0.0.0.0/0, WAF in front of public load balancers, secrets in Vault), limits (shapes, Always Free,
    /// tenancy limits), region availability, availability and cost. Returns findings (rule id, severity,
    /// components, message in the session's language, fix, docs link) and a summary. Read-only. Next: fix the
    /// errors with configure_component / add_component and validate again.
    #[tool(annotations(
        title = "Validate architecture",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn validate_architecture(
        &self,
        Parameters(input): Parameters<DesignInput>,
    ) -> Result<Json<ValidateOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let locale = optional_locale(input.locale.as_deref())?;
        let (_, v) = self.app().design.validate(&self.app().hearing, id, locale).await.map_err(fail)?;
        let next_step = if v.architecture.components.is_empty() {
            "The design is empty: call propose_architecture, save_architecture or add_component first."
                .to_owned()
        } else if v.validation.summary.valid {
            "The design passes every rule. Review the warnings with the user, then export_mermaid / export_summary.".to_owned()
        } else {
            format!(
                "Fix the {} error(s): each finding's fix says what to change (configure_component, add_component, connect_components); then validate again.",
                v.validation.summary.errors
            )
        };
        Ok(Json(ValidateOutput {
            revision: v.architecture.revision,
            region: v.architecture.region,
            findings: v.validation.findings,
            summary: v.validation.summary,
            rule_problems: v.rule_problems,
            next_step,
        }))
    }

    /// Export the session's architecture as a Mermaid flowchart: region → VCN → subnets as nested subgraphs,
    /// components labelled with their service and key configuration, connections labelled with protocol, port
    /// and purpose. Deterministic. Show it to the user in a ```mermaid code block after every significant edit.
    /// Read-only.
    #[tool(annotations(
        title = "Export Mermaid diagram",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn export_mermaid(
        &self,
        Parameters(input): Parameters<DesignInput>,
    ) -> Result<Json<MermaidOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let (session, arch) = self.app().design.get(&self.app().hearing, id).await.map_err(fail)?;
        let locale = parse_locale(input.locale.as_deref(), session.locale)?;
        Ok(Json(MermaidOutput {
            mermaid: mermaid(&arch, self.app().design.services(), locale),
            revision: arch.revision,
        }))
    }

    /// Export the whole session as a Markdown document ready for a customer: customer and project, requirements
    /// by category, assumptions and open questions, the architecture as a table with the rationale of each
    /// component linked to the answers, connections, validation findings and the Mermaid diagram. In the
    /// session's language (or locale). Read-only.
    #[tool(annotations(
        title = "Export summary (Markdown)",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn export_summary(
        &self,
        Parameters(input): Parameters<DesignInput>,
    ) -> Result<Json<SummaryOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let locale = optional_locale(input.locale.as_deref())?;
        let (session, v) = self.app().design.validate(&self.app().hearing, id, locale).await.map_err(fail)?;
        let hearing = self.app().hearing.catalog();
        let mut doc = SummaryInput::new(&session, hearing, self.app().design.services());
        doc.locale = locale.unwrap_or(session.locale);
        if !v.architecture.components.is_empty() {
            doc.architecture = Some(&v.architecture);
            doc.validation = Some(&v.validation);
        }
        Ok(Json(SummaryOutput { markdown: summary(&doc), revision: v.architecture.revision }))
    }

    /// Generate Terraform for the session's architecture into the session's Terraform workspace: versions and
    /// provider (auth chosen by the oci_auth variable: APIKey on a laptop, ResourcePrincipal in the container; no
    /// secret written), variables only for what Terraform cannot resolve itself (compartment, region, tenancy),
    /// network.tf (VCN, subnets derived from the VCN CIDR, gateways, route tables, security lists), one file per
    /// component family and outputs. The files pass `terraform fmt` and Galley's offline provider-schema check.
    /// Re-exporting never overwrites a file you edited with write_terraform_files: it lists the difference
    /// (overwrite_edited=true replaces it). Returns each file's change, the notes that need a person, and the
    /// schema check. Next: run_terraform_plan (needs the OCI provider), or read_terraform_file to show a file.
    #[tool(annotations(
        title = "Export Terraform (IaC)",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn export_iac(
        &self,
        Parameters(input): Parameters<ExportIacInput>,
    ) -> Result<Json<ExportIacOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let app = self.app();
        let out = app
            .iac
            .export(&app.design, &app.hearing, id, input.overwrite_edited, input.dry_run)
            .await
            .map_err(fail)?;
        let edited = out
            .changes
            .iter()
            .filter(|c| {
                c.kind == galley_domain::iac::ChangeKind::EditedInWorkspace && !input.overwrite_edited
            })
            .count();
        let next_step = if input.dry_run {
            "Nothing was written (dry_run). Call export_iac without dry_run to write the files.".to_owned()
        } else if edited > 0 {
            format!(
                "{edited} file(s) you edited were kept; their diffs show what the design would generate. Merge by hand with write_terraform_files, or call export_iac with overwrite_edited=true. Then run_terraform_plan."
            )
        } else {
            format!(
                "The workspace holds the design's Terraform. Call run_terraform_plan with session_id {id}, or read_terraform_file to show a file."
            )
        };
        Ok(Json(ExportIacOutput {
            revision: out.revision,
            generated: out.generated.into_iter().collect(),
            files: out
                .changes
                .into_iter()
                .map(|c| IacFileOutput {
                    name: c.name,
                    change: serde_json::to_value(c.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    message: c.message,
                    diff: c.diff,
                })
                .collect(),
            notes: out
                .notes
                .into_iter()
                .map(|n| IacNoteOutput { component: n.component, message: n.message })
                .collect(),
            schema_errors: out.schema_errors,
            unchecked_resources: out.unchecked_types,
            written: out.written,
            next_step,
        }))
    }

    /// Set the OCI region the session's design is for (e.g. "ap-tokyo-1"). It starts as the hearing's primary
    /// region; validation checks service availability and fault-domain rules against it. Returns the revision.
    #[tool(annotations(
        title = "Set design region",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn set_design_region(
        &self,
        Parameters(input): Parameters<SetRegionInput>,
    ) -> Result<Json<SaveOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let region = input.region;
        let (arch, ()) = self
            .app()
            .design
            .edit(&self.app().hearing, id, |a, _, now| a.set_region(Some(&region), now))
            .await
            .map_err(fail)?;
        Ok(Json(SaveOutput {
            revision: arch.revision,
            region: arch.region.clone(),
            counts: counts(&arch),
            next_step: AFTER_EDIT.to_owned(),
        }))
    }
}

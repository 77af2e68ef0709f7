//! The architecture model: components placed in a network, the connections between them, and the edits.
//!
//! [`Architecture`] is the persisted document (`sessions/<id>/architecture.json`); its serde shape is an API
//! (`schema_version`, snapshot-tested). Everything is a [`Component`] of a catalog service, VCNs and subnets
//! included: a component's `placement` names its parent (a subnet for a database, a VCN for a subnet or a
//! gateway), so the network is a tree that validation, the diagram and the Terraform export all walk the same way.
//!
//! Every edit checks itself against the [`ServiceCatalog`] first and changes nothing when it fails; every
//! successful edit increases `revision`. The service layer stores the result with compare-and-swap, so two
//! concurrent edits never lose an update.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{AttributeType, PlacementKind, Service, ServiceCatalog};
use crate::ids::SessionId;

#[cfg(test)]
mod tests;

/// The `schema_version` of architecture documents written by this build.
pub const ARCHITECTURE_SCHEMA_VERSION: u32 = 1;
/// Most components in one design.
pub const MAX_COMPONENTS: usize = 5000;
/// Most connections in one design.
pub const MAX_CONNECTIONS: usize = 20_000;
/// Longest component name or connection purpose.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest rationale text.
pub const MAX_REASON_CHARS: usize = 2000;

/// A component's id inside one design: `^[a-z][a-z0-9-]{0,62}$` (it becomes part of Terraform names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct ComponentId(String);

impl ComponentId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A valid id derived from any text (a service id, a name): lowercased, other characters as `-`.
    pub fn slugify(raw: &str) -> ComponentId {
        let mut s: String = raw
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        while s.contains("--") {
            s = s.replace("--", "-");
        }
        let mut s = s.trim_matches('-').to_owned();
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            s.insert_str(0, "c-");
        }
        s.truncate(55);
        ComponentId(s.trim_end_matches('-').to_owned())
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for ComponentId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A string that is not a valid component id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid component id: use 1-63 characters of lowercase letters, digits and '-', starting with a letter (e.g. \"app-db\")"
)]
pub struct InvalidComponentId(pub String);

impl std::str::FromStr for ComponentId {
    type Err = InvalidComponentId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok { Ok(ComponentId(s.to_owned())) } else { Err(InvalidComponentId(s.to_owned())) }
    }
}

impl TryFrom<String> for ComponentId {
    type Error = InvalidComponentId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ComponentId> for String {
    fn from(id: ComponentId) -> String {
        id.0
    }
}

/// Why a component is in the design: the reason and the hearing answers that justify it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Rationale {
    /// Why (in the session's language).
    pub reason: String,
    /// Hearing question ids whose answers justify it (e.g. `workload.containerization`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
}

/// One building block of the design: an instance of a catalog service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Component {
    /// Id, unique in the design.
    pub id: ComponentId,
    /// Catalog service id, e.g. `oke`.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Configuration: catalog attribute → value (defaults filled in).
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
    /// The parent: the subnet it is placed in, or the VCN of a subnet or gateway. None: regional or global.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<ComponentId>,
    /// Why it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<Rationale>,
}

impl Component {
    /// A config value as text (for enums and strings).
    pub fn config_str(&self, name: &str) -> Option<&str> {
        self.config.get(name).and_then(Value::as_str)
    }
}

/// A connection: `from` talks to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    /// The component that opens the connection.
    pub from: ComponentId,
    /// The component it connects to.
    pub to: ComponentId,
    /// Protocol, e.g. `tcp`, `https`, `sqlnet` (lowercase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Destination port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// What it is for, e.g. "orders API → database".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// The persisted design of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Architecture {
    /// Document format version ([`ARCHITECTURE_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The session it belongs to.
    pub session_id: SessionId,
    /// Increases with every change.
    pub revision: u64,
    /// The OCI region it is designed for (e.g. `ap-tokyo-1`), checked by availability rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The proposal pattern it started from, when proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Components, in the order they were added.
    pub components: Vec<Component>,
    /// Connections, in the order they were added.
    pub connections: Vec<Connection>,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A component as an edit gives it (before defaults and checks).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    /// Id; derived from the service when absent (`oke`, `oke-2`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Catalog service id.
    pub service: String,
    /// Display name; the service's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Attribute values; the catalog defaults fill the rest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Value>,
    /// Parent component id (a subnet, or a VCN for subnets and gateways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    /// Why it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<Rationale>,
}

/// A connection as an edit gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// Component that opens the connection.
    pub from: String,
    /// Component it connects to.
    pub to: String,
    /// Protocol, e.g. "tcp", "https".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Destination port (1-65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// A whole design as `save_architecture` gives it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureInput {
    /// OCI region identifier, e.g. "ap-tokyo-1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Components, parents before children (a VCN before its subnets, a subnet before what it holds).
    pub components: Vec<ComponentInput>,
    /// Connections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<ConnectionInput>,
}

/// What a configuration edit changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigureInput {
    /// Attribute values to set (`null` removes one).
    pub config: BTreeMap<String, Value>,
    /// New display name.
    pub name: Option<String>,
    /// New parent; `Some(None)` clears it.
    pub placement: Option<Option<String>>,
    /// New rationale.
    pub rationale: Option<Rationale>,
}

/// What `remove_component` removed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct Removed {
    /// Components removed (the one asked for first, then its dependents).
    pub components: Vec<ComponentId>,
    /// Connections removed.
    pub connections: Vec<Connection>,
}

/// How one component depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DependencyKind {
    /// It is placed in the other (a subnet in a VCN, a database in a subnet).
    Placement,
    /// One of its `component` attributes names the other.
    Reference,
    /// A connection joins the two.
    Connection,
}

/// Why something depends on a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Dependent {
    /// The dependent component.
    pub component: ComponentId,
    /// The kind of dependency.
    pub kind: DependencyKind,
    /// How it depends: "placed in", "refers to it in <attribute>", "connection from/to".
    pub how: String,
}

/// Why an edit was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    /// No component with this id.
    #[error("no component {id:?} in this design; existing components: {existing}")]
    UnknownComponent {
        /// The id given.
        id: String,
        /// Existing ids (or a hint when there are none).
        existing: String,
    },
    /// An input is invalid; every problem is listed.
    #[error("{}", problems_message(.0))]
    Invalid(Vec<String>),
    /// Others depend on the component and `cascade` was not given.
    #[error(
        "{id} cannot be removed: {} depend on it ({}). Remove or change them first, or call remove_component with cascade=true to remove {id} together with them",
        .dependents.len(),
        .dependents.iter().map(|d| format!("{} {}", d.component, d.how)).collect::<Vec<_>>().join("; ")
    )]
    HasDependents {
        /// The component.
        id: ComponentId,
        /// What depends on it.
        dependents: Vec<Dependent>,
    },
    /// No such connection.
    #[error("no connection from {from} to {to}{}; get_architecture lists the connections", port.map(|p| format!(" on port {p}")).unwrap_or_default())]
    UnknownConnection {
        /// From.
        from: String,
        /// To.
        to: String,
        /// Port.
        port: Option<u16>,
    },
}

fn problems_message(problems: &[String]) -> String {
    match problems {
        [one] => format!("{one}. Nothing was changed."),
        _ => format!("{} problems, nothing was changed: {}", problems.len(), problems.join("; ")),
    }
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if v.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(v.to_owned())
}

fn check_region(region: &str) -> Result<String, String> {
    let r = region.trim().to_ascii_lowercase();
    let ok = !r.is_empty()
        && r.len() <= 40
        && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(r)
    } else {
        Err(format!("region {region:?} is not an OCI region identifier such as ap-tokyo-1"))
    }
}

fn check_rationale(r: Option<Rationale>) -> Result<Option<Rationale>, String> {
    let Some(r) = r else { return Ok(None) };
    if r.reason.trim().is_empty() && r.answers.is_empty() {
        return Ok(None);
    }
    if r.reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("rationale.reason must be at most {MAX_REASON_CHARS} characters"));
    }
    if r.answers.len() > 50 {
        return Err("rationale.answers lists at most 50 question ids".to_owned());
    }
    Ok(Some(Rationale { reason: r.reason.trim().to_owned(), answers: r.answers }))
}

impl Architecture {
    /// An empty design.
    pub fn new(session_id: SessionId, region: Option<String>, now: Timestamp) -> Self {
        Architecture {
            schema_version: ARCHITECTURE_SCHEMA_VERSION,
            session_id,
            revision: 0,
            region,
            pattern: None,
            components: Vec::new(),
            connections: Vec::new(),
            updated_at: now,
        }
    }

    /// A component by id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id.as_str() == id)
    }

    /// An index from id to position, for callers that look up many components (validation, exports).
    pub fn index(&self) -> HashMap<&str, usize> {
        self.components.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect()
    }

    fn unknown(&self, id: &str) -> DesignError {
        let existing = if self.components.is_empty() {
            "(none yet: add_component or save_architecture first)".to_owned()
        } else {
            let mut ids: Vec<&str> = self.components.iter().map(|c| c.id.as_str()).collect();
            ids.truncate(60);
            ids.join(", ")
        };
        DesignError::UnknownComponent { id: id.to_owned(), existing }
    }

    fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.updated_at = now;
    }

    fn fresh_id(&self, service: &str) -> ComponentId {
        let base = ComponentId::slugify(service);
        if self.component(base.as_str()).is_none() {
            return base;
        }
        (2..)
            .map(|n| ComponentId(format!("{base}-{n}")))
            .find(|id| self.component(id.as_str()).is_none())
            .unwrap_or(base)
    }

    /// Checks a component's parent against its service's placement kind.
    fn check_placement(
        &self,
        catalog: &ServiceCatalog,
        service: &Service,
        placement: Option<&str>,
    ) -> Result<Option<ComponentId>, String> {
        let parent = match placement.map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match self.component(p) {
                Some(c) => Some(c),
                None => {
                    return Err(format!(
                        "placement {p:?} is not a component of this design; add the subnet or VCN first (existing: {})",
                        self.ids_of(&["subnet", "vcn"])
                    ));
                }
            },
        };
        let parent_service = parent.map(|p| p.service.as_str());
        let expect = |ok: bool, what: &str| -> Result<Option<ComponentId>, String> {
            if ok {
                Ok(parent.map(|p| p.id.clone()))
            } else {
                Err(format!(
                    "{} ({}) {what}; got {}",
                    service.id,
                    placement_text(service.placement),
                    match parent {
                        Some(p) => format!("{} ({})", p.id, p.service),
                        None => "no placement".to_owned(),
                    }
                ))
            }
        };
        match service.placement {
            PlacementKind::PublicSubnet | PlacementKind::PrivateSubnet | PlacementKind::Subnet => {
                let hint = format!(
                    "needs placement = the id of a subnet (existing subnets: {})",
                    self.ids_of(&["subnet"])
                );
                expect(parent_service == Some("subnet"), &hint)
            }
            PlacementKind::OptionalSubnet => {
                expect(parent_service.is_none_or(|s| s == "subnet"), "takes no placement or a subnet")
            }
            PlacementKind::InVcn | PlacementKind::Vcn => {
                let hint =
                    format!("needs placement = the id of a VCN (existing VCNs: {})", self.ids_of(&["vcn"]));
                expect(parent_service == Some("vcn"), &hint)
            }
            PlacementKind::Regional | PlacementKind::Global => {
                let _ = catalog;
                expect(parent.is_none(), "is not placed in a network: leave placement empty")
            }
        }
    }

    fn ids_of(&self, services: &[&str]) -> String {
        let ids: Vec<&str> = self
            .components
            .iter()
            .filter(|c| services.contains(&c.service.as_str()))
            .map(|c| c.id.as_str())
            .take(30)
            .collect();
        if ids.is_empty() { "none yet".to_owned() } else { ids.join(", ") }
    }

    /// Checks `component`-typed attributes: they must name components of the allowed services.
    fn check_references(
        &self,
        service: &Service,
        config: &BTreeMap<String, Value>,
        problems: &mut Vec<String>,
    ) {
        for attr in service.attributes.iter().filter(|a| a.kind == AttributeType::Component) {
            let Some(target) = config.get(&attr.name).and_then(Value::as_str) else { continue };
            match self.component(target) {
                None => problems.push(format!(
                    "{}.{} = {target:?} is not a component of this design (existing {}: {})",
                    service.id,
                    attr.name,
                    if attr.allowed.is_empty() { "components".to_owned() } else { attr.allowed.join("/") },
                    self.ids_of(&attr.allowed.iter().map(String::as_str).collect::<Vec<_>>())
                )),
                Some(c) if !attr.allowed.is_empty() && !attr.allowed.contains(&c.service) => {
                    problems.push(format!(
                        "{}.{} must name a {} component, but {target} is a {}",
                        service.id,
                        attr.name,
                        attr.allowed.join(" or "),
                        c.service
                    ))
                }
                Some(_) => {}
            }
        }
    }

    /// Builds a component from an input without adding it. All problems are listed.
    fn build_component(
        &self,
        catalog: &ServiceCatalog,
        input: ComponentInput,
    ) -> Result<Component, DesignError> {
        let service = catalog.require(input.service.trim()).map_err(|e| DesignError::Invalid(vec![e]))?;
        let mut problems = Vec::new();
        let id = match input.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => {
                match raw.parse::<ComponentId>() {
                    Ok(id) if self.component(id.as_str()).is_some() => {
                        problems.push(format!("a component with id {id} already exists; choose another id or configure_component it"));
                        id
                    }
                    Ok(id) => id,
                    Err(e) => {
                        problems.push(e.to_string());
                        self.fresh_id(&service.id)
                    }
                }
            }
            None => self.fresh_id(&service.id),
        };
        let name = match input.name.as_deref() {
            Some(n) => check_text("name", n, MAX_NAME_CHARS).unwrap_or_else(|e| {
                problems.push(e);
                String::new()
            }),
            None => service.name.en.clone(),
        };
        let mut config = service.default_config();
        match service.check_config(&input.config) {
            Ok(checked) => {
                for (k, v) in checked {
                    if v.is_null() {
                        config.remove(&k);
                    } else {
                        config.insert(k, v);
                    }
                }
            }
            Err(ps) => problems.extend(ps.into_iter().map(|p| p.message)),
        }
        self.check_references(service, &config, &mut problems);
        let placement =
            self.check_placement(catalog, service, input.placement.as_deref()).unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        let rationale = check_rationale(input.rationale).unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        if !problems.is_empty() {
            return Err(DesignError::Invalid(problems));
        }
        Ok(Component { id, service: service.id.clone(), name, config, placement, rationale })
    }

    /// Adds a component (defaults filled in, placement and references checked).
    pub fn add_component(
        &mut self,
        catalog: &ServiceCatalog,
        input: ComponentInput,
        now: Timestamp,
    ) -> Result<&Component, DesignError> {
        if self.components.len() >= MAX_COMPONENTS {
            return Err(DesignError::Invalid(vec![format!(
                "a design holds at most {MAX_COMPONENTS} components"
            )]));
        }
        let component = self.build_component(catalog, input)?;
        self.components.push(component);
        self.touch(now);
        let last = self.components.len() - 1;
        Ok(&self.components[last])
    }

    /// What depends on `id`: components placed in it, components that refer to it, and its connections.
    pub fn dependents(&self, catalog: &ServiceCatalog, id: &str) -> Vec<Dependent> {
        let mut out = Vec::new();
        for c in &self.components {
            if c.id.as_str() == id {
                continue;
            }
            if c.placement.as_ref().is_some_and(|p| p.as_str() == id) {
                out.push(Dependent {
                    component: c.id.clone(),
                    kind: DependencyKind::Placement,
                    how: "is placed in it".to_owned(),
                });
            }
            if let Some(service) = catalog.service(&c.service) {
                for attr in service.attributes.iter().filter(|a| a.kind == AttributeType::Component) {
                    if c.config_str(&attr.name) == Some(id) {
                        out.push(Dependent {
                            component: c.id.clone(),
                            kind: DependencyKind::Reference,
                            how: format!("refers to it in {}", attr.name),
                        });
                    }
                }
            }
        }
        for conn in &self.connections {
            if conn.from.as_str() == id {
                out.push(Dependent {
                    component: conn.to.clone(),
                    kind: DependencyKind::Connection,
                    how: "is connected from it".to_owned(),
                });
            } else if conn.to.as_str() == id {
                out.push(Dependent {
                    component: conn.from.clone(),
                    kind: DependencyKind::Connection,
                    how: "connects to it".to_owned(),
                });
            }
        }
        out
    }

    /// Removes a component. Without `cascade` it refuses when anything depends on it and says what; with
    /// `cascade` it also removes what is placed in it or refers to it (recursively) and every connection of a
    /// removed component.
    pub fn remove_component(
        &mut self,
        catalog: &ServiceCatalog,
        id: &str,
        cascade: bool,
        now: Timestamp,
    ) -> Result<Removed, DesignError> {
        let Some(target) = self.component(id).map(|c| c.id.clone()) else { return Err(self.unknown(id)) };
        let dependents = self.dependents(catalog, id);
        if !dependents.is_empty() && !cascade {
            return Err(DesignError::HasDependents { id: target, dependents });
        }
        let mut doomed: Vec<ComponentId> = vec![target];
        let mut seen: BTreeSet<ComponentId> = doomed.iter().cloned().collect();
        let mut i = 0;
        while i < doomed.len() {
            let current = doomed[i].clone();
            for d in self.dependents(catalog, current.as_str()) {
                // Connections alone do not make the other end go: only placement and references do.
                if d.kind != DependencyKind::Connection && seen.insert(d.component.clone()) {
                    doomed.push(d.component);
                }
            }
            i += 1;
        }
        let removed_connections: Vec<Connection> = self
            .connections
            .iter()
            .filter(|c| seen.contains(&c.from) || seen.contains(&c.to))
            .cloned()
            .collect();
        self.connections.retain(|c| !seen.contains(&c.from) && !seen.contains(&c.to));
        self.components.retain(|c| !seen.contains(&c.id));
        self.touch(now);
        Ok(Removed { components: doomed, connections: removed_connections })
    }

    /// Changes a component's configuration, name, placement or rationale. Values are checked against the
    /// catalog's attribute schema; `null` removes an attribute.
    pub fn configure_component(
        &mut self,
        catalog: &ServiceCatalog,
        id: &str,
        change: ConfigureInput,
        now: Timestamp,
    ) -> Result<&Component, DesignError> {
        let Some(pos) = self.components.iter().position(|c| c.id.as_str() == id) else {
            return Err(self.unknown(id));
        };
        let current = &self.components[pos];
        let service = catalog.require(&current.service).map_err(|e| DesignError::Invalid(vec![e]))?;
        let mut problems = Vec::new();
        let mut config = current.config.clone();
        match service.check_config(&change.config) {
            Ok(checked) => {
                for (k, v) in checked {
                    if v.is_null() {
                        config.remove(&k);
                    } else {
                        config.insert(k, v);
                    }
                }
            }
            Err(ps) => problems.extend(ps.into_iter().map(|p| p.message)),
        }
        self.check_references(service, &config, &mut problems);
        let self_ref = service.attributes.iter().any(|a| {
            a.kind == AttributeType::Component && config.get(&a.name).and_then(Value::as_str) == Some(id)
        });
        if self_ref {
            problems.push(format!("{id} cannot refer to itself"));
        }
        let placement = match &change.placement {
            None => current.placement.clone(),
            Some(p) => {
                if p.as_deref() == Some(id) {
                    problems.push(format!("{id} cannot be placed in itself"));
                    None
                } else {
                    self.check_placement(catalog, service, p.as_deref()).unwrap_or_else(|e| {
                        problems.push(e);
                        None
                    })
                }
            }
        };
        let name = match change.name.as_deref() {
            Some(n) => check_text("name", n, MAX_NAME_CHARS).unwrap_or_else(|e| {
                problems.push(e);
                String::new()
            }),
            None => current.name.clone(),
        };
        let rationale = match change.rationale {
            Some(r) => check_rationale(Some(r)).unwrap_or_else(|e| {
                problems.push(e);
                None
            }),
            None => current.rationale.clone(),
        };
        if !problems.is_empty() {
            return Err(DesignError::Invalid(problems));
        }
        let c = &mut self.components[pos];
        c.config = config;
        c.placement = placement;
        c.name = name;
        c.rationale = rationale;
        self.touch(now);
        Ok(&self.components[pos])
    }

    fn build_connection(&self, input: ConnectionInput) -> Result<Connection, DesignError> {
        let mut problems = Vec::new();
        let mut resolve = |raw: &str| match self.component(raw.trim()) {
            Some(c) => Some(c.id.clone()),
            None => {
                problems.push(self.unknown(raw.trim()).to_string());
                None
            }
        };
        let from = resolve(&input.from);
        let to = resolve(&input.to);
        if from.is_some() && from == to {
            problems.push(format!("a component cannot connect to itself ({})", input.from.trim()));
        }
        let protocol = match input.protocol.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if p.len() <= 20 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Some(p.to_ascii_lowercase())
            }
            Some(p) => {
                problems.push(format!("protocol {p:?} should be a short name such as tcp, https, sqlnet"));
                None
            }
            None => None,
        };
        if input.port == Some(0) {
            problems.push("port must be between 1 and 65535".to_owned());
        }
        let purpose = match input.purpose.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => check_text("purpose", p, MAX_NAME_CHARS).map(Some).unwrap_or_else(|e| {
                problems.push(e);
                None
            }),
            None => None,
        };
        match (from, to) {
            (Some(from), Some(to)) if problems.is_empty() => {
                Ok(Connection { from, to, protocol, port: input.port, purpose })
            }
            _ => Err(DesignError::Invalid(problems)),
        }
    }

    /// Connects two components. Connecting the same pair on the same port again updates that connection.
    pub fn connect(&mut self, input: ConnectionInput, now: Timestamp) -> Result<&Connection, DesignError> {
        let conn = self.build_connection(input)?;
        let pos = match self
            .connections
            .iter()
            .position(|c| c.from == conn.from && c.to == conn.to && c.port == conn.port)
        {
            Some(pos) => {
                self.connections[pos] = conn;
                pos
            }
            None => {
                if self.connections.len() >= MAX_CONNECTIONS {
                    return Err(DesignError::Invalid(vec![format!(
                        "a design holds at most {MAX_CONNECTIONS} connections"
                    )]));
                }
                self.connections.push(conn);
                self.connections.len() - 1
            }
        };
        self.touch(now);
        Ok(&self.connections[pos])
    }

    /// Removes the connections from `from` to `to` (only the one on `port` when given).
    pub fn disconnect(
        &mut self,
        from: &str,
        to: &str,
        port: Option<u16>,
        now: Timestamp,
    ) -> Result<Vec<Connection>, DesignError> {
        let matches = |c: &Connection| {
            c.from.as_str() == from && c.to.as_str() == to && port.is_none_or(|p| c.port == Some(p))
        };
        let removed: Vec<Connection> = self.connections.iter().filter(|c| matches(c)).cloned().collect();
        if removed.is_empty() {
            return Err(DesignError::UnknownConnection { from: from.to_owned(), to: to.to_owned(), port });
        }
        self.connections.retain(|c| !matches(c));
        self.touch(now);
        Ok(removed)
    }

    /// Replaces the whole design (components in order: parents first), keeping the session and increasing the
    /// revision. Every problem of every component and connection is listed; nothing changes when any is found.
    pub fn replace(
        &mut self,
        catalog: &ServiceCatalog,
        input: ArchitectureInput,
        pattern: Option<String>,
        now: Timestamp,
    ) -> Result<(), DesignError> {
        let mut next = Architecture::new(self.session_id, self.region.clone(), now);
        next.revision = self.revision;
        next.pattern = pattern;
        let mut problems = Vec::new();
        if let Some(r) = input.region.as_deref() {
            match check_region(r) {
                Ok(r) => next.region = Some(r),
                Err(e) => problems.push(e),
            }
        }
        if input.components.len() > MAX_COMPONENTS {
            problems.push(format!("a design holds at most {MAX_COMPONENTS} components"));
        }
        if input.connections.len() > MAX_CONNECTIONS {
            problems.push(format!("a design holds at most {MAX_CONNECTIONS} connections"));
        }
        if !problems.is_empty() {
            return Err(DesignError::Invalid(problems));
        }
        // Component references may point forward (OKE's lb_subnet listed after OKE), so references are
        // checked after every component is in.
        for (i, c) in input.components.into_iter().enumerate() {
            let label = c.id.clone().unwrap_or_else(|| c.service.clone());
            let service = c.service.clone();
            let deferred_refs: BTreeMap<String, Value> = catalog
                .service(service.trim())
                .map(|s| {
                    c.config
                        .iter()
                        .filter(|(k, _)| s.attribute(k).is_some_and(|a| a.kind == AttributeType::Component))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let mut first = c;
            first.config.retain(|k, _| !deferred_refs.contains_key(k));
            match next.build_component(catalog, first) {
                Ok(mut comp) => {
                    comp.config.extend(deferred_refs.into_iter().filter(|(_, v)| !v.is_null()));
                    next.components.push(comp);
                }
                Err(e) => problems.push(format!("components[{i}] ({label}): {}", strip_nothing_changed(&e))),
            }
        }
        for comp in &next.components {
            if let Some(service) = catalog.service(&comp.service) {
                let mut ps = Vec::new();
                next.check_references(service, &comp.config, &mut ps);
                problems.extend(ps.into_iter().map(|p| format!("{}: {p}", comp.id)));
            }
        }
        for (i, c) in input.connections.into_iter().enumerate() {
            match next.build_connection(c) {
                Ok(conn) => {
                    if !next
                        .connections
                        .iter()
                        .any(|x| x.from == conn.from && x.to == conn.to && x.port == conn.port)
                    {
                        next.connections.push(conn);
                    }
                }
                Err(e) => problems.push(format!("connections[{i}]: {}", strip_nothing_changed(&e))),
            }
        }
        if !problems.is_empty() {
            return Err(DesignError::Invalid(problems));
        }
        next.touch(now);
        *self = next;
        Ok(())
    }

    /// Sets the design's region.
    pub fn set_region(&mut self, region: Option<&str>, now: Timestamp) -> Result<(), DesignError> {
        self.region = match region {
            Some(r) => Some(check_region(r).map_err(|e| DesignError::Invalid(vec![e]))?),
            None => None,
        };
        self.touch(now);
        Ok(())
    }

    /// The chain of parents of a component, nearest first (subnet, then VCN).
    pub fn ancestors(&self, id: &str) -> Vec<&Component> {
        let mut out = Vec::new();
        let mut current = self.component(id).and_then(|c| c.placement.as_ref());
        while let Some(p) = current {
            let Some(parent) = self.component(p.as_str()) else { break };
            if out.iter().any(|c: &&Component| c.id == parent.id) {
                break;
            }
            out.push(parent);
            current = parent.placement.as_ref();
        }
        out
    }
}

fn strip_nothing_changed(e: &DesignError) -> String {
    match e {
        DesignError::Invalid(ps) => ps.join("; "),
        other => other.to_string(),
    }
}

/// How a placement kind reads in an error.
pub fn placement_text(kind: PlacementKind) -> &'static str {
    match kind {
        PlacementKind::PublicSubnet => "placed in a public subnet",
        PlacementKind::PrivateSubnet => "placed in a private subnet",
        PlacementKind::Subnet => "placed in a subnet",
        PlacementKind::OptionalSubnet => "regional, or in a subnet through a private endpoint",
        PlacementKind::InVcn => "placed in a VCN",
        PlacementKind::Vcn => "attached to a VCN",
        PlacementKind::Regional => "a regional service",
        PlacementKind::Global => "a global service",
    }
}

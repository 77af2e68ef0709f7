//! The operation table: every OCI API operation, generated from the OCI Python SDK (`data/oci/`).
//!
//! [`OperationTable::builtin`] parses the embedded `data/oci/operations.json` once (lazily; an error is returned,
//! never a panic). [`OperationTable::lookup`] finds an operation by service and operation name, accepting the forms a
//! model is likely to send, and names the closest valid names when it cannot.
//!
//! Service names: the SDK module (`core`, `object_storage`, `resource_manager`), a client (`compute`,
//! `ComputeClient`, `virtual_network`), the endpoint service (`iaas`, `objectstorage`), or `module.client`
//! (`core.compute`) to pick one client of a module. Case, `_` and `-` do not matter. Operation names: the SDK's
//! snake_case (`list_instances`) or the API's CamelCase (`ListInstances`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer};

use super::policy::{self, Class};

/// The generated table (see `data/oci/README.md`).
pub const BUILTIN_OPERATIONS_JSON: &str = include_str!("../../../../data/oci/operations.json");

/// The table format this code reads.
const FORMAT: u32 = 1;

/// The table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the OCI operation table cannot be read: {0}")]
pub struct TableError(pub String);

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(u8::deserialize(d)? != 0)
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A `{placeholder}` in the path.
    #[default]
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Deserialize)]
pub struct Param {
    /// The name on the wire: query key, header name or path placeholder (`compartmentId`, `opc-request-id`).
    #[serde(rename = "w")]
    pub wire: String,
    /// The SDK's keyword argument name (`compartment_id`).
    #[serde(rename = "k", default)]
    pub kwarg: String,
    /// Whether the operation needs it.
    #[serde(rename = "r", default, deserialize_with = "flag")]
    pub required: bool,
    /// For lists: `multi` (the key repeated) or `csv` (one comma-joined value).
    #[serde(rename = "f", default)]
    pub collection_format: Option<String>,
    #[serde(rename = "e", default)]
    enum_index: Option<usize>,
    /// The values the SDK accepts, when it checks them.
    #[serde(skip)]
    pub allowed_values: Option<Arc<[String]>>,
    /// The type when it is not a string (`int`, `bool`, `float`, `datetime`, `list[str]`, ...).
    #[serde(rename = "t", default)]
    pub type_name: Option<String>,
    /// A map that becomes one header per key (`opc_meta` → `opc-meta-<key>`); `wire` is the prefix + `*`.
    #[serde(rename = "x", default, deserialize_with = "flag")]
    pub prefix_map: bool,
    /// Where it goes.
    #[serde(skip)]
    pub location: Location,
}

/// The request body of an operation.
#[derive(Debug, Clone, Deserialize)]
pub struct Body {
    /// The SDK's argument name (`launch_instance_details`).
    #[serde(rename = "k")]
    pub kwarg: String,
    /// Whether the operation needs it.
    #[serde(rename = "r", default, deserialize_with = "flag")]
    pub required: bool,
    /// The model type (`LaunchInstanceDetails`), `stream` for raw bytes, `list[...]` for arrays.
    #[serde(rename = "t", default)]
    pub type_name: Option<String>,
}

impl Body {
    /// Whether the body is raw bytes (Object Storage `put_object`), not JSON.
    pub fn is_stream(&self) -> bool {
        self.type_name.as_deref() == Some("stream")
    }
}

/// One API operation.
#[derive(Debug, Clone, Deserialize)]
pub struct Operation {
    /// The SDK's name (`list_instances`).
    #[serde(rename = "n")]
    pub name: String,
    /// The API's name (`ListInstances`).
    #[serde(rename = "a", default)]
    pub api_name: String,
    /// HTTP method.
    #[serde(rename = "h")]
    pub method: String,
    /// The path under the client's base path, with `{wireName}` placeholders (`/instances/{instanceId}`).
    #[serde(rename = "p")]
    pub resource_path: String,
    /// Path parameters.
    #[serde(rename = "pp", default)]
    pub path_params: Vec<Param>,
    /// Query parameters.
    #[serde(rename = "q", default)]
    pub query_params: Vec<Param>,
    /// Header parameters.
    #[serde(rename = "hd", default)]
    pub header_params: Vec<Param>,
    #[serde(rename = "ch", default)]
    const_headers: Option<BTreeMap<String, String>>,
    /// The body, if the operation takes one.
    #[serde(rename = "b", default)]
    pub body: Option<Body>,
    /// The response type (`list[Instance]`, `InstanceCollection`), if any.
    #[serde(rename = "rt", default)]
    pub response_type: Option<String>,
    /// Whether the operation pages with the `page` query parameter (`opc-next-page` response header).
    #[serde(rename = "pg", default, deserialize_with = "flag")]
    pub paginated: bool,
}

impl Operation {
    /// Every parameter, path first, then query, then headers.
    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.path_params.iter().chain(&self.query_params).chain(&self.header_params)
    }

    /// The constant headers the SDK sends (`accept`, `content-type`).
    pub fn const_headers(&self) -> Vec<(String, String)> {
        match &self.const_headers {
            Some(h) => h.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
            ],
        }
    }
}

/// One SDK client: a set of operations that share an endpoint and an API version.
#[derive(Debug, Clone, Deserialize)]
pub struct Client {
    /// The class name (`ComputeClient`).
    #[serde(rename = "n")]
    pub name: String,
    /// The endpoint service name (`iaas`, `objectstorage`): what `GALLEY_OCI_ENDPOINT_<SERVICE>` names.
    #[serde(rename = "e")]
    pub endpoint_service: String,
    /// The SDK's endpoint template (`https://iaas.{region}.{dualStack?ds.oci.:}{secondLevelDomain}`).
    #[serde(rename = "t")]
    pub endpoint_template_raw: String,
    /// Per-realm templates, when the SDK has them.
    #[serde(rename = "tr", default)]
    pub realm_templates: BTreeMap<String, String>,
    /// The API version prefix of every path (`/20160918`); may be empty or `/`.
    #[serde(rename = "b", default)]
    pub base_path: String,
    /// A global (not regional) endpoint.
    #[serde(rename = "g", default, deserialize_with = "flag")]
    pub global: bool,
    /// The operations.
    #[serde(rename = "o")]
    pub operations: Vec<Operation>,
}

impl Client {
    /// The client name without `Client` in snake_case (`ComputeClient` → `compute`).
    pub fn short_name(&self) -> String {
        snake_case(self.name.strip_suffix("Client").unwrap_or(&self.name))
    }

    /// The endpoint template without the dual-stack choice (`{dualStack?A:B}` → `B`), with `{region}` and
    /// `{secondLevelDomain}` left for the caller.
    pub fn endpoint_template(&self) -> String {
        resolve_dual_stack(&self.endpoint_template_raw)
    }
}

/// One SDK module (`core`, `object_storage`).
#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    /// The module name.
    #[serde(rename = "m")]
    pub module: String,
    /// Its clients.
    #[serde(rename = "c")]
    pub clients: Vec<Client>,
}

#[derive(Deserialize)]
struct Document {
    fmt: u32,
    sdk: String,
    v: String,
    en: Vec<Vec<String>>,
    s: Vec<Service>,
}

/// An operation found in the table, with its client and service.
#[derive(Debug, Clone, Copy)]
pub struct OperationRef<'a> {
    /// The SDK module.
    pub service: &'a Service,
    /// The client.
    pub client: &'a Client,
    /// The operation.
    pub operation: &'a Operation,
}

impl OperationRef<'_> {
    /// `module.Client.operation`, for messages and logs.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}.{}", self.service.module, self.client.name, self.operation.name)
    }

    /// The full path template: base path + resource path (`/20160918/instances/{instanceId}`).
    pub fn path_template(&self) -> String {
        join_path(&self.client.base_path, &self.operation.resource_path)
    }

    /// Read, mutation or destructive, from the operation name.
    pub fn class(&self) -> Class {
        policy::classify_operation(&self.operation.name)
    }
}

/// Joins a base path and a resource path with exactly one `/` between them.
pub(crate) fn join_path(base: &str, resource: &str) -> String {
    let base = base.trim_end_matches('/');
    if resource.is_empty() {
        return if base.is_empty() { "/".to_owned() } else { base.to_owned() };
    }
    format!("{base}/{}", resource.trim_start_matches('/'))
}

/// `{dualStack?A:B}` → `B` (Galley uses the IPv4 endpoints).
fn resolve_dual_stack(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{dualStack?") {
        out.push_str(&rest[..start]);
        let inner = &rest[start + "{dualStack?".len()..];
        let Some(end) = inner.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let choice = &inner[..end];
        out.push_str(choice.split_once(':').map_or("", |(_, b)| b));
        rest = &inner[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The default kwarg of a wire name (must match `snake` in `scripts/gen_oci_operations.py`).
pub(crate) fn default_kwarg(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len() + 4);
    for c in wire.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == '.' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// The default API name of an SDK operation name (must match `camel` in the generator).
pub(crate) fn default_api_name(op: &str) -> String {
    op.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = camel.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase())) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// A name normalised for matching: ASCII alphanumerics only, lower case (`List_Instances` = `listinstances`).
pub(crate) fn norm(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Up to `n` candidates closest to `name`, best first (plausible typos, case and separator slips, and names that
/// contain it or that it contains).
pub(crate) fn closest_names<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<String> {
    let target = norm(name);
    if target.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &str)> = Vec::new();
    for c in candidates {
        let cn = norm(c);
        let jw = strsim::jaro_winkler(&target, &cn);
        let contains = (target.len() >= 4 && cn.contains(&target)) || (cn.len() >= 4 && target.contains(&cn));
        let lev = strsim::damerau_levenshtein(&target, &cn);
        let close = jw >= 0.88 || contains || lev <= 1.max(target.len().min(cn.len()) / 4);
        if close {
            scored.push((jw + if contains { 0.1 } else { 0.0 } - lev as f64 * 0.001, c));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, c) in scored {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// Why a lookup failed. Every message names what exists, so the model can call again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No service by that name.
    #[error("{}", unknown_service_message(service, suggestions))]
    UnknownService {
        /// What was asked.
        service: String,
        /// The closest service names.
        suggestions: Vec<String>,
    },
    /// The service has no such operation.
    #[error("{}", unknown_operation_message(service, operation, suggestions))]
    UnknownOperation {
        /// The service as asked.
        service: String,
        /// What was asked.
        operation: String,
        /// The closest operation names of that service.
        suggestions: Vec<String>,
    },
    /// The name matches operations of several clients (an endpoint service shared by several modules).
    #[error(
        "OCI operation {operation:?} exists in several clients of {service:?}: {}; pass one of them as the service",
        candidates.join(", ")
    )]
    Ambiguous {
        /// The service as asked.
        service: String,
        /// The operation as asked.
        operation: String,
        /// `module.client` names that have it.
        candidates: Vec<String>,
    },
    /// The table itself cannot be read.
    #[error(transparent)]
    Table(#[from] TableError),
}

fn unknown_service_message(service: &str, suggestions: &[String]) -> String {
    let mut m = format!("unknown OCI service {service:?}");
    if suggestions.is_empty() {
        m.push_str("; services are the OCI SDK module names, e.g. core (compute, network, block storage), identity, object_storage, resource_manager, container_engine, database, load_balancer");
    } else {
        m.push_str(&format!("; did you mean {}?", suggestions.join(", ")));
    }
    m
}

fn unknown_operation_message(service: &str, operation: &str, suggestions: &[String]) -> String {
    let mut m = format!("OCI service {service:?} has no operation {operation:?}");
    if suggestions.is_empty() {
        m.push_str("; operation names are the SDK's (list_instances, get_bucket, create_vcn) or the API's (ListInstances)");
    } else {
        m.push_str(&format!("; did you mean {}?", suggestions.join(", ")));
    }
    m
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClientId {
    service: usize,
    client: usize,
}

/// The table: services, clients and operations, with an index for lookups.
#[derive(Debug)]
pub struct OperationTable {
    /// Always `oci` (the Python SDK's package name).
    pub sdk: String,
    /// The SDK version the table came from.
    pub sdk_version: String,
    services: Vec<Service>,
    /// Normalised service key → clients.
    by_key: HashMap<String, Vec<ClientId>>,
    /// Every accepted service key's display form, for suggestions.
    service_names: Vec<String>,
}

static BUILTIN: OnceLock<Result<OperationTable, TableError>> = OnceLock::new();

impl OperationTable {
    /// The embedded table, parsed on first use.
    pub fn builtin() -> Result<&'static OperationTable, TableError> {
        BUILTIN
            .get_or_init(|| OperationTable::from_json(BUILTIN_OPERATIONS_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses a table document (the `data/oci/operations.json` format).
    pub fn from_json(text: &str) -> Result<OperationTable, TableError> {
        let doc: Document = serde_json::from_str(text).map_err(|e| TableError(e.to_string()))?;
        if doc.fmt != FORMAT {
            return Err(TableError(format!("format {} (this build reads format {FORMAT})", doc.fmt)));
        }
        let enums: Vec<Arc<[String]>> = doc.en.into_iter().map(Arc::from).collect();
        let mut services = doc.s;
        for service in &mut services {
            for client in &mut service.clients {
                for op in &mut client.operations {
                    prepare_operation(op, &enums).map_err(|m| {
                        TableError(format!("{}.{}.{}: {m}", service.module, client.name, op.name))
                    })?;
                }
            }
        }
        let mut table = OperationTable {
            sdk: doc.sdk,
            sdk_version: doc.v,
            services,
            by_key: HashMap::new(),
            service_names: Vec::new(),
        };
        table.index();
        Ok(table)
    }

    fn index(&mut self) {
        let mut names: Vec<String> = Vec::new();
        for (si, service) in self.services.iter().enumerate() {
            names.push(service.module.clone());
            for (ci, client) in service.clients.iter().enumerate() {
                let id = ClientId { service: si, client: ci };
                let short = client.short_name();
                for key in [&service.module, &short, &client.name, &client.endpoint_service] {
                    let ids = self.by_key.entry(norm(key)).or_default();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                names.push(short);
                names.push(client.endpoint_service.clone());
            }
        }
        names.sort();
        names.dedup();
        self.service_names = names;
    }

    /// Every service (SDK module), in name order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The number of operations.
    pub fn operation_count(&self) -> usize {
        self.services.iter().flat_map(|s| &s.clients).map(|c| c.operations.len()).sum()
    }

    fn client(&self, id: ClientId) -> (&Service, &Client) {
        let service = &self.services[id.service];
        (service, &service.clients[id.client])
    }

    /// The clients a service name stands for (see the module docs for the accepted forms).
    pub fn clients_of(&self, service: &str) -> Result<Vec<(&Service, &Client)>, LookupError> {
        let unknown = || LookupError::UnknownService {
            service: service.to_owned(),
            suggestions: closest_names(service, self.service_names.iter().map(String::as_str), 5),
        };
        if let Some((module, client)) = service.split_once('.') {
            let ids = self.by_key.get(&norm(module)).ok_or_else(unknown)?;
            let wanted = norm(client);
            let found: Vec<_> = ids
                .iter()
                .map(|id| self.client(*id))
                .filter(|(s, c)| {
                    norm(&s.module) == norm(module)
                        && (norm(&c.name) == wanted || norm(&c.short_name()) == wanted)
                })
                .collect();
            return if found.is_empty() { Err(unknown()) } else { Ok(found) };
        }
        let ids = self.by_key.get(&norm(service)).ok_or_else(unknown)?;
        Ok(ids.iter().map(|id| self.client(*id)).collect())
    }

    /// Finds an operation by service and operation name.
    pub fn lookup(&self, service: &str, operation: &str) -> Result<OperationRef<'_>, LookupError> {
        let clients = self.clients_of(service)?;
        let wanted = norm(operation);
        let mut found: Vec<OperationRef<'_>> = Vec::new();
        for (s, c) in &clients {
            for op in &c.operations {
                if norm(&op.name) == wanted || norm(&op.api_name) == wanted {
                    found.push(OperationRef { service: s, client: c, operation: op });
                }
            }
        }
        match found.len() {
            1 => Ok(found[0]),
            0 => Err(LookupError::UnknownOperation {
                service: service.to_owned(),
                operation: operation.to_owned(),
                suggestions: closest_names(
                    operation,
                    clients.iter().flat_map(|(_, c)| c.operations.iter().map(|o| o.name.as_str())),
                    5,
                ),
            }),
            _ => Err(LookupError::Ambiguous {
                service: service.to_owned(),
                operation: operation.to_owned(),
                candidates: found
                    .iter()
                    .map(|r| format!("{}.{}", r.service.module, r.client.short_name()))
                    .collect(),
            }),
        }
    }

    /// Every operation of a service, in the table's order.
    pub fn operations_of(&self, service: &str) -> Result<Vec<OperationRef<'_>>, LookupError> {
        Ok(self
            .clients_of(service)?
            .into_iter()
            .flat_map(|(s, c)| {
                c.operations.iter().map(move |op| OperationRef { service: s, client: c, operation: op })
            })
            .collect())
    }
}

fn prepare_operation(op: &mut Operation, enums: &[Arc<[String]>]) -> Result<(), String> {
    if op.api_name.is_empty() {
        op.api_name = default_api_name(&op.name);
    }
    if !matches!(op.method.as_str(), "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE") {
        return Err(format!("unexpected HTTP method {}", op.method));
    }
    for (list, location) in [
        (&mut op.path_params, Location::Path),
        (&mut op.query_params, Location::Query),
        (&mut op.header_params, Location::Header),
    ] {
        for p in list.iter_mut() {
            p.location = location;
            if p.kwarg.is_empty() {
                p.kwarg = default_kwarg(&p.wire);
            }
            if let Some(i) = p.enum_index {
                p.allowed_values =
                    Some(enums.get(i).cloned().ok_or_else(|| format!("enum index {i} out of range"))?);
            }
        }
    }
    for placeholder in placeholders(&op.resource_path) {
        if !op.path_params.iter().any(|p| p.wire == placeholder) {
            return Err(format!("path placeholder {{{placeholder}}} has no parameter"));
        }
    }
    Ok(())
}

/// The `{name}` placeholders of a path template.
pub(crate) fn placeholders(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

impl fmt::Display for OperationRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.operation.method, self.path_template(), self.qualified_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> &'static OperationTable {
        OperationTable::builtin().unwrap()
    }

    #[test]
    fn builtin_table_loads_and_is_complete_enough() {
        let t = table();
        assert_eq!(t.sdk, "oci");
        assert!(!t.sdk_version.is_empty());
        assert!(t.services().len() > 150, "{}", t.services().len());
        assert!(t.operation_count() > 8000, "{}", t.operation_count());
        for s in t.services() {
            for c in &s.clients {
                assert!(!c.endpoint_service.is_empty(), "{}.{}", s.module, c.name);
                assert!(c.endpoint_template().starts_with("https://"), "{}.{}", s.module, c.name);
                assert!(!c.endpoint_template().contains("dualStack"), "{}.{}", s.module, c.name);
            }
        }
    }

    /// (service, operation) → Ok((qualified name, method, path template, endpoint service)) or Err(substring).
    fn check(service: &str, operation: &str, expect: Result<(&str, &str, &str, &str), &str>) {
        let got = table().lookup(service, operation);
        match (got, expect) {
            (Ok(r), Ok((name, method, path, endpoint))) => {
                assert_eq!(
                    (
                        r.qualified_name().as_str(),
                        r.operation.method.as_str(),
                        r.path_template().as_str(),
                        r.client.endpoint_service.as_str()
                    ),
                    (name, method, path, endpoint),
                    "{service} {operation}"
                );
            }
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{service} {operation}: {e}"),
            (got, want) => panic!("{service} {operation}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn lookups() {
        let list_instances = Ok(("core.ComputeClient.list_instances", "GET", "/20160918/instances", "iaas"));
        check("core", "list_instances", list_instances);
        check("core", "ListInstances", list_instances);
        check("Core", "listInstances", list_instances);
        check("compute", "list_instances", list_instances);
        check("ComputeClient", "list_instances", list_instances);
        check("core.compute", "list_instances", list_instances);
        check("core.ComputeClient", "list-instances", list_instances);
        check(
            "core",
            "get_instance",
            Ok(("core.ComputeClient.get_instance", "GET", "/20160918/instances/{instanceId}", "iaas")),
        );
        check(
            "object_storage",
            "get_namespace",
            Ok(("object_storage.ObjectStorageClient.get_namespace", "GET", "/n", "objectstorage")),
        );
        check(
            "objectstorage",
            "PutObject",
            Ok((
                "object_storage.ObjectStorageClient.put_object",
                "PUT",
                "/n/{namespaceName}/b/{bucketName}/o/{objectName}",
                "objectstorage",
            )),
        );
        check(
            "resource_manager",
            "create_stack",
            Ok((
                "resource_manager.ResourceManagerClient.create_stack",
                "POST",
                "/20180917/stacks",
                "resourcemanager",
            )),
        );
        check(
            "virtual_network",
            "list_vcns",
            Ok(("core.VirtualNetworkClient.list_vcns", "GET", "/20160918/vcns", "iaas")),
        );
        // Unknown names come back with the closest valid ones.
        check("computer", "list_instances", Err("did you mean compute"));
        check("objectstorag", "list_buckets", Err("object_storage"));
        check("zzqqxx", "x", Err("services are the OCI SDK module names"));
        check("core", "list_instance", Err("did you mean list_instances"));
        check("core", "launch_instances", Err("launch_instance"));
        check("object_storage", "list_bucket", Err("list_buckets"));
        check("core.nothing", "list_instances", Err("unknown OCI service"));
    }

    #[test]
    fn shared_endpoint_names_are_ambiguous_only_when_the_operation_is() {
        // `iaas` spans core and other modules; list_instances exists once there.
        check(
            "iaas",
            "list_vcns",
            Ok(("core.VirtualNetworkClient.list_vcns", "GET", "/20160918/vcns", "iaas")),
        );
        let t = table();
        let iaas = t.clients_of("iaas").unwrap();
        assert!(
            iaas.iter().map(|(s, _)| s.module.as_str()).collect::<std::collections::BTreeSet<_>>().len() > 1
        );
    }

    #[test]
    fn parameters_are_typed() {
        let r = table().lookup("core", "list_instances").unwrap();
        let op = r.operation;
        assert!(op.paginated);
        let compartment = op.query_params.iter().find(|p| p.wire == "compartmentId").unwrap();
        assert_eq!((compartment.kwarg.as_str(), compartment.required), ("compartment_id", true));
        let state = op.query_params.iter().find(|p| p.wire == "lifecycleState").unwrap();
        assert!(state.allowed_values.as_ref().unwrap().iter().any(|v| v == "RUNNING"));
        assert_eq!(
            op.query_params.iter().find(|p| p.wire == "limit").unwrap().type_name.as_deref(),
            Some("int")
        );
        let launch = table().lookup("core", "launch_instance").unwrap().operation;
        let body = launch.body.as_ref().unwrap();
        assert_eq!(
            (body.kwarg.as_str(), body.required, body.type_name.as_deref()),
            ("launch_instance_details", true, Some("LaunchInstanceDetails"))
        );
        let put = table().lookup("object_storage", "put_object").unwrap().operation;
        assert!(put.body.as_ref().unwrap().is_stream());
        assert!(put.header_params.iter().any(|p| p.prefix_map && p.kwarg == "opc_meta"));
        assert_eq!(put.header_params.iter().find(|p| p.wire == "Content-MD5").unwrap().kwarg, "content_md5");
    }

    #[test]
    fn name_helpers() {
        for (wire, kwarg) in [
            ("compartmentId", "compartment_id"),
            ("opc-request-id", "opc_request_id"),
            ("Content-Type", "content_type"),
            ("page", "page"),
            ("definedTags.key", "defined_tags_key"),
        ] {
            assert_eq!(default_kwarg(wire), kwarg, "{wire}");
        }
        for (op, api) in [("list_instances", "ListInstances"), ("get_v2_thing", "GetV2Thing")] {
            assert_eq!(default_api_name(op), api, "{op}");
        }
        for (class, short) in [
            ("ComputeClient", "compute"),
            ("VirtualNetworkClient", "virtual_network"),
            ("AIServiceVisionClient", "ai_service_vision"),
            ("KmsHsmClusterClient", "kms_hsm_cluster"),
        ] {
            let c = Client {
                name: class.into(),
                endpoint_service: String::new(),
                endpoint_template_raw: String::new(),
                realm_templates: BTreeMap::new(),
                base_path: String::new(),
                global: false,
                operations: vec![],
            };
            assert_eq!(c.short_name(), short, "{class}");
        }
        for (raw, want) in [
            (
                "https://iaas.{region}.{dualStack?ds.oci.:}{secondLevelDomain}",
                "https://iaas.{region}.{secondLevelDomain}",
            ),
            (
                "https://x.{region}.{dualStack?ds.:oci.}{secondLevelDomain}",
                "https://x.{region}.oci.{secondLevelDomain}",
            ),
            (
                "https://identity.{region}.oci.{secondLevelDomain}",
                "https://identity.{region}.oci.{secondLevelDomain}",
            ),
        ] {
            assert_eq!(resolve_dual_stack(raw), want);
        }
        for (base, res, want) in [
            ("/20160918", "/instances", "/20160918/instances"),
            ("/", "/n", "/n"),
            ("", "/x", "/x"),
            ("/v1/", "", "/v1"),
        ] {
            assert_eq!(join_path(base, res), want);
        }
        assert_eq!(placeholders("/n/{namespaceName}/b/{bucketName}"), vec!["namespaceName", "bucketName"]);
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        for (doc, want) in [
            ("not json", "expected"),
            (r#"{"fmt":2,"sdk":"oci","v":"x","en":[],"s":[]}"#, "format 2"),
            (
                r#"{"fmt":1,"sdk":"oci","v":"x","en":[],"s":[{"m":"m","c":[{"n":"XClient","e":"x","t":"https://x","o":[{"n":"get_x","h":"GET","p":"/x/{id}"}]}]}]}"#,
                "has no parameter",
            ),
            (
                r#"{"fmt":1,"sdk":"oci","v":"x","en":[],"s":[{"m":"m","c":[{"n":"XClient","e":"x","t":"https://x","o":[{"n":"get_x","h":"GET","p":"/x","q":[{"w":"a","e":3}]}]}]}]}"#,
                "enum index 3",
            ),
            (
                r#"{"fmt":1,"sdk":"oci","v":"x","en":[],"s":[{"m":"m","c":[{"n":"XClient","e":"x","t":"https://x","o":[{"n":"get_x","h":"BREW","p":"/x"}]}]}]}"#,
                "unexpected HTTP method",
            ),
        ] {
            let err = OperationTable::from_json(doc).unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
    }
}

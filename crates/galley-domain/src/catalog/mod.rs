//! The OCI service catalog: what a pre-sales design can be built from, as data (`data/services.yaml`, embedded).
//!
//! Each [`Service`] says what it is (bilingual names and description, category, keywords), what can be configured
//! ([`Attribute`]s with types, defaults, allowed values and ranges), where it is placed ([`PlacementKind`]), which
//! Terraform resource types it becomes and what it typically connects to. The whole file is parsed with unknown
//! fields denied and checked as a whole ([`ServiceCatalog::parse`]), so a mistake is a start-up (and test) error.
//!
//! [`Service::check_config`] is how `configure_component` validates a change: an unknown attribute or a bad value
//! is a [`ConfigProblem`] that names the valid attributes or values.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::locale::{Locale, Text};

#[cfg(test)]
mod tests;

/// The catalog built into Galley.
pub const BUILTIN_SERVICES_YAML: &str = include_str!("../../../../data/services.yaml");

/// The catalog format version this build reads.
pub const SERVICES_SCHEMA_VERSION: u32 = 1;

/// The whole service catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCatalog {
    /// Format version ([`SERVICES_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Service categories, in display order.
    pub categories: Vec<ServiceCategory>,
    /// The services.
    pub services: Vec<Service>,
    #[serde(skip)]
    index: BTreeMap<String, usize>,
}

/// A group of services (compute, containers, database, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCategory {
    /// Stable id, e.g. `database`.
    pub id: String,
    /// Display title.
    pub title: Text,
}

/// Where a service's resources live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    /// In a subnet that must be public (an internet-facing load balancer, a public API Gateway, ...).
    PublicSubnet,
    /// In a subnet that should be private (databases, worker nodes, ...).
    PrivateSubnet,
    /// In a subnet, public or private by configuration.
    Subnet,
    /// Regional, or in a subnet through a private endpoint (Autonomous Database, Streaming, ...).
    OptionalSubnet,
    /// Inside a VCN, not in a subnet (subnets themselves).
    InVcn,
    /// Attached to a VCN, not to a subnet (gateways, DRG attachments).
    Vcn,
    /// A regional service with no subnet (Object Storage, Streaming, Vault, ...).
    Regional,
    /// A global or tenancy-wide service (DNS, Identity Domains, ...).
    Global,
}

impl PlacementKind {
    /// Whether a component of this kind must name a subnet.
    pub fn needs_subnet(self) -> bool {
        matches!(self, PlacementKind::PublicSubnet | PlacementKind::PrivateSubnet | PlacementKind::Subnet)
    }
}

/// The type of a configurable attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    /// Free text (optionally matching `pattern`).
    String,
    /// A whole number (optionally within `min`..=`max`).
    Integer,
    /// A number (optionally within `min`..=`max`).
    Number,
    /// true or false.
    Boolean,
    /// One of `allowed`.
    Enum,
    /// A list of strings (each one of `allowed` when given).
    List,
    /// The id of another component of the design (of one of the services in `allowed` when given), e.g. the
    /// subnet an OKE cluster's load balancers go to.
    Component,
}

impl AttributeType {
    /// The name used in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Integer => "integer",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::Enum => "enum",
            AttributeType::List => "list",
            AttributeType::Component => "component",
        }
    }
}

/// One configurable attribute of a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Name, `^[a-z][a-z0-9_]*$`, e.g. `ocpus`.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// What it means.
    pub description: Text,
    /// The value a new component gets (must itself be valid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Allowed values (`enum`, and optionally `list` items).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// Smallest value (`integer`, `number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value (`integer`, `number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Unit shown after numbers (GB, OCPU, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Longest string accepted (`string`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Characters a string may contain, as a description and a set: `letters`, `digits` and the listed
    /// punctuation (e.g. `"-_."`). None: any printable text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<Charset>,
}

/// The characters a string attribute accepts (naming rules differ per OCI service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charset {
    /// ASCII letters allowed.
    #[serde(default)]
    pub letters: bool,
    /// ASCII digits allowed.
    #[serde(default)]
    pub digits: bool,
    /// Other allowed characters, e.g. `"-_."`.
    #[serde(default)]
    pub other: String,
    /// Must start with a letter.
    #[serde(default)]
    pub starts_with_letter: bool,
}

impl Charset {
    fn accepts(&self, s: &str) -> bool {
        let chars_ok = s.chars().all(|c| {
            (self.letters && c.is_ascii_alphabetic())
                || (self.digits && c.is_ascii_digit())
                || self.other.contains(c)
        });
        chars_ok && (!self.starts_with_letter || s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.letters {
            parts.push("letters".to_owned());
        }
        if self.digits {
            parts.push("digits".to_owned());
        }
        if !self.other.is_empty() {
            parts.push(format!("the characters {:?}", self.other));
        }
        let mut out = format!("only {}", parts.join(", "));
        if self.starts_with_letter {
            out.push_str(", starting with a letter");
        }
        out
    }
}

/// One OCI service that a design can use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable id, `^[a-z][a-z0-9_]*$`, e.g. `autonomous_database`.
    pub id: String,
    /// Display name.
    pub name: Text,
    /// Category id.
    pub category: String,
    /// What it is and when a pre-sales design uses it (one or two sentences).
    pub description: Text,
    /// Search words (product names, abbreviations such as `ATP`, `OKE`, `LB`).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Where it is placed.
    pub placement: PlacementKind,
    /// What can be configured.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// Terraform resource types of the OCI provider it maps to (first = the main resource).
    pub terraform: Vec<String>,
    /// Services it typically connects to (ids in this catalog).
    #[serde(default)]
    pub connects_to: Vec<String>,
    /// Link to OCI's documentation.
    pub docs: String,
}

/// What is wrong with a configuration change. The message names the valid attributes or values.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigProblem {
    /// The attribute.
    pub attribute: String,
    /// What is wrong and what is valid.
    pub message: String,
}

/// Why a catalog file is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceCatalogError {
    /// The YAML does not parse or has unknown fields.
    #[error("service catalog does not parse: {0}")]
    Parse(String),
    /// The catalog parses but is inconsistent.
    #[error("service catalog is inconsistent: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ServiceCatalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Self, ServiceCatalogError> {
        Self::parse(BUILTIN_SERVICES_YAML)
    }

    /// Parses and checks a catalog.
    pub fn parse(yaml: &str) -> Result<Self, ServiceCatalogError> {
        let mut catalog: ServiceCatalog =
            serde_saphyr::from_str(yaml).map_err(|e| ServiceCatalogError::Parse(e.to_string()))?;
        let problems = catalog.problems();
        if !problems.is_empty() {
            return Err(ServiceCatalogError::Invalid(problems));
        }
        catalog.index = catalog.services.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        Ok(catalog)
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.schema_version != SERVICES_SCHEMA_VERSION {
            out.push(format!("schema_version {} is not {SERVICES_SCHEMA_VERSION}", self.schema_version));
        }
        let categories: HashSet<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        if categories.len() != self.categories.len() {
            out.push("category ids are not unique".to_owned());
        }
        let ids: HashSet<&str> = self.services.iter().map(|s| s.id.as_str()).collect();
        if ids.len() != self.services.len() {
            out.push("service ids are not unique".to_owned());
        }
        for s in &self.services {
            if !is_slug(&s.id) {
                out.push(format!("service id {:?} is not ^[a-z][a-z0-9_]*$", s.id));
            }
            if !categories.contains(s.category.as_str()) {
                out.push(format!("service {}: unknown category {:?}", s.id, s.category));
            }
            if s.terraform.is_empty() {
                out.push(format!("service {}: no terraform resource types", s.id));
            }
            let mut seen = HashSet::new();
            for c in &s.connects_to {
                if !ids.contains(c.as_str()) {
                    out.push(format!("service {}: connects_to unknown service {c:?}", s.id));
                }
                if *c == s.id {
                    out.push(format!("service {}: connects_to itself", s.id));
                }
                if !seen.insert(c.as_str()) {
                    out.push(format!("service {}: connects_to lists {c} twice", s.id));
                }
            }
            let mut seen = HashSet::new();
            for t in &s.terraform {
                if !seen.insert(t.as_str()) {
                    out.push(format!("service {}: terraform lists {t} twice", s.id));
                }
            }
            let mut names = HashSet::new();
            for a in &s.attributes {
                if !is_slug(&a.name) {
                    out.push(format!(
                        "service {}: attribute name {:?} is not ^[a-z][a-z0-9_]*$",
                        s.id, a.name
                    ));
                }
                if !names.insert(a.name.as_str()) {
                    out.push(format!("service {}: attribute {} appears twice", s.id, a.name));
                }
                if a.kind == AttributeType::Component {
                    for t in &a.allowed {
                        if !ids.contains(t.as_str()) {
                            out.push(format!(
                                "service {}: attribute {} allows unknown service {t:?}",
                                s.id, a.name
                            ));
                        }
                    }
                }
                if a.kind == AttributeType::Enum && a.allowed.is_empty() {
                    out.push(format!("service {}: enum attribute {} has no allowed values", s.id, a.name));
                }
                out.extend(
                    a.shape_problems()
                        .into_iter()
                        .map(|p| format!("service {}: attribute {}: {p}", s.id, a.name)),
                );
                if let Some(d) = &a.default
                    && let Err(e) = a.check_value(d)
                {
                    out.push(format!("service {}: default of {}: {e}", s.id, a.name));
                }
            }
        }
        out
    }

    /// A service by id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.index.get(id).map(|&i| &self.services[i])
    }

    /// A service by id, or an error naming the closest ids.
    pub fn require(&self, id: &str) -> Result<&Service, String> {
        self.service(id).ok_or_else(|| {
            let mut close: Vec<(f64, &str)> = self
                .services
                .iter()
                .map(|s| (strsim::jaro_winkler(id, &s.id), s.id.as_str()))
                .filter(|(d, _)| *d > 0.75)
                .collect();
            close.sort_by(|a, b| b.0.total_cmp(&a.0));
            let hint = if close.is_empty() {
                "call list_available_services to see the service ids".to_owned()
            } else {
                format!(
                    "did you mean {}? (list_available_services shows all)",
                    close.iter().take(3).map(|(_, s)| *s).collect::<Vec<_>>().join(", ")
                )
            };
            format!("unknown service {id:?}; {hint}")
        })
    }

    /// A category by id.
    pub fn category(&self, id: &str) -> Option<&ServiceCategory> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Services in `category` (all when None) matching `keyword` (all when None or blank), best match first.
    ///
    /// Matching ignores case, full-width/half-width differences of ASCII letters and digits, `_`/`-` versus
    /// spaces, the middle dot `・` and the long-vowel mark `ー` (so `ＡＴＰ` finds `ATP`, `ロードバランサ` finds
    /// `ロードバランサー` and `オブジェクトストレージ` finds `オブジェクト・ストレージ`).
    /// The whole keyword is tried first against ids, names and keywords, then descriptions; failing that, every
    /// word of it must match somewhere. Ranking: an exact id, name or keyword; then a prefix of one; then a
    /// substring of one; then the description; then all words; ties keep catalog order.
    pub fn search<'a>(
        &'a self,
        category: Option<&'a str>,
        keyword: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Service> + 'a {
        let needle = keyword.map(normalise_search_text).unwrap_or_default();
        let mut hits: Vec<(u8, usize, &Service)> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| category.is_none_or(|c| s.category == c))
            .filter_map(|(i, s)| s.match_rank(&needle).map(|rank| (rank, i, s)))
            .collect();
        hits.sort_by_key(|&(rank, i, _)| (rank, i));
        hits.into_iter().map(|(_, _, s)| s)
    }
}

/// Lower case, full-width ASCII folded to half-width, `_`, `-` and runs of white space as one space, `ー` and `・`
/// dropped, trimmed. Applied to both sides of a search.
fn normalise_search_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '_' | '-' => ' ',
            'ー' | '・' => continue,
            c => c,
        };
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

impl Service {
    /// An attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// How well the service matches a normalised search needle (lower is better), None when it does not.
    fn match_rank(&self, needle: &str) -> Option<u8> {
        if needle.is_empty() {
            return Some(0);
        }
        let names: Vec<String> = [&self.id, &self.name.ja, &self.name.en]
            .into_iter()
            .chain(&self.keywords)
            .map(|t| normalise_search_text(t))
            .collect();
        let descriptions =
            [normalise_search_text(&self.description.ja), normalise_search_text(&self.description.en)];
        let rank_of = |term: &str| -> Option<u8> {
            if names.iter().any(|n| n == term) {
                Some(0)
            } else if names.iter().any(|n| n.starts_with(term)) {
                Some(1)
            } else if names.iter().any(|n| n.contains(term)) {
                Some(2)
            } else if descriptions.iter().any(|d| d.contains(term)) {
                Some(3)
            } else {
                None
            }
        };
        if let Some(rank) = rank_of(needle) {
            return Some(rank);
        }
        let words: Vec<&str> = needle.split(' ').collect();
        if words.len() > 1 && words.iter().all(|w| rank_of(w).is_some()) { Some(4) } else { None }
    }

    /// The defaults of every attribute that has one.
    pub fn default_config(&self) -> BTreeMap<String, Value> {
        self.attributes.iter().filter_map(|a| a.default.clone().map(|d| (a.name.clone(), d))).collect()
    }

    /// Checks a configuration change: every name must be an attribute and every value valid for it. Values
    /// are normalised where unambiguous (`"4"` for an integer becomes `4`, `"true"` becomes `true`, an enum value
    /// matched case-insensitively becomes its catalog spelling, `10` for an enum with the value `"10"` becomes
    /// `"10"`). `null` removes an attribute (returned as null).
    /// All problems are returned at once.
    pub fn check_config(
        &self,
        changes: &BTreeMap<String, Value>,
    ) -> Result<BTreeMap<String, Value>, Vec<ConfigProblem>> {
        let mut out = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, value) in changes {
            let Some(attr) = self.attribute(name) else {
                let valid: Vec<&str> = self.attributes.iter().map(|a| a.name.as_str()).collect();
                problems.push(ConfigProblem {
                    attribute: name.clone(),
                    message: format!(
                        "{} has no attribute {name:?}; valid attributes: {}",
                        self.id,
                        if valid.is_empty() { "(none)".to_owned() } else { valid.join(", ") }
                    ),
                });
                continue;
            };
            if value.is_null() {
                out.insert(name.clone(), Value::Null);
                continue;
            }
            match attr.check_value(value) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(message) => problems.push(ConfigProblem {
                    attribute: name.clone(),
                    message: format!("{}.{name}: {message}", self.id),
                }),
            }
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    /// A short localised label of the component kind, e.g. "Autonomous Database".
    pub fn label(&self, locale: Locale) -> &str {
        self.name.get(locale)
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

impl Attribute {
    /// Fields that make no sense for the attribute's type (they would be silently ignored).
    fn shape_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let kind = self.kind;
        let numeric = matches!(kind, AttributeType::Integer | AttributeType::Number);
        if !self.allowed.is_empty()
            && !matches!(kind, AttributeType::Enum | AttributeType::List | AttributeType::Component)
        {
            out.push(format!("allowed values on a {} attribute", kind.as_str()));
        }
        if !numeric && (self.min.is_some() || self.max.is_some()) {
            out.push(format!("min/max on a {} attribute", kind.as_str()));
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            out.push(format!("min {min} is greater than max {max}"));
        }
        if kind != AttributeType::String && (self.max_length.is_some() || self.charset.is_some()) {
            out.push(format!("max_length/charset on a {} attribute", kind.as_str()));
        }
        let mut seen = HashSet::new();
        for v in &self.allowed {
            if !seen.insert(v.to_ascii_lowercase()) {
                out.push(format!("allowed value {v:?} appears twice (values match case-insensitively)"));
            }
        }
        out
    }

    /// Checks one value and returns it normalised, or says what is valid.
    pub fn check_value(&self, value: &Value) -> Result<Value, String> {
        match self.kind {
            AttributeType::Component => match value {
                Value::String(s) if !s.trim().is_empty() => Ok(Value::String(s.trim().to_owned())),
                _ => Err(format!("expected the id of a component of this design, got {value}")),
            },
            AttributeType::String => {
                let Value::String(s) = value else { return Err(format!("expected a string, got {value}")) };
                if s.trim().is_empty() {
                    return Err("must not be empty".to_owned());
                }
                if let Some(max) = self.max_length
                    && s.chars().count() > max
                {
                    return Err(format!("at most {max} characters, got {}", s.chars().count()));
                }
                if let Some(cs) = &self.charset
                    && !cs.accepts(s)
                {
                    return Err(format!("{s:?} is not allowed: use {}", cs.describe()));
                }
                Ok(Value::String(s.clone()))
            }
            AttributeType::Integer | AttributeType::Number => {
                let Some(n) = as_number(value) else {
                    return Err(format!("expected a number{}, got {value}", self.range_text()));
                };
                if self.kind == AttributeType::Integer && n.fract() != 0.0 {
                    return Err(format!("expected a whole number{}, got {n}", self.range_text()));
                }
                if self.min.is_some_and(|m| n < m) || self.max.is_some_and(|m| n > m) {
                    return Err(format!("{n} is out of range{}", self.range_text()));
                }
                if self.kind == AttributeType::Integer {
                    // Whole and within i64 after the range check above (catalog ranges are small).
                    #[allow(clippy::cast_possible_truncation)]
                    return Ok(Value::from(n as i64));
                }
                Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
            }
            AttributeType::Boolean => match value {
                Value::Bool(b) => Ok(Value::Bool(*b)),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
                _ => Err(format!("expected true or false, got {value}")),
            },
            AttributeType::Enum => {
                // Numbers and booleans are accepted by their text when that is a value (`10` for `"10"`).
                let s = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(format!("expected one of {}, got {value}", self.allowed.join(", "))),
                };
                self.allowed_value(&s)
                    .map(|v| Value::String(v.to_owned()))
                    .ok_or_else(|| format!("{s:?} is not valid; valid values: {}", self.allowed.join(", ")))
            }
            AttributeType::List => {
                let items: Vec<Value> = match value {
                    Value::Array(a) => a.clone(),
                    Value::String(s) => {
                        s.split(',').map(|p| Value::String(p.trim().to_owned())).filter(|v| v != "").collect()
                    }
                    _ => return Err(format!("expected a list of strings, got {value}")),
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(s) = item else {
                        return Err(format!("expected a list of strings, got an item {item}"));
                    };
                    if self.allowed.is_empty() {
                        out.push(Value::String(s));
                    } else {
                        let v = self.allowed_value(&s).ok_or_else(|| {
                            format!("{s:?} is not valid; valid values: {}", self.allowed.join(", "))
                        })?;
                        out.push(Value::String(v.to_owned()));
                    }
                }
                Ok(Value::Array(out))
            }
        }
    }

    fn allowed_value(&self, s: &str) -> Option<&str> {
        let s = s.trim();
        self.allowed.iter().find(|a| a.eq_ignore_ascii_case(s)).map(String::as_str)
    }

    fn range_text(&self) -> String {
        let unit = self.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!(" between {a} and {b}{unit}"),
            (Some(a), None) => format!(" of at least {a}{unit}"),
            (None, Some(b)) => format!(" of at most {b}{unit}"),
            (None, None) => String::new(),
        }
    }
}

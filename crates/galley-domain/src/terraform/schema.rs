//! Provider schemas as typed data: what each resource, data source and provider block accepts.
//!
//! Two JSON shapes are read:
//! - the real `terraform providers schema -json` output (`{"format_version": "1.0", "provider_schemas": {ADDR:
//!   {"provider": {"block": …}, "resource_schemas": {NAME: {"block": …}}, …}}}`), which lists every type the
//!   provider has, so its coverage is [`Coverage::Complete`];
//! - the single-provider extracts in `data/terraform/` (`{"provider": {"source": …}, "resource_schemas": {NAME:
//!   {"attributes": …, "block_types": …}}, "aliases": …, "not_extracted": …}`), which describe a subset of the
//!   provider, so their coverage is [`Coverage::Partial`].
//!
//! Several documents merge into one [`ProviderSchemas`], keyed by provider type (`oci`, `random`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The oracle/oci provider extract (see `data/terraform/README.md`).
pub const BUILTIN_OCI_SCHEMA_JSON: &str = include_str!("../../../../data/terraform/oci-provider-schema.json");
/// The hashicorp/random provider extract (see `data/terraform/README.md`).
pub const BUILTIN_RANDOM_SCHEMA_JSON: &str =
    include_str!("../../../../data/terraform/random-provider-schema.json");

/// A provider-schema document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("provider schema {document}: {message}")]
pub struct SchemaError {
    /// Which document (a file name or a caller-given label).
    pub document: String,
    /// What is wrong with it.
    pub message: String,
}

/// Whether a schema lists every resource and data source type of its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every type is listed (real `terraform providers schema -json` output): an unknown type is an error.
    Complete,
    /// Only some types are listed (a hand-made extract): an unknown type may still exist.
    Partial,
}

/// A cty type in its JSON encoding (`"string"`, `["list", T]`, `["object", {…}]`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtyType {
    /// `"string"`.
    String,
    /// `"number"`.
    Number,
    /// `"bool"`.
    Bool,
    /// `"dynamic"`: any type.
    Dynamic,
    /// `["list", T]`.
    List(Box<CtyType>),
    /// `["set", T]`.
    Set(Box<CtyType>),
    /// `["map", T]`.
    Map(Box<CtyType>),
    /// `["object", {NAME: T}]` (optional-attribute markers are dropped).
    Object(BTreeMap<String, CtyType>),
    /// `["tuple", [T…]]`.
    Tuple(Vec<CtyType>),
}

impl CtyType {
    /// Parses the cty JSON type encoding.
    pub fn from_json(v: &serde_json::Value) -> Result<CtyType, String> {
        use serde_json::Value;
        match v {
            Value::String(s) => match s.as_str() {
                "string" => Ok(CtyType::String),
                "number" => Ok(CtyType::Number),
                "bool" => Ok(CtyType::Bool),
                "dynamic" => Ok(CtyType::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            },
            Value::Array(items) => {
                let kind = items.first().and_then(Value::as_str).unwrap_or_default();
                let arg = items.get(1).ok_or_else(|| format!("type {v} has no element type"))?;
                match kind {
                    "list" => Ok(CtyType::List(Box::new(CtyType::from_json(arg)?))),
                    "set" => Ok(CtyType::Set(Box::new(CtyType::from_json(arg)?))),
                    "map" => Ok(CtyType::Map(Box::new(CtyType::from_json(arg)?))),
                    "object" => {
                        let fields =
                            arg.as_object().ok_or_else(|| format!("object type {v} has no fields"))?;
                        let mut out = BTreeMap::new();
                        for (name, t) in fields {
                            out.insert(name.clone(), CtyType::from_json(t)?);
                        }
                        Ok(CtyType::Object(out))
                    }
                    "tuple" => {
                        let elems =
                            arg.as_array().ok_or_else(|| format!("tuple type {v} has no elements"))?;
                        elems.iter().map(CtyType::from_json).collect::<Result<_, _>>().map(CtyType::Tuple)
                    }
                    other => Err(format!("unknown type constructor {other:?}")),
                }
            }
            other => Err(format!("unsupported type encoding {other}")),
        }
    }

    /// Whether this is a list or set of objects: Terraform lets such an attribute be written as blocks.
    pub fn is_collection_of_objects(&self) -> bool {
        matches!(self, CtyType::List(e) | CtyType::Set(e) if matches!(**e, CtyType::Object(_)))
    }
}

impl<'de> Deserialize<'de> for CtyType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        CtyType::from_json(&v).map_err(serde::de::Error::custom)
    }
}

/// One attribute (argument) of a block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Attribute {
    /// Its type; `None` for a protocol-6 nested attribute (`nested_type`).
    #[serde(rename = "type", default)]
    pub ty: Option<CtyType>,
    /// Set when the attribute is a protocol-6 nested attribute (`nested_type` in the real output).
    #[serde(default, deserialize_with = "present")]
    pub nested_type: bool,
    /// Must be set in configuration.
    #[serde(default)]
    pub required: bool,
    /// May be set in configuration.
    #[serde(default)]
    pub optional: bool,
    /// Set by the provider; without `optional`/`required` it is read-only.
    #[serde(default)]
    pub computed: bool,
    /// Its value is hidden in plans.
    #[serde(default)]
    pub sensitive: bool,
    /// Still accepted, but on its way out.
    #[serde(default)]
    pub deprecated: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(!v.is_null())
}

impl Attribute {
    /// Computed and neither optional nor required: configuration must not set it.
    pub fn is_read_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }

    /// Terraform accepts block syntax for it (a list or set of objects, or a nested attribute).
    pub fn accepts_block_syntax(&self) -> bool {
        self.nested_type || self.ty.as_ref().is_some_and(CtyType::is_collection_of_objects)
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    /// At most one block, an object.
    Single,
    /// At most one block; absent means an object of nulls.
    Group,
    /// Zero or more blocks, ordered.
    List,
    /// Zero or more blocks, unordered.
    Set,
    /// Zero or more blocks with one label each.
    Map,
}

/// A nested block type (`block_types.NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlockType {
    /// How it repeats.
    #[serde(alias = "nesting_mode")]
    pub nesting: Nesting,
    /// Fewest blocks allowed.
    #[serde(default)]
    pub min_items: u64,
    /// Most blocks allowed; 0 means unlimited.
    #[serde(default)]
    pub max_items: u64,
    /// What goes inside.
    #[serde(default)]
    pub block: Block,
}

impl BlockType {
    /// The most blocks allowed, if limited (`single`/`group` nesting allow one).
    pub fn max(&self) -> Option<u64> {
        match self.nesting {
            Nesting::Single | Nesting::Group => Some(1),
            _ if self.max_items > 0 => Some(self.max_items),
            _ => None,
        }
    }
}

/// A block's content: its attributes and nested block types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Block {
    /// Attributes by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Nested block types by name.
    #[serde(default)]
    pub block_types: BTreeMap<String, BlockType>,
}

/// One provider: its configuration block and its resource and data source types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSchema {
    /// The provider type, the prefix of its resource types (`oci`).
    pub name: String,
    /// The source address (`oracle/oci`).
    pub source: String,
    /// The provider version the schema describes (may be empty).
    pub version: String,
    /// Whether every type is listed.
    pub coverage: Coverage,
    /// The `provider "NAME"` block.
    pub provider_config: Block,
    /// Resource types by name.
    pub resources: BTreeMap<String, Block>,
    /// Data source types by name.
    pub data_sources: BTreeMap<String, Block>,
    /// Resource type aliases → the canonical type (`oci_core_virtual_network` → `oci_core_vcn`).
    pub resource_aliases: BTreeMap<String, String>,
    /// Data source aliases → the canonical type.
    pub data_source_aliases: BTreeMap<String, String>,
    /// Names known not to be resource types, with the reason.
    pub not_resources: BTreeMap<String, String>,
    /// Names known not to be data source types, with the reason.
    pub not_data_sources: BTreeMap<String, String>,
}

impl ProviderSchema {
    /// `oracle/oci 8.28.0`, for messages.
    pub fn describe(&self) -> String {
        if self.version.is_empty() {
            self.source.clone()
        } else {
            format!("{} {}", self.source, self.version)
        }
    }

    /// The schema of a resource type, following aliases; returns the canonical name too.
    pub fn resource(&self, name: &str) -> Option<(&str, &Block)> {
        lookup(&self.resources, &self.resource_aliases, name)
    }

    /// The schema of a data source type, following aliases; returns the canonical name too.
    pub fn data_source(&self, name: &str) -> Option<(&str, &Block)> {
        lookup(&self.data_sources, &self.data_source_aliases, name)
    }

    fn merge(&mut self, other: ProviderSchema) {
        if other.coverage == Coverage::Complete {
            self.coverage = Coverage::Complete;
            self.source = other.source;
            self.version = other.version;
            self.provider_config = other.provider_config;
        }
        self.resources.extend(other.resources);
        self.data_sources.extend(other.data_sources);
        self.resource_aliases.extend(other.resource_aliases);
        self.data_source_aliases.extend(other.data_source_aliases);
        self.not_resources.extend(other.not_resources);
        self.not_data_sources.extend(other.not_data_sources);
        self.not_resources.retain(|k, _| !self.resources.contains_key(k));
        self.not_data_sources.retain(|k, _| !self.data_sources.contains_key(k));
    }
}

fn lookup<'a>(
    types: &'a BTreeMap<String, Block>,
    aliases: &'a BTreeMap<String, String>,
    name: &str,
) -> Option<(&'a str, &'a Block)> {
    if let Some((k, b)) = types.get_key_value(name) {
        return Some((k.as_str(), b));
    }
    let target = aliases.get(name)?;
    types.get_key_value(target.as_str()).map(|(k, b)| (k.as_str(), b))
}

/// Every provider schema Galley knows, keyed by provider type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSchemas {
    providers: BTreeMap<String, ProviderSchema>,
}

static BUILTIN: OnceLock<Result<ProviderSchemas, SchemaError>> = OnceLock::new();

impl ProviderSchemas {
    /// The schemas shipped in `data/terraform/` (oracle/oci and hashicorp/random), parsed once.
    pub fn builtin() -> Result<&'static ProviderSchemas, SchemaError> {
        BUILTIN
            .get_or_init(|| {
                ProviderSchemas::from_documents(&[
                    ("oci-provider-schema.json", BUILTIN_OCI_SCHEMA_JSON),
                    ("random-provider-schema.json", BUILTIN_RANDOM_SCHEMA_JSON),
                ])
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and merges documents, given as (label for errors, JSON text).
    pub fn from_documents(docs: &[(&str, &str)]) -> Result<ProviderSchemas, SchemaError> {
        let mut out = ProviderSchemas::default();
        for (label, text) in docs {
            out.add_json(label, text)?;
        }
        Ok(out)
    }

    /// Parses one document (either shape, see the module docs) and merges it in. Types already present are
    /// replaced by the new document's.
    pub fn add_json(&mut self, label: &str, text: &str) -> Result<(), SchemaError> {
        let err = |message: String| SchemaError { document: label.to_owned(), message };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        let parsed = if value.get("provider_schemas").is_some() {
            let doc: RealDocument = serde_json::from_value(value).map_err(|e| err(e.to_string()))?;
            doc.into_providers()
        } else {
            let doc: ExtractDocument = serde_json::from_value(value).map_err(|e| err(e.to_string()))?;
            vec![doc.into_provider().map_err(err)?]
        };
        for p in parsed {
            self.merge_provider(p);
        }
        Ok(())
    }

    /// Adds every provider of `other`.
    pub fn merge(&mut self, other: ProviderSchemas) {
        for p in other.providers.into_values() {
            self.merge_provider(p);
        }
    }

    fn merge_provider(&mut self, p: ProviderSchema) {
        match self.providers.get_mut(&p.name) {
            Some(existing) => existing.merge(p),
            None => {
                self.providers.insert(p.name.clone(), p);
            }
        }
    }

    /// The schema of a provider type (`oci`).
    pub fn provider(&self, name: &str) -> Option<&ProviderSchema> {
        self.providers.get(name)
    }

    /// Every provider, by type.
    pub fn providers(&self) -> impl Iterator<Item = &ProviderSchema> {
        self.providers.values()
    }
}

/// `oracle/oci` or `registry.terraform.io/oracle/oci` → `oci`.
pub fn provider_type_of_source(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

// ---- the two document shapes ----

#[derive(Deserialize)]
struct ExtractDocument {
    provider: ExtractProvider,
    #[serde(default)]
    provider_config_schema: Block,
    #[serde(default)]
    resource_schemas: BTreeMap<String, TypeSchema>,
    #[serde(default)]
    data_source_schemas: BTreeMap<String, TypeSchema>,
    #[serde(default)]
    aliases: ExtractAliases,
    #[serde(default)]
    not_extracted: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ExtractProvider {
    source: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize, Default)]
struct ExtractAliases {
    #[serde(default)]
    resources: BTreeMap<String, String>,
    #[serde(default)]
    data_sources: BTreeMap<String, String>,
}

/// A resource or data source: `{"block": {…}}` in the real output, the block itself in the extracts.
#[derive(Deserialize)]
struct TypeSchema {
    #[serde(default)]
    block: Option<Block>,
    #[serde(flatten)]
    direct: Block,
}

impl TypeSchema {
    fn into_block(self) -> Block {
        self.block.unwrap_or(self.direct)
    }
}

fn blocks(types: BTreeMap<String, TypeSchema>) -> BTreeMap<String, Block> {
    types.into_iter().map(|(k, v)| (k, v.into_block())).collect()
}

impl ExtractDocument {
    fn into_provider(self) -> Result<ProviderSchema, String> {
        let name = provider_type_of_source(&self.provider.source).to_owned();
        if name.is_empty() {
            return Err("provider.source is empty".into());
        }
        let mut not_resources = BTreeMap::new();
        let mut not_data_sources = BTreeMap::new();
        for (key, reason) in self.not_extracted {
            match key.split_once(':') {
                Some(("resource", n)) => {
                    not_resources.insert(n.to_owned(), reason);
                }
                Some(("data_source" | "data", n)) => {
                    not_data_sources.insert(n.to_owned(), reason);
                }
                _ => {}
            }
        }
        Ok(ProviderSchema {
            name,
            source: self.provider.source,
            version: self.provider.version,
            coverage: Coverage::Partial,
            provider_config: self.provider_config_schema,
            resources: blocks(self.resource_schemas),
            data_sources: blocks(self.data_source_schemas),
            resource_aliases: self.aliases.resources,
            data_source_aliases: self.aliases.data_sources,
            not_resources,
            not_data_sources,
        })
    }
}

#[derive(Deserialize)]
struct RealDocument {
    provider_schemas: BTreeMap<String, RealProvider>,
}

#[derive(Deserialize)]
struct RealProvider {
    #[serde(default)]
    provider: Option<TypeSchema>,
    #[serde(default)]
    resource_schemas: BTreeMap<String, TypeSchema>,
    #[serde(default)]
    data_source_schemas: BTreeMap<String, TypeSchema>,
}

impl RealDocument {
    fn into_providers(self) -> Vec<ProviderSchema> {
        self.provider_schemas
            .into_iter()
            .map(|(addr, p)| {
                let source = addr.strip_prefix("registry.terraform.io/").unwrap_or(&addr).to_owned();
                ProviderSchema {
                    name: provider_type_of_source(&addr).to_owned(),
                    source,
                    version: String::new(),
                    coverage: Coverage::Complete,
                    provider_config: p.provider.map(TypeSchema::into_block).unwrap_or_default(),
                    resources: blocks(p.resource_schemas),
                    data_sources: blocks(p.data_source_schemas),
                    resource_aliases: BTreeMap::new(),
                    data_source_aliases: BTreeMap::new(),
                    not_resources: BTreeMap::new(),
                    not_data_sources: BTreeMap::new(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_both_providers() {
        let s = ProviderSchemas::builtin().unwrap();
        let oci = s.provider("oci").unwrap();
        assert_eq!(oci.source, "oracle/oci");
        assert_eq!(oci.version, "8.28.0");
        assert_eq!(oci.coverage, Coverage::Partial);
        assert_eq!(oci.resources.len(), 44);
        assert_eq!(oci.data_sources.len(), 7);
        assert!(oci.provider_config.attributes.contains_key("region"));
        assert!(oci.not_resources.contains_key("oci_resourcemanager_stack"));
        let random = s.provider("random").unwrap();
        assert_eq!(random.resources.len(), 3);
        assert!(random.resources["random_password"].attributes["length"].required);
        assert!(random.resources["random_password"].attributes["result"].is_read_only());
    }

    #[test]
    fn aliases_resolve_to_the_canonical_type() {
        let oci = ProviderSchemas::builtin().unwrap().provider("oci").unwrap();
        let (name, block) = oci.resource("oci_core_virtual_network").unwrap();
        assert_eq!(name, "oci_core_vcn");
        assert!(block.attributes["compartment_id"].required);
        assert_eq!(oci.resource("oci_load_balancer").unwrap().0, "oci_load_balancer_load_balancer");
        assert!(oci.resource("oci_core_vnc").is_none());
    }

    #[test]
    fn nesting_and_limits() {
        let oci = ProviderSchemas::builtin().unwrap().provider("oci").unwrap();
        let ci = oci.resource("oci_container_instances_container_instance").unwrap().1;
        let containers = &ci.block_types["containers"];
        assert_eq!((containers.nesting, containers.min_items, containers.max()), (Nesting::List, 1, None));
        let timeouts = &ci.block_types["timeouts"];
        assert_eq!((timeouts.nesting, timeouts.max()), (Nesting::Single, Some(1)));
    }

    #[test]
    fn cty_types() {
        let t = |j: serde_json::Value| CtyType::from_json(&j);
        assert_eq!(t(serde_json::json!("string")), Ok(CtyType::String));
        assert_eq!(t(serde_json::json!(["map", "string"])), Ok(CtyType::Map(Box::new(CtyType::String))));
        assert!(
            t(serde_json::json!(["list", ["object", {"a": "number"}]])).unwrap().is_collection_of_objects()
        );
        assert!(!t(serde_json::json!(["list", "string"])).unwrap().is_collection_of_objects());
        assert!(t(serde_json::json!("strin")).is_err());
        assert!(t(serde_json::json!(["list"])).is_err());
    }

    #[test]
    fn reads_real_terraform_output_and_merges() {
        let real = r#"{"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/random":{
            "provider":{"version":0,"block":{}},
            "resource_schemas":{"random_pet":{"version":0,"block":{"attributes":{
                "length":{"type":"number","optional":true},"id":{"type":"string","computed":true}},
                "block_types":{"x":{"nesting_mode":"list","block":{},"max_items":2}}}}},
            "data_source_schemas":{}}}}"#;
        let mut s = ProviderSchemas::builtin().unwrap().clone();
        s.add_json("real.json", real).unwrap();
        let random = s.provider("random").unwrap();
        assert_eq!(random.coverage, Coverage::Complete);
        assert_eq!(random.source, "hashicorp/random");
        assert!(random.resource("random_pet").is_some());
        assert!(random.resource("random_password").is_some(), "merged, not replaced");
        assert_eq!(random.resources["random_pet"].block_types["x"].max(), Some(2));
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        let e = ProviderSchemas::from_documents(&[("x.json", "{")]).unwrap_err();
        assert_eq!(e.document, "x.json");
        let e = ProviderSchemas::from_documents(&[(
            "y.json",
            r#"{"provider":{"source":"a/b"},
            "resource_schemas":{"b_x":{"attributes":{"a":{"type":"strng"}}}}}"#,
        )])
        .unwrap_err();
        assert!(e.message.contains("strng"), "{e}");
    }
}

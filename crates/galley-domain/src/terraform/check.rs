//! The offline check: Terraform files against provider schemas, as findings.
//!
//! What it checks: parse errors (including an argument set twice in one block); resource and data source
//! types; unknown, read-only (computed-only) and deprecated arguments; unknown blocks; missing required
//! arguments; nested block counts (`min_items`, `max_items`); an argument written as a block and a block written
//! as an argument; block labels; duplicate resource, data source and provider configurations.
//!
//! What it deliberately does not check, so that a finding is always worth acting on: value types and values
//! (Terraform converts `"true"`/`"1"`, and enums, defaults, conflicts and conditional requirements are not in
//! the schemas); the content of `lifecycle`, `provisioner`, `connection`, `variable`, `output`, `locals`,
//! `terraform`, `module`, `moved`, `import`, `check`, `removed`, `ephemeral` and `action` blocks; references between
//! blocks; required provider arguments (they can come from the environment); the content of an argument written
//! in block syntax when Terraform allows that (lists or sets of objects); block counts and required arguments of
//! blocks that an override file (`override.tf`, `*_override.tf`) touches; and resource or data source types of
//! providers without a schema, or missing from a partial schema (those get a `no_schema` warning).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey};
use hcl::edit::structure::{Block as HclBlock, Body, Structure};
use serde::{Deserialize, Serialize};

use super::schema::{Block, Coverage, ProviderSchema, ProviderSchemas};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Terraform would reject the configuration.
    Error,
    /// Worth knowing; Terraform would accept it (or it could not be checked).
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What kind of problem a finding is: a stable snake_case id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The file is not valid HCL.
    ParseError,
    /// A resource type its provider does not have.
    UnknownResourceType,
    /// A data source type its provider does not have.
    UnknownDataSource,
    /// No schema covers this type (another provider, or outside a partial schema): not checked. A warning.
    NoSchema,
    /// An argument the block does not accept.
    UnknownAttribute,
    /// A nested block the block does not accept.
    UnknownBlock,
    /// A required argument is not set.
    MissingRequired,
    /// A read-only (computed-only) argument is set.
    ComputedOnly,
    /// More nested blocks than allowed.
    TooManyBlocks,
    /// Fewer nested blocks than required.
    TooFewBlocks,
    /// An argument written as a block (`tags { … }` instead of `tags = { … }`).
    AttributeAsBlock,
    /// A block written as an argument (`create_vnic_details = { … }` instead of a block).
    BlockAsAttribute,
    /// The same resource, data source or provider configuration twice in one module.
    DuplicateAddress,
    /// A block with the wrong number of labels (`resource "oci_core_vcn" { … }`).
    InvalidLabels,
    /// A deprecated argument is set. A warning.
    Deprecated,
}

impl Code {
    /// Every code, for documentation and tests.
    pub const ALL: [Code; 15] = [
        Code::ParseError,
        Code::UnknownResourceType,
        Code::UnknownDataSource,
        Code::NoSchema,
        Code::UnknownAttribute,
        Code::UnknownBlock,
        Code::MissingRequired,
        Code::ComputedOnly,
        Code::TooManyBlocks,
        Code::TooFewBlocks,
        Code::AttributeAsBlock,
        Code::BlockAsAttribute,
        Code::DuplicateAddress,
        Code::InvalidLabels,
        Code::Deprecated,
    ];

    /// The snake_case id (`unknown_attribute`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ParseError => "parse_error",
            Code::UnknownResourceType => "unknown_resource_type",
            Code::UnknownDataSource => "unknown_data_source",
            Code::NoSchema => "no_schema",
            Code::UnknownAttribute => "unknown_attribute",
            Code::UnknownBlock => "unknown_block",
            Code::MissingRequired => "missing_required",
            Code::ComputedOnly => "computed_only",
            Code::TooManyBlocks => "too_many_blocks",
            Code::TooFewBlocks => "too_few_blocks",
            Code::AttributeAsBlock => "attribute_as_block",
            Code::BlockAsAttribute => "block_as_attribute",
            Code::DuplicateAddress => "duplicate_address",
            Code::InvalidLabels => "invalid_labels",
            Code::Deprecated => "deprecated",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// The file name as given.
    pub file: String,
    /// 1-based line of the block or argument, when known.
    pub line: Option<usize>,
    /// The configuration address (`oci_core_subnet.private`, `data.oci_core_services.all`, `provider.oci`);
    /// empty for a parse error.
    pub address: String,
    /// The argument or nested block path inside it (`ingress_security_rules.tcp_options.min`); may be empty.
    pub path: String,
    /// What is wrong and what is valid.
    pub message: String,
}

impl Finding {
    /// `address.path`, or whichever of them is set.
    pub fn target(&self) -> String {
        match (self.address.is_empty(), self.path.is_empty()) {
            (false, false) => format!("{}.{}", self.address, self.path),
            (false, true) => self.address.clone(),
            (true, _) => self.path.clone(),
        }
    }
}

impl fmt::Display for Finding {
    /// `file:line: error[code] address.path: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}[{}]", self.severity.as_str(), self.code)?;
        let target = self.target();
        if !target.is_empty() {
            write!(f, " {target}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Checks the files of one module (one directory), given as (file name, content), against `schemas`.
/// Findings are ordered by file (in the order given) and line. Never panics on bad input.
pub fn check_files(files: &[(String, String)], schemas: &ProviderSchemas) -> Vec<Finding> {
    let mut parsed = Vec::new();
    let mut checker = Checker::new(schemas);
    for (name, content) in files {
        let file = FileCx::new(name, content);
        match hcl::edit::parser::parse_body(content) {
            Ok(body) => parsed.push((file, body)),
            Err(e) => checker.findings.push(Finding {
                severity: Severity::Error,
                code: Code::ParseError,
                file: name.clone(),
                line: Some(e.location().line()),
                address: String::new(),
                path: String::new(),
                message: format!(
                    "not valid HCL: {} (line {}, column {}: `{}`)",
                    e.message(),
                    e.location().line(),
                    e.location().column(),
                    e.line().trim()
                ),
            }),
        }
    }
    for (_, body) in &parsed {
        checker.collect_required_providers(body);
    }
    for (file, body) in &parsed {
        if file.is_override {
            checker.collect_override_addresses(body);
        }
    }
    for (file, body) in &parsed {
        checker.check_module_body(file, body);
    }
    let order: BTreeMap<&str, usize> =
        files.iter().enumerate().rev().map(|(i, (name, _))| (name.as_str(), i)).collect();
    let mut findings = checker.findings;
    findings
        .sort_by_key(|f| (order.get(f.file.as_str()).copied().unwrap_or(usize::MAX), f.line.unwrap_or(0)));
    findings
}

// ---- internals ----

/// Top-level blocks whose content is not checked (only parsed).
const IGNORED_TOP_LEVEL: [&str; 12] = [
    "variable",
    "output",
    "locals",
    "terraform",
    "module",
    "moved",
    "import",
    "check",
    "removed",
    "ephemeral",
    "action",
    "backend",
];
/// Resource types that need no schema to be fine (Terraform's built-in and the null provider's).
const BUILTIN_RESOURCES: [&str; 2] = ["terraform_data", "null_resource"];
/// Data sources that need no schema to be fine.
const BUILTIN_DATA_SOURCES: [&str; 1] = ["terraform_remote_state"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Resource,
    DataSource,
    Provider,
    Nested,
}

impl BodyKind {
    fn meta_attributes(self) -> &'static [&'static str] {
        match self {
            BodyKind::Resource | BodyKind::DataSource => &["count", "for_each", "depends_on", "provider"],
            BodyKind::Provider => &["alias", "version"],
            BodyKind::Nested => &[],
        }
    }

    fn meta_blocks(self) -> &'static [&'static str] {
        match self {
            BodyKind::Resource => &["lifecycle", "provisioner", "connection"],
            BodyKind::DataSource => &["lifecycle"],
            BodyKind::Provider | BodyKind::Nested => &[],
        }
    }
}

struct FileCx<'f> {
    name: &'f str,
    line_starts: Vec<usize>,
    is_override: bool,
}

impl<'f> FileCx<'f> {
    fn new(name: &'f str, content: &str) -> FileCx<'f> {
        let mut line_starts = vec![0];
        line_starts.extend(content.match_indices('\n').map(|(i, _)| i + 1));
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let is_override = base == "override.tf" || base.ends_with("_override.tf");
        FileCx { name, line_starts, is_override }
    }

    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start;
        Some(self.line_starts.partition_point(|&s| s <= start))
    }
}

/// Where findings of one body go.
struct Loc<'x> {
    file: &'x FileCx<'x>,
    address: &'x str,
    /// Skip required-argument and block-count checks (an override file, or a block an override touches).
    partial: bool,
}

struct Checker<'s> {
    schemas: &'s ProviderSchemas,
    /// Local provider name → provider type, from `required_providers`.
    local_names: BTreeMap<String, String>,
    /// Addresses that override files touch.
    overridden: BTreeSet<String>,
    /// Addresses seen in non-override files, with where.
    addresses: BTreeMap<String, (String, Option<usize>)>,
    /// (is data source, type) already reported as `no_schema`.
    warned: BTreeSet<(bool, String)>,
    findings: Vec<Finding>,
}

impl<'s> Checker<'s> {
    fn new(schemas: &'s ProviderSchemas) -> Checker<'s> {
        Checker {
            schemas,
            local_names: BTreeMap::new(),
            overridden: BTreeSet::new(),
            addresses: BTreeMap::new(),
            warned: BTreeSet::new(),
            findings: Vec::new(),
        }
    }

    fn push(
        &mut self,
        loc: &Loc<'_>,
        span: Option<Range<usize>>,
        severity: Severity,
        code: Code,
        path: &str,
        message: String,
    ) {
        self.findings.push(Finding {
            severity,
            code,
            file: loc.file.name.to_owned(),
            line: loc.file.line(span),
            address: loc.address.to_owned(),
            path: path.to_owned(),
            message,
        });
    }

    fn collect_required_providers(&mut self, body: &Body) {
        for tf in body.get_blocks("terraform") {
            for rp in tf.body.get_blocks("required_providers") {
                for attr in rp.body.attributes() {
                    let local = attr.key.as_str();
                    if let Expression::Object(obj) = &attr.value {
                        for (k, v) in obj.iter() {
                            if object_key(k) == Some("source")
                                && let Expression::String(s) = v.expr()
                            {
                                let ty = super::schema::provider_type_of_source(s.as_str());
                                self.local_names.insert(local.to_owned(), ty.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }

    fn collect_override_addresses(&mut self, body: &Body) {
        for block in body.blocks() {
            if let Some(address) = top_level_address(block) {
                self.overridden.insert(address);
            }
        }
    }

    /// The provider type for a local provider name.
    fn provider_type<'a>(&'a self, local: &'a str) -> &'a str {
        self.local_names.get(local).map_or(local, String::as_str)
    }

    fn check_module_body(&mut self, file: &FileCx<'_>, body: &Body) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    let loc = Loc { file, address: "", partial: true };
                    self.push(
                        &loc,
                        attr.span(),
                        Severity::Error,
                        Code::UnknownAttribute,
                        name,
                        format!(
                            "arguments are not allowed at the top level of a file; put `{name} = …` inside a block \
                             (or in a locals {{ }} block)"
                        ),
                    );
                }
                Structure::Block(block) => self.check_top_level_block(file, block),
            }
        }
    }

    fn check_top_level_block(&mut self, file: &FileCx<'_>, block: &HclBlock) {
        let ident = block.ident.as_str();
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        let span = block.span();
        match ident {
            "resource" | "data" | "provider" => {}
            _ if IGNORED_TOP_LEVEL.contains(&ident) => return,
            _ => {
                let loc = Loc { file, address: "", partial: true };
                let mut message = format!("unsupported top-level block type \"{ident}\"");
                if let Some(best) =
                    closest(ident, ["resource", "data", "provider"].into_iter().chain(IGNORED_TOP_LEVEL))
                {
                    message.push_str(&format!("; did you mean \"{best}\"?"));
                }
                message.push_str(
                    " Valid top-level blocks: resource, data, provider, variable, output, locals, terraform, module, \
                     moved, import, check, removed, ephemeral",
                );
                self.push(&loc, span, Severity::Error, Code::UnknownBlock, ident, message);
                return;
            }
        }
        let want = if ident == "provider" { 1 } else { 2 };
        if labels.len() != want {
            let loc = Loc { file, address: "", partial: true };
            let example = match ident {
                "resource" => "resource \"TYPE\" \"NAME\" { … }",
                "data" => "data \"TYPE\" \"NAME\" { … }",
                _ => "provider \"NAME\" { … }",
            };
            self.push(
                &loc,
                span,
                Severity::Error,
                Code::InvalidLabels,
                &[ident].into_iter().chain(labels.iter().copied()).collect::<Vec<_>>().join("."),
                format!("a {ident} block takes {want} label(s), got {}: write {example}", labels.len()),
            );
            return;
        }
        let Some(address) = top_level_address(block) else { return };
        let partial = file.is_override || self.overridden.contains(&address);
        if !file.is_override {
            self.note_address(file, &address, span.clone());
        }
        let loc = Loc { file, address: &address, partial };
        match ident {
            "provider" => self.check_provider_block(&loc, block),
            "resource" => self.check_typed_block(&loc, block, labels[0], false),
            _ => self.check_typed_block(&loc, block, labels[0], true),
        }
    }

    fn note_address(&mut self, file: &FileCx<'_>, address: &str, span: Option<Range<usize>>) {
        let line = file.line(span.clone());
        if let Some((first_file, first_line)) = self.addresses.get(address).cloned() {
            let loc = Loc { file, address, partial: true };
            let at = match first_line {
                Some(l) => format!("{first_file}:{l}"),
                None => first_file,
            };
            let what = if address.starts_with("provider.") {
                "provider configuration (give one of them `alias = \"…\"`)"
            } else {
                "block (each resource or data source name must be unique per type within a module)"
            };
            self.push(
                &loc,
                span,
                Severity::Error,
                Code::DuplicateAddress,
                "",
                format!("{address} is already defined at {at}: duplicate {what}"),
            );
            return;
        }
        self.addresses.insert(address.to_owned(), (file.name.to_owned(), line));
    }

    fn check_provider_block(&mut self, loc: &Loc<'_>, block: &HclBlock) {
        let local = block.labels.first().map(|l| l.as_str()).unwrap_or_default();
        let schemas = self.schemas;
        let Some(provider) = schemas.provider(self.provider_type(local)) else { return };
        // Required provider arguments can come from the environment, so they are not checked.
        let loc = Loc { file: loc.file, address: loc.address, partial: true };
        let what = format!("provider \"{local}\" ({})", provider.describe());
        self.check_body(
            &loc,
            &block.body,
            &provider.provider_config,
            "",
            BodyKind::Provider,
            block.span(),
            &what,
        );
    }

    fn check_typed_block(&mut self, loc: &Loc<'_>, block: &HclBlock, ty: &str, data: bool) {
        let local = provider_meta_argument(&block.body)
            .unwrap_or_else(|| ty.split_once('_').map_or(ty, |(prefix, _)| prefix).to_owned());
        let schemas = self.schemas;
        let builtin = if data { BUILTIN_DATA_SOURCES.contains(&ty) } else { BUILTIN_RESOURCES.contains(&ty) };
        if builtin {
            return;
        }
        let span = block.span();
        let Some(provider) = schemas.provider(self.provider_type(&local)) else {
            if self.warned.insert((data, ty.to_owned())) {
                let kind = if data { "data source" } else { "resource type" };
                self.push(
                    loc,
                    span,
                    Severity::Warning,
                    Code::NoSchema,
                    "",
                    format!(
                        "no schema for provider \"{local}\" (Galley has {}): the {kind} {ty} is not checked",
                        schemas.providers().map(ProviderSchema::describe).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            return;
        };
        let found = if data { provider.data_source(ty) } else { provider.resource(ty) };
        let Some((canonical, schema)) = found else {
            self.unknown_type(loc, span, provider, ty, data);
            return;
        };
        let kind = if data { BodyKind::DataSource } else { BodyKind::Resource };
        let mut what = if canonical == ty { ty.to_owned() } else { format!("{ty} (alias of {canonical})") };
        if data {
            what.insert_str(0, "data source ");
        }
        self.check_body(loc, &block.body, schema, "", kind, span, &what);
    }

    fn unknown_type(
        &mut self,
        loc: &Loc<'_>,
        span: Option<Range<usize>>,
        provider: &ProviderSchema,
        ty: &str,
        data: bool,
    ) {
        let (code, kind, known, aliases, not_these) = if data {
            (
                Code::UnknownDataSource,
                "data source",
                &provider.data_sources,
                &provider.data_source_aliases,
                &provider.not_data_sources,
            )
        } else {
            (
                Code::UnknownResourceType,
                "resource type",
                &provider.resources,
                &provider.resource_aliases,
                &provider.not_resources,
            )
        };
        // Type names share long prefixes (`oci_identity_`), so only a small edit distance counts as a suggestion.
        let suggestion = known
            .keys()
            .chain(aliases.keys())
            .map(|k| (strsim::damerau_levenshtein(ty, k), k.as_str()))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| k);
        let describe = provider.describe();
        // Provably wrong even with a partial schema: listed as not existing, or the other kind of block.
        if let Some(reason) = not_these.get(ty) {
            let mut message = format!("{ty} is not a {kind} of {describe}: {reason}");
            if !data {
                message.push_str(&format!("; if you meant to read it, use data \"{ty}\" \"…\" {{ … }}"));
            }
            self.push(loc, span, Severity::Error, code, "", message);
            return;
        }
        let other_kind =
            if data { provider.resource(ty).is_some() } else { provider.data_source(ty).is_some() };
        if other_kind && !data {
            self.push(
                loc,
                span,
                Severity::Error,
                code,
                "",
                format!("{ty} is a data source of {describe}, not a resource: write data \"{ty}\" \"NAME\" {{ … }}"),
            );
            return;
        }
        let typo = suggestion.filter(|s| !data && strsim::damerau_levenshtein(ty, s) <= 1);
        if provider.coverage == Coverage::Complete || typo.is_some() {
            let mut message = format!("{describe} has no {kind} {ty}");
            if let Some(s) = suggestion {
                message.push_str(&format!("; did you mean {s}?"));
            }
            self.push(loc, span, Severity::Error, code, "", message);
            return;
        }
        if !self.warned.insert((data, ty.to_owned())) {
            return;
        }
        let count = if data { provider.data_sources.len() } else { provider.resources.len() };
        let mut message = format!(
            "{ty} is not in Galley's offline schema of {describe}, which covers {count} {kind}s: its arguments are \
             not checked"
        );
        if let Some(s) = suggestion {
            message.push_str(&format!(" (if you meant {s}, fix the name)"));
        }
        self.push(loc, span, Severity::Warning, Code::NoSchema, "", message);
    }

    /// Checks one body against its schema. `what` names the block for messages.
    #[allow(clippy::too_many_arguments)]
    fn check_body(
        &mut self,
        loc: &Loc<'_>,
        body: &Body,
        schema: &Block,
        path: &str,
        kind: BodyKind,
        block_span: Option<Range<usize>>,
        what: &str,
    ) {
        let join = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
        // Names present as arguments (or as blocks for arguments that accept block syntax).
        let mut present: BTreeSet<&str> = BTreeSet::new();
        // Names that have a `dynamic` block or were misused as an argument: their counts are not checked.
        let mut uncountable: BTreeSet<&str> = BTreeSet::new();
        let mut static_blocks: BTreeMap<&str, Vec<Option<Range<usize>>>> = BTreeMap::new();

        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    let span = attr.span();
                    present.insert(name);
                    if kind.meta_attributes().contains(&name) {
                        continue;
                    }
                    if let Some(a) = schema.attributes.get(name) {
                        if a.is_read_only() {
                            self.push(
                                loc,
                                span,
                                Severity::Error,
                                Code::ComputedOnly,
                                &join(name),
                                format!(
                                    "\"{name}\" is read-only in {what} (computed by the provider): remove it; read \
                                     it as {}.{name} instead",
                                    if loc.address.is_empty() { "the block" } else { loc.address }
                                ),
                            );
                        } else if a.deprecated {
                            self.push(
                                loc,
                                span,
                                Severity::Warning,
                                Code::Deprecated,
                                &join(name),
                                format!("\"{name}\" is deprecated in {what}"),
                            );
                        }
                    } else if let Some(bt) = schema.block_types.get(name) {
                        uncountable.insert(name);
                        let limit = match bt.max() {
                            Some(1) => "at most one block".to_owned(),
                            Some(n) => format!(
                                "up to {n} blocks; a dynamic \"{name}\" block generates them from a collection"
                            ),
                            None => format!(
                                "one block per item; a dynamic \"{name}\" block generates them from a collection"
                            ),
                        };
                        self.push(
                            loc,
                            span,
                            Severity::Error,
                            Code::BlockAsAttribute,
                            &join(name),
                            format!(
                                "\"{name}\" is a block in {what}, not an argument: write `{name} {{ … }}` without \
                                 `=` ({limit})"
                            ),
                        );
                    } else {
                        let message = unknown_message("argument", name, schema, kind, what);
                        self.push(loc, span, Severity::Error, Code::UnknownAttribute, &join(name), message);
                    }
                }
                Structure::Block(block) => {
                    let name = block.ident.as_str();
                    let span = block.span();
                    if name == "dynamic" {
                        self.check_dynamic(loc, block, schema, path, what, &mut uncountable);
                        continue;
                    }
                    if kind.meta_blocks().contains(&name) {
                        continue;
                    }
                    if let Some(bt) = schema.block_types.get(name) {
                        let want_labels = usize::from(bt.nesting == super::schema::Nesting::Map);
                        if block.labels.len() != want_labels {
                            self.push(
                                loc,
                                span.clone(),
                                Severity::Error,
                                Code::InvalidLabels,
                                &join(name),
                                format!(
                                    "block \"{name}\" takes {want_labels} label(s), got {}: write `{name} {{ … }}`",
                                    block.labels.len()
                                ),
                            );
                        }
                        static_blocks.entry(name).or_default().push(span.clone());
                        let inner = join(name);
                        let inner_what = nested_what(what, &inner);
                        self.check_body(
                            loc,
                            &block.body,
                            &bt.block,
                            &inner,
                            BodyKind::Nested,
                            span,
                            &inner_what,
                        );
                    } else if let Some(a) = schema.attributes.get(name) {
                        if a.accepts_block_syntax() {
                            // Terraform accepts block syntax for lists and sets of objects; content not checked.
                            present.insert(name);
                            if a.is_read_only() {
                                self.push(
                                    loc,
                                    span,
                                    Severity::Error,
                                    Code::ComputedOnly,
                                    &join(name),
                                    format!("\"{name}\" is read-only in {what} (computed by the provider): remove it"),
                                );
                            }
                        } else {
                            present.insert(name);
                            self.push(
                                loc,
                                span,
                                Severity::Error,
                                Code::AttributeAsBlock,
                                &join(name),
                                format!(
                                    "\"{name}\" is an argument in {what}, not a block: write `{name} = …` (for a map \
                                     or object, `{name} = {{ key = value }}`)"
                                ),
                            );
                        }
                    } else {
                        let message = unknown_message("block", name, schema, kind, what);
                        self.push(loc, span, Severity::Error, Code::UnknownBlock, &join(name), message);
                    }
                }
            }
        }

        if loc.partial {
            return;
        }
        let block_line_span = block_span;
        for (name, a) in &schema.attributes {
            if a.required && !present.contains(name.as_str()) && !uncountable.contains(name.as_str()) {
                self.push(
                    loc,
                    block_line_span.clone(),
                    Severity::Error,
                    Code::MissingRequired,
                    &join(name),
                    format!("{what} requires the argument \"{name}\", which is not set"),
                );
            }
        }
        for (name, bt) in &schema.block_types {
            if uncountable.contains(name.as_str()) {
                continue;
            }
            let spans = static_blocks.get(name.as_str()).map(Vec::as_slice).unwrap_or_default();
            let n = spans.len() as u64;
            if let Some(max) = bt.max()
                && n > max
            {
                let extra = spans.get(usize::try_from(max).unwrap_or(usize::MAX)).cloned().flatten();
                self.push(
                    loc,
                    extra,
                    Severity::Error,
                    Code::TooManyBlocks,
                    &join(name),
                    format!("{what} allows at most {max} \"{name}\" block(s), found {n}"),
                );
            }
            if n < bt.min_items {
                let min = bt.min_items;
                self.push(
                    loc,
                    block_line_span.clone(),
                    Severity::Error,
                    Code::TooFewBlocks,
                    &join(name),
                    format!(
                        "{what} requires at least {min} \"{name}\" block(s), found {n}: add `{name} {{ … }}`{}",
                        required_hint(&bt.block)
                    ),
                );
            }
        }
    }

    fn check_dynamic<'b>(
        &mut self,
        loc: &Loc<'_>,
        block: &'b HclBlock,
        schema: &Block,
        path: &str,
        what: &str,
        uncountable: &mut BTreeSet<&'b str>,
    ) {
        let span = block.span();
        let [label] = block.labels.as_slice() else {
            self.push(
                loc,
                span,
                Severity::Error,
                Code::InvalidLabels,
                &join_path(path, "dynamic"),
                format!(
                    "a dynamic block takes one label, the block type it generates, got {}: write dynamic \"NAME\" {{ \
                     for_each = … content {{ … }} }}",
                    block.labels.len()
                ),
            );
            return;
        };
        let target = label.as_str();
        uncountable.insert(target);
        if let Some(bt) = schema.block_types.get(target) {
            let inner = join_path(path, target);
            let inner_what = nested_what(what, &inner);
            for content in block.body.get_blocks("content") {
                self.check_body(
                    loc,
                    &content.body,
                    &bt.block,
                    &inner,
                    BodyKind::Nested,
                    content.span(),
                    &inner_what,
                );
            }
        } else if let Some(a) = schema.attributes.get(target) {
            if !a.accepts_block_syntax() {
                self.push(
                    loc,
                    span,
                    Severity::Error,
                    Code::AttributeAsBlock,
                    &join_path(path, target),
                    format!(
                        "\"{target}\" is an argument in {what}, not a block, so a dynamic block cannot generate it: \
                         write `{target} = …` (a for expression builds a collection)"
                    ),
                );
            }
        } else {
            let message = unknown_message("block", target, schema, BodyKind::Nested, what);
            self.push(loc, span, Severity::Error, Code::UnknownBlock, &join_path(path, target), message);
        }
    }
}

/// `oci_core_security_list block ingress_security_rules.tcp_options`: the top-level name and the full path.
fn nested_what(what: &str, inner: &str) -> String {
    let root = what.split_once(" block ").map_or(what, |(root, _)| root);
    format!("{root} block {inner}")
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn object_key(k: &ObjectKey) -> Option<&str> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
        ObjectKey::Expression(Expression::Variable(v)) => Some(v.as_str()),
        ObjectKey::Expression(_) => None,
    }
}

/// `resource "t" "n"` → `t.n`, `data "t" "n"` → `data.t.n`, `provider "p"` → `provider.p[.alias]`.
fn top_level_address(block: &HclBlock) -> Option<String> {
    let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
    match (block.ident.as_str(), labels.as_slice()) {
        ("resource", [t, n]) => Some(format!("{t}.{n}")),
        ("data", [t, n]) => Some(format!("data.{t}.{n}")),
        ("provider", [p]) => {
            let alias = block.body.get_attribute("alias").and_then(|a| match &a.value {
                Expression::String(s) => Some(s.as_str().to_owned()),
                _ => None,
            });
            Some(match alias {
                Some(a) => format!("provider.{p}.{a}"),
                None => format!("provider.{p}"),
            })
        }
        _ => None,
    }
}

/// The local provider name from a `provider = oci.home` meta-argument.
fn provider_meta_argument(body: &Body) -> Option<String> {
    let attr = body.get_attribute("provider")?;
    match &attr.value {
        Expression::Variable(v) => Some(v.as_str().to_owned()),
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(v) => Some(v.as_str().to_owned()),
            _ => None,
        },
        Expression::String(s) => Some(s.as_str().split('.').next().unwrap_or_default().to_owned()),
        _ => None,
    }
}

/// The closest name, if close enough to be a plausible typo or a shortened form.
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let contains = (name.len() >= 3 && c.contains(name)) || (c.len() >= 3 && name.contains(c));
        let close = strsim::damerau_levenshtein(name, c) <= 1.max(name.len().min(c.len()) / 3)
            || strsim::jaro_winkler(name, c) >= 0.9
            || contains;
        let score = strsim::jaro_winkler(name, c) + if contains { 0.2 } else { 0.0 };
        if close && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The message for an unknown argument or block: what is valid, the closest name, and where it belongs if a
/// nested block has it.
fn unknown_message(noun: &str, name: &str, schema: &Block, kind: BodyKind, what: &str) -> String {
    let arguments: Vec<&str> = schema
        .attributes
        .iter()
        .filter(|(_, a)| !a.is_read_only())
        .map(|(k, _)| k.as_str())
        .chain(kind.meta_attributes().iter().copied())
        .collect();
    let blocks: Vec<&str> = schema
        .block_types
        .keys()
        .map(String::as_str)
        .chain(kind.meta_blocks().iter().copied())
        .chain((kind == BodyKind::Nested || !schema.block_types.is_empty()).then_some("dynamic"))
        .collect();
    let mut message = format!("{what} has no {noun} \"{name}\"");
    if let Some(nested) = find_in_children(schema, name, 2) {
        message.push_str(&format!("; it belongs inside the nested block {nested} {{ }}."));
    } else if let Some(best) =
        closest(name, arguments.iter().chain(blocks.iter()).copied().filter(|c| *c != "dynamic"))
    {
        message.push_str(&format!("; did you mean \"{best}\"?"));
    } else {
        message.push('.');
    }
    let list = |v: &[&str]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    message.push_str(&format!(" Valid arguments: {}. Valid blocks: {}.", list(&arguments), list(&blocks)));
    message
}

/// The path of a nested block (up to `depth` levels down) that has an argument or block called `name`.
fn find_in_children(schema: &Block, name: &str, depth: usize) -> Option<String> {
    if depth == 0 {
        return None;
    }
    for (child, bt) in &schema.block_types {
        if bt.block.attributes.get(name).is_some_and(|a| !a.is_read_only())
            || bt.block.block_types.contains_key(name)
        {
            return Some(child.clone());
        }
    }
    for (child, bt) in &schema.block_types {
        if let Some(deeper) = find_in_children(&bt.block, name, depth - 1) {
            return Some(format!("{child}.{deeper}"));
        }
    }
    None
}

fn required_hint(block: &Block) -> String {
    let required: Vec<&str> =
        block.attributes.iter().filter(|(_, a)| a.required).map(|(k, _)| k.as_str()).collect();
    if required.is_empty() {
        String::new()
    } else {
        format!(" (its required arguments: {})", required.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)]) -> Vec<Finding> {
        let files: Vec<(String, String)> =
            files.iter().map(|(n, c)| ((*n).to_owned(), (*c).to_owned())).collect();
        check_files(&files, ProviderSchemas::builtin().unwrap())
    }

    /// Checks one file; `expect` lists `"code address.path"` for every finding, in order.
    #[track_caller]
    fn check(src: &str, expect: &[&str]) {
        let findings = run(&[("main.tf", src)]);
        let got: Vec<String> = findings.iter().map(|f| format!("{} {}", f.code, f.target())).collect();
        let want: Vec<String> = expect.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(got, want, "\n{}", findings.iter().map(|f| format!("{f}\n")).collect::<String>());
    }

    /// The realistic configuration: VCN, gateways, route tables, security list, subnets, NSG and rule,
    /// container instance, API gateway and deployment, data sources, random password, and the blocks the
    /// checker ignores.
    const REALISTIC: &str = r#"
terraform {
  required_version = ">= 1.5"
  required_providers {
    oci    = { source = "oracle/oci", version = ">= 8.0" }
    random = { source = "hashicorp/random" }
  }
  backend "http" {}
}

provider "oci" {
  region = var.region
  auth   = "ResourcePrincipal"
}

provider "oci" {
  alias  = "home"
  region = "us-ashburn-1"
}

variable "compartment_ocid" { type = string }
variable "region" { default = "ap-tokyo-1" }
variable "ports" { default = [80, 443] }

locals {
  name = "galley"
  tags = { app = "galley" }
}

data "oci_identity_availability_domains" "ads" {
  compartment_id = var.compartment_ocid
}

data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}

data "oci_objectstorage_namespace" "ns" {}

resource "oci_core_vcn" "main" {
  compartment_id = var.compartment_ocid
  cidr_blocks    = ["10.0.0.0/16"]
  display_name   = "${local.name}-vcn"
  dns_label      = "galley"
  freeform_tags  = local.tags
}

resource "oci_core_internet_gateway" "igw" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  enabled        = "true"
}

resource "oci_core_nat_gateway" "nat" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
}

resource "oci_core_service_gateway" "sgw" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  services {
    service_id = data.oci_core_services.all.services[0].id
  }
}

resource "oci_core_route_table" "private" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  route_rules {
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_nat_gateway.nat.id
  }
  route_rules {
    destination       = data.oci_core_services.all.services[0].cidr_block
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.sgw.id
  }
}

resource "oci_core_security_list" "private" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  egress_security_rules {
    destination = "0.0.0.0/0"
    protocol    = "all"
  }
  dynamic "ingress_security_rules" {
    for_each = var.ports
    content {
      protocol = "6"
      source   = "10.0.0.0/16"
      tcp_options {
        min = ingress_security_rules.value
        max = ingress_security_rules.value
      }
    }
  }
  ingress_security_rules {
    protocol = "1"
    source   = "0.0.0.0/0"
    icmp_options {
      type = 3
      code = 4
    }
  }
}

resource "oci_core_subnet" "private" {
  compartment_id             = var.compartment_ocid
  vcn_id                     = oci_core_vcn.main.id
  cidr_block                 = "10.0.1.0/24"
  prohibit_public_ip_on_vnic = true
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.private.id]
}

resource "oci_core_subnet" "public" {
  count          = 1
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  cidr_block     = "10.0.0.0/24"
}

resource "oci_core_network_security_group" "app" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
}

resource "oci_core_network_security_group_security_rule" "https" {
  network_security_group_id = oci_core_network_security_group.app.id
  direction                 = "INGRESS"
  protocol                  = "6"
  source                    = "0.0.0.0/0"
  source_type               = "CIDR_BLOCK"
  tcp_options {
    destination_port_range {
      min = 443
      max = 443
    }
  }
}

resource "random_password" "db" {
  length  = 20
  special = true
}

resource "oci_container_instances_container_instance" "app" {
  compartment_id      = var.compartment_ocid
  availability_domain = data.oci_identity_availability_domains.ads.availability_domains[0].name
  shape               = "CI.Standard.E4.Flex"
  display_name        = "galley"
  container_restart_policy = "ALWAYS"
  shape_config {
    ocpus         = 1
    memory_in_gbs = "4"
  }
  vnics {
    subnet_id = oci_core_subnet.private.id
    nsg_ids   = [oci_core_network_security_group.app.id]
  }
  containers {
    image_url    = "ghcr.io/galley-dev/galley:latest"
    display_name = "galley"
    environment_variables = {
      GALLEY_STORE = "oci://${data.oci_objectstorage_namespace.ns.namespace}/galley"
    }
    health_checks {
      health_check_type = "HTTP"
      path              = "/healthz"
      port              = 8765
    }
    resource_config {
      vcpus_limit         = 1
      memory_limit_in_gbs = 4
    }
  }
  lifecycle {
    ignore_changes = [defined_tags]
  }
  depends_on = [oci_core_route_table.private]
}

resource "oci_apigateway_gateway" "gw" {
  compartment_id = var.compartment_ocid
  endpoint_type  = "PUBLIC"
  subnet_id      = oci_core_subnet.public[0].id
  provider       = oci.home
}

resource "oci_apigateway_deployment" "mcp" {
  compartment_id = var.compartment_ocid
  gateway_id     = oci_apigateway_gateway.gw.id
  path_prefix    = "/"
  specification {
    routes {
      path    = "/mcp"
      methods = ["GET", "POST", "DELETE"]
      backend {
        type                    = "HTTP_BACKEND"
        url                     = "http://${oci_container_instances_container_instance.app.vnics[0].private_ip}:8765/mcp"
        read_timeout_in_seconds = 300
      }
    }
    routes {
      path    = "/healthz"
      methods = ["GET"]
      backend {
        type = "HTTP_BACKEND"
        url  = "http://10.0.1.10:8765/healthz"
      }
    }
  }
}

resource "terraform_data" "marker" {
  input = local.name
}

output "url" {
  value = "https://${oci_apigateway_gateway.gw.hostname}/mcp"
}

moved {
  from = oci_core_subnet.old
  to   = oci_core_subnet.private
}

check "health" {
  assert {
    condition     = true
    error_message = "never"
  }
}
"#;

    #[test]
    fn realistic_configuration_has_no_findings() {
        check(REALISTIC, &[]);
    }

    #[test]
    fn every_code_has_a_stable_id() {
        let ids: Vec<String> =
            Code::ALL.iter().map(|c| serde_json::to_value(c).unwrap().as_str().unwrap().to_owned()).collect();
        let shown: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, shown);
        assert!(ids.iter().all(|i| i.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn parse_errors_are_findings() {
        check("resource \"oci_core_vcn\" \"x\" {\n  compartment_id = \n}\n", &["parse_error "]);
        let f = run(&[("a.tf", "locals {\n  a = 1\n\n  b = [\n}\n")]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].severity, f[0].file.as_str()),
            (Code::ParseError, Severity::Error, "a.tf")
        );
        assert!(f[0].line.is_some() && f[0].message.starts_with("not valid HCL"), "{}", f[0]);
        // A bad file does not stop the others from being checked.
        let f = run(&[("a.tf", "{"), ("b.tf", "resource \"oci_core_vcn\" \"v\" {}")]);
        let codes: Vec<Code> = f.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::ParseError, Code::MissingRequired]);
    }

    #[test]
    fn resource_and_data_source_types() {
        let c = "compartment_id = \"x\"";
        // Types of providers without a schema: one warning per type, not an error.
        check(
            "resource \"aws_s3_bucket\" \"a\" {}\nresource \"aws_s3_bucket\" \"b\" {}\ndata \"aws_ami\" \"x\" {}",
            &["no_schema aws_s3_bucket.a", "no_schema data.aws_ami.x"],
        );
        // Built-ins need no schema.
        check(
            "resource \"terraform_data\" \"a\" {}\nresource \"null_resource\" \"b\" {}\n\
             data \"terraform_remote_state\" \"s\" { backend = \"local\" }",
            &[],
        );
        // A one-letter typo of a known resource type.
        check(
            &format!("resource \"oci_core_vnc\" \"v\" {{ {c} }}"),
            &["unknown_resource_type oci_core_vnc.v"],
        );
        // Known not to be a resource (a data source only).
        check(
            "resource \"oci_resourcemanager_stack\" \"s\" {}",
            &["unknown_resource_type oci_resourcemanager_stack.s"],
        );
        // A data source used as a resource.
        check(
            &format!("resource \"oci_core_images\" \"i\" {{ {c} }}"),
            &["unknown_resource_type oci_core_images.i"],
        );
        // Real OCI types outside the partial schema: a warning, never an error.
        check(
            "resource \"oci_core_drg\" \"d\" { anything = 1 }\ndata \"oci_identity_compartment\" \"this\" { id = 1 }\n\
             data \"oci_identity_availability_domain\" \"ad\" {}\nresource \"oci_core_image\" \"i\" {}",
            &[
                "no_schema oci_core_drg.d",
                "no_schema data.oci_identity_compartment.this",
                "no_schema data.oci_identity_availability_domain.ad",
                "no_schema oci_core_image.i",
            ],
        );
        // The provider meta-argument picks the provider; required_providers maps local names.
        let f = run(&[(
            "main.tf",
            "terraform {\n required_providers {\n  o = { source = \"oracle/oci\" }\n }\n}\n\
             resource \"custom_vcn\" \"v\" {\n provider = o.home\n cidr = 1\n}",
        )]);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].code, f[0].severity), (Code::NoSchema, Severity::Warning));
        assert!(f[0].message.contains("oracle/oci 8.28.0"), "{}", f[0]);
    }

    #[test]
    fn unknown_data_source_with_a_complete_schema() {
        let mut schemas = ProviderSchemas::builtin().unwrap().clone();
        schemas
            .add_json(
                "real.json",
                r#"{"format_version":"1.0","provider_schemas":{"registry.terraform.io/acme/acme":{
                "provider":{"block":{"attributes":{"token":{"type":"string","required":true}}}},
                "resource_schemas":{"acme_thing":{"block":{"attributes":{"name":{"type":"string","required":true}}}}},
                "data_source_schemas":{"acme_things":{"block":{}}}}}}"#,
            )
            .unwrap();
        let files = vec![(
            "main.tf".to_owned(),
            "provider \"acme\" {}\ndata \"acme_thingz\" \"x\" {}\nresource \"acme_widget\" \"w\" {}\n\
             resource \"acme_thing\" \"t\" { name = \"n\" }"
                .to_owned(),
        )];
        let got: Vec<String> =
            check_files(&files, &schemas).iter().map(|f| format!("{} {}", f.code, f.target())).collect();
        assert_eq!(got, ["unknown_data_source data.acme_thingz.x", "unknown_resource_type acme_widget.w"]);
    }

    #[test]
    fn aliases_are_checked_as_their_canonical_type() {
        check(
            "resource \"oci_core_virtual_network\" \"v\" {\n  compartment_id = \"c\"\n  cidr_block = \"10.0.0.0/16\"\n}",
            &[],
        );
        check(
            "resource \"oci_core_virtual_network\" \"v\" {\n  cidr = \"10.0.0.0/16\"\n}",
            &[
                "missing_required oci_core_virtual_network.v.compartment_id",
                "unknown_attribute oci_core_virtual_network.v.cidr",
            ],
        );
    }

    #[test]
    fn arguments_and_blocks() {
        let vcn = |body: &str| {
            format!("resource \"oci_core_vcn\" \"v\" {{\n  compartment_id = \"c\"\n{body}\n}}\n")
        };
        check(&vcn("  cidr = \"10.0.0.0/16\""), &["unknown_attribute oci_core_vcn.v.cidr"]);
        check(&vcn("  bogus {}"), &["unknown_block oci_core_vcn.v.bogus"]);
        check(&vcn("  state = \"AVAILABLE\""), &["computed_only oci_core_vcn.v.state"]);
        check(
            &vcn("  freeform_tags {\n    a = \"b\"\n  }"),
            &["attribute_as_block oci_core_vcn.v.freeform_tags"],
        );
        // An argument set twice is a parse error.
        check(&vcn("  display_name = \"a\"\n  display_name = \"b\""), &["parse_error "]);
        check(
            &vcn("  byoipv6cidr_details = [{ byoipv6range_id = \"r\", ipv6cidr_block = \"b\" }]"),
            &["block_as_attribute oci_core_vcn.v.byoipv6cidr_details"],
        );
        check(&vcn("  timeouts {}\n  timeouts {}"), &["too_many_blocks oci_core_vcn.v.timeouts"]);
        check(
            &vcn("  byoipv6cidr_details {\n    byoipv6range_id = \"r\"\n  }"),
            &["missing_required oci_core_vcn.v.byoipv6cidr_details.ipv6cidr_block"],
        );
        check(&vcn("  timeouts \"x\" {}"), &["invalid_labels oci_core_vcn.v.timeouts"]);
        // Values are not type-checked: Terraform converts strings, numbers and bools.
        check(&vcn("  is_ipv6enabled = \"true\"\n  dns_label = 42"), &[]);
        // Deprecated arguments warn.
        check(
            "resource \"random_password\" \"p\" {\n  length = 8\n  number = true\n}",
            &["deprecated random_password.p.number"],
        );
        // A read-only list of objects written as a block is still read-only.
        check(
            "data \"oci_identity_availability_domains\" \"a\" {\n  compartment_id = \"c\"\n  availability_domains {}\n}",
            &["computed_only data.oci_identity_availability_domains.a.availability_domains"],
        );
    }

    #[test]
    fn block_counts_and_dynamic_blocks() {
        let ci = |body: &str| {
            format!(
                "resource \"oci_container_instances_container_instance\" \"c\" {{\n  compartment_id = \"c\"\n  \
                 availability_domain = \"ad\"\n  shape = \"CI.Standard.E4.Flex\"\n{body}\n}}\n"
            )
        };
        let shape = "  shape_config {\n    ocpus = 1\n  }";
        let vnic = "  vnics {\n    subnet_id = \"s\"\n  }";
        let container = "  containers {\n    image_url = \"i\"\n  }";
        check(&ci(&format!("{shape}\n{vnic}\n{container}")), &[]);
        check(
            &ci(&format!("{vnic}\n{container}")),
            &["too_few_blocks oci_container_instances_container_instance.c.shape_config"],
        );
        check(
            &ci(&format!("{shape}\n{shape}\n{vnic}\n{container}")),
            &["too_many_blocks oci_container_instances_container_instance.c.shape_config"],
        );
        // A dynamic block stands for any number of blocks: counts are not checked, the content is.
        let dynamic_containers = "  dynamic \"containers\" {\n    for_each = var.images\n    content {\n      image_url = containers.value\n    }\n  }";
        check(&ci(&format!("{shape}\n{vnic}\n{dynamic_containers}")), &[]);
        let dynamic_bad = "  dynamic \"containers\" {\n    for_each = var.images\n    content {\n      image = containers.value\n    }\n  }";
        check(
            &ci(&format!("{shape}\n{vnic}\n{dynamic_bad}")),
            &[
                "missing_required oci_container_instances_container_instance.c.containers.image_url",
                "unknown_attribute oci_container_instances_container_instance.c.containers.image",
            ],
        );
        let dynamic_unknown = "  dynamic \"container\" {\n    for_each = var.images\n    content {}\n  }";
        check(
            &ci(&format!("{shape}\n{vnic}\n{container}\n{dynamic_unknown}")),
            &["unknown_block oci_container_instances_container_instance.c.container"],
        );
        let dynamic_attr = "  dynamic \"freeform_tags\" {\n    for_each = {}\n    content {}\n  }";
        check(
            &ci(&format!("{shape}\n{vnic}\n{container}\n{dynamic_attr}")),
            &["attribute_as_block oci_container_instances_container_instance.c.freeform_tags"],
        );
    }

    #[test]
    fn meta_arguments_are_allowed() {
        check(
            r#"
resource "oci_core_vcn" "v" {
  count          = 2
  compartment_id = "c"
  depends_on     = [terraform_data.x]
  provider       = oci.home
  lifecycle {
    create_before_destroy = true
  }
  provisioner "local-exec" {
    command = "echo"
  }
  connection {
    host = "h"
  }
}
data "oci_core_services" "s" {
  for_each   = toset(["a"])
  depends_on = [oci_core_vcn.v]
  lifecycle {
    postcondition {
      condition     = true
      error_message = "x"
    }
  }
}
"#,
            &[],
        );
        // Resource-only meta blocks are not accepted on data sources.
        check(
            "data \"oci_core_services\" \"s\" {\n  provisioner \"local-exec\" {}\n}",
            &["unknown_block data.oci_core_services.s.provisioner"],
        );
    }

    #[test]
    fn provider_blocks() {
        check(
            "provider \"oci\" {\n  region = \"ap-tokyo-1\"\n  alias = \"tokyo\"\n  version = \"8\"\n}",
            &[],
        );
        check("provider \"oci\" {\n  regoin = \"ap-tokyo-1\"\n}", &["unknown_attribute provider.oci.regoin"]);
        check("provider \"oci\" {}\nprovider \"oci\" {}", &["duplicate_address provider.oci"]);
        check("provider \"aws\" {\n  region = \"us-east-1\"\n}", &[]);
        check("provider {}", &["invalid_labels provider"]);
    }

    #[test]
    fn top_level_structure() {
        check("resource \"oci_core_vcn\" {}", &["invalid_labels resource.oci_core_vcn"]);
        check("resources \"oci_core_vcn\" \"v\" {}", &["unknown_block resources"]);
        check("region = \"x\"", &["unknown_attribute region"]);
        check(
            "variable \"x\" { anything = 1 }\noutput \"o\" { value = 1 }\nlocals { a = 1 }\nmodule \"m\" { source = \"./m\" }\n\
             import {\n  to = oci_core_vcn.v\n  id = \"ocid\"\n}\nremoved {\n  from = oci_core_vcn.old\n}\n\
             ephemeral \"random_password\" \"p\" { length = 1 }",
            &[],
        );
        let f = run(&[
            ("a.tf", "data \"oci_core_services\" \"s\" {}"),
            ("b.tf", "\n\ndata \"oci_core_services\" \"s\" {}"),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].code, f[0].file.as_str(), f[0].line), (Code::DuplicateAddress, "b.tf", Some(3)));
        assert!(f[0].message.contains("a.tf:1"), "{}", f[0]);
    }

    #[test]
    fn override_files_are_partial() {
        let f = run(&[
            ("main.tf", "resource \"oci_core_vcn\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n}"),
            (
                "main_override.tf",
                "resource \"oci_core_vcn\" \"v\" {\n  compartment_id = \"c\"\n  cidr = 1\n}",
            ),
        ]);
        let got: Vec<String> = f.iter().map(|f| format!("{} {} {}", f.file, f.code, f.target())).collect();
        assert_eq!(got, ["main_override.tf unknown_attribute oci_core_vcn.v.cidr"]);
    }

    #[test]
    fn known_doc_drift_follows_the_schema() {
        // oci_core_security_list: tcp_options/udp_options take min/max directly (the docs show a nested range).
        let sl = |rule: &str| {
            format!(
                "resource \"oci_core_security_list\" \"s\" {{\n  compartment_id = \"c\"\n  vcn_id = \"v\"\n  \
                 ingress_security_rules {{\n    protocol = \"6\"\n    source = \"0.0.0.0/0\"\n{rule}\n  }}\n}}\n"
            )
        };
        check(&sl("    tcp_options {\n      min = 22\n      max = 22\n    }"), &[]);
        check(&sl("    udp_options {\n      min = 53\n      max = 53\n    }"), &[]);
        check(
            &sl(
                "    tcp_options {\n      destination_port_range {\n        min = 22\n        max = 22\n      }\n    }",
            ),
            &[
                "unknown_block oci_core_security_list.s.ingress_security_rules.tcp_options.destination_port_range",
            ],
        );
        // oci_core_network_security_group_security_rule: the fields are top-level; ports are nested ranges.
        let rule = |body: &str| {
            format!(
                "resource \"oci_core_network_security_group_security_rule\" \"r\" {{\n  \
                 network_security_group_id = \"n\"\n  direction = \"INGRESS\"\n  protocol = \"6\"\n{body}\n}}\n"
            )
        };
        check(&rule("  source = \"0.0.0.0/0\""), &[]);
        check(
            &rule("  tcp_options {\n    min = 22\n  }"),
            &["unknown_attribute oci_core_network_security_group_security_rule.r.tcp_options.min"],
        );
        check(
            &rule("  security_rule {\n    source = \"0.0.0.0/0\"\n  }"),
            &["unknown_block oci_core_network_security_group_security_rule.r.security_rule"],
        );
        // oci_database_autonomous_database.db_name is required.
        check(
            "resource \"oci_database_autonomous_database\" \"adb\" {\n  compartment_id = \"c\"\n}",
            &["missing_required oci_database_autonomous_database.adb.db_name"],
        );
        check(
            "resource \"oci_database_autonomous_database\" \"adb\" {\n  compartment_id = \"c\"\n  db_name = \"galley\"\n}",
            &[],
        );
        // oci_containerengine_cluster.endpoint_config.subnet_id is required.
        let oke = |endpoint: &str| {
            format!(
                "resource \"oci_containerengine_cluster\" \"k\" {{\n  compartment_id = \"c\"\n  \
                 kubernetes_version = \"v1.33.1\"\n  name = \"k\"\n  vcn_id = \"v\"\n  endpoint_config {{\n{endpoint}\n  }}\n}}\n"
            )
        };
        check(
            &oke("    is_public_ip_enabled = true"),
            &["missing_required oci_containerengine_cluster.k.endpoint_config.subnet_id"],
        );
        check(&oke("    subnet_id = \"s\""), &[]);
    }

    #[test]
    fn messages_name_what_is_valid() {
        let f = run(&[(
            "main.tf",
            "resource \"oci_core_subnet\" \"s\" {\n  compartment_id = \"c\"\n  vcn_id = \"v\"\n  cidr = \"10.0.0.0/24\"\n}",
        )]);
        assert_eq!(f.len(), 1);
        let m = &f[0].message;
        assert!(m.contains("did you mean \"cidr_block\"?"), "{m}");
        assert!(m.contains("Valid arguments: availability_domain, cidr_block,"), "{m}");
        assert!(!m.contains("time_created"), "read-only names are not offered: {m}");
        assert_eq!(f[0].line, Some(4));
        assert_eq!(
            f[0].to_string().split(": ").take(3).collect::<Vec<_>>(),
            [
                "main.tf:4",
                "error[unknown_attribute] oci_core_subnet.s.cidr",
                "oci_core_subnet has no argument \"cidr\"; did you mean \"cidr_block\"? Valid arguments"
            ]
        );
        // An argument that belongs one level down says where.
        let f = run(&[(
            "main.tf",
            "resource \"oci_core_service_gateway\" \"g\" {\n  compartment_id = \"c\"\n  vcn_id = \"v\"\n  services {\n    service_id = \"s\"\n  }\n  service_id = \"s\"\n}",
        )]);
        assert!(f[0].message.contains("it belongs inside the nested block services { }."), "{}", f[0]);
        // Missing required: reported on the block's line, naming the argument.
        let f = run(&[("main.tf", "\n\nresource \"oci_core_vcn\" \"v\" {\n}\n")]);
        assert_eq!((f[0].line, f[0].code), (Some(3), Code::MissingRequired));
        assert!(f[0].message.contains("\"compartment_id\""), "{}", f[0]);
    }

    #[test]
    fn findings_serialize_as_documented() {
        let f =
            run(&[("main.tf", "resource \"oci_core_vcn\" \"v\" {\n  compartment_id = \"c\"\n  cidr = 1\n}")]);
        let v = serde_json::to_value(&f[0]).unwrap();
        assert_eq!(v["severity"], "error");
        assert_eq!(v["code"], "unknown_attribute");
        assert_eq!(v["file"], "main.tf");
        assert_eq!(v["line"], 3);
        assert_eq!(v["address"], "oci_core_vcn.v");
        assert_eq!(v["path"], "cidr");
        assert!(has_errors(&f));
        assert!(!has_errors(&run(&[("main.tf", "resource \"aws_vpc\" \"v\" {}")])));
    }
}

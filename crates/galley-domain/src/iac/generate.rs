//! The export's driver: the context every service generator writes into, and the fixed files (versions,
//! providers, variables, shared lookups, outputs).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::hcl::{Block, Expr, File, Part};
use super::network::{self, Rule};
use super::{IacError, IacExport, IacFile, IacNote, IacOptions, category_file, tf_label};
use crate::architecture::{Architecture, Component};
use crate::catalog::ServiceCatalog;

/// Everything the generators share.
pub(super) struct Cx<'a> {
    pub arch: &'a Architecture,
    pub catalog: &'a ServiceCatalog,
    files: BTreeMap<String, File>,
    notes: BTreeSet<IacNote>,
    outputs: Vec<Block>,
    /// Extra ingress rules per subnet id (OKE's needs, listeners, connections), added to its security list.
    pub subnet_rules: BTreeMap<String, Vec<Rule>>,
    /// Ingress rules of each component that gets its own network security group (ADB private endpoints).
    pub nsg_rules: BTreeMap<String, Vec<Rule>>,
    /// Shared lookups used: availability domains, namespace, OKE options.
    pub needs_ads: bool,
    pub needs_namespace: bool,
    pub needs_node_pool_options: bool,
    pub needs_random: bool,
    pub needs_ssh_key: bool,
}

impl<'a> Cx<'a> {
    /// A component by id.
    pub fn get(&self, id: &str) -> Option<&'a Component> {
        self.arch.component(id)
    }

    /// Components of a service, in design order.
    pub fn of_service(&self, service: &str) -> impl Iterator<Item = &'a Component> + 'a {
        let service = service.to_owned();
        self.arch.components.iter().filter(move |c| c.service == service)
    }

    /// The subnet a component is placed in.
    pub fn subnet_of(&self, c: &Component) -> Option<&'a Component> {
        c.placement.as_ref().and_then(|p| self.get(p.as_str())).filter(|p| p.service == "subnet")
    }

    /// The VCN a subnet or gateway is placed in.
    pub fn vcn_of(&self, c: &Component) -> Option<&'a Component> {
        let parent = c.placement.as_ref().and_then(|p| self.get(p.as_str()))?;
        match parent.service.as_str() {
            "vcn" => Some(parent),
            "subnet" => self.vcn_of(parent),
            _ => None,
        }
    }

    /// A component-typed attribute's target.
    pub fn reference(&self, c: &Component, attr: &str) -> Option<&'a Component> {
        super::cfg_str(c, attr).and_then(|id| self.get(id))
    }

    /// The file of a component's category.
    pub fn file_of(&self, c: &Component) -> String {
        let category = self.catalog.service(&c.service).map_or("misc", |s| s.category.as_str());
        category_file(category)
    }

    /// A display name: the component's name, or its id when the name is just the service's name (several
    /// subnets all called "Subnet" would be indistinguishable in the Console).
    pub fn display(&self, c: &Component) -> Expr {
        Expr::str(self.name_or_id(c))
    }

    fn name_or_id<'c>(&self, c: &'c Component) -> &'c str {
        let name = c.name.trim();
        let generic =
            self.catalog.service(&c.service).is_some_and(|s| s.name.en == name || s.name.ja == name);
        if generic || name.is_empty() { c.id.as_str() } else { name }
    }

    /// Adds a top-level block to a file.
    pub fn emit(&mut self, file: &str, block: Block) {
        self.files.entry(file.to_owned()).or_default().push(block);
    }

    /// Adds a comment to a file (it sits above the next block).
    pub fn emit_comment(&mut self, file: &str, text: &str) {
        self.files.entry(file.to_owned()).or_default().comment(text);
    }

    /// Adds a note about a component (or the whole configuration).
    pub fn note(&mut self, component: Option<&Component>, message: impl Into<String>) {
        self.notes
            .insert(IacNote { component: component.map(|c| c.id.to_string()), message: message.into() });
    }

    /// Adds an output.
    pub fn output(&mut self, name: &str, description: &str, value: Expr, sensitive: bool) {
        let mut b = Block::new("output", &[name]).attr("description", description).attr("value", value);
        if sensitive {
            b = b.attr("sensitive", true);
        }
        self.outputs.push(b);
    }

    /// `merge(local.galley_tags, { "galley-component" = "<id>" })`.
    pub fn tags(&self, c: &Component) -> Expr {
        let obj = Expr::Object(vec![("galley-component".to_owned(), Expr::str(c.id.as_str()))]);
        Expr::raw(format!("merge(local.galley_tags, {})", obj.render()))
    }

    /// The first availability domain's name (and records that the lookup is needed).
    pub fn ad(&mut self) -> Expr {
        self.needs_ads = true;
        Expr::raw("local.availability_domain")
    }

    /// A password from `random_password.<label>` (emitted into `file`), for admin users.
    pub fn password(&mut self, file: &str, label: &str) -> Expr {
        self.needs_random = true;
        // Lengths and character classes every OCI database accepts (ADB 12-30, Base DB 9-30 with two of each
        // class and only _ # - as specials, MySQL 8-32 with one of each).
        self.emit(
            file,
            Block::resource("random_password", label)
                .attr("length", 20i64)
                .attr("special", true)
                .attr("override_special", "_#-")
                .attr("min_upper", 2i64)
                .attr("min_lower", 2i64)
                .attr("min_numeric", 2i64)
                .attr("min_special", 2i64),
        );
        Expr::raw(format!("random_password.{label}.result"))
    }

    /// `var.ssh_public_key` (and records that the variable is needed).
    pub fn ssh_key(&mut self) -> Expr {
        self.needs_ssh_key = true;
        Expr::raw("var.ssh_public_key")
    }

    /// Adds an ingress rule to a subnet's security list.
    pub fn allow_into_subnet(&mut self, subnet: &Component, rule: Rule) {
        let rules = self.subnet_rules.entry(subnet.id.to_string()).or_default();
        if !rules.iter().any(|r| r.same_traffic(&rule)) {
            rules.push(rule);
        }
    }

    /// Adds an ingress rule to a component's own network security group.
    pub fn allow_into_nsg(&mut self, c: &Component, rule: Rule) {
        let rules = self.nsg_rules.entry(c.id.to_string()).or_default();
        if !rules.iter().any(|r| r.same_traffic(&rule)) {
            rules.push(rule);
        }
    }
}

/// An integer config value (catalog-checked; falls back when absent).
pub(super) fn cfg_int(c: &Component, name: &str, default: i64) -> i64 {
    match c.config.get(name) {
        Some(Value::Number(n)) => {
            n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)).unwrap_or(default)
        }
        Some(Value::String(s)) => s.trim().parse().unwrap_or(default),
        _ => default,
    }
}

/// A number config value.
pub(super) fn cfg_num(c: &Component, name: &str, default: f64) -> Expr {
    let n = match c.config.get(name) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(default),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(default),
        _ => default,
    };
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        return Expr::Int(n as i64);
    }
    Expr::Num(n)
}

/// A boolean config value.
pub(super) fn cfg_bool(c: &Component, name: &str, default: bool) -> bool {
    match c.config.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => default,
    }
}

/// A string list config value.
pub(super) fn cfg_list(c: &Component, name: &str) -> Vec<String> {
    match c.config.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => {
            s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    }
}

/// A name made of letters and digits only, starting with a letter, at most `max` characters (DB names,
/// bastion names, DNS labels).
pub(super) fn alnum_name(id: &str, max: usize) -> String {
    let mut s: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'x');
    }
    s.truncate(max);
    s
}

fn check(arch: &Architecture, catalog: &ServiceCatalog) -> Result<(), IacError> {
    if arch.components.is_empty() {
        return Err(IacError::Empty);
    }
    let mut problems = Vec::new();
    for c in &arch.components {
        if catalog.service(&c.service).is_none() {
            problems.push(format!("{}: unknown service {:?}", c.id, c.service));
        }
        if let Some(p) = &c.placement
            && arch.component(p.as_str()).is_none()
        {
            problems.push(format!("{}: placed in {p}, which is not in the design", c.id));
        }
        if c.service == "subnet" {
            let in_vcn = c
                .placement
                .as_ref()
                .and_then(|p| arch.component(p.as_str()))
                .is_some_and(|p| p.service == "vcn");
            if !in_vcn {
                problems.push(format!("{}: a subnet must be placed in a VCN", c.id));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(IacError::Invalid(problems)) }
}

pub(super) fn run(
    arch: &Architecture,
    catalog: &ServiceCatalog,
    options: &IacOptions,
) -> Result<IacExport, IacError> {
    check(arch, catalog)?;
    let mut cx = Cx {
        arch,
        catalog,
        files: BTreeMap::new(),
        notes: BTreeSet::new(),
        outputs: Vec::new(),
        subnet_rules: BTreeMap::new(),
        nsg_rules: BTreeMap::new(),
        needs_ads: false,
        needs_namespace: false,
        needs_node_pool_options: false,
        needs_random: false,
        needs_ssh_key: false,
    };
    // Pass 1: the rules other components need in subnets' security lists and in NSGs.
    network::collect_rules(&mut cx);
    // Pass 2: every component, in design order, into its category's file.
    for c in &arch.components {
        let file = cx.file_of(c);
        let service = cx.catalog.service(&c.service).map(|s| s.name.en.clone()).unwrap_or_default();
        let title = if cx.name_or_id(c) == c.id.as_str() {
            format!("{service}: component {}", c.id)
        } else {
            format!("{} ({service}, component {})", c.name.trim(), c.id)
        };
        cx.emit_comment(&file, &title);
        if !network::component(&mut cx, c, &file) {
            super::services::component(&mut cx, c, &file);
        }
    }
    network::nsgs(&mut cx);
    fixed_files(&mut cx);

    let header = options.header.then(|| {
        format!(
            "Generated by Galley export_iac from session {}. Edit the design and export again rather than editing\nthis file: a re-export reports files that were edited here instead of overwriting them.",
            arch.session_id
        )
    });
    let mut files: Vec<IacFile> = cx
        .files
        .into_iter()
        .filter(|(_, f)| !f.is_empty())
        .map(|(name, f)| {
            let mut content = String::new();
            if let Some(h) = &header {
                for line in h.lines() {
                    content.push_str("# ");
                    content.push_str(line);
                    content.push('\n');
                }
                content.push('\n');
            }
            content.push_str(&f.render());
            IacFile { name, content }
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(IacExport { files, notes: cx.notes.into_iter().collect() })
}

fn fixed_files(cx: &mut Cx<'_>) {
    // versions.tf
    let mut providers = vec![(
        "oci".to_owned(),
        Expr::Object(vec![
            ("source".to_owned(), Expr::str("oracle/oci")),
            ("version".to_owned(), Expr::str(">= 8.28.0, < 9.0.0")),
        ]),
    )];
    if cx.needs_random {
        providers.push((
            "random".to_owned(),
            Expr::Object(vec![
                ("source".to_owned(), Expr::str("hashicorp/random")),
                ("version".to_owned(), Expr::str(">= 3.5.0, < 4.0.0")),
            ]),
        ));
    }
    let mut required = Block::new("required_providers", &[]);
    for (name, value) in providers {
        required = required.attr(&name, value);
    }
    cx.emit_comment(
        "versions.tf",
        "The OCI provider floor is the version whose schema Galley checks this configuration against offline.",
    );
    cx.emit("versions.tf", Block::new("terraform", &[]).attr("required_version", ">= 1.5.0").block(required));

    // providers.tf
    cx.emit_comment(
        "providers.tf",
        "Authentication is chosen by variables and read from the environment; no secret is written into these files.\n\
         On a laptop: oci_auth = \"APIKey\" (default) with the config_file_profile of ~/.oci/config, or \"SecurityToken\"\n\
         after `oci session authenticate`. In a container or function: \"ResourcePrincipal\"; on an OCI instance:\n\
         \"InstancePrincipal\". The config-file profile is only passed to the modes that read the config file.",
    );
    cx.emit(
        "providers.tf",
        Block::new("provider", &["oci"])
            .attr("auth", Expr::raw("var.oci_auth"))
            .attr(
                "config_file_profile",
                Expr::raw("contains([\"APIKey\", \"SecurityToken\"], var.oci_auth) ? var.config_file_profile : null"),
            )
            .attr("region", Expr::raw("var.region")),
    );

    // variables.tf
    let var =
        |name: &str, description: &str| Block::new("variable", &[name]).attr("description", description);
    cx.emit(
        "variables.tf",
        var(
            "compartment_ocid",
            "OCID of the compartment the resources are created in (Resource Manager fills it in).",
        )
        .attr("type", Expr::raw("string")),
    );
    cx.emit(
        "variables.tf",
        var("region", "Region identifier, e.g. ap-tokyo-1 (Resource Manager fills it in).")
            .attr("type", Expr::raw("string")),
    );
    cx.emit(
        "variables.tf",
        var(
            "tenancy_ocid",
            "OCID of the tenancy (Resource Manager fills it in); used to list availability domains.",
        )
        .attr("type", Expr::raw("string")),
    );
    cx.emit(
        "variables.tf",
        var("oci_auth", "How the OCI provider authenticates: APIKey, SecurityToken, ResourcePrincipal or InstancePrincipal.")
            .attr("type", Expr::raw("string"))
            .attr("default", "APIKey")
            .block(
                Block::new("validation", &[])
                    .attr(
                        "condition",
                        Expr::raw(
                            "contains([\"APIKey\", \"SecurityToken\", \"ResourcePrincipal\", \"InstancePrincipal\"], var.oci_auth)",
                        ),
                    )
                    .attr("error_message", "oci_auth must be APIKey, SecurityToken, ResourcePrincipal or InstancePrincipal."),
            ),
    );
    cx.emit(
        "variables.tf",
        var(
            "config_file_profile",
            "Profile of ~/.oci/config used with APIKey and SecurityToken authentication.",
        )
        .attr("type", Expr::raw("string"))
        .attr("default", "DEFAULT"),
    );
    if cx.needs_ssh_key {
        cx.emit(
            "variables.tf",
            var("ssh_public_key", "Optional SSH public key (OpenSSH format) for instances and worker nodes.")
                .attr("type", Expr::raw("string"))
                .attr("default", Expr::Null),
        );
    }

    // main.tf: tags and shared lookups.
    let mut locals = Block::new("locals", &[]).attr(
        "galley_tags",
        Expr::Object(vec![("galley-session".to_owned(), Expr::str(cx.arch.session_id.to_string()))]),
    );
    if cx.needs_ads {
        locals = locals.attr(
            "availability_domain",
            Expr::raw("data.oci_identity_availability_domains.ads.availability_domains[0].name"),
        );
    }
    if cx.needs_namespace {
        locals = locals.attr("namespace", Expr::raw("data.oci_objectstorage_namespace.this.namespace"));
    }
    cx.emit_comment(
        "main.tf",
        "Tags on every taggable resource: the Galley session, and the component (added per resource).",
    );
    cx.emit("main.tf", locals);
    if cx.needs_ads {
        cx.emit(
            "main.tf",
            Block::data("oci_identity_availability_domains", "ads")
                .attr("compartment_id", Expr::raw("var.tenancy_ocid")),
        );
    }
    if cx.needs_namespace {
        cx.emit(
            "main.tf",
            Block::data("oci_objectstorage_namespace", "this")
                .attr("compartment_id", Expr::raw("var.tenancy_ocid")),
        );
    }
    if cx.needs_node_pool_options {
        cx.emit_comment("main.tf", "Kubernetes versions and node images OKE offers in this region.");
        cx.emit(
            "main.tf",
            Block::data("oci_containerengine_node_pool_option", "all")
                .attr("node_pool_option_id", "all")
                .attr("compartment_id", Expr::raw("var.compartment_ocid")),
        );
    }

    // outputs.tf
    let outputs = std::mem::take(&mut cx.outputs);
    for o in outputs {
        cx.emit("outputs.tf", o);
    }
}

/// `"<prefix>${expr}<suffix>"`.
pub(super) fn tpl(prefix: &str, expr: &str, suffix: &str) -> Expr {
    Expr::template(vec![
        Part::Lit(prefix.to_owned()),
        Part::Interp(expr.to_owned()),
        Part::Lit(suffix.to_owned()),
    ])
}

/// `<type>.<label>.<attr>` of a component's resource.
pub(super) fn res(ty: &str, c: &Component, attr: &str) -> String {
    format!("{ty}.{}.{attr}", tf_label(c.id.as_str()))
}

//! Loading rules: the built-in files, uploaded files, structural checks and the check against the catalog.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::format::{
    Check, ComponentMatch, Matcher, PLACEHOLDERS, Predicate, RawRuleFile, RuleDef, Scope, Services,
    SubjectKind,
};
use super::regions::RegionTable;
use crate::catalog::{AttributeType, ServiceCatalog};

/// The built-in rule files, `(source name, YAML)`, embedded at compile time.
pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    ("builtin:availability.yaml", include_str!("../../../../data/rules/availability.yaml")),
    ("builtin:connectivity.yaml", include_str!("../../../../data/rules/connectivity.yaml")),
    ("builtin:cost.yaml", include_str!("../../../../data/rules/cost.yaml")),
    ("builtin:limits.yaml", include_str!("../../../../data/rules/limits.yaml")),
    ("builtin:network.yaml", include_str!("../../../../data/rules/network.yaml")),
    ("builtin:region.yaml", include_str!("../../../../data/rules/region.yaml")),
    ("builtin:security.yaml", include_str!("../../../../data/rules/security.yaml")),
];

/// The rule-file format version this build reads.
pub const RULES_SCHEMA_VERSION: u32 = 1;

/// A rule file or rule that could not be used. Loading goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleLoadProblem {
    /// The source (file name / store key) it came from.
    pub source: String,
    /// The rule, when the problem is in one rule (None: the whole file).
    pub rule_id: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A loaded rule and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedRule {
    /// The rule.
    pub def: RuleDef,
    /// Its source name.
    pub source: String,
}

/// A set of rules ready to validate with, keyed (and evaluated) by id, plus the region table.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    rules: BTreeMap<String, LoadedRule>,
    /// Rules a later source replaced, by id (the first one replaced): restored by [`RuleSet::load_for`] when the
    /// replacement does not fit the catalog, so a broken override never removes the rule it meant to change.
    replaced: BTreeMap<String, LoadedRule>,
    regions: RegionTable,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet { rules: BTreeMap::new(), replaced: BTreeMap::new(), regions: RegionTable::builtin() }
    }
}

fn is_rule_id(s: &str) -> bool {
    (1..=80).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

impl RuleSet {
    /// The built-in rules. Errors list every problem (the tests keep the list empty).
    pub fn builtin() -> Result<RuleSet, Vec<RuleLoadProblem>> {
        let (set, problems) = RuleSet::load(BUILTIN_RULE_FILES);
        if problems.is_empty() { Ok(set) } else { Err(problems) }
    }

    /// Loads rule files in order. Broken files and rules are reported and skipped, never fatal. A rule whose id
    /// was defined by an earlier source replaces it (so uploaded files listed after the built-in ones override
    /// built-in rules by id; `enabled: false` turns one off). The same id twice in one source is a problem (the
    /// first wins).
    pub fn load<N: AsRef<str>, T: AsRef<str>>(sources: &[(N, T)]) -> (RuleSet, Vec<RuleLoadProblem>) {
        let mut set = RuleSet::default();
        let mut problems = Vec::new();
        for (name, text) in sources {
            let source = name.as_ref();
            let problem = |rule_id: Option<String>, message: String| RuleLoadProblem {
                source: source.to_owned(),
                rule_id,
                message,
            };
            let raw: RawRuleFile = match serde_saphyr::from_str(text.as_ref()) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(problem(None, format!("the file does not parse: {e}")));
                    continue;
                }
            };
            if let Some(v) = raw.schema_version
                && v != RULES_SCHEMA_VERSION
            {
                problems.push(problem(None, format!("schema_version {v} is not {RULES_SCHEMA_VERSION}")));
                continue;
            }
            let mut seen = std::collections::BTreeSet::new();
            for (i, value) in raw.rules.into_iter().enumerate() {
                let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
                let label = id.clone().unwrap_or_else(|| format!("rules[{i}]"));
                let def: RuleDef = match serde_json::from_value(value) {
                    Ok(d) => d,
                    Err(e) => {
                        problems.push(problem(id, format!("{label}: {e}")));
                        continue;
                    }
                };
                let structural = def.problems();
                if !structural.is_empty() {
                    for m in structural {
                        problems.push(problem(Some(def.id.clone()), format!("{}: {m}", def.id)));
                    }
                    continue;
                }
                if !seen.insert(def.id.clone()) {
                    problems.push(problem(
                        Some(def.id.clone()),
                        format!("{}: defined twice in this file; the first one is kept", def.id),
                    ));
                    continue;
                }
                let id = def.id.clone();
                if let Some(old) = set.rules.insert(id.clone(), LoadedRule { def, source: source.to_owned() })
                {
                    set.replaced.entry(id).or_insert(old);
                }
            }
        }
        (set, problems)
    }

    /// Loads like [`RuleSet::load`], then drops the rules that do not fit `catalog` (reported with the rest).
    pub fn load_for<N: AsRef<str>, T: AsRef<str>>(
        sources: &[(N, T)],
        catalog: &ServiceCatalog,
    ) -> (RuleSet, Vec<RuleLoadProblem>) {
        let (mut set, mut problems) = RuleSet::load(sources);
        let catalog_problems = set.check_against(catalog);
        for p in &catalog_problems {
            if let Some(id) = &p.rule_id {
                set.rules.remove(id);
                if let Some(original) = set.replaced.remove(id)
                    && original.source != p.source
                {
                    set.rules.insert(id.clone(), original);
                }
            }
        }
        // A restored rule from an earlier upload may not fit either: those go for good (built-in rules always fit,
        // which the tests check). Their problems were reported with the first pass or are reported now.
        for p in set.check_against(catalog) {
            if let Some(id) = &p.rule_id {
                set.rules.remove(id);
            }
            if !catalog_problems.contains(&p) {
                problems.push(p);
            }
        }
        problems.extend(catalog_problems);
        (set, problems)
    }

    /// The rules, by id.
    pub fn rules(&self) -> impl Iterator<Item = &LoadedRule> {
        self.rules.values()
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&LoadedRule> {
        self.rules.get(id)
    }

    /// Number of rules (enabled or not).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The region table the rules use.
    pub fn regions(&self) -> &RegionTable {
        &self.regions
    }

    /// Checks every rule against the catalog: unknown service ids, attribute names, enum values and
    /// non-component attributes used as references are problems.
    pub fn check_against(&self, catalog: &ServiceCatalog) -> Vec<RuleLoadProblem> {
        let mut out = Vec::new();
        for r in self.rules.values() {
            let mut ctx = CatalogCheck { catalog, problems: Vec::new() };
            ctx.rule(&r.def);
            for m in ctx.problems {
                out.push(RuleLoadProblem {
                    source: r.source.clone(),
                    rule_id: Some(r.def.id.clone()),
                    message: format!("{}: {m}", r.def.id),
                });
            }
        }
        for service in self.regions.services.keys() {
            if catalog.service(service).is_none() {
                out.push(RuleLoadProblem {
                    source: "builtin:regions.yaml".to_owned(),
                    rule_id: None,
                    message: format!("regions.yaml lists unknown service {service:?}"),
                });
            }
        }
        out
    }
}

impl RuleDef {
    /// Structural problems that serde cannot express (one check kind, placeholders, subject/check fit).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !is_rule_id(&self.id) {
            out.push(
                "the id must be 1-80 characters of a-z, 0-9, '-', '_', '.', starting with a letter"
                    .to_owned(),
            );
        }
        if !self.docs.starts_with("https://") {
            out.push("docs must be an https:// link".to_owned());
        }
        for (what, text) in [
            ("message.ja", &self.message.ja),
            ("message.en", &self.message.en),
            ("fix.ja", &self.fix.ja),
            ("fix.en", &self.fix.en),
        ] {
            if text.trim().is_empty() {
                out.push(format!("{what} is empty"));
            }
            for p in placeholders(text) {
                if !PLACEHOLDERS.contains(&p) {
                    out.push(format!(
                        "{what} uses unknown placeholder {{{p}}}; known: {}",
                        PLACEHOLDERS.join(", ")
                    ));
                }
            }
        }
        let m = &self.matcher;
        let kind = m.kind();
        let component_fields = m.service.is_some() || !m.config.is_empty() || m.parent.is_some();
        match kind {
            SubjectKind::Design if component_fields || m.connection.is_some() => {
                out.push("match: design: true takes no service, config, parent or connection".to_owned())
            }
            SubjectKind::Connection if component_fields => out.push(
                "match: a connection rule puts service/config/parent under connection.from / connection.to"
                    .to_owned(),
            ),
            _ => {}
        }
        if let Some(check) = &self.check {
            let kinds = check.kinds();
            if kinds.len() != 1 {
                out.push(format!(
                    "check must have exactly one kind (config, numeric, placement, requires, ingress, region, count, sum, subnet_capacity, cidr, secrets, cross_vcn); got {}",
                    if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") }
                ));
            }
            if check.on.is_some() && kind != SubjectKind::Connection {
                out.push("check.on is only for connection rules".to_owned());
            }
            let component_only = ["count", "sum", "cidr"];
            let needs_component =
                ["config", "numeric", "placement", "requires", "ingress", "subnet_capacity", "secrets"];
            for k in &kinds {
                if kind != SubjectKind::Component && component_only.contains(k) {
                    out.push(format!("check {k} needs a component rule (match by service)"));
                }
                if kind == SubjectKind::Design && needs_component.contains(k) {
                    out.push(format!("check {k} needs a component or connection rule"));
                }
                if kind != SubjectKind::Connection && *k == "cross_vcn" {
                    out.push("check cross_vcn needs a connection rule".to_owned());
                }
            }
            if let Some(s) = &check.sum
                && s.value.is_none()
            {
                out.push("check sum needs value".to_owned());
            }
            if let Some(c) = check.count.as_ref().or(check.sum.as_ref())
                && c.max.is_none()
                && c.min.is_none()
            {
                out.push("check count/sum needs max or min".to_owned());
            }
            if let Some(n) = &check.numeric
                && n.min.is_none()
                && n.max.is_none()
            {
                out.push("check numeric needs min or max".to_owned());
            }
            if let Some(r) = &check.requires {
                if r.any_of.is_empty() && r.service.is_none() {
                    out.push("check requires needs service (or any_of)".to_owned());
                }
                if !r.any_of.is_empty() && (r.service.is_some() || !r.config.is_empty()) {
                    out.push("check requires takes either service/config or any_of".to_owned());
                }
                if (r.scope == Scope::Referencing) != r.attribute.is_some() {
                    out.push(
                        "check requires: attribute goes with scope: referencing (and only there)".to_owned(),
                    );
                }
            }
            if let Some(i) = &check.ingress
                && i.allow.is_empty()
                && i.forbid.is_empty()
                && !i.well_formed
            {
                out.push("check ingress needs allow, forbid or well_formed".to_owned());
            }
            if let Some(r) = &check.region
                && !r.set
                && !r.known
                && !r.available
                && r.only.is_empty()
                && r.not_in.is_empty()
            {
                out.push("check region needs set, known, available, only or not_in".to_owned());
            }
            if let Some(c) = &check.cidr
                && c.prefix_min.is_none()
                && c.prefix_max.is_none()
                && !c.within_parent
                && !c.no_overlap
            {
                out.push("check cidr needs prefix_min, prefix_max, within_parent or no_overlap".to_owned());
            }
            if let Some(s) = &check.secrets
                && s.key_words.is_empty()
                && s.value_patterns.is_empty()
            {
                out.push("check secrets needs key_words or value_patterns".to_owned());
            }
        }
        out
    }
}

/// The `{name}` placeholders of a template.
pub(crate) fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.push(name);
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

struct CatalogCheck<'a> {
    catalog: &'a ServiceCatalog,
    problems: Vec<String>,
}

impl<'a> CatalogCheck<'a> {
    /// The known services among `services` (None/`*`: every catalog service); unknown ids are problems.
    fn services(&mut self, services: Option<&Services>, at: &str) -> Vec<&'a str> {
        let ids = services.map(Services::ids).unwrap_or_default();
        if ids.is_empty() {
            return self.catalog.services.iter().map(|s| s.id.as_str()).collect();
        }
        let mut out = Vec::new();
        for id in ids {
            match self.catalog.service(id) {
                Some(s) => out.push(s.id.as_str()),
                None => self
                    .problems
                    .push(format!("{at}: {}", self.catalog.require(id).err().unwrap_or_default())),
            }
        }
        out
    }

    /// Checks an attribute name (and the predicate's enum values) against the services. With one or more named
    /// services every one must have it; with any service, at least one must.
    fn attribute(&mut self, services: &[&str], any: bool, name: &str, pred: Option<&Predicate>, at: &str) {
        let have: Vec<_> = services
            .iter()
            .filter_map(|s| self.catalog.service(s))
            .filter_map(|s| s.attribute(name).map(|a| (s, a)))
            .collect();
        if any {
            if have.is_empty() {
                self.problems.push(format!("{at}: no service has an attribute {name:?}"));
            }
            return;
        }
        for s in services {
            let Some(service) = self.catalog.service(s) else { continue };
            if service.attribute(name).is_none() {
                let valid: Vec<&str> = service.attributes.iter().map(|a| a.name.as_str()).collect();
                self.problems.push(format!(
                    "{at}: {s} has no attribute {name:?} (its attributes: {})",
                    if valid.is_empty() { "none".to_owned() } else { valid.join(", ") }
                ));
            }
        }
        let Some(pred) = pred else { return };
        for (service, attr) in have {
            if attr.kind != AttributeType::Enum {
                continue;
            }
            let p = &pred.0;
            let values = p
                .equals
                .iter()
                .chain(&p.not_equals)
                .chain(p.one_of.iter().flatten())
                .chain(p.not_in.iter().flatten());
            for v in values {
                if let Some(s) = v.as_str()
                    && !attr.allowed.iter().any(|a| a == s)
                {
                    self.problems.push(format!(
                        "{at}: {s:?} is not a value of {}.{name} (valid: {})",
                        service.id,
                        attr.allowed.join(", ")
                    ));
                }
            }
        }
    }

    fn reference(&mut self, services: &[&str], any: bool, name: &str, at: &str) {
        if name == "parent" || name == "self" {
            return;
        }
        self.attribute(services, any, name, None, at);
        for s in services {
            if let Some(a) = self.catalog.service(s).and_then(|sv| sv.attribute(name))
                && a.kind != AttributeType::Component
            {
                self.problems.push(format!("{at}: {s}.{name} is not a component attribute"));
            }
        }
    }

    fn config(&mut self, services: &[&str], any: bool, config: &BTreeMap<String, Predicate>, at: &str) {
        for (name, pred) in config {
            self.attribute(services, any, name, Some(pred), at);
        }
    }

    /// Checks a component match; returns its services and whether it means "any".
    fn component(&mut self, m: &ComponentMatch, at: &str) -> (Vec<&'a str>, bool) {
        let any = m.service.as_ref().is_none_or(|s| s.ids().is_empty());
        let services = self.services(m.service.as_ref(), at);
        self.config(&services, any, &m.config, at);
        if let Some(p) = &m.parent {
            self.component(p, &format!("{at}.parent"));
        }
        (services, any)
    }

    fn rule(&mut self, def: &RuleDef) {
        let m: &Matcher = &def.matcher;
        let (services, any) = match (&m.connection, m.design) {
            (_, true) => (Vec::new(), true),
            (Some(c), _) => {
                let from = self.component(&c.from, "match.connection.from");
                let to = self.component(&c.to, "match.connection.to");
                let side = def.check.as_ref().and_then(|c| c.on).unwrap_or_default();
                match side {
                    super::format::Side::From => from,
                    super::format::Side::To => to,
                }
            }
            (None, false) => self.component(&m.component(), "match"),
        };
        let Some(check) = &def.check else { return };
        self.check(check, &services, any);
    }

    fn check(&mut self, check: &Check, services: &[&str], any: bool) {
        if let Some(c) = &check.config {
            self.config(services, any, c, "check.config");
        }
        if let Some(n) = &check.numeric {
            for a in n.value.attributes().chain(n.per.iter().flat_map(|p| p.attributes())) {
                self.attribute(services, any, a, None, "check.numeric");
            }
        }
        if let Some(p) = &check.placement {
            self.reference(services, any, &p.via, "check.placement.via");
            self.component(&p.target, "check.placement.is");
        }
        if let Some(r) = &check.requires {
            for (i, alt) in r.alternatives().iter().enumerate() {
                let (req_services, req_any) = self.component(alt, &format!("check.requires[{i}]"));
                if let Some(attr) = &r.attribute {
                    self.reference(&req_services, req_any, attr, "check.requires.attribute");
                }
            }
        }
        if let Some(i) = &check.ingress {
            self.reference(services, any, &i.subnet, "check.ingress.subnet");
        }
        if let Some(s) = &check.sum
            && let Some(v) = &s.value
        {
            for a in v.attributes() {
                self.attribute(services, any, a, None, "check.sum.value");
            }
        }
        if let Some(c) = &check.subnet_capacity {
            self.reference(services, any, &c.subnet, "check.subnet_capacity.subnet");
            for a in c.needed.attributes() {
                self.attribute(services, any, a, None, "check.subnet_capacity.needed");
            }
        }
        if let Some(c) = &check.cidr {
            self.attribute(services, any, &c.attribute, None, "check.cidr.attribute");
        }
        if let Some(c) = &check.cross_vcn {
            self.component(&c.each_vcn_has, "check.cross_vcn.each_vcn_has");
        }
    }
}

//! The rule format: what a rule file (`data/rules/*.yaml`, or `rules/<name>.yaml` in the store) holds.
//!
//! Unknown fields are denied everywhere, so a typo is a load problem rather than a rule that silently never
//! fires. `docs/rules.md` is the reference page; keep the two in step.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::net::IngressRule;
use super::{RuleCategory, Severity};
use crate::locale::Text;

/// One validation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id, `<category>.<slug>` by convention, e.g. `network.private-subnet-nat`.
    pub id: String,
    /// error, warning or info.
    pub severity: Severity,
    /// What it is about.
    pub category: RuleCategory,
    /// false turns the rule off (an uploaded rule with a built-in rule's id and `enabled: false` disables it).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// What the rule looks at.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// What must hold for each match. None: every match is a finding (advice rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// The finding's message (placeholders such as `{component}`, see [`PLACEHOLDERS`]).
    pub message: Text,
    /// How to fix it (same placeholders).
    pub fix: Text,
    /// OCI documentation link.
    pub docs: String,
    /// Free text for maintainers (where the rule comes from); not shown to users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Placeholders a message or fix may use.
pub const PLACEHOLDERS: &[&str] = &[
    "component",
    "name",
    "service",
    "value",
    "limit",
    "attribute",
    "region",
    "peer",
    "subnet",
    "vcn",
    "required",
    "count",
];

/// One service id or a list of them (`"*"`: any service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Services {
    /// One id.
    One(String),
    /// Several ids.
    Many(Vec<String>),
}

impl Services {
    /// The ids (empty for `"*"`, meaning any).
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Services::One(s) if s == "*" => Vec::new(),
            Services::One(s) => vec![s.as_str()],
            Services::Many(v) => v.iter().map(String::as_str).filter(|s| *s != "*").collect(),
        }
    }

    /// Whether `service` is one of them.
    pub fn contains(&self, service: &str) -> bool {
        let ids = self.ids();
        ids.is_empty() || ids.contains(&service)
    }
}

/// What a rule looks at: components (`service`, `config`, `parent`, `region`), connections (`connection`) or
/// the design as a whole (`design: true`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Components of these services (omitted or `"*"`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Services>,
    /// Their configuration must satisfy every predicate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Predicate>,
    /// Their parent (the subnet or VCN they are placed in) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<ComponentMatch>>,
    /// The design's region must match (no match when the region is unset or unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionFilter>,
    /// Connections instead of components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionMatch>,
    /// The design as a whole (one subject per design).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub design: bool,
}

/// What kind of subject a matcher selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// Components.
    Component,
    /// Connections.
    Connection,
    /// The design.
    Design,
}

impl Matcher {
    /// The kind of subject.
    pub fn kind(&self) -> SubjectKind {
        if self.design {
            SubjectKind::Design
        } else if self.connection.is_some() {
            SubjectKind::Connection
        } else {
            SubjectKind::Component
        }
    }

    /// The component part as a [`ComponentMatch`].
    pub fn component(&self) -> ComponentMatch {
        ComponentMatch {
            service: self.service.clone(),
            config: self.config.clone(),
            parent: self.parent.clone(),
        }
    }
}

/// A condition on one component.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentMatch {
    /// Of these services (omitted or `"*"`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Services>,
    /// Its configuration satisfies every predicate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Predicate>,
    /// Its parent matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<ComponentMatch>>,
}

/// A condition on a connection and its two ends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionMatch {
    /// The component that opens the connection.
    #[serde(default)]
    pub from: ComponentMatch,
    /// The component it connects to.
    #[serde(default)]
    pub to: ComponentMatch,
    /// The destination port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Predicate>,
    /// The protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Predicate>,
}

/// A condition on the design's region (from the region table).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFilter {
    /// The region identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Predicate>,
    /// Number of availability domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ads: Option<Predicate>,
    /// Realm, e.g. `oc1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<Predicate>,
}

/// A condition on one value. A plain scalar means `equals`. Several keys: all must hold. A missing value
/// satisfies only `exists: false`; in a check, a predicate on a missing value is not a finding (except
/// `exists: true`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredicateSpec {
    /// Equal to (numbers compare as numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// Not equal to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Value>,
    /// One of.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// None of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_in: Option<Vec<Value>>,
    /// Present (true) or absent (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// Greater than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// At least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    /// Less than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// At most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// A list that contains this item, or a string that contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<Value>,
    /// A list without this item, or a string without this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<Value>,
    /// A string without any of these characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden_chars: Option<String>,
    /// A string of only these characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chars: Option<CharRule>,
    /// A string (or list) of at most this many characters (items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A string (or list) of at least this many characters (items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
}

/// The characters a string may have.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharRule {
    /// ASCII letters (`a-z`, and `A-Z` unless `lowercase`).
    #[serde(default)]
    pub letters: bool,
    /// Only lowercase letters.
    #[serde(default)]
    pub lowercase: bool,
    /// ASCII digits.
    #[serde(default)]
    pub digits: bool,
    /// Other allowed characters, e.g. `"-_."`.
    #[serde(default)]
    pub other: String,
    /// Must start with a letter.
    #[serde(default)]
    pub starts_with_letter: bool,
}

/// A [`PredicateSpec`], also written as a plain value (= `equals`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Predicate(pub PredicateSpec);

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::Object(_) => {
                serde_json::from_value(v).map(Predicate).map_err(|e| serde::de::Error::custom(e.to_string()))
            }
            Value::Array(_) => Err(serde::de::Error::custom(
                "a list is not a predicate: write {in: [...]} for one of several values",
            )),
            other => Ok(Predicate(PredicateSpec { equals: Some(other), ..PredicateSpec::default() })),
        }
    }
}

impl Serialize for Predicate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A number computed from a component's attributes: a sum of products such as
/// `"node_count * pods_per_node + node_count"` (attribute names and numbers, `+` and `*` only).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The text as written.
    pub text: String,
    /// Terms (summed) of factors (multiplied).
    pub terms: Vec<Vec<Factor>>,
}

/// One factor of an [`Expr`].
#[derive(Debug, Clone, PartialEq)]
pub enum Factor {
    /// An attribute's numeric value.
    Attr(String),
    /// A constant.
    Num(f64),
}

impl Expr {
    /// Parses `a * b + c`.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut terms = Vec::new();
        for term in text.split('+') {
            let mut factors = Vec::new();
            for f in term.split('*') {
                let f = f.trim();
                if f.is_empty() {
                    return Err(format!("expression {text:?}: empty operand"));
                }
                if let Ok(n) = f.parse::<f64>() {
                    factors.push(Factor::Num(n));
                } else if f.starts_with(|c: char| c.is_ascii_lowercase())
                    && f.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    factors.push(Factor::Attr(f.to_owned()));
                } else {
                    return Err(format!(
                        "expression {text:?}: {f:?} is neither a number nor an attribute name (only + and * are supported)"
                    ));
                }
            }
            terms.push(factors);
        }
        Ok(Expr { text: text.to_owned(), terms })
    }

    /// The attribute names used.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().flatten().filter_map(|f| match f {
            Factor::Attr(a) => Some(a.as_str()),
            Factor::Num(_) => None,
        })
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let text = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!("expected an expression string, got {other}")));
            }
        };
        Expr::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// An ingress expectation `"<protocol>:<ports>:<source>"` (source: a CIDR, `vcn`, `any` or `peer`).
#[derive(Debug, Clone, PartialEq)]
pub struct IngressSpec {
    /// As written.
    pub text: String,
    /// Parsed.
    pub rule: IngressRule,
}

impl<'de> Deserialize<'de> for IngressSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let rule = IngressRule::parse_expectation(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not <protocol>:<ports>:<source> (protocol tcp|udp|icmp|all, ports 22 | 80-443 | * | icmp type.code, source a CIDR, vcn, any or peer)"
            ))
        })?;
        Ok(IngressSpec { text, rule })
    }
}

impl Serialize for IngressSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Which end of a connection a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The component that opens the connection.
    #[default]
    From,
    /// The component it connects to.
    To,
}

/// What must hold for each match. Exactly one kind (besides `on`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Connection rules: the end the check looks at (default `from`); the other end is the peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<Side>,
    /// Every predicate must hold on the component's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, Predicate>>,
    /// A computed number must be within bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericCheck>,
    /// The parent (or the component an attribute names) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementCheck>,
    /// A companion component must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<RequiresCheck>,
    /// The subnet's security-list ingress rules must (not) allow some traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressCheck>,
    /// The design's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCheck>,
    /// At most `max` matches (per group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<AggregateCheck>,
    /// The sum of `value` over the matches (per group) at most `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<AggregateCheck>,
    /// The subnet has enough addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_capacity: Option<CapacityCheck>,
    /// A CIDR attribute is valid, sized, inside its parent's and not overlapping its siblings'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<CidrCheck>,
    /// No secret-looking configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsCheck>,
    /// Connection rules: when the ends are in different VCNs, each VCN must hold a matching component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_vcn: Option<CrossVcnCheck>,
}

impl Check {
    /// The names of the kinds that are set.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs: [(&'static str, bool); 12] = [
            ("config", self.config.is_some()),
            ("numeric", self.numeric.is_some()),
            ("placement", self.placement.is_some()),
            ("requires", self.requires.is_some()),
            ("ingress", self.ingress.is_some()),
            ("region", self.region.is_some()),
            ("count", self.count.is_some()),
            ("sum", self.sum.is_some()),
            ("subnet_capacity", self.subnet_capacity.is_some()),
            ("cidr", self.cidr.is_some()),
            ("secrets", self.secrets.is_some()),
            ("cross_vcn", self.cross_vcn.is_some()),
        ];
        for (name, set) in pairs {
            if set {
                out.push(name);
            }
        }
        out
    }
}

/// `value` (divided by `per` when given) within `min`..=`max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericCheck {
    /// The number.
    pub value: Expr,
    /// Divide by this (a ratio such as memory per OCPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Expr>,
    /// Smallest allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// What to do when there is nothing to check (no parent, attribute unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenMissing {
    /// No finding.
    #[default]
    Pass,
    /// A finding.
    Fail,
}

/// The component found `via` the parent or a component attribute must match `is`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementCheck {
    /// `parent` (default) or the name of a component-typed attribute (e.g. `lb_subnet`).
    #[serde(default = "parent_word")]
    pub via: String,
    /// What it must be.
    #[serde(rename = "is")]
    pub target: ComponentMatch,
    /// No parent / attribute unset: pass (default) or fail.
    #[serde(default)]
    pub when_missing: WhenMissing,
}

fn parent_word() -> String {
    "parent".to_owned()
}

/// Where a required companion is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Anywhere in the design.
    Design,
    /// In the same VCN (placed in it or in one of its subnets).
    #[default]
    SameVcn,
    /// In the same subnet.
    SameSubnet,
    /// Joined by a connection in either direction.
    Connected,
    /// A connection from the subject to it.
    ConnectedTo,
    /// A connection from it to the subject.
    ConnectedFrom,
    /// Its `attribute` names the subject (e.g. a WAF whose `target` is the load balancer).
    Referencing,
}

/// A companion component must exist in `scope`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresCheck {
    /// Where to look.
    #[serde(default)]
    pub scope: Scope,
    /// For `scope: referencing`: the companion's component-typed attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The companion's service(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Services>,
    /// The companion's configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Predicate>,
    /// Alternatives instead of `service`/`config`: any one is enough.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<ComponentMatch>,
}

impl RequiresCheck {
    /// The alternatives (one when `service`/`config` is used).
    pub fn alternatives(&self) -> Vec<ComponentMatch> {
        if self.any_of.is_empty() {
            vec![ComponentMatch { service: self.service.clone(), config: self.config.clone(), parent: None }]
        } else {
            self.any_of.clone()
        }
    }
}

/// Security-list ingress of the subject's subnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressCheck {
    /// `parent` (default: the subnet the component is in; a subnet itself for subnets), `self`, or a
    /// component-typed attribute naming the subnet (e.g. `api_endpoint_subnet`).
    #[serde(default = "parent_word")]
    pub subnet: String,
    /// Each must be allowed by some rule (source `any`: from anywhere at all; `peer`: the connection's other end).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<IngressSpec>,
    /// None may be allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<IngressSpec>,
    /// Every rule of the subnet must parse.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub well_formed: bool,
}

/// The design's region.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionCheck {
    /// The region must be set (design rules).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub set: bool,
    /// The region must be in the region table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
    /// The subject's service must be offered in the region (per the region table).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub available: bool,
    /// The region must be one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// The region must not be one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in: Vec<String>,
}

/// How matches are grouped for `count` and `sum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The whole design (one region: a design has one).
    #[default]
    Design,
    /// Per VCN (components outside a VCN are not counted).
    Vcn,
    /// Per subnet.
    Subnet,
}

/// `count` (number of matches) or `sum` (of `value`) per group at most `max` (and at least `min`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateCheck {
    /// For `sum`: what to add up per match (missing values count 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Expr>,
    /// Largest allowed total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Smallest allowed total (only checked for groups with at least one match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Grouping.
    #[serde(default)]
    pub per: GroupBy,
}

/// The subnet (`parent`, `self` or a component attribute) must have `needed` usable addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityCheck {
    /// Which subnet.
    #[serde(default = "parent_word")]
    pub subnet: String,
    /// Addresses needed.
    pub needed: Expr,
    /// Addresses OCI reserves per subnet (default 3: network, gateway, broadcast).
    #[serde(default = "three")]
    pub reserved: u64,
}

fn three() -> u64 {
    3
}

/// Checks of a CIDR attribute (one or more aspects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CidrCheck {
    /// The attribute (default `cidr`). Unset: nothing to check.
    #[serde(default = "cidr_word")]
    pub attribute: String,
    /// Smallest prefix length (largest block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_min: Option<u8>,
    /// Largest prefix length (smallest block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_max: Option<u8>,
    /// Must lie inside the parent's block of the same attribute.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_parent: bool,
    /// Must not overlap the blocks of other matches with the same parent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_overlap: bool,
}

fn cidr_word() -> String {
    "cidr".to_owned()
}

/// Configuration that looks like a secret.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsCheck {
    /// Attribute names containing one of these words (case-insensitive) must not hold a value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_words: Vec<String>,
    /// No text value (or the component's name) may contain one of these (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_patterns: Vec<String>,
}

/// When a connection's ends are in different VCNs, each of those VCNs must hold a component matching `each_vcn_has`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossVcnCheck {
    /// What each VCN needs (e.g. `{service: drg}`).
    pub each_vcn_has: ComponentMatch,
}

/// A rule file: `rules:` and an optional `schema_version` (1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRuleFile {
    #[serde(default)]
    pub schema_version: Option<u32>,
    #[serde(default)]
    pub rules: Vec<Value>,
}

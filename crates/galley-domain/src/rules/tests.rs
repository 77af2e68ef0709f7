use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::bench_support::generated_design;
use super::*;
use crate::architecture::{Architecture, Component, Connection};
use crate::catalog::ServiceCatalog;
use crate::ids::SessionId;
use crate::locale::Locale;

fn catalog() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

fn builtin() -> RuleSet {
    RuleSet::builtin().unwrap()
}

fn arch(region: Option<&str>, components: Vec<Component>, connections: Vec<Connection>) -> Architecture {
    Architecture {
        schema_version: 1,
        session_id: SessionId::from_uuid(uuid::Uuid::nil()),
        revision: 1,
        region: region.map(str::to_owned),
        pattern: None,
        components,
        connections,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

fn comp(id: &str, service: &str, parent: Option<&str>, config: Value) -> Component {
    Component {
        id: id.parse().unwrap(),
        service: service.to_owned(),
        name: id.to_owned(),
        config: serde_json::from_value(config).unwrap_or_default(),
        placement: parent.map(|p| p.parse().unwrap()),
        rationale: None,
    }
}

fn conn(from: &str, to: &str, port: Option<u16>) -> Connection {
    Connection { from: from.parse().unwrap(), to: to.parse().unwrap(), protocol: None, port, purpose: None }
}

#[derive(Deserialize)]
struct CaseFile {
    #[allow(dead_code)]
    fixtures: Value,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rule: String,
    #[serde(default)]
    base: Vec<Vec<Value>>,
    trips: Side,
    passes: Side,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Side {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    c: Vec<Vec<Value>>,
    #[serde(default)]
    x: Vec<Vec<Value>>,
}

fn tuple_component(t: &[Value]) -> Component {
    let s = |i: usize| t.get(i).and_then(Value::as_str);
    comp(s(0).unwrap(), s(1).unwrap(), s(2), t.get(3).cloned().unwrap_or(json!({})))
}

fn case_design(base: &[Vec<Value>], side: &Side) -> Architecture {
    let region = match side.region.as_deref() {
        Some("none") => None,
        Some(r) => Some(r),
        None => Some("ap-tokyo-1"),
    };
    let components = base.iter().chain(&side.c).map(|t| tuple_component(t)).collect();
    let connections = side
        .x
        .iter()
        .map(|t| {
            conn(
                t[0].as_str().unwrap(),
                t[1].as_str().unwrap(),
                t.get(2).and_then(Value::as_u64).map(|p| p as u16),
            )
        })
        .collect();
    arch(region, components, connections)
}

fn cases() -> Vec<Case> {
    let file: CaseFile = serde_saphyr::from_str(include_str!("cases.yaml")).unwrap();
    file.cases
}

#[test]
fn builtin_rules_load_and_fit_the_catalog() {
    let set = builtin();
    assert!(set.len() >= 40, "only {} rules", set.len());
    let problems = set.check_against(&catalog());
    assert!(problems.is_empty(), "{problems:#?}");
    for r in set.rules() {
        assert!(r.def.docs.starts_with("https://docs.oracle.com/"), "{}: {}", r.def.id, r.def.docs);
        assert!(r.source.starts_with("builtin:"));
        let prefix = r.def.id.split('.').next().unwrap();
        assert!(
            ["network", "security", "limits", "region", "availability", "connectivity", "cost"]
                .contains(&prefix),
            "{}",
            r.def.id
        );
    }
}

#[test]
fn every_builtin_rule_has_a_tripping_and_a_passing_design() {
    let set = builtin();
    let cat = catalog();
    let cases = cases();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.rule.as_str()).collect();
    let missing: Vec<&str> =
        set.rules().map(|r| r.def.id.as_str()).filter(|id| !covered.contains(id)).collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    for case in &cases {
        assert!(set.rule(&case.rule).is_some(), "case for unknown rule {}", case.rule);
        for locale in [Locale::Ja, Locale::En] {
            let tripped = validate(&case_design(&case.base, &case.trips), &cat, &set, locale);
            let hits: Vec<&Finding> = tripped.findings.iter().filter(|f| f.rule_id == case.rule).collect();
            assert!(!hits.is_empty(), "{} did not trip: {:#?}", case.rule, tripped.findings);
            for f in hits {
                assert!(
                    !f.components.is_empty()
                        || case.rule.starts_with("region.not-set")
                        || case.rule.starts_with("region.unknown"),
                    "{}: no components",
                    case.rule
                );
                for text in [&f.message, &f.fix] {
                    assert!(
                        !text.contains('{') && !text.contains("} "),
                        "{}: unrendered placeholder in {text}",
                        case.rule
                    );
                    assert!(
                        !text.contains(super::engine::UNSET),
                        "{}: unset placeholder in {text}",
                        case.rule
                    );
                }
            }
            let passed = validate(&case_design(&case.base, &case.passes), &cat, &set, locale);
            let hits: Vec<&Finding> = passed.findings.iter().filter(|f| f.rule_id == case.rule).collect();
            assert!(hits.is_empty(), "{} tripped on the passing design: {hits:#?}", case.rule);
        }
    }
}

#[test]
fn findings_carry_rule_fields_and_localised_text() {
    let set = builtin();
    let design = arch(
        Some("ap-tokyo-1"),
        vec![comp("v", "vcn", None, json!({})), comp("s", "subnet", Some("v"), json!({"tier": "private"}))],
        vec![],
    );
    let en = validate(&design, &catalog(), &set, Locale::En);
    let ja = validate(&design, &catalog(), &set, Locale::Ja);
    let f_en = en.findings.iter().find(|f| f.rule_id == "network.private-subnet-nat").unwrap();
    let f_ja = ja.findings.iter().find(|f| f.rule_id == "network.private-subnet-nat").unwrap();
    assert_eq!(f_en.severity, Severity::Warning);
    assert_eq!(f_en.category, RuleCategory::Network);
    assert_eq!(f_en.components.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["s"]);
    assert!(f_en.message.contains("Private subnet s is in VCN v"), "{}", f_en.message);
    assert!(f_ja.message.contains("プライベート・サブネット s"), "{}", f_ja.message);
    assert!(f_en.docs.as_deref().unwrap().starts_with("https://docs.oracle.com/"));
    assert_eq!(en.summary.rules_checked, set.len());
    assert_eq!(en.summary.warnings, en.findings.iter().filter(|f| f.severity == Severity::Warning).count());
    assert_eq!(en.summary.valid, en.summary.errors == 0);
}

const GOOD_UPLOAD: &str = r#"
rules:
  - id: custom.no-windows
    severity: warning
    category: cost
    match: { service: compute_instance, config: { os: windows_server_2022 } }
    message: { ja: "{component} はWindowsです", en: "{component} runs Windows" }
    fix: { ja: "Linuxにしてください", en: "Use Linux" }
    docs: https://docs.oracle.com/en-us/iaas/Content/Compute/References/images.htm
"#;

#[test]
fn broken_uploads_are_reported_and_skipped() {
    let mixed = r#"
rules:
  - id: custom.ok
    severity: info
    category: cost
    match: { service: vcn }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.unknown-field
    severity: info
    category: cost
    match: { service: vcn, colour: red }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.two-checks
    severity: info
    category: cost
    match: { service: vcn }
    check: { config: { cidr: { exists: true } }, count: { max: 1 } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.bad-placeholder
    severity: info
    category: cost
    match: { service: vcn }
    message: { ja: "{componnet}", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.bad-severity
    severity: fatal
    category: cost
    match: { service: vcn }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.bad-expression
    severity: info
    category: limits
    match: { service: compute_instance }
    check: { numeric: { value: "ocpus / 2", max: 4 } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.bad-ingress
    severity: info
    category: network
    match: { service: subnet }
    check: { ingress: { subnet: self, allow: ["tcp:http:any"] } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - severity: info
"#;
    let mut sources: Vec<(&str, &str)> = BUILTIN_RULE_FILES.to_vec();
    sources.push(("rules/garbage.yaml", "rules: [ {id: x"));
    sources.push(("rules/not-rules.yaml", "colour: red"));
    sources.push(("rules/version.yaml", "schema_version: 9\nrules: []"));
    sources.push(("rules/mixed.yaml", mixed));
    let (set, problems) = RuleSet::load(&sources);
    assert_eq!(set.len(), builtin().len() + 1, "the good uploaded rule is kept, builtins too");
    assert!(set.rule("custom.ok").is_some());
    let by_source = |s: &str| problems.iter().filter(|p| p.source == s).count();
    assert_eq!(by_source("rules/garbage.yaml"), 1);
    assert_eq!(by_source("rules/not-rules.yaml"), 1);
    assert_eq!(by_source("rules/version.yaml"), 1);
    let ids: BTreeSet<Option<&str>> =
        problems.iter().filter(|p| p.source == "rules/mixed.yaml").map(|p| p.rule_id.as_deref()).collect();
    for id in [
        "custom.unknown-field",
        "custom.two-checks",
        "custom.bad-placeholder",
        "custom.bad-severity",
        "custom.bad-expression",
        "custom.bad-ingress",
    ] {
        assert!(ids.contains(&Some(id)), "{id} not reported: {problems:#?}");
    }
    assert!(ids.contains(&None), "the rule without an id is reported without one");
    let msg = |id: &str| problems.iter().find(|p| p.rule_id.as_deref() == Some(id)).unwrap().message.clone();
    assert!(msg("custom.unknown-field").contains("colour"), "{}", msg("custom.unknown-field"));
    assert!(msg("custom.two-checks").contains("exactly one kind"), "{}", msg("custom.two-checks"));
    assert!(msg("custom.bad-placeholder").contains("componnet"));
    assert!(msg("custom.bad-expression").contains("ocpus / 2"), "{}", msg("custom.bad-expression"));
    // Still validates with what loaded.
    let design = arch(Some("ap-tokyo-1"), vec![comp("v", "vcn", None, json!({}))], vec![]);
    let v = validate(&design, &catalog(), &set, Locale::En);
    assert!(v.findings.iter().any(|f| f.rule_id == "custom.ok"));
}

#[test]
fn uploaded_rules_override_builtin_ones_by_id() {
    let stricter = r#"
rules:
  - id: security.compute-public-ip
    severity: error
    category: security
    match: { service: compute_instance }
    check: { config: { assign_public_ip: false } }
    message: { ja: "禁止: {component}", en: "Forbidden: {component}" }
    fix: { ja: "外す", en: "Remove it" }
    docs: https://docs.oracle.com/en-us/iaas/Content/Network/Tasks/managingpublicIPs.htm
  - id: cost.gpu-shape
    severity: info
    category: cost
    enabled: false
    match: { service: compute_instance }
    message: { ja: "x", en: "x" }
    fix: { ja: "x", en: "x" }
    docs: https://docs.oracle.com/x
"#;
    let mut sources: Vec<(String, String)> =
        BUILTIN_RULE_FILES.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    sources.push(("rules/stricter.yaml".to_owned(), stricter.to_owned()));
    sources.push(("rules/good.yaml".to_owned(), GOOD_UPLOAD.to_owned()));
    let (set, problems) = RuleSet::load(&sources);
    assert!(problems.is_empty(), "{problems:#?}");
    let r = set.rule("security.compute-public-ip").unwrap();
    assert_eq!(r.source, "rules/stricter.yaml");
    assert_eq!(r.def.severity, Severity::Error);
    let design = arch(
        Some("ap-tokyo-1"),
        vec![comp(
            "vm",
            "compute_instance",
            None,
            json!({"assign_public_ip": true, "shape": "VM.GPU.A10.1", "os": "windows_server_2022"}),
        )],
        vec![],
    );
    let v = validate(&design, &catalog(), &set, Locale::En);
    let f = v.findings.iter().find(|f| f.rule_id == "security.compute-public-ip").unwrap();
    assert_eq!((f.severity, f.message.as_str()), (Severity::Error, "Forbidden: vm"));
    assert!(!v.findings.iter().any(|f| f.rule_id == "cost.gpu-shape"), "disabled by the upload");
    assert!(v.findings.iter().any(|f| f.rule_id == "custom.no-windows"));
    assert_eq!(v.summary.rules_checked, set.len() - 1);
    assert!(!v.summary.valid);
}

#[test]
fn duplicate_ids_in_one_file_are_a_problem() {
    let twice = format!("{GOOD_UPLOAD}{}", GOOD_UPLOAD.trim_start().trim_start_matches("rules:\n"));
    let (set, problems) = RuleSet::load(&[("rules/twice.yaml", twice.as_str())]);
    assert_eq!(set.len(), 1);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].message.contains("defined twice"));
}

#[test]
fn check_against_names_unknown_services_attributes_and_values() {
    let bad = r#"
rules:
  - id: custom.catalog-mistakes
    severity: info
    category: network
    match: { service: okee, config: { node_cnt: 3 } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.bad-enum
    severity: info
    category: network
    match: { service: subnet, config: { tier: Public } }
    check: { placement: { via: tier, is: { service: vcn } } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
  - id: custom.fine
    severity: info
    category: network
    match: { service: subnet, config: { tier: public } }
    check: { requires: { service: internet_gateway } }
    message: { ja: "a", en: "a" }
    fix: { ja: "b", en: "b" }
    docs: https://docs.oracle.com/x
"#;
    let (set, problems) = RuleSet::load(&[("rules/bad.yaml", bad)]);
    assert!(problems.is_empty(), "structure is fine: {problems:#?}");
    let cat = catalog();
    let problems = set.check_against(&cat);
    let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(text.iter().any(|m| m.contains("okee") && m.contains("oke")), "{text:#?}");
    assert!(text.iter().any(|m| m.contains("\"Public\" is not a value of subnet.tier")), "{text:#?}");
    assert!(text.iter().any(|m| m.contains("subnet.tier is not a component attribute")), "{text:#?}");
    assert!(!problems.iter().any(|p| p.rule_id.as_deref() == Some("custom.fine")));
    let (kept, all) = RuleSet::load_for(&[("rules/bad.yaml", bad)], &cat);
    assert_eq!(kept.rules().map(|r| r.def.id.as_str()).collect::<Vec<_>>(), ["custom.fine"]);
    assert_eq!(all.len(), problems.len());
}

#[test]
fn findings_are_ordered_and_deterministic() {
    let set = builtin();
    let cat = catalog();
    let design = generated_design(300, 600);
    let a = validate(&design, &cat, &set, Locale::Ja);
    let b = validate(&design.clone(), &cat, &set, Locale::Ja);
    assert_eq!(a, b);
    assert!(!a.findings.is_empty());
    for w in a.findings.windows(2) {
        let key = |f: &Finding| (f.severity, f.rule_id.clone(), f.components.clone());
        assert!(key(&w[0]) <= key(&w[1]), "{:?} before {:?}", key(&w[0]), key(&w[1]));
    }
    // Reordering the design's components does not change the findings' set.
    let mut shuffled = design.clone();
    shuffled.components.reverse();
    shuffled.connections.reverse();
    let c = validate(&shuffled, &cat, &set, Locale::Ja);
    assert_eq!(a.summary, c.summary);
}

#[test]
fn generated_design_has_the_requested_size_and_is_mostly_sound() {
    for (n, m) in [(0, 0), (1, 5), (9, 3), (50, 100), (1000, 2000)] {
        let d = generated_design(n, m);
        assert_eq!(d.components.len(), n);
        if n > 20 {
            assert_eq!(d.connections.len(), m);
        }
        let ids: BTreeSet<&str> = d.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), n, "unique ids");
        let _ = validate(&d, &catalog(), &builtin(), Locale::En);
    }
    // The building blocks themselves are sound: no network or security errors.
    let d = generated_design(1000, 2000);
    let v = validate(&d, &catalog(), &builtin(), Locale::En);
    let errors: BTreeMap<&str, usize> =
        v.findings.iter().filter(|f| f.severity == Severity::Error).fold(BTreeMap::new(), |mut m, f| {
            *m.entry(f.rule_id.as_str()).or_default() += 1;
            m
        });
    for id in errors.keys() {
        assert!(
            id.starts_with("connectivity.") || id.starts_with("region."),
            "unexpected error {id}: {errors:?}"
        );
    }
}

const SERVICES: &[&str] = &[
    "vcn",
    "subnet",
    "internet_gateway",
    "nat_gateway",
    "service_gateway",
    "drg",
    "load_balancer",
    "waf",
    "compute_instance",
    "oke",
    "autonomous_database",
    "mysql_heatwave",
    "functions",
    "streaming",
    "object_storage",
    "bastion",
    "nosql",
    "block_volume",
    "monitoring",
    "generative_ai",
    "unknown_service",
];
const ATTRS: &[&str] = &[
    "tier",
    "cidr",
    "ingress",
    "visibility",
    "shape",
    "ocpus",
    "memory_gb",
    "instance_count",
    "is_free_tier",
    "network_access",
    "endpoint_visibility",
    "api_endpoint_subnet",
    "lb_subnet",
    "node_count",
    "pods_per_node",
    "cni",
    "target",
    "partitions",
    "client_cidrs",
    "password",
    "dns_label",
    "node_ocpus",
    "node_memory_gb",
];

fn value_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        Just(json!(0)),
        prop::sample::select(vec![
            "public",
            "private",
            "10.0.0.0/16",
            "10.0.1.0/24",
            "0.0.0.0/0",
            "vcn_native",
            "VM.Standard.A1.Flex",
            "private_endpoint",
            "c0",
            "c1",
            "c2",
            "",
            "{",
            "-----BEGIN KEY",
            "999.1.1.1/99",
        ])
        .prop_map(Value::from),
        prop::collection::vec(
            prop::sample::select(vec![
                "tcp:22:0.0.0.0/0",
                "all:*:vcn",
                "icmp:3.4:0.0.0.0/0",
                "bad",
                "tcp:1-2:vcn",
                "udp:*:10.0.0.0/8"
            ]),
            0..4
        )
        .prop_map(|v| json!(v)),
    ]
}

fn design_strategy() -> impl Strategy<Value = Architecture> {
    let component = (
        prop::sample::select(SERVICES.to_vec()),
        prop::option::of(0usize..12),
        prop::collection::btree_map(prop::sample::select(ATTRS.to_vec()), value_strategy(), 0..6),
    );
    (
        prop::collection::vec(component, 0..12),
        prop::collection::vec((0usize..12, 0usize..12, prop::option::of(1u16..)), 0..20),
        prop::option::of(prop::sample::select(vec!["ap-tokyo-1", "us-ashburn-1", "xx-nowhere-1"])),
    )
        .prop_map(|(comps, conns, region)| {
            let n = comps.len();
            let components = comps
                .into_iter()
                .enumerate()
                .map(|(i, (service, parent, config))| Component {
                    // Duplicate ids on purpose now and then.
                    id: format!("c{}", if i % 7 == 6 { 0 } else { i }).parse().unwrap(),
                    service: service.to_owned(),
                    name: format!("c{i}"),
                    config: config.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    placement: parent.map(|p| format!("c{p}").parse().unwrap()),
                    rationale: None,
                })
                .collect();
            let connections = conns
                .into_iter()
                .filter(|_| n > 0)
                .map(|(a, b, port)| conn(&format!("c{a}"), &format!("c{b}"), port))
                .collect();
            arch(region, components, connections)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn validate_never_panics_and_is_deterministic(design in design_strategy()) {
        let set = builtin();
        let cat = catalog();
        let a = validate(&design, &cat, &set, Locale::En);
        let b = validate(&design, &cat, &set, Locale::En);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.summary.errors + a.summary.warnings + a.summary.infos, a.findings.len());
        for f in &a.findings {
            prop_assert!(!f.message.contains("-----BEGIN"), "secrets are never echoed: {}", f.message);
        }
    }
}

/// An uploaded override that does not fit the catalog is reported and dropped, and the built-in rule it meant to
/// replace stays in force.
#[test]
fn a_broken_override_keeps_the_builtin_rule() {
    let broken = r#"
rules:
  - id: security.compute-public-ip
    severity: error
    category: security
    match: { service: compute_instance }
    check: { config: { no_such_attribute: false } }
    message: { ja: "x", en: "x" }
    fix: { ja: "x", en: "x" }
    docs: https://docs.oracle.com/x
"#;
    let builtin_rule = builtin().rule("security.compute-public-ip").unwrap().clone();
    let mut sources: Vec<(String, String)> =
        BUILTIN_RULE_FILES.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    sources.push(("rules/broken.yaml".to_owned(), broken.to_owned()));
    let (set, problems) = RuleSet::load_for(&sources, &catalog());
    assert!(
        problems.iter().any(|p| p.source == "rules/broken.yaml" && p.message.contains("no_such_attribute")),
        "{problems:#?}"
    );
    assert_eq!(set.rule("security.compute-public-ip"), Some(&builtin_rule));
    assert_eq!(set.len(), builtin().len());
}

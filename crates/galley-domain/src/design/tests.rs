use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::net::Cidr;
use super::*;
use crate::architecture::Component;
use crate::hearing::{AnswerInput, AnswerSource, Catalog};
use crate::ids::SessionId;

fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn questions() -> Catalog {
    Catalog::builtin().unwrap()
}

fn services() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

fn session(locale: Locale, answers: &[(&str, Value)]) -> Session {
    let id: SessionId = "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b".parse().unwrap();
    let mut s = Session::new(id, "Acme", "Rebuild", locale, None, now()).unwrap();
    if !answers.is_empty() {
        let inputs: Vec<AnswerInput> = answers
            .iter()
            .map(|(q, v)| AnswerInput {
                question_id: (*q).to_owned(),
                value: v.clone(),
                source: AnswerSource::Customer,
                note: None,
            })
            .collect();
        s.record_answers(&questions(), &inputs, now()).unwrap();
    }
    s
}

/// The required answers every realistic session has, overridden by `extra`.
fn base(extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut m: BTreeMap<&'static str, Value> = BTreeMap::from([
        ("project.industry", json!("retail")),
        ("project.goal", json!("Rebuild the system on OCI")),
        ("project.phase", json!("production")),
        ("workload.type", json!(["web_app"])),
        ("traffic.total_users", json!(50000)),
        ("availability.sla_target", json!("sla_99_9")),
        ("data.database_kind", json!(["oracle_db"])),
        ("data.size_gb", json!(500)),
        ("security.compliance", json!(["none"])),
        ("security.data_residency", json!(true)),
        ("network.onprem_connectivity", json!("none")),
        ("budget.monthly_budget", json!("jpy_500k_1m")),
        ("budget.timeline", json!("Next April")),
        ("region.primary", json!("ap-tokyo-1")),
    ]);
    for (k, v) in extra {
        m.insert(k, v.clone());
    }
    m.into_iter().collect()
}

fn run(locale: Locale, answers: &[(&str, Value)], pattern: Option<&str>) -> Proposal {
    let s = session(locale, answers);
    propose(&s, &questions(), &services(), locale, pattern).unwrap()
}

fn comp<'a>(p: &'a Proposal, id: &str) -> &'a crate::architecture::ComponentInput {
    p.architecture
        .components
        .iter()
        .find(|c| c.id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no component {id} in {}", ids(p).join(", ")))
}

fn ids(p: &Proposal) -> Vec<String> {
    p.architecture.components.iter().filter_map(|c| c.id.clone()).collect()
}

fn services_of(p: &Proposal) -> Vec<&str> {
    p.architecture.components.iter().map(|c| c.service.as_str()).collect()
}

/// Applies the proposal and returns the built design.
fn apply(p: &Proposal) -> Architecture {
    let id: SessionId = "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b".parse().unwrap();
    let mut a = Architecture::new(id, None, now());
    a.replace(&services(), p.architecture.clone(), Some(p.pattern.clone()), now())
        .unwrap_or_else(|e| panic!("{} does not apply: {e}", p.pattern));
    a
}

fn ingress(c: &Component) -> Vec<String> {
    c.config
        .get("ingress")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn num(c: &Component, k: &str) -> f64 {
    c.config.get(k).and_then(Value::as_f64).unwrap_or_else(|| panic!("{}.{k} missing", c.id))
}

fn subnet_of<'a>(a: &'a Architecture, c: &Component) -> &'a Component {
    let p = c.placement.as_ref().unwrap_or_else(|| panic!("{} has no placement", c.id));
    let s = a.component(p.as_str()).unwrap();
    assert_eq!(s.service, "subnet", "{} is placed in {}", c.id, s.id);
    s
}

fn private(s: &Component) -> bool {
    s.config_str("tier") == Some("private")
}

/// Everything every proposal must satisfy: the validation rules, rationales, determinism.
fn check_invariants(p: &Proposal, locale: Locale, answers: &[(&str, Value)], pattern: Option<&str>) {
    let q = questions();
    let a = apply(p);
    let label = &p.pattern;
    assert!(PATTERNS.iter().any(|x| x.id == p.pattern));
    assert!(!p.summary.is_empty() && !p.title.is_empty());

    // Rationale: a reason and answered question ids that exist, or an explicit assumption.
    for c in &a.components {
        let r = c.rationale.as_ref().unwrap_or_else(|| panic!("{label}: {} has no rationale", c.id));
        assert!(!r.reason.is_empty(), "{label}: {}", c.id);
        for id in &r.answers {
            assert!(q.question(id).is_some(), "{label}: {} cites unknown question {id}", c.id);
        }
        if r.answers.is_empty() {
            assert!(
                r.reason.contains("assumed:") || r.reason.contains("仮定:"),
                "{label}: {} has neither answers nor an assumption: {}",
                c.id,
                r.reason
            );
        }
    }

    // Network: one VCN; subnets inside it, not overlapping.
    let vcns: Vec<&Component> = a.components.iter().filter(|c| c.service == "vcn").collect();
    assert_eq!(vcns.len(), 1, "{label}");
    let vcn = Cidr::parse(vcns[0].config_str("cidr").unwrap()).unwrap();
    let subnets: Vec<&Component> = a.components.iter().filter(|c| c.service == "subnet").collect();
    for (i, s) in subnets.iter().enumerate() {
        let c = Cidr::parse(s.config_str("cidr").unwrap()).unwrap();
        assert!(c.len >= vcn.len && vcn.overlaps(c), "{label}: {} outside the VCN", s.id);
        for t in &subnets[i + 1..] {
            assert!(
                !c.overlaps(Cidr::parse(t.config_str("cidr").unwrap()).unwrap()),
                "{label}: {} overlaps {}",
                s.id,
                t.id
            );
        }
        for rule in ingress(s) {
            let parts: Vec<&str> = rule.split(':').collect();
            assert_eq!(parts.len(), 3, "{label}: {rule}");
            assert!(["tcp", "udp", "icmp", "all"].contains(&parts[0]), "{label}: {rule}");
            assert!(
                !(parts[2] == "0.0.0.0/0" && (parts[0] == "all" || (parts[0] == "tcp" && parts[1] == "22"))),
                "{label}: {} opens {rule} to the internet",
                s.id
            );
            assert!(parts[2] == "vcn" || Cidr::parse(parts[2]).is_some(), "{label}: {rule}");
        }
    }
    // Private subnets need NAT + service gateway; public ones an internet gateway.
    let has = |svc: &str| a.components.iter().any(|c| c.service == svc);
    if subnets.iter().any(|s| private(s)) {
        assert!(has("nat_gateway") && has("service_gateway"), "{label}");
    }
    if subnets.iter().any(|s| !private(s)) {
        assert!(has("internet_gateway"), "{label}");
    }
    for c in &a.components {
        match c.service.as_str() {
            "autonomous_database" => {
                assert_eq!(c.config_str("network_access"), Some("private_endpoint"), "{label}");
                let s = subnet_of(&a, c);
                assert!(private(s), "{label}: ADB in {}", s.id);
                assert!(
                    ingress(s).iter().any(|r| r == "tcp:1522:vcn"),
                    "{label}: 1522 not allowed in {}",
                    s.id
                );
            }
            "base_database" | "mysql_heatwave" | "cache" | "file_storage" => {
                assert!(private(subnet_of(&a, c)), "{label}: {} not private", c.id)
            }
            "load_balancer" => {
                let s = subnet_of(&a, c);
                if c.config_str("visibility") == Some("public") {
                    assert!(!private(s), "{label}: public LB {} in a private subnet", c.id);
                    assert!(
                        a.components
                            .iter()
                            .any(|w| w.service == "waf" && w.config_str("target") == Some(c.id.as_str())),
                        "{label}: public LB {} without WAF",
                        c.id
                    );
                }
            }
            "compute_instance" | "container_instance" => {
                assert_ne!(c.config.get("assign_public_ip"), Some(&json!(true)), "{label}: {}", c.id);
                let per = num(c, "memory_gb") / num(c, "ocpus");
                assert!((1.0..=64.0).contains(&per), "{label}: {} has {per} GB per OCPU", c.id);
            }
            "oke" => {
                let per = num(c, "node_memory_gb") / num(c, "node_ocpus");
                assert!((1.0..=64.0).contains(&per), "{label}: {per} GB per OCPU");
                let workers = subnet_of(&a, c);
                assert_eq!(workers.config_str("role"), Some("oke_workers"));
                assert!(private(workers));
                let wi = ingress(workers);
                assert!(
                    wi.iter().any(|r| r == "all:*:vcn") && wi.iter().any(|r| r == "icmp:3.4:0.0.0.0/0"),
                    "{label}: {wi:?}"
                );
                let api = a.component(c.config_str("api_endpoint_subnet").unwrap()).unwrap();
                assert_eq!(api.config_str("role"), Some("oke_api"));
                assert!(ingress(api).iter().any(|r| r.starts_with("tcp:6443:")), "{label}");
                let lb = a.component(c.config_str("lb_subnet").unwrap()).unwrap();
                assert_eq!(lb.config_str("role"), Some("oke_lb"));
                let size = 1u64 << (32 - Cidr::parse(workers.config_str("cidr").unwrap()).unwrap().len);
                let pods = num(c, "node_count") as u64 * (num(c, "pods_per_node") as u64 + 1);
                assert!(pods + 5 <= size, "{label}: {pods} addresses do not fit a subnet of {size}");
                for db in a.components.iter().filter(|d| d.service == "autonomous_database") {
                    assert!(
                        a.connections.iter().any(|k| k.from == c.id && k.to == db.id && k.port == Some(1522)),
                        "{label}: no OKE → ADB on 1522"
                    );
                }
            }
            "bastion" => assert!(private(subnet_of(&a, c)), "{label}: bastion target must be private"),
            _ => {}
        }
    }
    for k in &a.connections {
        assert!(k.protocol.is_some() && k.port.is_some() && k.purpose.is_some(), "{label}: {k:?}");
    }

    // Deterministic, and the serialized design reads back as the same input.
    let again = run(locale, answers, pattern);
    assert_eq!(&again, p, "{label}: not deterministic");
    let text = serde_json::to_string(p).unwrap();
    assert_eq!(text, serde_json::to_string(&again).unwrap());
    let v: Value = serde_json::from_str(&text).unwrap();
    let back: ArchitectureInput = serde_json::from_value(v["architecture"].clone()).unwrap();
    assert_eq!(back, p.architecture, "{label}: serialized architecture does not read back");

    if locale == Locale::En {
        let japanese = |s: &str| {
            s.chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c))
        };
        let mut texts = vec![p.summary.clone(), p.title.clone()];
        texts.extend(p.reasons.iter().cloned());
        texts.extend(p.assumptions.iter().cloned());
        texts.extend(p.alternatives.iter().cloned());
        texts.extend(a.components.iter().map(|c| c.name.clone()));
        texts.extend(a.components.iter().filter_map(|c| c.rationale.as_ref().map(|r| r.reason.clone())));
        texts.extend(a.connections.iter().filter_map(|k| k.purpose.clone()));
        for t in texts {
            assert!(!japanese(&t), "{label}: Japanese text in an English proposal: {t}");
        }
    }
}

struct Case {
    name: &'static str,
    answers: Vec<(&'static str, Value)>,
    pattern: &'static str,
    components: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "EC site on VMs with Oracle, WAF, 99.95%",
            answers: base(&[
                ("workload.type", json!(["web_app"])),
                ("workload.app_stack", json!(["java"])),
                ("workload.containerization", json!("not_containerized")),
                ("traffic.peak_concurrent_users", json!(2000)),
                ("availability.sla_target", json!("sla_99_95")),
                ("security.waf_required", json!(true)),
                ("network.exposure", json!("public")),
                ("data.object_storage", json!(["user_uploads"])),
                ("operations.monitoring", json!(["oci_native", "apm"])),
            ]),
            pattern: "web_three_tier",
            components: &[
                "vcn",
                "subnet-lb",
                "subnet-app",
                "subnet-db",
                "igw",
                "nat",
                "sgw",
                "lb",
                "waf",
                "app",
                "adb",
                "bastion",
                "bucket-app",
                "vault",
                "apm",
                "monitoring",
                "notifications",
                "logging",
            ],
        },
        Case {
            name: "microservices already on Kubernetes",
            answers: base(&[
                ("workload.type", json!(["api_backend", "web_app"])),
                ("workload.containerization", json!("kubernetes")),
                ("operations.team_skill", json!("oci_kubernetes")),
                ("operations.cicd", json!("oci_devops")),
                ("traffic.peak_concurrent_users", json!(3000)),
            ]),
            pattern: "api_oke_adb",
            components: &[
                "subnet-oke-api",
                "subnet-oke-workers",
                "subnet-oke-lb",
                "subnet-db",
                "oke",
                "lb",
                "waf",
                "adb",
                "ocir",
                "devops",
                "bastion",
            ],
        },
        Case {
            name: "public API backend in containers behind API Gateway",
            answers: base(&[
                ("workload.type", json!(["api_backend"])),
                ("workload.containerization", json!("docker")),
                ("operations.team_skill", json!("other_cloud_kubernetes")),
                ("security.authentication", json!(["okta"])),
            ]),
            pattern: "api_oke_adb",
            components: &["apigw", "subnet-apigw", "oke", "lb", "adb", "identity", "devops"],
        },
        Case {
            name: "IoT events into NoSQL",
            answers: base(&[
                ("workload.type", json!(["event_driven"])),
                ("traffic.peak_concurrent_users", json!(5000)),
                ("data.database_kind", json!(["nosql"])),
                ("traffic.growth_rate", json!("rapid")),
            ]),
            pattern: "event_driven",
            components: &["subnet-fn", "apigw", "events", "fn", "stream", "nosql", "ocir"],
        },
        Case {
            name: "async order processing with a queue and ADB",
            answers: base(&[
                ("workload.type", json!(["event_driven", "batch"])),
                ("traffic.peak_concurrent_users", json!(200)),
                ("network.exposure", json!("private_only")),
            ]),
            pattern: "event_driven",
            components: &["subnet-fn", "fn", "queue", "adb", "subnet-db"],
        },
        Case {
            name: "nightly batch on VMs",
            answers: base(&[
                ("workload.type", json!(["batch"])),
                ("workload.containerization", json!("not_containerized")),
                ("data.size_gb", json!(3000)),
                ("network.exposure", json!("private_only")),
                ("network.onprem_connectivity", json!("site_to_site_vpn")),
                ("network.avoid_cidrs", json!("10.0.0.0/16, 192.168.1.0/24")),
            ]),
            pattern: "batch",
            components: &["subnet-app", "batch", "fss", "bucket-batch", "adb", "bastion", "drg", "vpn"],
        },
        Case {
            name: "data warehouse with AI",
            answers: base(&[
                ("workload.type", json!(["data_analytics", "ai_ml"])),
                ("data.object_storage", json!(["data_lake", "backup_archive"])),
                ("data.size_gb", json!(8000)),
                ("region.primary", json!("us-chicago-1")),
            ]),
            pattern: "data_analytics",
            components: &["adb", "bucket-lake", "bucket-backup", "datascience", "genai", "subnet-analytics"],
        },
        Case {
            name: "small container PoC on a tight budget",
            answers: base(&[
                ("project.phase", json!("poc")),
                ("workload.type", json!(["web_app"])),
                ("workload.containerization", json!("docker")),
                ("budget.monthly_budget", json!("jpy_under_100k")),
                ("traffic.peak_concurrent_users", json!(20)),
                ("data.database_kind", json!(["mysql"])),
                ("data.size_gb", json!(5)),
            ]),
            pattern: "container_light",
            components: &["lb", "waf", "app", "mysql", "ocir"],
        },
        Case {
            name: "EBS on Base Database with FastConnect and DR",
            answers: base(&[
                ("workload.type", json!(["erp_packaged"])),
                ("workload.app_stack", json!(["packaged"])),
                ("availability.sla_target", json!("sla_99_99")),
                ("availability.dr_required", json!(true)),
                ("region.secondary", json!("ap-osaka-1")),
                ("network.onprem_connectivity", json!("fastconnect_vpn_backup")),
                ("network.bandwidth_mbps", json!(2000)),
                ("network.exposure", json!("private_only")),
                ("security.key_management", json!("dedicated_hsm")),
                ("security.compliance", json!(["fisc"])),
                ("operations.log_retention_days", json!(365)),
            ]),
            pattern: "web_three_tier",
            components: &["basedb", "drg", "fastconnect", "vpn", "vault", "bucket-logs"],
        },
    ]
}

#[test]
fn realistic_sessions_get_the_expected_pattern_and_components() {
    for locale in [Locale::Ja, Locale::En] {
        for case in cases() {
            let p = run(locale, &case.answers, None);
            assert_eq!(p.pattern, case.pattern, "{}: {:?}", case.name, p.reasons);
            let have = ids(&p);
            for c in case.components {
                assert!(have.iter().any(|h| h == c), "{}: no {c} in {}", case.name, have.join(", "));
            }
            check_invariants(&p, locale, &case.answers, None);
        }
    }
}

#[test]
fn every_pattern_applies_and_passes_the_checks_for_every_session() {
    let mut sessions: Vec<Vec<(&'static str, Value)>> = cases().into_iter().map(|c| c.answers).collect();
    sessions.push(Vec::new());
    sessions.push(base(&[("project.phase", json!("poc"))]));
    for answers in &sessions {
        for info in patterns() {
            let p = run(Locale::En, answers, Some(info.id));
            assert_eq!(p.pattern, info.id);
            check_invariants(&p, Locale::En, answers, Some(info.id));
        }
    }
}

#[test]
fn full_session_cites_answers_on_every_component() {
    let mut answers = cases()[1].answers.clone();
    answers.extend([
        ("operations.monitoring", json!(["oci_native"])),
        ("operations.log_retention_days", json!(90)),
        ("data.object_storage", json!(["user_uploads"])),
        ("network.exposure", json!("public")),
        ("security.key_management", json!("oracle_managed")),
        ("security.waf_required", json!(true)),
    ]);
    let p = run(Locale::Ja, &answers, None);
    assert_eq!(p.pattern, "api_oke_adb");
    for c in &p.architecture.components {
        let r = c.rationale.as_ref().unwrap();
        assert!(!r.answers.is_empty(), "{:?} cites no answer: {}", c.id, r.reason);
    }
}

#[test]
fn unknown_pattern_lists_the_valid_ids() {
    let s = session(Locale::Ja, &base(&[]));
    let e = propose(&s, &questions(), &services(), Locale::Ja, Some("serverless_magic")).unwrap_err();
    let msg = e.to_string();
    for p in patterns() {
        assert!(msg.contains(p.id), "{msg}");
    }
    assert!(matches!(e, ProposeError::UnknownPattern { .. }));
    // Case and spaces do not matter.
    let p = propose(&s, &questions(), &services(), Locale::Ja, Some(" BATCH ")).unwrap();
    assert_eq!(p.pattern, "batch");
    assert!(p.reasons[0].contains("指定"), "{:?}", p.reasons);
}

#[test]
fn an_empty_session_is_a_web_three_tier_full_of_assumptions() {
    let p = run(Locale::En, &[], None);
    assert_eq!(p.pattern, "web_three_tier");
    assert!(p.architecture.region.is_none());
    let all = p.assumptions.join("\n");
    for needle in
        ["workload.type", "region.primary", "project.phase", "data.database_kind", "100 concurrent users"]
    {
        assert!(all.contains(needle), "no assumption about {needle}: {all}");
    }
}

#[test]
fn sizing_follows_the_answers() {
    let prod = run(
        Locale::En,
        &base(&[("traffic.peak_concurrent_users", json!(4000)), ("data.size_gb", json!(6000))]),
        None,
    );
    let app = comp(&prod, "app");
    assert!(app.config["instance_count"].as_u64().unwrap() >= 2, "HA for 99.9%");
    assert!(app.config["ocpus"].as_f64().unwrap() >= 2.0);
    let adb = comp(&prod, "adb");
    assert_eq!(adb.config["ecpu_count"], json!(16));
    assert_eq!(adb.config["storage_gb"], json!(9000));
    assert_eq!(adb.config["data_guard"], json!(false));
    assert_eq!(adb.placement.as_deref(), Some("subnet-db"));

    let ha = run(Locale::En, &base(&[("availability.sla_target", json!("sla_99_95"))]), None);
    assert_eq!(comp(&ha, "adb").config["data_guard"], json!(true));

    let basic = run(
        Locale::En,
        &base(&[("availability.sla_target", json!("sla_99")), ("traffic.peak_concurrent_users", json!(100))]),
        None,
    );
    assert_eq!(comp(&basic, "app").config["instance_count"], json!(1));

    let oke = run(
        Locale::En,
        &base(&[
            ("workload.containerization", json!("kubernetes")),
            ("traffic.peak_concurrent_users", json!(10000)),
        ]),
        Some("api_oke_adb"),
    );
    let o = comp(&oke, "oke");
    assert!(o.config["node_count"].as_u64().unwrap() >= 3);
    assert_eq!(o.config["node_ocpus"], json!(8));

    let poc = run(
        Locale::En,
        &base(&[
            ("project.phase", json!("poc")),
            ("budget.monthly_budget", json!("jpy_under_100k")),
            ("data.database_kind", json!(["nosql"])),
        ]),
        Some("web_three_tier"),
    );
    let app = comp(&poc, "app");
    assert_eq!(app.config["is_free_tier"], json!(true));
    assert_eq!(app.config["shape"], json!("VM.Standard.A1.Flex"));
    assert_eq!(comp(&poc, "nosql").config["is_free_tier"], json!(true));
    assert_eq!(comp(&poc, "lb").config["max_bandwidth_mbps"], json!(10));
    let poc_oke = run(Locale::En, &base(&[("project.phase", json!("poc"))]), Some("api_oke_adb"));
    assert_eq!(comp(&poc_oke, "oke").config["node_count"], json!(1));
    assert_eq!(comp(&poc_oke, "oke").config["cluster_type"], json!("basic"));
}

#[test]
fn network_follows_the_answers() {
    let p = run(
        Locale::En,
        &base(&[
            ("network.onprem_connectivity", json!("fastconnect")),
            ("network.bandwidth_mbps", json!(5000)),
            ("network.avoid_cidrs", json!("10.0.0.0/16, 10.10.0.0/16")),
            ("network.exposure", json!("private_only")),
        ]),
        None,
    );
    assert_eq!(comp(&p, "vcn").config["cidr"], json!("10.20.0.0/16"));
    assert_eq!(comp(&p, "subnet-db").config["cidr"], json!("10.20.2.0/24"));
    let fc = comp(&p, "fastconnect");
    assert_eq!(fc.config["drg"], json!("drg"));
    assert_eq!(fc.config["bandwidth_gbps"], json!("10"));
    assert_eq!(comp(&p, "lb").config["visibility"], json!("private"));
    assert!(!ids(&p).contains(&"igw".to_owned()), "no internet gateway without public subnets");
    assert!(!ids(&p).contains(&"waf".to_owned()), "no WAF for a private LB unless asked");
    let lb_rules = comp(&p, "subnet-lb").config["ingress"].clone();
    assert!(lb_rules.as_array().unwrap().contains(&json!("tcp:443:10.0.0.0/16")), "{lb_rules}");

    let waf_off = run(Locale::En, &base(&[("security.waf_required", json!(false))]), None);
    assert_eq!(comp(&waf_off, "waf").config["action"], json!("detect"));

    let region = run(Locale::En, &base(&[("region.primary", json!("eu-frankfurt-1"))]), None);
    assert_eq!(region.architecture.region.as_deref(), Some("eu-frankfurt-1"));
    let other = run(Locale::En, &base(&[("region.primary", json!("Tokyo please"))]), None);
    assert_eq!(other.architecture.region, None);
    assert!(other.assumptions.iter().any(|a| a.contains("Tokyo please")));
}

#[test]
fn databases_follow_the_answers() {
    let p = run(Locale::En, &base(&[("data.database_kind", json!(["mysql", "postgresql", "nosql"]))]), None);
    let s = services_of(&p);
    assert!(s.contains(&"mysql_heatwave") && s.contains(&"nosql"), "{s:?}");
    assert_eq!(comp(&p, "postgres").service, "compute_instance");
    assert!(!ids(&p).contains(&"adb".to_owned()));
    let none = run(Locale::En, &base(&[("data.database_kind", json!(["none"]))]), None);
    assert!(!ids(&none).contains(&"subnet-db".to_owned()));
    let dw = run(Locale::En, &base(&[("workload.type", json!(["data_analytics"]))]), None);
    assert_eq!(comp(&dw, "adb").config["workload"], json!("dw"));
}

#[test]
fn dr_and_recorded_assumptions_are_reported() {
    let mut answers = base(&[("availability.dr_required", json!(true))]);
    answers.retain(|(k, _)| *k != "region.secondary");
    let p = run(Locale::En, &answers, None);
    assert_eq!(comp(&p, "adb").config["data_guard"], json!(true));
    assert!(p.assumptions.iter().any(|a| a.contains("region.secondary")), "{:?}", p.assumptions);

    let mut s = session(Locale::Ja, &base(&[]));
    s.record_answers(
        &questions(),
        &[AnswerInput {
            question_id: "traffic.peak_concurrent_users".into(),
            value: json!(300),
            source: AnswerSource::Assumption,
            note: None,
        }],
        now(),
    )
    .unwrap();
    let p = propose(&s, &questions(), &services(), Locale::Ja, None).unwrap();
    assert!(p.assumptions.iter().any(|a| a.contains("traffic.peak_concurrent_users")), "{:?}", p.assumptions);
}

#[test]
fn alternatives_name_other_fitting_patterns() {
    let p = run(Locale::En, &base(&[("workload.type", json!(["web_app", "batch", "data_analytics"]))]), None);
    assert_eq!(p.pattern, "data_analytics");
    assert!(p.alternatives.iter().any(|a| a.starts_with("web_three_tier")), "{:?}", p.alternatives);
    assert!(p.alternatives.iter().all(|a| !a.starts_with("data_analytics")));
}

#[test]
fn patterns_are_listed_in_both_languages() {
    let ids: Vec<&str> = patterns().iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        ["web_three_tier", "api_oke_adb", "event_driven", "batch", "data_analytics", "container_light"]
    );
    for p in patterns() {
        assert!(!p.title.ja.is_empty() && !p.fits.en.is_empty());
        assert_eq!(p.view(Locale::En).title, p.title.en);
    }
    let schema = serde_json::to_value(schemars::schema_for!(Proposal)).unwrap();
    for field in ["pattern", "reasons", "assumptions", "alternatives", "architecture"] {
        assert!(schema["properties"].get(field).is_some(), "{field} missing from {schema}");
    }
    let list = serde_json::to_value(patterns()).unwrap();
    assert_eq!(list[1]["id"], json!("api_oke_adb"));
    assert!(list[1]["title"]["ja"].is_string());
}

#[test]
fn a_catalog_without_the_services_is_an_error_not_a_panic() {
    let yaml = "schema_version: 1\ncategories: [{ id: networking, title: { ja: n, en: n } }]\nservices:\n  - { id: vcn, name: { ja: v, en: v }, category: networking, description: { ja: v, en: v }, placement: regional, terraform: [oci_core_vcn], docs: x }\n";
    let tiny = ServiceCatalog::parse(yaml).unwrap();
    let s = session(Locale::En, &base(&[]));
    let e = propose(&s, &questions(), &tiny, Locale::En, None).unwrap_err();
    assert!(matches!(e, ProposeError::Catalog(_)), "{e}");
}

/// The promise: a proposal already passes validation, for every pattern on every test session, in both
/// languages: no error finding from any built-in rule.
#[test]
fn every_proposal_passes_validation() {
    let rules = crate::rules::RuleSet::builtin().unwrap();
    let catalog = services();
    let mut sessions: Vec<Vec<(&'static str, Value)>> = cases().into_iter().map(|c| c.answers).collect();
    sessions.push(Vec::new());
    sessions.push(base(&[("project.phase", json!("poc"))]));
    for answers in &sessions {
        for pattern in std::iter::once(None).chain(patterns().iter().map(|i| Some(i.id))) {
            for locale in [Locale::En, Locale::Ja] {
                let p = run(locale, answers, pattern);
                let v = crate::rules::validate(&apply(&p), &catalog, &rules, locale);
                let errors: Vec<String> = v
                    .findings
                    .iter()
                    .filter(|f| f.severity == crate::rules::Severity::Error)
                    .map(|f| format!("{}: {}", f.rule_id, f.message))
                    .collect();
                assert!(errors.is_empty(), "{} for {answers:?}: {errors:#?}", p.pattern);
            }
        }
    }
}

use std::collections::BTreeSet;

use super::hcl::{Block, Expr, File, Part};
use super::*;
use crate::terraform::{Code, ProviderSchemas, Severity, check_files};

fn catalog() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

fn examples() -> Vec<(String, Architecture)> {
    example_architectures(&catalog()).unwrap()
}

fn export(arch: &Architecture) -> IacExport {
    generate(arch, &catalog(), &IacOptions::default()).unwrap()
}

/// Top-level blocks of all files: (file, block) parsed back with hcl-rs.
fn blocks(e: &IacExport) -> Vec<(String, ::hcl::Block)> {
    let mut out = Vec::new();
    for f in &e.files {
        let body = ::hcl::parse(&f.content).unwrap_or_else(|err| panic!("{}: {err}\n{}", f.name, f.content));
        out.extend(body.into_blocks().map(|b| (f.name.clone(), b)));
    }
    out
}

fn labels(b: &::hcl::Block) -> Vec<String> {
    b.labels().iter().map(|l| l.as_str().to_owned()).collect()
}

// ------------------------------------------------------------------------------------------ the emitter

#[test]
fn attributes_align_like_terraform_fmt_and_blocks_are_spaced() {
    let b = Block::resource("oci_core_vcn", "main")
        .attr("compartment_id", Expr::raw("var.compartment_ocid"))
        .attr("cidr_blocks", Expr::List(vec![Expr::str("10.0.0.0/16")]))
        .comment("a comment ends the chain")
        .attr("dns_label", "main")
        .attr("x", 1i64)
        .block(Block::new("timeouts", &[]).attr("create", "5m").attr("delete", "10m"))
        .block(Block::new("empty", &[]))
        .attr("depends_on", Expr::List(vec![Expr::raw("oci_core_drg.a")]));
    let mut f = File::default();
    f.comment("top\n\nsecond paragraph");
    f.push(b);
    f.push(Block::data("oci_objectstorage_namespace", "this"));
    assert_eq!(
        f.render(),
        r#"# top
#
# second paragraph
resource "oci_core_vcn" "main" {
  compartment_id = var.compartment_ocid
  cidr_blocks    = ["10.0.0.0/16"]
  # a comment ends the chain
  dns_label = "main"
  x         = 1

  timeouts {
    create = "5m"
    delete = "10m"
  }

  empty {}

  depends_on = [oci_core_drg.a]
}

data "oci_objectstorage_namespace" "this" {}
"#
    );
}

#[test]
fn strings_are_escaped_and_templates_unwrapped() {
    let check = |e: Expr, want: &str| assert_eq!(e.render(), want);
    check(Expr::str(r#"a "quoted" \ path"#), r#""a \"quoted\" \\ path""#);
    check(Expr::str("${not} %{a} $x %y"), r#""$${not} %%{a} $x %y""#);
    check(Expr::str("tab\tnew\nline\u{1}"), r#""tab\tnew\nline\u0001""#);
    check(Expr::str("日本語のé"), "\"日本語のé\"");
    check(Expr::template(vec![Part::Interp("var.x".into())]), "var.x");
    check(Expr::template(vec![Part::Lit("a".into()), Part::Lit("b".into())]), r#""ab""#);
    check(
        Expr::template(vec![
            Part::Lit("http://".into()),
            Part::Interp("a.b".into()),
            Part::Lit("/${p}".into()),
        ]),
        r#""http://${a.b}/$${p}""#,
    );
    check(
        Expr::Object(vec![("galley-session".into(), Expr::str("s")), ("plain".into(), Expr::Bool(true))]),
        r#"{ "galley-session" = "s", plain = true }"#,
    );
    check(Expr::Object(vec![]), "{}");
    check(Expr::List(vec![]), "[]");
    check(Expr::Num(1.5), "1.5");
    check(Expr::Num(16.0), "16");
    check(Expr::Null, "null");
}

// ------------------------------------------------------------------------------------------ generate

#[test]
fn every_example_passes_the_offline_schema_check() {
    let schemas = ProviderSchemas::builtin().unwrap();
    for (name, arch) in examples() {
        let e = export(&arch);
        let findings = check_files(&e.pairs(), schemas);
        let errors: Vec<String> =
            findings.iter().filter(|f| f.severity == Severity::Error).map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
        // Warnings may only say "no schema" (types outside the vendored subset) or "deprecated".
        for f in &findings {
            assert!(matches!(f.code, Code::NoSchema), "{name}: unexpected warning {f}");
        }
    }
}

#[test]
fn exports_are_deterministic_and_sorted() {
    for (name, arch) in examples() {
        let a = export(&arch);
        let b = export(&arch.clone());
        assert_eq!(a, b, "{name}");
        let names: Vec<&str> = a.files.iter().map(|f| f.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "{name}");
        for required in ["versions.tf", "providers.tf", "variables.tf", "main.tf", "outputs.tf", "network.tf"]
        {
            assert!(a.file(required).is_some(), "{name}: {required} missing");
        }
        for f in &a.files {
            assert!(f.content.ends_with("}\n") && !f.content.ends_with("\n\n"), "{name}/{}", f.name);
            assert!(!f.content.contains(" \n"), "{name}/{}: trailing space", f.name);
            assert!(!f.content.contains("\n\n\n"), "{name}/{}: double blank line", f.name);
        }
    }
}

#[test]
fn only_the_allowed_variables_are_declared() {
    for (name, arch) in examples() {
        let e = export(&arch);
        let vars: BTreeSet<String> = blocks(&e)
            .iter()
            .filter(|(_, b)| b.identifier() == "variable")
            .map(|(_, b)| labels(b)[0].clone())
            .collect();
        for v in &vars {
            assert!(ALLOWED_VARIABLES.contains(&v.as_str()), "{name}: variable {v} is not allowed");
        }
        for v in ["compartment_ocid", "region", "tenancy_ocid", "oci_auth", "config_file_profile"] {
            assert!(vars.contains(v), "{name}: {v} missing");
        }
        // Every var.X referenced is declared.
        for f in &e.files {
            for part in f.content.split("var.").skip(1) {
                let v: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(vars.contains(&v), "{name}/{}: var.{v} is not declared", f.name);
            }
        }
    }
}

#[test]
fn every_taggable_resource_is_tagged_with_session_and_component() {
    let schemas = ProviderSchemas::builtin().unwrap();
    let oci = schemas.provider("oci").unwrap();
    for (name, arch) in examples() {
        let e = export(&arch);
        for (file, b) in blocks(&e) {
            if b.identifier() != "resource" {
                continue;
            }
            let l = labels(&b);
            let tagged = b.body().attributes().any(|a| a.key() == "freeform_tags");
            if let Some((_, schema)) = oci.resource(&l[0]) {
                let taggable = schema.attributes.contains_key("freeform_tags");
                assert_eq!(tagged, taggable, "{name}/{file}: {}.{} tags", l[0], l[1]);
            }
        }
        let main = e.file("main.tf").unwrap();
        assert!(main.content.contains(&format!("\"galley-session\" = \"{}\"", arch.session_id)), "{name}");
    }
}

#[test]
fn resource_types_are_the_catalogs() {
    let cat = catalog();
    let helpers = [
        "random_password",
        "oci_core_network_security_group",
        "oci_core_network_security_group_security_rule",
    ];
    for (name, arch) in examples() {
        let e = export(&arch);
        for (file, b) in blocks(&e) {
            if b.identifier() != "resource" {
                continue;
            }
            let l = labels(&b);
            if helpers.contains(&l[0].as_str()) {
                continue;
            }
            // The component: its label is the resource name or a prefix of it.
            let owner = arch
                .components
                .iter()
                .filter(|c| {
                    l[1] == tf_label(c.id.as_str())
                        || l[1].starts_with(&format!("{}_", tf_label(c.id.as_str())))
                })
                .max_by_key(|c| c.id.as_str().len())
                .unwrap_or_else(|| panic!("{name}/{file}: no component for {}.{}", l[0], l[1]));
            let service = cat.service(&owner.service).unwrap();
            assert!(
                service.terraform.contains(&l[0]),
                "{name}: {} ({}) generated {} which the catalog does not list ({:?})",
                owner.id,
                owner.service,
                l[0],
                service.terraform
            );
        }
    }
}

#[test]
fn the_every_service_example_uses_every_catalog_service() {
    let cat = catalog();
    let all = examples().into_iter().find(|(n, _)| n == "every-service").unwrap().1;
    let used: BTreeSet<&str> = all.components.iter().map(|c| c.service.as_str()).collect();
    for s in &cat.services {
        assert!(used.contains(s.id.as_str()), "every-service lacks {}", s.id);
    }
    let e = export(&all);
    // Every component left a trace: a resource tagged with its id, or a note about it.
    for c in &all.components {
        let tagged =
            e.files.iter().any(|f| f.content.contains(&format!("\"galley-component\" = \"{}\"", c.id)));
        let noted = e.notes.iter().any(|n| n.component.as_deref() == Some(c.id.as_str()));
        assert!(tagged || noted, "{} ({}) is neither exported nor noted", c.id, c.service);
    }
    for file in [
        "compute.tf",
        "containers.tf",
        "functions.tf",
        "database.tf",
        "storage.tf",
        "security.tf",
        "observability.tf",
        "integration.tf",
        "devops.tf",
        "ai.tf",
    ] {
        assert!(e.file(file).is_some(), "{file} missing");
    }
}

#[test]
fn lessons_from_real_oci_are_applied() {
    let exports: Vec<(String, IacExport)> = examples().into_iter().map(|(n, a)| (n, export(&a))).collect();
    let all_text = |e: &IacExport| e.files.iter().map(|f| f.content.as_str()).collect::<Vec<_>>().join("\n");
    for (name, e) in &exports {
        let text = all_text(e);
        // No region-specific service names, no literal passwords, no hard-coded subnet CIDRs.
        assert!(!text.contains("-services-in-oracle-services-network"), "{name}");
        for line in text.lines().filter(|l| l.trim_start().starts_with("admin_password")) {
            assert!(line.contains("random_password."), "{name}: {line}");
        }
        for line in text.lines().filter(|l| l.trim_start().starts_with("cidr_block ")) {
            assert!(line.contains("local."), "{name}: {line}");
        }
        // Images come from data sources with a shape filter.
        for (_, b) in
            blocks(e).iter().filter(|(_, b)| b.identifier() == "data" && labels(b)[0] == "oci_core_images")
        {
            assert!(b.body().attributes().any(|a| a.key() == "shape"), "{name}: image lookup without shape");
        }
    }
    let web = &exports.iter().find(|(n, _)| n == "web-oke-adb").unwrap().1;
    let network = &web.file("network.tf").unwrap().content;
    assert!(network.contains("app_vcn_cidr    = \"10.20.0.0/16\""), "{network}");
    assert!(network.contains("cidrsubnet(local.app_vcn_cidr, 8, 0)"));
    assert!(network.contains("values = [\"All .* Services In Oracle Services Network\"]"));
    assert!(network.contains("destination_type  = \"SERVICE_CIDR_BLOCK\""));
    // OKE's rules: 6443 from anywhere on the public API subnet, all from the VCN and ICMP 3/4 on the workers.
    assert!(network.contains("Kubernetes API (kubectl and worker nodes)"));
    assert!(network.contains("min = 6443"));
    assert!(network.contains("min = 12250"));
    assert!(network.contains("OKE: all traffic inside the VCN"));
    let db = &web.file("database.tf").unwrap().content;
    assert!(
        db.contains("db_workload                 = \"OLTP\"")
            || db.contains("db_workload = \"OLTP\"")
            || db.contains("\"OLTP\"")
    );
    assert!(db.contains("nsg_ids"));
    assert!(db.contains("min = 1522"), "{db}");
    let containers = &web.file("containers.tf").unwrap().content;
    assert!(
        containers.contains("shape                    = \"VM.Standard.E5.Flex\"")
            || containers.contains("shape = \"VM.Standard.E5.Flex\"")
            || containers.contains("\"VM.Standard.E5.Flex\"")
    );
    assert!(containers.contains("service_lb_subnet_ids = [oci_core_subnet.lb_subnet.id]"), "{containers}");
    assert!(containers.contains("data.oci_core_images.oke_nodes.images[0].id"));
}

#[test]
fn snapshot_of_the_web_system() {
    let (_, arch) = examples().into_iter().find(|(n, _)| n == "web-oke-adb").unwrap();
    let e = export(&arch);
    let mut text = String::new();
    for f in &e.files {
        text.push_str(&format!("==> {} <==\n{}\n", f.name, f.content));
    }
    text.push_str("==> notes <==\n");
    for n in &e.notes {
        text.push_str(&format!("- [{}] {}\n", n.component.as_deref().unwrap_or("-"), n.message));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn empty_and_broken_designs_are_errors() {
    let cat = catalog();
    let mut arch = examples().remove(0).1;
    let empty = Architecture::new(arch.session_id, None, arch.updated_at);
    assert_eq!(generate(&empty, &cat, &IacOptions::default()), Err(IacError::Empty));
    arch.components[0].service = "mainframe".into();
    let Err(IacError::Invalid(problems)) = generate(&arch, &cat, &IacOptions::default()) else { panic!() };
    assert!(problems[0].contains("mainframe"), "{problems:?}");
}

#[test]
fn bad_ingress_rules_become_notes() {
    let cat = catalog();
    let mut arch = examples().remove(2).1;
    let app = arch.components.iter_mut().find(|c| c.id.as_str() == "app").unwrap();
    app.config.insert(
        "ingress".into(),
        serde_json::json!(["tcp:99999:vcn", "gre:*:vcn", "tcp:22:somewhere", "udp:53:10.0.0.0/8"]),
    );
    let e = generate(&arch, &cat, &IacOptions::default()).unwrap();
    let notes: Vec<&str> = e
        .notes
        .iter()
        .filter(|n| n.component.as_deref() == Some("app"))
        .map(|n| n.message.as_str())
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(e.file("network.tf").unwrap().content.contains("udp:53:10.0.0.0/8 (from the design)"));
}

#[test]
fn ingress_rules_parse() {
    let vcn = Expr::raw("local.v_cidr");
    let r = network::parse_ingress("tcp:6443:0.0.0.0/0", &vcn).unwrap();
    assert_eq!((r.protocol, r.ports), ("6", Some((6443, 6443))));
    let r = network::parse_ingress("udp:80-443:vcn", &vcn).unwrap();
    assert_eq!((r.protocol, r.ports, r.source.render()), ("17", Some((80, 443)), "local.v_cidr".to_owned()));
    let r = network::parse_ingress("icmp:3.4:0.0.0.0/0", &vcn).unwrap();
    assert_eq!((r.protocol, r.icmp), ("1", Some((3, Some(4)))));
    let r = network::parse_ingress("all:*:vcn", &vcn).unwrap();
    assert_eq!((r.protocol, r.ports), ("all", None));
    for bad in ["tcp:22", "tcp:0:vcn", "tcp:443-80:vcn", "sctp:1:vcn", "tcp:22:10.0.0.0/33", "icmp:x:vcn"] {
        assert!(network::parse_ingress(bad, &vcn).is_err(), "{bad}");
    }
}

#[test]
fn subnet_cidrs_derive_from_any_vcn_cidr() {
    let cat = catalog();
    let mut arch = examples().remove(0).1;
    arch.components[0].config.insert("cidr".into(), serde_json::json!("10.100.0.0/16"));
    let e = generate(&arch, &cat, &IacOptions::default()).unwrap();
    let net = &e.file("network.tf").unwrap().content;
    assert!(net.contains("\"10.100.0.0/16\""));
    assert!(!net.contains("10.20."));
    // A /20 VCN with two derived subnets gets /24s; explicit CIDRs are kept as written.
    let batch = export(&examples().remove(2).1);
    let net = &batch.file("network.tf").unwrap().content;
    assert!(net.contains("app_cidr       = cidrsubnet(local.batch_vcn_cidr, 4, 0)"), "{net}");
    assert!(net.contains("data_cidr      = \"172.16.15.0/24\""), "{net}");
}

#[test]
fn provider_auth_is_chosen_by_variables_without_secrets() {
    let e = export(&examples().remove(0).1);
    let p = &e.file("providers.tf").unwrap().content;
    assert!(p.contains("auth                = var.oci_auth"), "{p}");
    assert!(p.contains("config_file_profile = contains([\"APIKey\", \"SecurityToken\"], var.oci_auth) ? var.config_file_profile : null"));
    for secret in ["private_key", "fingerprint", "user_ocid", "password ="] {
        assert!(!p.contains(secret), "{secret}");
    }
    let v = &e.file("variables.tf").unwrap().content;
    assert!(v.contains("default     = \"APIKey\""), "{v}");
    assert!(v.contains("default     = \"DEFAULT\""));
    let o = &e.file("outputs.tf").unwrap().content;
    assert!(o.contains("output \"orders_db_admin_password\""));
    let after = o.split("output \"orders_db_admin_password\"").nth(1).unwrap();
    assert!(after.split("\noutput ").next().unwrap().contains("sensitive   = true"), "{o}");
}

// ------------------------------------------------------------------------------------------ compare

fn file(name: &str, content: &str) -> IacFile {
    IacFile { name: name.into(), content: content.into() }
}

#[test]
fn compare_says_what_a_re_export_would_do() {
    let generated = vec![
        file("a.tf", "a = 1\n"),
        file("b.tf", "b = 2\n"),
        file("c.tf", "c = 3\n"),
        file("d.tf", "d = 4\n"),
        file("e.tf", "e = 5\n"),
    ];
    let old_b = "b = 1\n";
    let edited_c = "c = 1\n# mine\n";
    let existing = vec![
        ("a.tf".to_owned(), "a = 1\n".to_owned(), Some(content_hash("a = 1\n"))),
        ("b.tf".to_owned(), old_b.to_owned(), Some(content_hash(old_b))),
        ("c.tf".to_owned(), edited_c.to_owned(), Some(content_hash("c = 1\n"))),
        ("e.tf".to_owned(), "e = 0\n".to_owned(), None),
        ("old.tf".to_owned(), "x = 1\n".to_owned(), Some(content_hash("x = 1\n"))),
        ("model.tf".to_owned(), "y = 1\n".to_owned(), None),
    ];
    let changes = compare(&generated, &existing);
    let kinds: Vec<(&str, ChangeKind)> = changes.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("a.tf", ChangeKind::Unchanged),
            ("b.tf", ChangeKind::Update),
            ("c.tf", ChangeKind::EditedInWorkspace),
            ("d.tf", ChangeKind::New),
            ("e.tf", ChangeKind::EditedInWorkspace),
            ("model.tf", ChangeKind::WorkspaceOnly),
            ("old.tf", ChangeKind::Obsolete),
        ]
    );
    let c = &changes[2];
    assert_eq!(c.diff, "@@ line 1\n-c = 1\n-# mine\n+c = 3\n");
    assert!(c.message.contains("edited in the workspace"), "{}", c.message);
    assert!(changes[4].message.contains("not written by export_iac"));
    assert_eq!(changes[1].diff, "@@ line 1\n-b = 1\n+b = 2\n");
}

#[test]
fn compare_after_a_real_export_is_all_unchanged() {
    let e = export(&examples().remove(1).1);
    let existing: Vec<(String, String, Option<String>)> =
        e.files.iter().map(|f| (f.name.clone(), f.content.clone(), Some(content_hash(&f.content)))).collect();
    assert!(compare(&e.files, &existing).iter().all(|c| c.kind == ChangeKind::Unchanged));
}

#[test]
fn names_with_quotes_templates_and_non_ascii_are_escaped() {
    let cat = catalog();
    let mut arch = examples().remove(0).1;
    for c in &mut arch.components {
        c.name = format!("{} \"front\" ${{x}} %{{y}} \\ 日本語", c.id);
    }
    let e = generate(&arch, &cat, &IacOptions::default()).unwrap();
    let findings = check_files(&e.pairs(), ProviderSchemas::builtin().unwrap());
    assert!(!findings.iter().any(|f| f.severity == Severity::Error), "{findings:?}");
    let net = &e.file("network.tf").unwrap().content;
    assert!(net.contains(r#"display_name   = "app-vcn \"front\" $${x} %%{y} \\ 日本語""#), "{net}");
    // Parsed back, the value is the name again.
    let body = ::hcl::parse(net).unwrap();
    let vcn =
        body.blocks().find(|b| b.labels().len() == 2 && b.labels()[0].as_str() == "oci_core_vcn").unwrap();
    let name = vcn.body().attributes().find(|a| a.key() == "display_name").unwrap().expr().clone();
    assert_eq!(name, ::hcl::Expression::String("app-vcn \"front\" ${x} %{y} \\ 日本語".into()));
}

#[test]
fn a_design_change_touches_only_the_files_it_changes() {
    let cat = catalog();
    let mut arch = examples().remove(0).1;
    let before = generate(&arch, &cat, &IacOptions::default()).unwrap();
    let bucket = arch.components.iter_mut().find(|c| c.id.as_str() == "assets").unwrap();
    bucket.config.insert("versioning".into(), serde_json::json!(false));
    arch.revision += 1;
    let after = generate(&arch, &cat, &IacOptions::default()).unwrap();
    let existing: Vec<(String, String, Option<String>)> = before
        .files
        .iter()
        .map(|f| (f.name.clone(), f.content.clone(), Some(content_hash(&f.content))))
        .collect();
    let changed: Vec<String> = compare(&after.files, &existing)
        .into_iter()
        .filter(|c| c.kind != ChangeKind::Unchanged)
        .map(|c| c.name)
        .collect();
    assert_eq!(changed, vec!["storage.tf".to_owned()]);
}

/// What Galley generates must pass the safety scan its own Terraform runs apply (no provisioners, no external
/// data, no file functions, only allowed providers, no backend block).
#[test]
fn every_example_passes_the_safety_scan() {
    for (name, arch) in examples() {
        let export = generate(&arch, &catalog(), &IacOptions::default()).unwrap();
        let refusals = crate::terraform::safety::scan(
            &export.pairs(),
            crate::terraform::safety::Policy { allow_exec: false },
        );
        assert!(refusals.is_empty(), "{name}: {refusals:#?}");
    }
}

//! The design tools over the real galley process: edits, concurrency, bad input.

use serde_json::{Value, json};

use super::{Mcp, Server, rt};

async fn session(mcp: &Mcp, locale: &str) -> String {
    let s =
        mcp.ok("create_session", json!({"customer": "Acme", "project": "EC site", "locale": locale})).await;
    s["session_id"].as_str().unwrap().to_owned()
}

#[test]
fn design_edits_concurrency_and_bad_input() {
    let server = Server::start("memory://", &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = session(&mcp, "en").await;
        let services =
            mcp.ok("list_available_services", json!({"keyword": "kubernetes", "locale": "en"})).await;
        assert!(services["services"].as_array().unwrap().iter().any(|s| s["id"] == "oke"), "{services}");
        let detail = mcp.ok("list_available_services", json!({"service": "autonomous_database"})).await;
        assert!(
            detail["detail"]["attribute_details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "network_access")
        );
        let e = mcp.err("list_available_services", json!({"service": "okee"})).await;
        assert!(e.contains("oke"), "{e}");

        let empty = mcp.ok("get_architecture", json!({"session_id": sid})).await;
        assert_eq!(empty["architecture"]["revision"], 0);
        mcp.ok("add_component", json!({"session_id": sid, "service": "vcn", "id": "vcn"})).await;
        mcp.ok(
            "add_component",
            json!({"session_id": sid, "service": "subnet", "id": "app", "placement": "vcn"}),
        )
        .await;

        // 16 concurrent adds to one design: none is lost.
        let mut tasks = Vec::new();
        for i in 0..16 {
            let mcp = mcp.clone();
            let sid = sid.clone();
            tasks.push(tokio::spawn(async move {
                mcp.ok(
                    "add_component",
                    json!({"session_id": sid, "service": "object_storage", "id": format!("bucket-{i}")}),
                )
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let arch = mcp.ok("get_architecture", json!({"session_id": sid})).await;
        assert_eq!(arch["counts"]["components"], 18, "{arch}");
        assert_eq!(arch["architecture"]["revision"], 18);

        // Bad input: clear errors, nothing changes.
        let e = mcp
            .err(
                "configure_component",
                json!({"session_id": sid, "component_id": "bucket-0", "config": {"colour": "red"}}),
            )
            .await;
        assert!(e.contains("valid attributes"), "{e}");
        let e = mcp.err("add_component", json!({"session_id": sid, "service": "oke"})).await;
        assert!(e.contains("existing subnets: app"), "{e}");
        let e = mcp.err("remove_component", json!({"session_id": sid, "component_id": "vcn"})).await;
        assert!(e.contains("app is placed in it") && e.contains("cascade=true"), "{e}");
        let e = mcp.err("get_architecture", json!({"session_id": "not-a-session"})).await;
        assert!(e.contains("list_sessions"), "{e}");
        let e = mcp
            .err("connect_components", json!({"session_id": sid, "from": "bucket-0", "to": "nowhere"}))
            .await;
        assert!(e.contains("no component \"nowhere\""), "{e}");
        let after = mcp.ok("get_architecture", json!({"session_id": sid})).await;
        assert_eq!(after["architecture"]["revision"], 18, "failed edits change nothing");

        let removed = mcp
            .ok("remove_component", json!({"session_id": sid, "component_id": "vcn", "cascade": true}))
            .await;
        assert_eq!(removed["removed"]["components"], json!(["vcn", "app"]));
        let saved = mcp
            .ok(
                "save_architecture",
                json!({"session_id": sid, "architecture": {"region": "ap-osaka-1", "components": [
                    {"id": "net", "service": "vcn"},
                    {"id": "db", "service": "subnet", "placement": "net"},
                    {"id": "adb", "service": "autonomous_database", "placement": "db"}
                ]}}),
            )
            .await;
        assert_eq!(saved["counts"]["components"], 3);
        assert_eq!(saved["region"], "ap-osaka-1");
        let _: &Value = &saved;
    });
}

/// An EC site on Kubernetes with an Oracle database, as a hearing would record it.
pub(crate) const EC_SITE: &[(&str, &str)] = &[
    ("project.industry", r#""retail""#),
    ("project.goal", r#""Renew the EC site""#),
    ("project.phase", r#""production""#),
    ("workload.type", r#"["web_app", "api_backend"]"#),
    ("workload.containerization", r#""kubernetes""#),
    ("traffic.total_users", "200000"),
    ("traffic.peak_concurrent_users", "5000"),
    ("availability.sla_target", r#""sla_99_95""#),
    ("data.database_kind", r#"["oracle_db"]"#),
    ("data.size_gb", "800"),
    ("security.compliance", r#"["pci_dss"]"#),
    ("security.data_residency", "true"),
    ("security.waf_required", "true"),
    ("network.onprem_connectivity", r#""none""#),
    ("budget.monthly_budget", r#""jpy_1m_3m""#),
    ("budget.timeline", r#""April""#),
    ("region.primary", r#""ap-tokyo-1""#),
];

pub(crate) async fn ec_site_session(mcp: &Mcp) -> String {
    let sid = session(mcp, "en").await;
    let answers: Vec<Value> = EC_SITE
        .iter()
        .map(|(q, v)| json!({"question_id": q, "value": serde_json::from_str::<Value>(v).unwrap()}))
        .collect();
    mcp.ok("save_answers_batch", json!({"session_id": sid, "answers": answers})).await;
    sid
}

#[test]
fn propose_saves_a_justified_design_and_never_overwrites_silently() {
    let server = Server::start("memory://", &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = ec_site_session(&mcp).await;
        let e =
            mcp.err("propose_architecture", json!({"session_id": sid, "pattern": "serverless_magic"})).await;
        assert!(e.contains("valid patterns") && e.contains("api_oke_adb"), "{e}");
        let p = mcp.ok("propose_architecture", json!({"session_id": sid})).await;
        assert_eq!(p["pattern"], "api_oke_adb", "{p}");
        for c in p["components"].as_array().unwrap() {
            assert!(
                !c["answers"].as_array().unwrap().is_empty()
                    || c["reason"].as_str().unwrap().contains("assumed"),
                "{c}"
            );
        }
        let arch = mcp.ok("get_architecture", json!({"session_id": sid})).await;
        assert_eq!(arch["architecture"]["pattern"], "api_oke_adb");
        assert_eq!(arch["architecture"]["region"], "ap-tokyo-1");
        let e = mcp.err("propose_architecture", json!({"session_id": sid, "pattern": "batch"})).await;
        assert!(e.contains("replace=true"), "{e}");
        let p = mcp
            .ok(
                "propose_architecture",
                json!({"session_id": sid, "pattern": "batch", "replace": true, "locale": "ja"}),
            )
            .await;
        assert_eq!(p["pattern"], "batch");
        assert_eq!(p["revision"], arch["architecture"]["revision"].as_u64().unwrap() + 1);
    });
}

/// Rules uploaded to the store under rules/ apply without a rebuild or restart; a broken one is reported, never
/// fatal; an uploaded rule with a built-in id replaces it.
#[test]
fn uploaded_rules_load_without_a_rebuild_and_broken_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&super::store_url(dir.path()), &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = session(&mcp, "en").await;
        mcp.ok("add_component", json!({"session_id": sid, "service": "object_storage", "id": "assets"})).await;
        let before = mcp.ok("validate_architecture", json!({"session_id": sid})).await;
        let builtin = before["summary"]["rules_checked"].as_u64().unwrap();
        assert!(builtin >= 40, "{before}");
        assert!(before["rule_problems"].is_null(), "{before}");

        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(
            dir.path().join("rules/acme.yaml"),
            r#"rules:
  - id: acme.bucket-needs-name
    severity: warning
    category: security
    match: { service: object_storage }
    check: { config: { bucket_name: { exists: true } } }
    message: { ja: "バケット {component} に名前がありません。", en: "Bucket {component} has no name." }
    fix: { ja: "bucket_name を設定してください。", en: "Set bucket_name." }
    docs: https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/managingbuckets.htm
"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("rules/broken.yaml"), "rules: [ {id: : nope").unwrap();
        let after = mcp.ok("validate_architecture", json!({"session_id": sid})).await;
        assert_eq!(after["summary"]["rules_checked"].as_u64().unwrap(), builtin + 1, "{after}");
        let acme: Vec<&Value> =
            after["findings"].as_array().unwrap().iter().filter(|f| f["rule_id"] == "acme.bucket-needs-name").collect();
        assert_eq!(acme.len(), 1, "{after}");
        assert_eq!(acme[0]["message"], "Bucket assets has no name.");
        let problems = after["rule_problems"].as_array().unwrap();
        assert!(problems.iter().any(|p| p["source"] == "rules/broken.yaml"), "{after}");

        // The edit result already carries the new rule's finding for the component.
        let edit = mcp.ok("configure_component", json!({"session_id": sid, "component_id": "assets", "name": "Assets"})).await;
        assert!(edit["findings"].as_array().unwrap().iter().any(|f| f["rule_id"] == "acme.bucket-needs-name"), "{edit}");
        let fixed = mcp
            .ok("configure_component", json!({"session_id": sid, "component_id": "assets", "config": {"bucket_name": "acme-assets"}}))
            .await;
        assert!(!fixed["findings"].as_array().unwrap().iter().any(|f| f["rule_id"] == "acme.bucket-needs-name"), "{fixed}");
    });
}

/// export_iac writes the design's Terraform into the workspace, and a re-export never overwrites a file the
/// model edited: it shows the diff and keeps it unless overwrite_edited.
#[test]
fn export_iac_writes_the_workspace_and_keeps_edited_files() {
    let server = Server::start("memory://", &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let sid = ec_site_session(&mcp).await;
        let e = mcp.err("export_iac", json!({"session_id": sid})).await;
        assert!(e.contains("propose_architecture") || e.contains("empty"), "{e}");
        mcp.ok("propose_architecture", json!({"session_id": sid})).await;
        let dry = mcp.ok("export_iac", json!({"session_id": sid, "dry_run": true})).await;
        assert_eq!(dry["written"], false);
        let listed = mcp.ok("list_terraform_files", json!({"session_id": sid})).await;
        assert!(listed["files"].as_array().unwrap().is_empty(), "{listed}");

        let out = mcp.ok("export_iac", json!({"session_id": sid})).await;
        assert_eq!(out["written"], true);
        assert!(out["schema_errors"].as_array().unwrap().is_empty(), "{out}");
        for f in [
            "versions.tf",
            "providers.tf",
            "variables.tf",
            "network.tf",
            "containers.tf",
            "database.tf",
            "outputs.tf",
        ] {
            assert!(out["generated"].get(f).is_some(), "{f} missing: {out}");
        }
        assert!(out["files"].as_array().unwrap().iter().all(|f| f["change"] == "new"), "{out}");
        let network = mcp.ok("read_terraform_file", json!({"session_id": sid, "name": "network.tf"})).await;
        let text = network["content"].as_str().unwrap();
        assert!(text.contains("oci_core_services") && text.contains("vcn_cidr"), "{text}");

        // The model fixes a file by hand; a re-export keeps it and shows the difference.
        let edited = format!("{text}\n# tuned by hand\n");
        mcp.ok(
            "write_terraform_files",
            json!({"session_id": sid, "files": [{"name": "network.tf", "content": edited}]}),
        )
        .await;
        mcp.ok(
            "configure_component",
            json!({"session_id": sid, "component_id": "oke", "config": {"node_count": 5}}),
        )
        .await;
        let again = mcp.ok("export_iac", json!({"session_id": sid})).await;
        let by_name = |v: &Value, n: &str| {
            v["files"].as_array().unwrap().iter().find(|f| f["name"] == n).cloned().unwrap()
        };
        let net = by_name(&again, "network.tf");
        assert_eq!(net["change"], "edited_in_workspace", "{again}");
        assert!(net["diff"].as_str().unwrap().contains("-# tuned by hand"), "{net}");
        assert_eq!(by_name(&again, "containers.tf")["change"], "update", "{again}");
        assert_eq!(by_name(&again, "versions.tf")["change"], "unchanged", "{again}");
        let kept = mcp.ok("read_terraform_file", json!({"session_id": sid, "name": "network.tf"})).await;
        assert!(kept["content"].as_str().unwrap().contains("# tuned by hand"));
        let forced = mcp.ok("export_iac", json!({"session_id": sid, "overwrite_edited": true})).await;
        assert_eq!(by_name(&forced, "network.tf")["change"], "edited_in_workspace");
        let replaced = mcp.ok("read_terraform_file", json!({"session_id": sid, "name": "network.tf"})).await;
        assert!(!replaced["content"].as_str().unwrap().contains("# tuned by hand"));
        let quiet = mcp.ok("export_iac", json!({"session_id": sid})).await;
        assert!(quiet["files"].as_array().unwrap().iter().all(|f| f["change"] == "unchanged"), "{quiet}");
        assert_eq!(quiet["written"], false);
    });
}

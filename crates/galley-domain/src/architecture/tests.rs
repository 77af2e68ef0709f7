use std::collections::BTreeMap;

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn catalog() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

fn now() -> Timestamp {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn sid() -> SessionId {
    "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b".parse().unwrap()
}

fn input(service: &str, id: &str, placement: Option<&str>, config: serde_json::Value) -> ComponentInput {
    ComponentInput {
        id: Some(id.to_owned()),
        service: service.to_owned(),
        config: serde_json::from_value(config).unwrap(),
        placement: placement.map(str::to_owned),
        ..ComponentInput::default()
    }
}

/// VCN → private subnet → OKE, and a public ADB.
fn base() -> Architecture {
    let c = catalog();
    let mut a = Architecture::new(sid(), Some("ap-tokyo-1".into()), now());
    a.add_component(&c, input("vcn", "vcn", None, json!({})), now()).unwrap();
    a.add_component(&c, input("subnet", "app", Some("vcn"), json!({"tier": "private"})), now()).unwrap();
    a.add_component(&c, input("subnet", "lb", Some("vcn"), json!({"tier": "public"})), now()).unwrap();
    a.add_component(&c, input("oke", "oke", Some("app"), json!({"lb_subnet": "lb"})), now()).unwrap();
    a.add_component(&c, input("autonomous_database", "adb", None, json!({})), now()).unwrap();
    a
}

#[test]
fn add_fills_defaults_and_checks_placement() {
    let a = base();
    assert_eq!(a.revision, 5);
    assert_eq!(a.component("oke").unwrap().config["node_count"], json!(3));
    let c = catalog();
    let mut b = a.clone();
    let e = b.add_component(&c, input("oke", "oke2", None, json!({})), now()).unwrap_err();
    assert!(e.to_string().contains("existing subnets: app, lb"), "{e}");
    let e = b.add_component(&c, input("oke", "oke", Some("app"), json!({})), now()).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = b.add_component(&c, input("object_storage", "os", Some("app"), json!({})), now()).unwrap_err();
    assert!(e.to_string().contains("leave placement empty"), "{e}");
    let e = b
        .add_component(&c, input("oke", "oke3", Some("app"), json!({"lb_subnet": "adb"})), now())
        .unwrap_err();
    assert!(e.to_string().contains("must name a subnet component"), "{e}");
    assert_eq!(b, a, "failed edits change nothing");
    let id = b
        .add_component(
            &c,
            ComponentInput { service: "oke".into(), placement: Some("app".into()), ..Default::default() },
            now(),
        )
        .unwrap()
        .id
        .clone();
    assert_eq!(id.as_str(), "oke-2");
}

#[test]
fn remove_refuses_dependents_unless_cascade() {
    let c = catalog();
    let mut a = base();
    a.connect(
        ConnectionInput { from: "oke".into(), to: "adb".into(), port: Some(1522), ..Default::default() },
        now(),
    )
    .unwrap();
    let before = a.clone();
    let e = a.remove_component(&c, "lb", false, now()).unwrap_err();
    assert!(e.to_string().contains("oke refers to it in lb_subnet"), "{e}");
    let e = a.remove_component(&c, "vcn", false, now()).unwrap_err();
    assert!(e.to_string().contains("app is placed in it"), "{e}");
    assert_eq!(a, before);
    let removed = a.remove_component(&c, "vcn", true, now()).unwrap();
    let ids: Vec<&str> = removed.components.iter().map(ComponentId::as_str).collect();
    assert_eq!(ids, ["vcn", "app", "lb", "oke"]);
    assert_eq!(removed.connections.len(), 1);
    assert_eq!(a.components.len(), 1);
    assert!(a.connections.is_empty());
    let e = a.remove_component(&c, "nope", false, now()).unwrap_err();
    assert!(e.to_string().contains("existing components: adb"), "{e}");
}

#[test]
fn configure_validates_against_the_catalog() {
    let c = catalog();
    let mut a = base();
    let mut change = ConfigureInput::default();
    change.config.insert("network_access".into(), json!("private"));
    let e = a.configure_component(&c, "adb", change, now()).unwrap_err();
    assert!(e.to_string().contains("valid values: public, private_endpoint"), "{e}");
    let mut change = ConfigureInput { placement: Some(Some("app".into())), ..Default::default() };
    change.config.insert("network_access".into(), json!("private_endpoint"));
    let comp = a.configure_component(&c, "adb", change, now()).unwrap();
    assert_eq!(comp.config["network_access"], json!("private_endpoint"));
    assert_eq!(comp.placement.as_ref().unwrap().as_str(), "app");
    let mut change = ConfigureInput::default();
    change.config.insert("lb_subnet".into(), json!(null));
    assert!(!a.configure_component(&c, "oke", change, now()).unwrap().config.contains_key("lb_subnet"));
}

#[test]
fn connections_update_in_place_and_disconnect() {
    let mut a = base();
    let conn = ConnectionInput {
        from: "oke".into(),
        to: "adb".into(),
        port: Some(1522),
        protocol: Some("TCP".into()),
        purpose: None,
    };
    a.connect(conn.clone(), now()).unwrap();
    a.connect(ConnectionInput { purpose: Some("orders".into()), ..conn }, now()).unwrap();
    assert_eq!(a.connections.len(), 1);
    assert_eq!(a.connections[0].protocol.as_deref(), Some("tcp"));
    let e = a
        .connect(ConnectionInput { from: "oke".into(), to: "oke".into(), ..Default::default() }, now())
        .unwrap_err();
    assert!(e.to_string().contains("itself"), "{e}");
    assert!(a.disconnect("adb", "oke", None, now()).is_err());
    assert_eq!(a.disconnect("oke", "adb", None, now()).unwrap().len(), 1);
}

#[test]
fn replace_checks_everything_and_allows_forward_references() {
    let c = catalog();
    let mut a = base();
    let good: ArchitectureInput = serde_json::from_value(json!({
        "region": "us-ashburn-1",
        "components": [
            {"id": "net", "service": "vcn"},
            {"id": "workers", "service": "subnet", "placement": "net"},
            {"id": "k8s", "service": "oke", "placement": "workers", "config": {"lb_subnet": "pub"}},
            {"id": "pub", "service": "subnet", "placement": "net", "config": {"tier": "public"}}
        ],
        "connections": [{"from": "k8s", "to": "pub"}]
    }))
    .unwrap();
    a.replace(&c, good, None, now()).unwrap();
    assert_eq!(a.region.as_deref(), Some("us-ashburn-1"));
    assert_eq!(a.revision, 6);
    let before = a.clone();
    let bad: ArchitectureInput = serde_json::from_value(json!({
        "components": [
            {"id": "x", "service": "okee"},
            {"id": "Bad Id", "service": "vcn"},
            {"id": "k8s", "service": "oke", "config": {"lb_subnet": "missing"}}
        ],
        "connections": [{"from": "k8s", "to": "nowhere"}]
    }))
    .unwrap();
    let e = a.replace(&c, bad, None, now()).unwrap_err().to_string();
    for want in ["components[0] (x): unknown service \"okee\"", "not a valid component id", "connections[0]"]
    {
        assert!(e.contains(want), "{want} missing from {e}");
    }
    assert_eq!(a, before);
}

#[test]
fn slugify_makes_valid_ids() {
    for raw in ["autonomous_database", "API Gateway (public)", "123", "__", "ＡＤＢ"] {
        let id = ComponentId::slugify(raw);
        assert!(id.as_str().parse::<ComponentId>().is_ok(), "{raw} -> {id}");
    }
}

const SERVICES: &[&str] = &["vcn", "subnet", "oke", "autonomous_database", "object_storage"];

proptest! {
    /// Adding a component and removing it again leaves the design as it was (apart from revision and time).
    #[test]
    fn add_then_remove_is_identity(service in 0..SERVICES.len(), placement in proptest::option::of("[a-z]{1,5}"), node_count in 0i64..2000) {
        let c = catalog();
        let a = base();
        let mut b = a.clone();
        let mut config = BTreeMap::new();
        if SERVICES[service] == "oke" {
            config.insert("node_count".to_owned(), json!(node_count));
        }
        let added = b.add_component(&c, ComponentInput {
            service: SERVICES[service].into(),
            placement,
            config,
            ..Default::default()
        }, now());
        match added {
            Ok(comp) => {
                let id = comp.id.clone();
                b.remove_component(&c, id.as_str(), false, now()).unwrap();
                b.revision = a.revision;
                prop_assert_eq!(b, a);
            }
            Err(_) => prop_assert_eq!(b, a),
        }
    }
}

/// The persisted document's shape is an API: a change here needs a schema_version decision.
#[test]
fn persisted_shape_is_stable() {
    let mut a = base();
    a.connect(
        ConnectionInput {
            from: "oke".into(),
            to: "adb".into(),
            protocol: Some("tcp".into()),
            port: Some(1522),
            purpose: Some("orders".into()),
        },
        now(),
    )
    .unwrap();
    a.components[4].rationale =
        Some(Rationale { reason: "Oracle DB asked".into(), answers: vec!["data.database_kind".into()] });
    insta::assert_json_snapshot!(a);
    let back: Architecture = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(back, a);
}

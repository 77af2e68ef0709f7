use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn builtin() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

#[test]
fn builtin_catalog_parses() {
    let c = builtin();
    assert!(c.service("oke").is_some());
    assert!(c.require("okee").unwrap_err().contains("oke"));
}

fn check(service: &str, changes: Value) -> Result<BTreeMap<String, Value>, Vec<ConfigProblem>> {
    let c = builtin();
    let map: BTreeMap<String, Value> = serde_json::from_value(changes).unwrap();
    c.service(service).unwrap().check_config(&map)
}

#[test]
fn config_checks_name_the_valid_values() {
    let ok = check("oke", json!({"node_count": "4"})).unwrap();
    assert_eq!(ok["node_count"], json!(4));
    let bad = check("oke", json!({"node_cnt": 4})).unwrap_err();
    assert!(bad[0].message.contains("valid attributes: node_count"), "{bad:?}");
    let bad = check("autonomous_database", json!({"network_access": "vpn"})).unwrap_err();
    assert!(bad[0].message.contains("public, private_endpoint"), "{bad:?}");
    let ok = check("autonomous_database", json!({"network_access": "PRIVATE_ENDPOINT"})).unwrap();
    assert_eq!(ok["network_access"], json!("private_endpoint"));
    let bad = check("oke", json!({"node_count": 0})).unwrap_err();
    assert!(bad[0].message.contains("between 1 and 1000"), "{bad:?}");
}

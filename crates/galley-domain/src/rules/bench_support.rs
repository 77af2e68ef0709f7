//! A large, realistic design for benchmarks and scale tests (not test-only: the workspace benchmark calls it).
//!
//! [`generated_design`] builds VCNs with gateways (Internet, NAT, Service, DRG) and public/private subnets (one
//! VCN per 250 components), then
//! fills them round-robin with the workloads of a typical enterprise design (compute, load balancers with WAF,
//! OKE, Autonomous Database, MySQL, Functions, Streaming, caches, ...) using the catalog's service ids and
//! attributes, and joins workloads with connections on realistic ports. The result is deterministic (no RNG:
//! a fixed linear congruential sequence) and is built directly, without the catalog or edits, so it also works
//! with a partial catalog. Some rules fire on it (as on real designs); that is the point of measuring.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::architecture::{ARCHITECTURE_SCHEMA_VERSION, Architecture, Component, ComponentId, Connection};
use crate::ids::SessionId;

fn component(id: &str, service: &str, placement: Option<&str>, config: Value) -> Component {
    let config: BTreeMap<String, Value> = match config {
        Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    Component {
        id: ComponentId::slugify(id),
        service: service.to_owned(),
        name: id.to_owned(),
        config,
        placement: placement.map(ComponentId::slugify),
        rationale: None,
    }
}

/// A deterministic design of exactly `n_components` components and (when there are at least two workloads)
/// `n_connections` connections, in region `ap-tokyo-1`.
pub fn generated_design(n_components: usize, n_connections: usize) -> Architecture {
    let mut comps: Vec<Component> = Vec::with_capacity(n_components);
    let vcns = (n_components / 250).max(1);
    for v in 0..vcns {
        let vcn = format!("vcn-{v}");
        let second = v % 250;
        let cidr = |third: usize| format!("10.{second}.{third}.0/24");
        comps.push(component(
            &vcn,
            "vcn",
            None,
            json!({"cidr": format!("10.{second}.0.0/16"), "dns_label": format!("vcn{v}")}),
        ));
        comps.push(component(&format!("igw-{v}"), "internet_gateway", Some(&vcn), json!({})));
        comps.push(component(&format!("nat-{v}"), "nat_gateway", Some(&vcn), json!({})));
        comps.push(component(
            &format!("sgw-{v}"),
            "service_gateway",
            Some(&vcn),
            json!({"services": "all_services"}),
        ));
        // A hub DRG per VCN, so workloads in different VCNs can talk (as in a hub-and-spoke design).
        comps.push(component(&format!("drg-{v}"), "drg", Some(&vcn), json!({})));
        comps.push(component(
            &format!("lb-subnet-{v}"),
            "subnet",
            Some(&vcn),
            json!({"tier": "public", "role": "lb", "cidr": cidr(0), "ingress": ["tcp:443:0.0.0.0/0", "all:*:vcn"]}),
        ));
        for a in 0..3 {
            comps.push(component(
                &format!("app-subnet-{v}-{a}"),
                "subnet",
                Some(&vcn),
                json!({"tier": "private", "role": "app", "cidr": format!("10.{second}.{}.0/20", 16 + a * 16),
                       "ingress": ["all:*:vcn", "icmp:3.4:0.0.0.0/0"]}),
            ));
        }
        comps.push(component(
            &format!("db-subnet-{v}"),
            "subnet",
            Some(&vcn),
            json!({"tier": "private", "role": "db", "cidr": cidr(200), "ingress": ["tcp:1521-1522:10.0.0.0/8", "tcp:3306:10.0.0.0/8", "tcp:6379:10.0.0.0/8"]}),
        ));
    }
    let mut workloads: Vec<usize> = Vec::new();
    let mut k = 0usize;
    while comps.len() < n_components {
        let v = k % vcns;
        let app = format!("app-subnet-{v}-{}", (k / vcns) % 3);
        let db = format!("db-subnet-{v}");
        let lbs = format!("lb-subnet-{v}");
        let id = |kind: &str| format!("{kind}-{k}");
        let c = match k % 16 {
            0 | 8 => component(
                &id("vm"),
                "compute_instance",
                Some(&app),
                json!({"shape": "VM.Standard.E5.Flex", "ocpus": 2, "memory_gb": 32, "instance_count": 2, "os": "oracle_linux_9", "boot_volume_gb": 50, "assign_public_ip": false, "is_free_tier": false}),
            ),
            1 => component(
                &id("lb"),
                "load_balancer",
                Some(&lbs),
                json!({"visibility": "public", "min_bandwidth_mbps": 10, "max_bandwidth_mbps": 100, "listener_protocol": "https"}),
            ),
            2 => {
                let target = format!("lb-{}", k - 1);
                component(&id("waf"), "waf", None, json!({"target": target, "action": "block"}))
            }
            3 => component(
                &id("oke"),
                "oke",
                Some(&app),
                json!({"kubernetes_version": "v1.31.1", "endpoint_visibility": "private", "api_endpoint_subnet": app, "lb_subnet": lbs, "node_pool_type": "managed", "node_shape": "VM.Standard.E5.Flex", "node_ocpus": 2, "node_memory_gb": 16, "node_count": 3, "cni": "vcn_native", "cluster_type": "enhanced", "pods_per_node": 31}),
            ),
            4 => component(
                &id("adb"),
                "autonomous_database",
                Some(&db),
                json!({"workload": "oltp", "deployment": "serverless", "ecpu_count": 4, "storage_gb": 1024, "network_access": "private_endpoint", "is_free_tier": false, "auto_scaling": true, "data_guard": true, "db_version": "23ai", "license_model": "license_included"}),
            ),
            5 => component(
                &id("mysql"),
                "mysql_heatwave",
                Some(&db),
                json!({"shape": "MySQL.4", "is_highly_available": true, "heatwave_cluster": false, "storage_gb": 100}),
            ),
            6 => component(
                &id("bucket"),
                "object_storage",
                None,
                json!({"bucket_name": format!("bucket-{k}"), "storage_tier": "standard", "versioning": true, "public_access": "no_public_access"}),
            ),
            7 => component(
                &id("fn"),
                "functions",
                Some(&app),
                json!({"memory_mb": 256, "timeout_seconds": 30, "function_count": 3}),
            ),
            9 => component(&id("stream"), "streaming", None, json!({"partitions": 1, "retention_hours": 24})),
            10 => component(
                &id("cache"),
                "cache",
                Some(&db),
                json!({"node_count": 2, "memory_gb": 16, "cluster_mode": "nonsharded"}),
            ),
            11 => component(
                &id("ci"),
                "container_instance",
                Some(&app),
                json!({"shape": "CI.Standard.E4.Flex", "ocpus": 1, "memory_gb": 8, "container_count": 1, "assign_public_ip": false}),
            ),
            12 => {
                let target = format!("vm-{}", k - 4);
                component(
                    &id("bv"),
                    "block_volume",
                    None,
                    json!({"attached_to": target, "size_gb": 100, "vpus_per_gb": 10, "backup_policy": "silver"}),
                )
            }
            13 => component(&id("apigw"), "api_gateway", Some(&lbs), json!({"endpoint_type": "PUBLIC"})),
            14 => component(
                &id("nosql"),
                "nosql",
                None,
                json!({"table_name": format!("orders_{k}"), "capacity_mode": "on_demand", "storage_gb": 25, "is_free_tier": false}),
            ),
            _ => component(
                &id("db"),
                "base_database",
                Some(&db),
                json!({"edition": "enterprise", "shape": "VM.Standard.E5.Flex", "ocpus": 2, "storage_gb": 256, "node_count": 2, "db_version": "19c"}),
            ),
        };
        workloads.push(comps.len());
        comps.push(c);
        k += 1;
    }
    comps.truncate(n_components);
    workloads.retain(|&i| i < comps.len());
    let mut connections = Vec::with_capacity(n_connections);
    if workloads.len() >= 2 {
        let w = workloads.len() as u64;
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        while connections.len() < n_connections {
            #[allow(clippy::cast_possible_truncation)]
            let a_pos = (next() % w) as usize;
            // Mostly within the same VCN (workloads are dealt to VCNs round-robin), one in ten across VCNs.
            let b_pos = if next() % 10 == 0 {
                (next() % w) as usize
            } else {
                let per_vcn = (workloads.len() / vcns).max(1) as u64;
                (((next() % per_vcn) as usize) * vcns + a_pos % vcns).min(workloads.len() - 1)
            };
            let (a, b) = (workloads[a_pos], workloads[b_pos]);
            if a == b {
                continue;
            }
            let port = match comps[b].service.as_str() {
                "autonomous_database" => 1522,
                "mysql_heatwave" => 3306,
                "base_database" => 1521,
                "cache" => 6379,
                _ => 443,
            };
            connections.push(Connection {
                from: comps[a].id.clone(),
                to: comps[b].id.clone(),
                protocol: Some("tcp".to_owned()),
                port: Some(port),
                purpose: None,
            });
        }
    }
    Architecture {
        schema_version: ARCHITECTURE_SCHEMA_VERSION,
        session_id: SessionId::from_uuid(uuid::Uuid::nil()),
        revision: 1,
        region: Some("ap-tokyo-1".to_owned()),
        pattern: None,
        components: comps,
        connections,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

//! Realistic example designs, built through the model's own edit path. They are test data for the export (unit
//! tests, the snapshot, and the `terraform fmt` integration test), and demo input.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::architecture::{Architecture, ArchitectureInput, DesignError};
use crate::catalog::ServiceCatalog;
use crate::ids::SessionId;

fn c(id: &str, service: &str, placement: Option<&str>, config: Value) -> Value {
    let mut v = json!({ "id": id, "service": service, "config": config });
    if let Some(p) = placement {
        v["placement"] = json!(p);
    }
    v
}

fn k(from: &str, to: &str, port: Option<u16>, purpose: &str) -> Value {
    let mut v = json!({ "from": from, "to": to, "purpose": purpose });
    if let Some(p) = port {
        v["port"] = json!(p);
    }
    v
}

/// An OKE web system: public load balancer with WAF, OKE with VCN-native pods, ADB on a private endpoint.
fn web_oke_adb() -> Value {
    json!({
        "region": "ap-tokyo-1",
        "components": [
            c("app-vcn", "vcn", None, json!({ "cidr": "10.20.0.0/16", "dns_label": "appvcn" })),
            c("igw", "internet_gateway", Some("app-vcn"), json!({})),
            c("nat", "nat_gateway", Some("app-vcn"), json!({})),
            c("sgw", "service_gateway", Some("app-vcn"), json!({})),
            c("lb-subnet", "subnet", Some("app-vcn"), json!({ "tier": "public", "role": "lb" })),
            c("api-subnet", "subnet", Some("app-vcn"), json!({ "tier": "public", "role": "oke_api" })),
            c("workers", "subnet", Some("app-vcn"), json!({ "tier": "private", "role": "oke_workers" })),
            c("pods", "subnet", Some("app-vcn"), json!({ "tier": "private", "role": "oke_pods" })),
            c("db-subnet", "subnet", Some("app-vcn"), json!({ "tier": "private", "role": "db" })),
            c("web-lb", "load_balancer", Some("lb-subnet"), json!({ "listener_protocol": "https", "max_bandwidth_mbps": 400 })),
            c("web-waf", "waf", None, json!({ "target": "web-lb", "action": "block" })),
            c("oke", "oke", Some("workers"), json!({
                "endpoint_visibility": "public", "api_endpoint_subnet": "api-subnet", "lb_subnet": "lb-subnet",
                "node_count": 3, "node_ocpus": 2, "node_memory_gb": 32
            })),
            c("orders-db", "autonomous_database", Some("db-subnet"), json!({ "workload": "oltp", "ecpu_count": 4, "storage_gb": 1024 })),
            c("assets", "object_storage", None, json!({ "bucket_name": "web-assets" })),
            c("ops-topic", "notifications", None, json!({ "protocol": "email" })),
            c("metrics", "monitoring", None, json!({ "alarm_topic": "ops-topic" })),
        ],
        "connections": [
            k("web-lb", "oke", None, "HTTPS traffic to the ingress controller"),
            k("oke", "orders-db", None, "orders service → database"),
        ]
    })
}

/// An event-driven system: API Gateway → Functions → NoSQL and Streaming, bucket events to a topic and a stream.
fn event_driven() -> Value {
    json!({
        "region": "us-ashburn-1",
        "components": [
            c("evt-vcn", "vcn", None, json!({ "cidr": "10.100.0.0/16" })),
            c("evt-igw", "internet_gateway", Some("evt-vcn"), json!({})),
            c("evt-nat", "nat_gateway", Some("evt-vcn"), json!({})),
            c("evt-sgw", "service_gateway", Some("evt-vcn"), json!({ "services": "all_services" })),
            c("public", "subnet", Some("evt-vcn"), json!({ "tier": "public", "role": "web" })),
            c("functions-subnet", "subnet", Some("evt-vcn"), json!({ "tier": "private", "role": "functions" })),
            c("api", "api_gateway", Some("public"), json!({ "endpoint_type": "PUBLIC" })),
            c("handlers", "functions", Some("functions-subnet"), json!({ "memory_mb": 512, "function_count": 3 })),
            c("orders-table", "nosql", None, json!({ "table_name": "orders", "capacity_mode": "provisioned", "read_units": 100, "write_units": 50 })),
            c("order-stream", "streaming", None, json!({ "partitions": 3, "retention_hours": 48 })),
            c("uploads", "object_storage", None, json!({ "bucket_name": "order-uploads", "versioning": false })),
            c("upload-events", "events", None, json!({})),
            c("alerts", "notifications", None, json!({ "protocol": "https" })),
            c("work-queue", "queue", None, json!({ "visibility_timeout_seconds": 60, "max_delivery_attempts": 3 })),
        ],
        "connections": [
            k("api", "handlers", None, "REST API → functions"),
            k("handlers", "orders-table", None, "functions store orders"),
            k("handlers", "order-stream", None, "functions publish order events"),
            k("uploads", "upload-events", None, "new uploads raise events"),
            k("upload-events", "order-stream", None, "events to the stream"),
            k("upload-events", "alerts", None, "events to the topic"),
            k("upload-events", "handlers", None, "events invoke a function"),
        ]
    })
}

/// A batch system: compute workers, MySQL HeatWave, File Storage, a bastion, archive storage.
fn batch() -> Value {
    json!({
        "region": "eu-frankfurt-1",
        "components": [
            c("batch-vcn", "vcn", None, json!({ "cidr": "172.16.0.0/20" })),
            c("batch-nat", "nat_gateway", Some("batch-vcn"), json!({})),
            c("batch-sgw", "service_gateway", Some("batch-vcn"), json!({ "services": "object_storage" })),
            c("app", "subnet", Some("batch-vcn"), json!({ "tier": "private", "role": "app", "ingress": ["tcp:22:vcn"] })),
            c("data", "subnet", Some("batch-vcn"), json!({ "tier": "private", "role": "db", "cidr": "172.16.15.0/24" })),
            c("workers", "compute_instance", Some("app"), json!({ "shape": "VM.Standard.E5.Flex", "ocpus": 4, "memory_gb": 64, "instance_count": 2, "os": "oracle_linux_9" })),
            c("scratch", "block_volume", None, json!({ "attached_to": "workers", "size_gb": 500, "backup_policy": "bronze" })),
            c("results-db", "mysql_heatwave", Some("data"), json!({ "shape": "MySQL.4", "heatwave_cluster": true, "storage_gb": 200 })),
            c("shared-fs", "file_storage", Some("data"), json!({ "export_path": "/batch" })),
            c("admin", "bastion", Some("app"), json!({ "client_cidrs": ["203.0.113.0/24"] })),
            c("archive", "object_storage", None, json!({ "bucket_name": "batch-archive", "storage_tier": "archive" })),
        ],
        "connections": [
            k("workers", "results-db", None, "results → MySQL"),
            k("workers", "shared-fs", None, "shared input files over NFS"),
        ]
    })
}

/// One component of every service of the contract, with the less common options where there is a choice.
fn every_service() -> Value {
    json!({
        "region": "ap-osaka-1",
        "components": [
            c("main-vcn", "vcn", None, json!({ "cidr": "10.0.0.0/16" })),
            c("main-igw", "internet_gateway", Some("main-vcn"), json!({})),
            c("main-nat", "nat_gateway", Some("main-vcn"), json!({})),
            c("main-sgw", "service_gateway", Some("main-vcn"), json!({})),
            c("main-drg", "drg", Some("main-vcn"), json!({})),
            c("web", "subnet", Some("main-vcn"), json!({ "tier": "public", "role": "web", "ingress": ["tcp:22:203.0.113.0/24", "icmp:3.4:0.0.0.0/0", "all:*:vcn"] })),
            c("app", "subnet", Some("main-vcn"), json!({ "tier": "private", "role": "app" })),
            c("db", "subnet", Some("main-vcn"), json!({ "tier": "private", "role": "db" })),
            c("k8s-api", "subnet", Some("main-vcn"), json!({ "tier": "private", "role": "oke_api" })),
            c("k8s-nodes", "subnet", Some("main-vcn"), json!({ "tier": "private", "role": "oke_workers" })),
            c("k8s-lb", "subnet", Some("main-vcn"), json!({ "tier": "public", "role": "oke_lb" })),
            c("vpn", "vpn_connect", None, json!({ "drg": "main-drg", "routing": "static" })),
            c("fc", "fastconnect", None, json!({ "drg": "main-drg", "bandwidth_gbps": "10", "redundant": true })),
            c("lb", "load_balancer", Some("web"), json!({ "listener_protocol": "http" })),
            c("nlb", "network_load_balancer", Some("app"), json!({ "visibility": "private" })),
            c("zone", "dns", None, json!({ "zone_name": "internal.example.com", "zone_type": "private" })),
            c("waf", "waf", None, json!({ "target": "lb", "action": "detect" })),
            c("vault", "vault", None, json!({ "vault_type": "default", "protection_mode": "software" })),
            c("app-nsg", "network_security_group", Some("main-vcn"), json!({ "ingress": ["tcp:8080:vcn", "icmp:3.4:0.0.0.0/0"] })),
            c("ops-policy", "iam_policy", None, json!({ "statements": ["Allow group Ops to read all-resources in tenancy"], "dynamic_group": true })),
            c("tls", "certificates", None, json!({ "config_type": "imported" })),
            c("bastion", "bastion", Some("app"), json!({ "client_cidrs": ["198.51.100.0/24"], "max_session_ttl_minutes": 60 })),
            c("idd", "identity_domain", None, json!({ "domain_type": "premium", "federation": "entra_id" })),
            c("vm", "compute_instance", Some("app"), json!({ "shape": "VM.Standard.A1.Flex", "os": "ubuntu_22_04", "ocpus": 2, "memory_gb": 12 })),
            c("k8s", "oke", Some("k8s-nodes"), json!({ "api_endpoint_subnet": "k8s-api", "lb_subnet": "k8s-lb", "node_pool_type": "virtual", "node_count": 2 })),
            c("ci", "container_instance", Some("app"), json!({ "container_count": 2, "memory_gb": 4 })),
            c("registry", "container_registry", None, json!({ "repository_name": "shop/web" })),
            c("fn", "functions", Some("app"), json!({})),
            c("adb", "autonomous_database", Some("db"), json!({ "workload": "dw", "data_guard": true, "license_model": "byol", "db_version": "19c" })),
            c("dbcs", "base_database", Some("db"), json!({ "edition": "enterprise_high_performance", "db_version": "23ai" })),
            c("mysql", "mysql_heatwave", Some("db"), json!({ "is_highly_available": true })),
            c("nosql", "nosql", None, json!({ "table_name": "carts", "is_free_tier": true })),
            c("cache", "cache", Some("db"), json!({ "cluster_mode": "sharded", "node_count": 3 })),
            c("bucket", "object_storage", None, json!({ "bucket_name": "every.service", "public_access": "object_read" })),
            c("fss", "file_storage", Some("app"), json!({})),
            c("volume", "block_volume", None, json!({ "attached_to": "vm", "backup_policy": "gold" })),
            c("logs", "logging", None, json!({ "retention_months": 3 })),
            c("topic", "notifications", None, json!({})),
            c("alarms", "monitoring", None, json!({ "alarm_topic": "topic" })),
            c("apm", "apm", None, json!({ "is_free_tier": true })),
            c("gateway", "api_gateway", Some("web"), json!({ "endpoint_type": "PUBLIC" })),
            c("events", "events", None, json!({})),
            c("stream", "streaming", Some("app"), json!({ "partitions": 2 })),
            c("queue", "queue", None, json!({})),
            c("mail", "email_delivery", None, json!({ "approved_sender": "noreply@example.com" })),
            c("pipeline", "devops", None, json!({ "deploy_target": "oke" })),
            c("genai", "generative_ai", None, json!({ "serving_mode": "dedicated" })),
            c("ds", "data_science", Some("app"), json!({ "model_deployment": true })),
        ],
        "connections": [
            k("lb", "vm", Some(8080), "web traffic"),
            k("gateway", "ci", None, "API → containers"),
            k("vm", "adb", None, "app → ADB"),
            k("vm", "dbcs", None, "app → DB system"),
            k("vm", "mysql", None, "app → MySQL"),
            k("vm", "cache", None, "app → cache"),
            k("ci", "fss", None, "containers → NFS"),
            k("k8s", "adb", None, "pods → ADB"),
            k("bucket", "events", None, "object events"),
            k("events", "topic", None, "notify"),
            k("fn", "stream", None, "functions → stream"),
        ]
    })
}

/// The example designs as (name, architecture): `web-oke-adb`, `event-driven`, `batch`, `every-service`.
/// Documented test data: each is built with [`Architecture::replace`] against `catalog`, so it is a valid design
/// of that catalog (the built-in one in tests), with a fixed session id and time so exports are reproducible.
pub fn example_architectures(catalog: &ServiceCatalog) -> Result<Vec<(String, Architecture)>, DesignError> {
    let session = SessionId::from_uuid(uuid::Uuid::from_u128(0x0192_f3c4_5d6e_7f80_9a1b_2c3d_4e5f_6a7b));
    let now = Timestamp::from_second(1_796_083_200).map_err(|e| DesignError::Invalid(vec![e.to_string()]))?;
    let mut out = Vec::new();
    for (name, doc) in [
        ("web-oke-adb", web_oke_adb()),
        ("event-driven", event_driven()),
        ("batch", batch()),
        ("every-service", every_service()),
    ] {
        let input: ArchitectureInput = serde_json::from_value(doc)
            .map_err(|e| DesignError::Invalid(vec![format!("example {name}: {e}")]))?;
        let mut arch = Architecture::new(session, None, now);
        arch.replace(catalog, input, Some(name.to_owned()), now)?;
        out.push((name.to_owned(), arch));
    }
    Ok(out)
}

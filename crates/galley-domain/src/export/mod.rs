//! Exports of a session for a customer document: the design as a Mermaid flowchart ([`mermaid()`]) and the whole
//! session as Markdown ([`summary()`]: requirements, assumptions, open questions, the design with its rationale,
//! validation findings and the diagram).
//!
//! Both are pure and deterministic: the same inputs give the same bytes (components and connections in the
//! design's order, no clock: a "generated at" label is passed in). Neither panics on any design, valid or not:
//! unknown services, dangling placements or duplicate ids are drawn as well as they can be.

use std::collections::HashSet;

use serde_json::Value;

use crate::architecture::{Architecture, Component};
use crate::catalog::ServiceCatalog;
use crate::locale::Locale;

pub mod mermaid;
pub mod rm_schema;
pub mod summary;

#[cfg(test)]
mod tests;

pub use mermaid::mermaid;
pub use summary::{SummaryInput, summary};

/// Picks the text of `locale`.
fn tr(locale: Locale, en: &'static str, ja: &'static str) -> &'static str {
    match locale {
        Locale::En => en,
        Locale::Ja => ja,
    }
}

/// A config value as short text: strings as they are, whole numbers without `.0`, lists joined by ", ".
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        Value::Object(_) => v.to_string(),
    }
}

/// A config value of `c` as text, when set and not empty.
fn cfg(c: &Component, name: &str) -> Option<String> {
    c.config.get(name).map(value_text).filter(|s| !s.is_empty())
}

fn cfg_true(c: &Component, name: &str) -> bool {
    c.config.get(name).and_then(Value::as_bool) == Some(true)
}

/// The display name of the component `id` refers to (its name when it is in the design, else the id).
fn ref_name(arch: &Architecture, c: &Component, attr: &str) -> Option<String> {
    let id = c.config_str(attr)?;
    Some(arch.component(id).map_or_else(|| id.to_owned(), |r| r.name.clone()))
}

/// `"2 OCPU / 16 GB"` from the OCPU and memory attributes present.
fn size(c: &Component, ocpus: &str, memory: &str, memory_unit: &str) -> Option<String> {
    match (cfg(c, ocpus), cfg(c, memory)) {
        (Some(o), Some(m)) => Some(format!("{o} OCPU / {m} {memory_unit}")),
        (Some(o), None) => Some(format!("{o} OCPU")),
        (None, Some(m)) => Some(format!("{m} {memory_unit}")),
        (None, None) => None,
    }
}

/// The few attributes that say the most about a component, as short lines (most important first). Used for
/// diagram labels and the summary's "key configuration" column. Services without a rule here show nothing.
pub fn key_config(arch: &Architecture, c: &Component, locale: Locale) -> Vec<String> {
    let t = |en, ja| tr(locale, en, ja);
    let labelled = |label: &str, attr: &str| cfg(c, attr).map(|v| format!("{label}: {v}"));
    let count = |attr: &str, en: &str, ja: &str| {
        cfg(c, attr)
            .filter(|n| n != "1")
            .map(|n| if locale == Locale::Ja { format!("{n}{ja}") } else { format!("× {n} {en}") })
    };
    let flag =
        |attr: &str, en: &'static str, ja: &'static str| cfg_true(c, attr).then(|| t(en, ja).to_owned());
    let lines: Vec<Option<String>> = match c.service.as_str() {
        "vcn" => vec![cfg(c, "cidr"), labelled("DNS", "dns_label")],
        "subnet" => vec![cfg(c, "tier"), cfg(c, "role").filter(|r| r != "general"), cfg(c, "cidr")],
        "internet_gateway" | "nat_gateway" | "drg" | "events" => vec![],
        "service_gateway" => vec![cfg(c, "services")],
        "vpn_connect" => vec![labelled(t("routing", "ルーティング"), "routing")],
        "fastconnect" => {
            vec![
                cfg(c, "bandwidth_gbps").map(|b| format!("{b} Gbps")),
                flag("redundant", "redundant", "冗長構成"),
            ]
        }
        "load_balancer" => vec![
            cfg(c, "visibility"),
            cfg(c, "listener_protocol"),
            match (cfg(c, "min_bandwidth_mbps"), cfg(c, "max_bandwidth_mbps")) {
                (Some(a), Some(b)) => Some(format!("{a}-{b} Mbps")),
                _ => None,
            },
        ],
        "network_load_balancer" => vec![cfg(c, "visibility")],
        "dns" => vec![cfg(c, "zone_name"), cfg(c, "zone_type")],
        "waf" => vec![
            labelled(t("action", "アクション"), "action"),
            ref_name(arch, c, "target").map(|n| format!("→ {n}")),
        ],
        "vault" => vec![cfg(c, "vault_type"), cfg(c, "protection_mode")],
        "bastion" => vec![labelled(t("clients", "接続元"), "client_cidrs")],
        "identity_domain" => {
            vec![
                cfg(c, "domain_type"),
                labelled(t("federation", "フェデレーション"), "federation")
                    .filter(|f| !f.ends_with(": none")),
            ]
        }
        "compute_instance" => vec![
            cfg(c, "shape"),
            size(c, "ocpus", "memory_gb", "GB"),
            count("instance_count", "instances", "台"),
            cfg(c, "os"),
            flag("assign_public_ip", "public IP", "パブリックIP"),
            flag("is_free_tier", "Always Free", "Always Free"),
        ],
        "oke" => vec![
            cfg(c, "kubernetes_version").map(|v| match cfg(c, "node_pool_type") {
                Some(p) => format!("{v} · {p}"),
                None => v,
            }),
            cfg(c, "node_shape"),
            size(c, "node_ocpus", "node_memory_gb", "GB"),
            count("node_count", "nodes", "ノード"),
            labelled(t("API endpoint", "APIエンドポイント"), "endpoint_visibility"),
            ref_name(arch, c, "lb_subnet").map(|n| format!("{}: {n}", t("LB subnet", "LBサブネット"))),
        ],
        "container_instance" => vec![
            cfg(c, "shape"),
            size(c, "ocpus", "memory_gb", "GB"),
            count("container_count", "containers", "コンテナ"),
            flag("assign_public_ip", "public IP", "パブリックIP"),
        ],
        "container_registry" => vec![cfg(c, "repository_name"), flag("is_public", "public", "公開")],
        "functions" => vec![
            cfg(c, "memory_mb").map(|m| format!("{m} MB")),
            cfg(c, "timeout_seconds").map(|s| format!("{s} s")),
            count("function_count", "functions", "関数"),
        ],
        "autonomous_database" => vec![
            match (cfg(c, "workload"), cfg(c, "db_version")) {
                (Some(w), Some(v)) => Some(format!("{w} · {v}")),
                (w, v) => w.or(v),
            },
            cfg(c, "ecpu_count").map(|e| format!("{e} ECPU")),
            cfg(c, "storage_gb").map(|s| format!("{s} GB")),
            labelled(t("network", "ネットワーク"), "network_access"),
            flag("data_guard", "Data Guard", "Data Guard"),
            flag("is_free_tier", "Always Free", "Always Free"),
        ],
        "base_database" => vec![
            cfg(c, "edition"),
            cfg(c, "shape"),
            cfg(c, "ocpus").map(|o| format!("{o} OCPU")),
            count("node_count", "nodes", "ノード"),
            cfg(c, "db_version"),
        ],
        "mysql_heatwave" => vec![
            cfg(c, "shape"),
            cfg(c, "storage_gb").map(|s| format!("{s} GB")),
            flag("is_highly_available", "HA", "高可用性"),
            flag("heatwave_cluster", "HeatWave cluster", "HeatWaveクラスタ"),
        ],
        "nosql" => vec![
            cfg(c, "table_name"),
            cfg(c, "capacity_mode"),
            flag("is_free_tier", "Always Free", "Always Free"),
        ],
        "cache" => vec![
            count("node_count", "nodes", "ノード"),
            cfg(c, "memory_gb").map(|m| format!("{m} GB")),
            cfg(c, "cluster_mode"),
        ],
        "object_storage" => vec![
            cfg(c, "bucket_name"),
            cfg(c, "storage_tier"),
            flag("versioning", "versioning", "バージョニング"),
            cfg(c, "public_access").filter(|p| p != "no_public_access"),
        ],
        "file_storage" => vec![cfg(c, "export_path")],
        "block_volume" => vec![
            cfg(c, "size_gb").map(|s| format!("{s} GB")),
            cfg(c, "vpus_per_gb").map(|v| format!("{v} VPU/GB")),
            ref_name(arch, c, "attached_to").map(|n| format!("→ {n}")),
        ],
        "logging" => vec![cfg(c, "retention_months").map(|m| {
            if locale == Locale::Ja { format!("保持 {m}か月") } else { format!("retention {m} months") }
        })],
        "monitoring" => {
            vec![ref_name(arch, c, "alarm_topic").map(|n| format!("{}: {n}", t("alarms", "アラーム")))]
        }
        "apm" => vec![flag("is_free_tier", "Always Free", "Always Free")],
        "notifications" => vec![cfg(c, "protocol")],
        "api_gateway" => vec![cfg(c, "endpoint_type")],
        "streaming" => vec![
            cfg(c, "partitions").map(|p| format!("{p} {}", t("partitions", "パーティション"))),
            cfg(c, "retention_hours").map(|h| format!("{} {h} h", t("retention", "保持"))),
        ],
        "queue" => vec![
            cfg(c, "max_delivery_attempts").map(|n| format!("{} {n}", t("max deliveries", "最大配信回数"))),
        ],
        "email_delivery" => vec![cfg(c, "approved_sender")],
        "devops" => vec![labelled(t("deploys to", "デプロイ先"), "deploy_target")],
        "generative_ai" => vec![cfg(c, "serving_mode")],
        "data_science" => vec![flag("model_deployment", "model deployment", "モデル・デプロイメント")],
        _ => vec![],
    };
    lines.into_iter().flatten().collect()
}

/// The components to draw or list: the first of each id (a hand-built design may repeat one).
fn unique_components(arch: &Architecture) -> Vec<&Component> {
    let mut seen = HashSet::new();
    arch.components.iter().filter(|c| seen.insert(c.id.as_str())).collect()
}

/// The service's display name, or its id when the catalog does not know it.
fn service_label<'a>(catalog: &'a ServiceCatalog, c: &'a Component, locale: Locale) -> &'a str {
    catalog.service(&c.service).map_or(c.service.as_str(), |s| s.label(locale))
}

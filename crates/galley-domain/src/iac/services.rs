//! Every non-network service: compute, containers, functions, databases, storage, security, observability,
//! integration, DevOps and AI.

use super::generate::{Cx, alnum_name, cfg_bool, cfg_int, cfg_list, cfg_num, res, tpl};
use super::hcl::{Block, Expr, Part};
use super::network::oke_subnets;
use super::{cfg_str, tf_label};
use crate::architecture::Component;

fn compartment() -> Expr {
    Expr::raw("var.compartment_ocid")
}

/// Generates a non-network component.
pub(super) fn component(cx: &mut Cx<'_>, c: &Component, file: &str) {
    match c.service.as_str() {
        "waf" => waf(cx, c, file),
        "vault" => vault(cx, c, file),
        "bastion" => bastion(cx, c, file),
        "identity_domain" => identity_domain(cx, c, file),
        "iam_policy" => iam_policy(cx, c, file),
        "certificates" => certificates(cx, c),
        "compute_instance" => compute_instance(cx, c, file),
        "oke" => oke(cx, c, file),
        "container_instance" => container_instance(cx, c, file),
        "container_registry" => container_registry(cx, c, file),
        "functions" => functions(cx, c, file),
        "autonomous_database" => autonomous_database(cx, c, file),
        "base_database" => base_database(cx, c, file),
        "mysql_heatwave" => mysql(cx, c, file),
        "nosql" => nosql(cx, c, file),
        "cache" => cache(cx, c, file),
        "object_storage" => object_storage(cx, c, file),
        "file_storage" => file_storage(cx, c, file),
        "block_volume" => block_volume(cx, c, file),
        "logging" => logging(cx, c, file),
        "monitoring" => monitoring(cx, c, file),
        "apm" => apm(cx, c, file),
        "notifications" => notifications(cx, c, file),
        "api_gateway" => api_gateway(cx, c, file),
        "events" => events(cx, c, file),
        "streaming" => streaming(cx, c, file),
        "queue" => queue(cx, c, file),
        "email_delivery" => email_delivery(cx, c, file),
        "devops" => devops(cx, c, file),
        "generative_ai" => generative_ai(cx, c, file),
        "data_science" => data_science(cx, c, file),
        other => cx.note(
            Some(c),
            format!(
                "service {other} has no Terraform mapping in this version of export_iac: create it by hand"
            ),
        ),
    }
}

fn label(c: &Component) -> String {
    tf_label(c.id.as_str())
}

/// The subnet of a subnet-placed component, or a note and None.
fn required_subnet<'a>(cx: &mut Cx<'a>, c: &Component) -> Option<&'a Component> {
    let s = cx.subnet_of(c);
    if s.is_none() {
        cx.note(Some(c), format!("{} must be placed in a subnet: nothing was generated for it", c.id));
    }
    s
}

/// A unique-per-tenancy name: the component id and the first 8 characters of the session id.
fn tenancy_unique_name(cx: &Cx<'_>, c: &Component) -> String {
    let session = cx.arch.session_id.to_string();
    let short: String = session.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    format!("{}-{short}", c.id)
}

// ---------------------------------------------------------------------------------------------- security

/// An IAM policy with the design's statements, and optionally a dynamic group of the compartment's resources
/// (dynamic groups live in the tenancy: applying needs tenancy-level rights).
fn iam_policy(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let statements = cfg_list(c, "statements");
    if cfg_bool(c, "dynamic_group", false) {
        cx.emit(
            file,
            Block::resource("oci_identity_dynamic_group", &l)
                .attr("compartment_id", Expr::raw("var.tenancy_ocid"))
                .attr("name", tenancy_unique_name(cx, c))
                .attr("description", format!("Resources of the design's compartment ({})", c.id))
                .attr(
                    "matching_rule",
                    Expr::template(vec![
                        Part::Lit("ALL {resource.compartment.id = '".to_owned()),
                        Part::Interp("var.compartment_ocid".to_owned()),
                        Part::Lit("'}".to_owned()),
                    ]),
                )
                .attr("freeform_tags", cx.tags(c)),
        );
        cx.note(
            Some(c),
            "the dynamic group is created in the tenancy: applying needs tenancy administrator rights",
        );
    }
    if statements.is_empty() {
        cx.note(
            Some(c),
            format!("{} has no statements: no policy was generated (set its statements attribute)", c.id),
        );
        return;
    }
    cx.emit(
        file,
        Block::resource("oci_identity_policy", &l)
            .attr("compartment_id", compartment())
            .attr("name", tenancy_unique_name(cx, c))
            .attr("description", format!("Policy {} of the design", c.id))
            .attr("statements", Expr::strs(&statements))
            .attr("freeform_tags", cx.tags(c)),
    );
}

/// Certificates need key material or a certificate authority with its own key: never written into Terraform.
fn certificates(cx: &mut Cx<'_>, c: &Component) {
    let how = match cfg_str(c, "config_type") {
        Some("issued_by_internal_ca") => {
            "a certificate issued by an internal CA needs the CA (oci_certificates_management_certificate_authority) and its Vault key"
        }
        _ => {
            "an imported certificate needs its PEM and private key, which must never be written into Terraform files"
        }
    };
    cx.note(
        Some(c),
        format!("{how}: create {} in the Certificates service (console or CLI) and reference its OCID", c.id),
    );
}

fn waf(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(lb) = cx.reference(c, "target").filter(|t| t.service == "load_balancer") else {
        cx.note(
            Some(c),
            "the WAF has no target load balancer (attribute target): nothing was generated for it",
        );
        return;
    };
    let block = cfg_str(c, "action").unwrap_or("block") == "block";
    let rule_action = if block { "block" } else { "detect" };
    let capability =
        |key: &str| Block::new("protection_capabilities", &[]).attr("key", key).attr("version", 1i64);
    cx.emit(
        file,
        Block::resource("oci_waf_web_app_firewall_policy", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", format!("{}-policy", c.id))
            .attr("freeform_tags", cx.tags(c))
            .block(Block::new("actions", &[]).attr("name", "allow").attr("type", "ALLOW"))
            .block(Block::new("actions", &[]).attr("name", "detect").attr("type", "CHECK"))
            .block(
                Block::new("actions", &[])
                    .attr("name", "block")
                    .attr("type", "RETURN_HTTP_RESPONSE")
                    .attr("code", 403i64)
                    .block(Block::new("body", &[]).attr("type", "STATIC_TEXT").attr("text", "Forbidden")),
            )
            .block(
                Block::new("request_protection", &[]).block(
                    Block::new("rules", &[])
                        .attr("name", "owasp-collaborative")
                        .attr("type", "PROTECTION")
                        .attr("action_name", rule_action)
                        .attr("is_body_inspection_enabled", true)
                        .comment("OCI WAF collaborative groups: cross-site scripting (9410000) and SQL injection (9420000).")
                        .block(capability("9410000"))
                        .block(capability("9420000")),
                ),
            ),
    );
    cx.emit(
        file,
        Block::resource("oci_waf_web_app_firewall", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("backend_type", "LOAD_BALANCER")
            .attr("load_balancer_id", Expr::raw(res("oci_load_balancer_load_balancer", lb, "id")))
            .attr("web_app_firewall_policy_id", Expr::raw(res("oci_waf_web_app_firewall_policy", c, "id")))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(
        Some(c),
        "the WAF policy enables the XSS and SQL-injection protection groups only: review the protection capabilities, rate limiting and access rules for the application",
    );
}

fn vault(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let vault_type =
        if cfg_str(c, "vault_type") == Some("virtual_private") { "VIRTUAL_PRIVATE" } else { "DEFAULT" };
    let protection = if cfg_str(c, "protection_mode") == Some("software") { "SOFTWARE" } else { "HSM" };
    cx.emit(
        file,
        Block::resource("oci_kms_vault", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("vault_type", vault_type)
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_kms_key", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", format!("{}-key", c.id))
            .attr("management_endpoint", Expr::raw(res("oci_kms_vault", c, "management_endpoint")))
            .attr("protection_mode", protection)
            .attr("freeform_tags", cx.tags(c))
            .block(Block::new("key_shape", &[]).attr("algorithm", "AES").attr("length", 32i64)),
    );
    cx.note(Some(c), "a deleted vault is only scheduled for deletion (7-30 days) and keeps counting against the vault limit");
}

fn bastion(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let Some(subnet) = required_subnet(cx, c) else { return };
    let mut cidrs = cfg_list(c, "client_cidrs");
    if cidrs.is_empty() {
        cx.note(
            Some(c),
            "the bastion has no client_cidrs: nobody can connect until client_cidr_block_allow_list names the administrators' public CIDRs",
        );
        cidrs = Vec::new();
    }
    let ttl = cfg_int(c, "max_session_ttl_minutes", 180).clamp(30, 180) * 60;
    cx.emit(
        file,
        Block::resource("oci_bastion_bastion", &label(c))
            .attr("compartment_id", compartment())
            .attr("bastion_type", "STANDARD")
            .attr("name", alnum_name(c.id.as_str(), 63))
            .attr("target_subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("client_cidr_block_allow_list", Expr::strs(&cidrs))
            .attr("max_session_ttl_in_seconds", ttl)
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.output(
        &format!("{}_bastion_id", label(c)),
        &format!("OCID of the bastion {} (for `oci bastion session create-managed-ssh`)", c.id),
        Expr::raw(res("oci_bastion_bastion", c, "id")),
        false,
    );
}

fn identity_domain(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let license = match cfg_str(c, "domain_type").unwrap_or("free") {
        "oracle_apps" => "oracle-apps",
        "premium" => "premium",
        "external_user" => "external-user",
        _ => "free",
    };
    cx.emit(
        file,
        Block::resource("oci_identity_domain", &label(c))
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("description", format!("Identity domain {} (Galley design)", c.id))
            .attr("home_region", Expr::raw("var.region"))
            .attr("license_type", license)
            .attr("freeform_tags", cx.tags(c)),
    );
    let federation = cfg_str(c, "federation").unwrap_or("none");
    if federation != "none" {
        cx.note(
            Some(c),
            format!("federation with {federation} is configured in the identity domain (SAML/OIDC metadata exchanged with the IdP), not in this Terraform"),
        );
    }
    cx.note(Some(c), "creating an identity domain needs tenancy administrator rights");
}

// ---------------------------------------------------------------------------------------------- compute

/// `data "oci_core_images"` for an OS and shape (lesson: a shape filter, or the image may not fit the shape).
fn image_data(cx: &mut Cx<'_>, file: &str, data_label: &str, os: &str, shape: &str) -> Expr {
    let (name, version) = match os {
        "oracle_linux_8" => ("Oracle Linux", "8"),
        "ubuntu_22_04" => ("Canonical Ubuntu", "22.04"),
        "windows_server_2022" => ("Windows", "Server 2022 Standard"),
        _ => ("Oracle Linux", "9"),
    };
    cx.emit(
        file,
        Block::data("oci_core_images", data_label)
            .attr("compartment_id", compartment())
            .attr("operating_system", name)
            .attr("operating_system_version", version)
            .attr("shape", shape)
            .attr("state", "AVAILABLE")
            .attr("sort_by", "TIMECREATED")
            .attr("sort_order", "DESC"),
    );
    Expr::raw(format!("data.oci_core_images.{data_label}.images[0].id"))
}

fn is_flex(shape: &str) -> bool {
    shape.ends_with(".Flex")
}

fn compute_instance(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let shape = cfg_str(c, "shape").unwrap_or("VM.Standard.E5.Flex").to_owned();
    let os = cfg_str(c, "os").unwrap_or("oracle_linux_9").to_owned();
    let image = image_data(cx, file, &l, &os, &shape);
    let count = cfg_int(c, "instance_count", 1);
    let public_ip = cfg_bool(c, "assign_public_ip", false);
    let ad = cx.ad();
    let mut b = Block::resource("oci_core_instance", &l);
    if count > 1 {
        b = b.attr("count", count);
    }
    let name =
        if count > 1 { tpl(&format!("{}-", c.name.trim()), "count.index + 1", "") } else { cx.display(c) };
    b = b
        .attr("compartment_id", compartment())
        .attr("availability_domain", ad)
        .attr("display_name", name)
        .attr("shape", shape.as_str())
        .attr("freeform_tags", cx.tags(c));
    if os == "windows_server_2022" {
        cx.note(Some(c), "Windows instances get a one-time initial password (Console or `oci compute instance get-windows-initial-creds`); no SSH key");
    } else {
        let key = cx.ssh_key();
        b = b.attr(
            "metadata",
            Expr::raw(format!(
                "{} == null ? null : {{ ssh_authorized_keys = {} }}",
                key.render(),
                key.render()
            )),
        );
    }
    if is_flex(&shape) {
        b = b.block(
            Block::new("shape_config", &[])
                .attr("ocpus", cfg_num(c, "ocpus", 1.0))
                .attr("memory_in_gbs", cfg_num(c, "memory_gb", 16.0)),
        );
    }
    b = b.block(
        Block::new("source_details", &[])
            .attr("source_type", "image")
            .attr("source_id", image)
            .attr("boot_volume_size_in_gbs", cfg_int(c, "boot_volume_gb", 50).max(50)),
    );
    b = b.block(
        Block::new("create_vnic_details", &[])
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("assign_public_ip", public_ip),
    );
    cx.emit(file, b);
    if cfg_bool(c, "is_free_tier", false)
        && !matches!(shape.as_str(), "VM.Standard.E2.1.Micro" | "VM.Standard.A1.Flex")
    {
        cx.note(Some(c), format!("is_free_tier is set but {shape} is not an Always Free shape (VM.Standard.E2.1.Micro, VM.Standard.A1.Flex)"));
    }
    let (ip, desc) = if count > 1 {
        (format!("oci_core_instance.{l}[*].private_ip"), format!("Private IPs of the instances {}", c.id))
    } else {
        (res("oci_core_instance", c, "private_ip"), format!("Private IP of the instance {}", c.id))
    };
    cx.output(&format!("{l}_private_ip"), &desc, Expr::raw(ip), false);
    if public_ip {
        let ip = if count > 1 {
            format!("oci_core_instance.{l}[*].public_ip")
        } else {
            res("oci_core_instance", c, "public_ip")
        };
        cx.output(&format!("{l}_public_ip"), &format!("Public IP of {}", c.id), Expr::raw(ip), false);
    }
}

fn block_volume(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let ad = cx.ad();
    cx.emit(
        file,
        Block::resource("oci_core_volume", &l)
            .attr("compartment_id", compartment())
            .attr("availability_domain", ad)
            .attr("display_name", cx.display(c))
            .attr("size_in_gbs", cfg_int(c, "size_gb", 100))
            .attr("vpus_per_gb", cfg_int(c, "vpus_per_gb", 10))
            .attr("freeform_tags", cx.tags(c)),
    );
    if let Some(instance) = cx.reference(c, "attached_to").filter(|i| i.service == "compute_instance") {
        let id = if cfg_int(instance, "instance_count", 1) > 1 {
            cx.note(
                Some(c),
                format!("{} has several instances; the volume is attached to the first", instance.id),
            );
            format!("oci_core_instance.{}[0].id", tf_label(instance.id.as_str()))
        } else {
            res("oci_core_instance", instance, "id")
        };
        cx.emit(
            file,
            Block::resource("oci_core_volume_attachment", &l)
                .attr("attachment_type", "paravirtualized")
                .attr("instance_id", Expr::raw(id))
                .attr("volume_id", Expr::raw(res("oci_core_volume", c, "id"))),
        );
    }
    let policy = cfg_str(c, "backup_policy").unwrap_or("silver");
    if policy != "none" {
        // Oracle-defined policies, found by name in every region.
        cx.emit(
            file,
            Block::data("oci_core_volume_backup_policies", &l).block(
                Block::new("filter", &[]).attr("name", "display_name").attr("values", Expr::strs(&[policy])),
            ),
        );
        cx.emit(
            file,
            Block::resource("oci_core_volume_backup_policy_assignment", &l)
                .attr("asset_id", Expr::raw(res("oci_core_volume", c, "id")))
                .attr(
                    "policy_id",
                    Expr::raw(format!(
                        "data.oci_core_volume_backup_policies.{l}.volume_backup_policies[0].id"
                    )),
                ),
        );
    }
}

// ---------------------------------------------------------------------------------------------- containers

fn oke(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let s = oke_subnets(cx, c);
    let Some(workers) = s.workers else {
        cx.note(
            Some(c),
            "the OKE cluster must be placed in the worker-node subnet: nothing was generated for it",
        );
        return;
    };
    let Some(vcn) = cx.vcn_of(workers) else { return };
    let api = s.api.unwrap_or(workers);
    let public_api = cfg_str(c, "endpoint_visibility") == Some("public");
    if public_api && cfg_str(api, "tier") != Some("public") {
        // Lesson: a public API endpoint needs a public subnet.
        cx.note(
            Some(c),
            format!(
                "a public API endpoint needs a public subnet, but {} is private: OCI will refuse it",
                api.id
            ),
        );
    }
    let version = cfg_str(c, "kubernetes_version").unwrap_or("v1.31.1").to_owned();
    let vcn_native = cfg_str(c, "cni").unwrap_or("vcn_native") == "vcn_native";
    let cni = if vcn_native { "OCI_VCN_IP_NATIVE" } else { "FLANNEL_OVERLAY" };
    let enhanced = cfg_str(c, "cluster_type").unwrap_or("enhanced") == "enhanced";
    let virtual_nodes = cfg_str(c, "node_pool_type") == Some("virtual");
    cx.needs_node_pool_options = true;

    let mut options = Block::new("options", &[]);
    match s.lb {
        Some(lb) => {
            options = options
                .attr("service_lb_subnet_ids", Expr::List(vec![Expr::raw(res("oci_core_subnet", lb, "id"))]));
        }
        None => cx.note(
            Some(c),
            "the OKE cluster has no lb_subnet: Services of type LoadBalancer need subnet annotations",
        ),
    }
    if !vcn_native {
        options = options.block(
            Block::new("kubernetes_network_config", &[])
                .attr("pods_cidr", "10.244.0.0/16")
                .attr("services_cidr", "10.96.0.0/16"),
        );
    }
    cx.emit(
        file,
        Block::resource("oci_containerengine_cluster", &l)
            .attr("compartment_id", compartment())
            .attr("name", cx.display(c))
            .attr("vcn_id", Expr::raw(res("oci_core_vcn", vcn, "id")))
            .attr("kubernetes_version", version.as_str())
            .attr("type", if enhanced { "ENHANCED_CLUSTER" } else { "BASIC_CLUSTER" })
            .attr("freeform_tags", cx.tags(c))
            .block(Block::new("cluster_pod_network_options", &[]).attr("cni_type", cni))
            .block(
                Block::new("endpoint_config", &[])
                    .attr("subnet_id", Expr::raw(res("oci_core_subnet", api, "id")))
                    .attr("is_public_ip_enabled", public_api),
            )
            .block(options)
            .block(
                Block::new("lifecycle", &[]).block(
                    Block::new("precondition", &[])
                        .attr(
                            "condition",
                            Expr::raw(format!(
                                "contains(data.oci_containerengine_node_pool_option.all.kubernetes_versions, {})",
                                Expr::str(version.as_str()).render()
                            )),
                        )
                        .attr(
                            "error_message",
                            format!("Kubernetes {version} is not offered by OKE in this region: pick one of data.oci_containerengine_node_pool_option.all.kubernetes_versions."),
                        ),
                ),
            ),
    );
    let pods = s.pods.unwrap_or(workers);
    let node_count = cfg_int(c, "node_count", 3);
    if virtual_nodes {
        if !enhanced || !vcn_native {
            cx.note(Some(c), "virtual node pools need an enhanced cluster with VCN-native pod networking: set cluster_type = enhanced and cni = vcn_native");
        }
        cx.emit(
            file,
            Block::resource("oci_containerengine_virtual_node_pool", &l)
                .attr("compartment_id", compartment())
                .attr("cluster_id", Expr::raw(res("oci_containerengine_cluster", c, "id")))
                .attr("display_name", format!("{}-virtual-nodes", c.id))
                .attr("size", node_count)
                .attr("freeform_tags", cx.tags(c))
                .block(
                    Block::new("dynamic", &["placement_configurations"])
                        .attr(
                            "for_each",
                            Expr::raw("data.oci_identity_availability_domains.ads.availability_domains"),
                        )
                        .block(
                            Block::new("content", &[])
                                .attr("availability_domain", Expr::raw("placement_configurations.value.name"))
                                .attr(
                                    "fault_domain",
                                    Expr::strs(&["FAULT-DOMAIN-1", "FAULT-DOMAIN-2", "FAULT-DOMAIN-3"]),
                                )
                                .attr("subnet_id", Expr::raw(res("oci_core_subnet", workers, "id"))),
                        ),
                )
                .block(
                    Block::new("pod_configuration", &[])
                        .attr("shape", "Pod.Standard.E4.Flex")
                        .attr("subnet_id", Expr::raw(res("oci_core_subnet", pods, "id"))),
                ),
        );
        cx.needs_ads = true;
    } else {
        let shape = cfg_str(c, "node_shape").unwrap_or("VM.Standard.E5.Flex").to_owned();
        // Lesson: the node image comes from a data source filtered by the node shape.
        let image = image_data(cx, file, &format!("{l}_nodes"), "oracle_linux_8", &shape);
        let key = cx.ssh_key();
        cx.needs_ads = true;
        let mut pod_net = Block::new("node_pool_pod_network_option_details", &[]).attr("cni_type", cni);
        if vcn_native {
            pod_net = pod_net
                .attr("max_pods_per_node", cfg_int(c, "pods_per_node", 31))
                .attr("pod_subnet_ids", Expr::List(vec![Expr::raw(res("oci_core_subnet", pods, "id"))]));
        }
        cx.emit(
            file,
            Block::resource("oci_containerengine_node_pool", &l)
                .attr("compartment_id", compartment())
                .attr("cluster_id", Expr::raw(res("oci_containerengine_cluster", c, "id")))
                .attr("name", format!("{}-nodes", c.id))
                .attr("kubernetes_version", version.as_str())
                .attr("node_shape", shape.as_str())
                .attr("ssh_public_key", key)
                .attr("freeform_tags", cx.tags(c))
                .block(
                    Block::new("node_shape_config", &[])
                        .attr("ocpus", cfg_num(c, "node_ocpus", 2.0))
                        .attr("memory_in_gbs", cfg_num(c, "node_memory_gb", 16.0)),
                )
                .block(
                    Block::new("node_source_details", &[])
                        .attr("source_type", "IMAGE")
                        .attr("image_id", image)
                        .attr("boot_volume_size_in_gbs", 50i64),
                )
                .block(
                    Block::new("node_config_details", &[])
                        .attr("size", node_count)
                        .attr("freeform_tags", cx.tags(c))
                        .comment("One placement per availability domain of the region (1 or 3).")
                        .block(
                            Block::new("dynamic", &["placement_configs"])
                                .attr(
                                    "for_each",
                                    Expr::raw(
                                        "data.oci_identity_availability_domains.ads.availability_domains",
                                    ),
                                )
                                .block(
                                    Block::new("content", &[])
                                        .attr(
                                            "availability_domain",
                                            Expr::raw("placement_configs.value.name"),
                                        )
                                        .attr("subnet_id", Expr::raw(res("oci_core_subnet", workers, "id"))),
                                ),
                        )
                        .block(pod_net),
                ),
        );
    }
    cx.output(
        &format!("{l}_cluster_id"),
        &format!("OCID of the OKE cluster {}", c.id),
        Expr::raw(res("oci_containerengine_cluster", c, "id")),
        false,
    );
    cx.output(
        &format!("{l}_kubeconfig_command"),
        "Writes a kubeconfig for the cluster (add --auth resource_principal or instance_principal where needed)",
        Expr::template(vec![
            Part::Lit("oci ce cluster create-kubeconfig --cluster-id ".to_owned()),
            Part::Interp(res("oci_containerengine_cluster", c, "id")),
            Part::Lit(" --region ".to_owned()),
            Part::Interp("var.region".to_owned()),
            Part::Lit(" --token-version 2.0.0 --file $HOME/.kube/config".to_owned()),
        ]),
        false,
    );
}

fn container_instance(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let shape = cfg_str(c, "shape").unwrap_or("CI.Standard.E4.Flex").to_owned();
    let count = cfg_int(c, "container_count", 1).max(1);
    let ad = cx.ad();
    let mut b = Block::resource("oci_container_instances_container_instance", &l)
        .attr("compartment_id", compartment())
        .attr("availability_domain", ad)
        .attr("display_name", cx.display(c))
        .attr("shape", shape.as_str())
        .attr("container_restart_policy", "ALWAYS")
        .attr("freeform_tags", cx.tags(c))
        .block(
            Block::new("shape_config", &[])
                .attr("ocpus", cfg_num(c, "ocpus", 1.0))
                .attr("memory_in_gbs", cfg_num(c, "memory_gb", 8.0)),
        )
        .block(
            Block::new("vnics", &[])
                .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
                .attr("is_public_ip_assigned", cfg_bool(c, "assign_public_ip", false)),
        );
    for i in 1..=count {
        b = b.block(
            Block::new("containers", &[])
                .attr("display_name", format!("{}-{i}", c.id))
                .comment("Placeholder image: replace it with the application's image (e.g. <region-key>.ocir.io/<namespace>/<repo>:<tag>).")
                .attr("image_url", "docker.io/library/nginx:stable"),
        );
    }
    cx.emit(file, b);
    cx.note(
        Some(c),
        "the container instance runs a placeholder image (docker.io/library/nginx:stable): set image_url to the application's image, pushed before apply (a restart re-pulls the same tag)",
    );
    cx.output(
        &format!("{l}_private_ip"),
        &format!("Private IP of the container instance {}", c.id),
        Expr::raw(res("oci_container_instances_container_instance", c, "vnics[0].private_ip")),
        false,
    );
}

fn container_registry(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let name = cfg_str(c, "repository_name").map_or_else(|| c.id.to_string(), str::to_owned);
    cx.emit(
        file,
        Block::resource("oci_artifacts_container_repository", &label(c))
            .attr("compartment_id", compartment())
            .attr("display_name", name)
            .attr("is_public", cfg_bool(c, "is_public", false))
            .attr("freeform_tags", cx.tags(c)),
    );
}

// ---------------------------------------------------------------------------------------------- functions

fn functions(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let Some(subnet) = required_subnet(cx, c) else { return };
    cx.emit(
        file,
        Block::resource("oci_functions_application", &label(c))
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("subnet_ids", Expr::List(vec![Expr::raw(res("oci_core_subnet", subnet, "id"))]))
            .attr("shape", "GENERIC_X86")
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(
        Some(c),
        format!(
            "the Functions application is created; its {} function(s) ({} MB, {} s timeout) need their code built and pushed as images, then `fn deploy --app {}` (or oci_functions_function with the image), plus IAM policies for what they call",
            cfg_int(c, "function_count", 1),
            cfg_int(c, "memory_mb", 256),
            cfg_int(c, "timeout_seconds", 30),
            c.name.trim()
        ),
    );
}

// ---------------------------------------------------------------------------------------------- databases

fn autonomous_database(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    // Lesson: ATP → OLTP, ADW → DW (and JSON → AJD, APEX → APEX).
    let workload = match cfg_str(c, "workload").unwrap_or("oltp") {
        "dw" => "DW",
        "json" => "AJD",
        "apex" => "APEX",
        _ => "OLTP",
    };
    let free = cfg_bool(c, "is_free_tier", false);
    let access = cfg_str(c, "network_access").unwrap_or("private_endpoint");
    if cfg_str(c, "deployment") == Some("dedicated") {
        cx.note(
            Some(c),
            "dedicated Autonomous Database needs Exadata infrastructure and an autonomous container database, which are not generated: exported as serverless",
        );
    }
    let password = cx.password(file, &format!("{l}_admin"));
    let mut b = Block::resource("oci_database_autonomous_database", &l)
        .attr("compartment_id", compartment())
        .attr("db_name", alnum_name(c.id.as_str(), 14))
        .attr("display_name", cx.display(c))
        .attr("db_workload", workload)
        .attr("db_version", if cfg_str(c, "db_version") == Some("19c") { "19c" } else { "23ai" })
        .attr("admin_password", password)
        .attr("is_free_tier", free);
    if free {
        if access != "public" {
            cx.note(Some(c), "Always Free Autonomous Database has no private endpoint or access control list: exported with public access (mTLS)");
        }
    } else {
        b = b
            .attr("compute_model", "ECPU")
            .attr("compute_count", cfg_int(c, "ecpu_count", 2))
            .attr("data_storage_size_in_gb", cfg_int(c, "storage_gb", 1024))
            .attr("is_auto_scaling_enabled", cfg_bool(c, "auto_scaling", true))
            .attr(
                "license_model",
                if cfg_str(c, "license_model") == Some("byol") {
                    "BRING_YOUR_OWN_LICENSE"
                } else {
                    "LICENSE_INCLUDED"
                },
            );
        if cfg_bool(c, "data_guard", false) {
            b = b.attr("is_local_data_guard_enabled", true);
        }
        match access {
            "private_endpoint" => match cx.subnet_of(c) {
                // Lesson: with a private endpoint, subnet_id and nsg_ids (not is_access_control_enabled).
                Some(subnet) => {
                    b = b
                        .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
                        .attr("nsg_ids", Expr::List(vec![Expr::raw(res("oci_core_network_security_group", c, "id"))]))
                        .attr("private_endpoint_label", alnum_name(c.id.as_str(), 15))
                        .attr("is_mtls_connection_required", false);
                }
                None => cx.note(
                    Some(c),
                    "network_access is private_endpoint but the database is not placed in a subnet: exported with public access; place it in a private subnet",
                ),
            },
            "acl" => {
                let vcns: Vec<Expr> = cx.of_service("vcn").map(|v| Expr::raw(res("oci_core_vcn", v, "id"))).collect();
                b = b.attr("whitelisted_ips", Expr::List(vcns)).attr("is_mtls_connection_required", false);
                cx.note(Some(c), "the access control list allows the design's VCNs (through a service gateway); add the clients' public IPs to whitelisted_ips");
            }
            _ => {}
        }
    }
    cx.emit(file, b.attr("freeform_tags", cx.tags(c)));
    cx.output(
        &format!("{l}_connection_strings"),
        &format!("Connection strings of {} (service name → connect descriptor)", c.id),
        Expr::raw(res("oci_database_autonomous_database", c, "connection_strings[0].all_connection_strings")),
        false,
    );
    cx.output(
        &format!("{l}_admin_password"),
        &format!("ADMIN password of {} (read it with terraform output -raw)", c.id),
        Expr::raw(format!("random_password.{l}_admin.result")),
        true,
    );
}

fn base_database(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let edition = match cfg_str(c, "edition").unwrap_or("enterprise") {
        "standard" => "STANDARD_EDITION",
        "enterprise_high_performance" => "ENTERPRISE_EDITION_HIGH_PERFORMANCE",
        "enterprise_extreme_performance" => "ENTERPRISE_EDITION_EXTREME_PERFORMANCE",
        _ => "ENTERPRISE_EDITION",
    };
    let version = if cfg_str(c, "db_version") == Some("23ai") { "23.0.0.0" } else { "19.0.0.0" };
    let password = cx.password(file, &format!("{l}_admin"));
    let key = cx.ssh_key();
    let ad = cx.ad();
    cx.emit(
        file,
        Block::resource("oci_database_db_system", &l)
            .attr("compartment_id", compartment())
            .attr("availability_domain", ad)
            .attr("display_name", cx.display(c))
            .attr("hostname", alnum_name(c.id.as_str(), 15))
            .attr("shape", cfg_str(c, "shape").unwrap_or("VM.Standard.E5.Flex"))
            .attr("cpu_core_count", cfg_num(c, "ocpus", 2.0))
            .attr("data_storage_size_in_gb", cfg_int(c, "storage_gb", 256))
            .attr("node_count", cfg_int(c, "node_count", 1))
            .attr("database_edition", edition)
            .attr("license_model", "LICENSE_INCLUDED")
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("ssh_public_keys", Expr::List(vec![key]))
            .attr("freeform_tags", cx.tags(c))
            .block(Block::new("db_system_options", &[]).attr("storage_management", "LVM"))
            .block(
                Block::new("db_home", &[]).attr("db_version", version).block(
                    Block::new("database", &[])
                        .attr("db_name", alnum_name(c.id.as_str(), 8))
                        .attr("admin_password", password),
                ),
            )
            .block(
                Block::new("lifecycle", &[]).block(
                    Block::new("precondition", &[])
                        .attr("condition", Expr::raw("var.ssh_public_key != null"))
                        .attr(
                            "error_message",
                            "A DB system needs an SSH public key: set the variable ssh_public_key.",
                        ),
                ),
            ),
    );
    cx.note(Some(c), "a Base Database DB system requires the ssh_public_key variable");
    cx.output(
        &format!("{l}_admin_password"),
        &format!("SYS/SYSTEM password of {}", c.id),
        Expr::raw(format!("random_password.{l}_admin.result")),
        true,
    );
}

fn mysql(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let shape = cfg_str(c, "shape").unwrap_or("MySQL.2").to_owned();
    if shape == "MySQL.Free" {
        // Lesson: the free shape exists only in the home region.
        cx.note(Some(c), "the MySQL.Free shape exists only in the tenancy's home region; elsewhere use a paid shape such as MySQL.VM.Standard.E4.1.8GB");
    }
    let password = cx.password(file, &format!("{l}_admin"));
    let ad = cx.ad();
    cx.emit(
        file,
        Block::resource("oci_mysql_mysql_db_system", &l)
            .attr("compartment_id", compartment())
            .attr("availability_domain", ad)
            .attr("display_name", cx.display(c))
            .attr("shape_name", shape.as_str())
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("admin_username", "admin")
            .attr("admin_password", password)
            .attr("data_storage_size_in_gb", cfg_int(c, "storage_gb", 50))
            .attr("is_highly_available", cfg_bool(c, "is_highly_available", false))
            .attr("freeform_tags", cx.tags(c)),
    );
    if cfg_bool(c, "heatwave_cluster", false) {
        cx.emit(
            file,
            Block::resource("oci_mysql_heat_wave_cluster", &l)
                .attr("db_system_id", Expr::raw(res("oci_mysql_mysql_db_system", c, "id")))
                .attr("shape_name", "HeatWave.512GB")
                .attr("cluster_size", 1i64),
        );
    }
    cx.output(
        &format!("{l}_endpoint"),
        &format!("Private IP of the MySQL DB system {}", c.id),
        Expr::raw(res("oci_mysql_mysql_db_system", c, "ip_address")),
        false,
    );
    cx.output(
        &format!("{l}_admin_password"),
        &format!("Password of the MySQL admin user of {}", c.id),
        Expr::raw(format!("random_password.{l}_admin.result")),
        true,
    );
}

fn nosql(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let name = cfg_str(c, "table_name").map_or_else(|| tf_label(c.id.as_str()), str::to_owned);
    let free = cfg_bool(c, "is_free_tier", false);
    let on_demand = cfg_str(c, "capacity_mode").unwrap_or("on_demand") == "on_demand" && !free;
    let (read, write, storage) = if free {
        (50, 50, 25)
    } else {
        (cfg_int(c, "read_units", 50), cfg_int(c, "write_units", 50), cfg_int(c, "storage_gb", 25))
    };
    let ddl = format!("CREATE TABLE IF NOT EXISTS {name} (id STRING, content JSON, PRIMARY KEY (id))");
    let mut limits = Block::new("table_limits", &[])
        .attr("max_read_units", read)
        .attr("max_write_units", write)
        .attr("max_storage_in_gbs", storage);
    if !free {
        limits = limits.attr("capacity_mode", if on_demand { "ON_DEMAND" } else { "PROVISIONED" });
    }
    cx.emit(
        file,
        Block::resource("oci_nosql_table", &label(c))
            .attr("compartment_id", compartment())
            .attr("name", name.as_str())
            .attr("ddl_statement", ddl)
            .attr("is_auto_reclaimable", free)
            .attr("freeform_tags", cx.tags(c))
            .block(limits),
    );
    cx.note(Some(c), format!("the NoSQL table {name} is created with a starter schema (id STRING primary key, content JSON): change ddl_statement to the application's schema"));
}

fn cache(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let sharded = cfg_str(c, "cluster_mode") == Some("sharded");
    let mut b = Block::resource("oci_redis_redis_cluster", &l)
        .attr("compartment_id", compartment())
        .attr("display_name", cx.display(c))
        .attr("node_count", cfg_int(c, "node_count", 2))
        .attr("node_memory_in_gbs", cfg_num(c, "memory_gb", 16.0))
        .attr("software_version", "VALKEY_7_2")
        .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
        .attr("cluster_mode", if sharded { "SHARDED" } else { "NONSHARDED" });
    if sharded {
        b = b.attr("shard_count", 1i64);
    }
    cx.emit(file, b.attr("freeform_tags", cx.tags(c)));
    cx.output(
        &format!("{l}_endpoint"),
        &format!("Primary endpoint of the cache {}", c.id),
        Expr::raw(res("oci_redis_redis_cluster", c, "primary_fqdn")),
        false,
    );
}

// ---------------------------------------------------------------------------------------------- storage

fn object_storage(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let name = cfg_str(c, "bucket_name").map_or_else(|| c.id.to_string(), str::to_owned);
    cx.needs_namespace = true;
    let events = cx.of_service("events").next().is_some();
    let mut b = Block::resource("oci_objectstorage_bucket", &l)
        .attr("compartment_id", compartment())
        .attr("namespace", Expr::raw("local.namespace"))
        .attr("name", name)
        .attr(
            "storage_tier",
            if cfg_str(c, "storage_tier") == Some("archive") { "Archive" } else { "Standard" },
        )
        .attr("versioning", if cfg_bool(c, "versioning", true) { "Enabled" } else { "Disabled" })
        .attr(
            "access_type",
            if cfg_str(c, "public_access") == Some("object_read") { "ObjectRead" } else { "NoPublicAccess" },
        );
    if events {
        b = b.attr("object_events_enabled", true);
    }
    cx.emit(file, b.attr("freeform_tags", cx.tags(c)));
    cx.output(
        &format!("{l}_bucket"),
        &format!("Name of the bucket {}", c.id),
        Expr::raw(res("oci_objectstorage_bucket", c, "name")),
        false,
    );
}

fn file_storage(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    let ad = cx.ad();
    let path = cfg_str(c, "export_path").unwrap_or("/data").to_owned();
    cx.emit(
        file,
        Block::resource("oci_file_storage_file_system", &l)
            .attr("compartment_id", compartment())
            .attr("availability_domain", ad.clone())
            .attr("display_name", cx.display(c))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_file_storage_mount_target", &l)
            .attr("compartment_id", compartment())
            .attr("availability_domain", ad)
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("display_name", format!("{}-mount-target", c.id))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_file_storage_export", &l)
            .attr("export_set_id", Expr::raw(res("oci_file_storage_mount_target", c, "export_set_id")))
            .attr("file_system_id", Expr::raw(res("oci_file_storage_file_system", c, "id")))
            .attr("path", path.as_str()),
    );
    cx.output(
        &format!("{l}_mount"),
        &format!("NFS export of {} (mount <mount target IP>:<path>)", c.id),
        Expr::str(path),
        false,
    );
}

// ---------------------------------------------------------------------------------------------- observability

fn logging(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    cx.emit(
        file,
        Block::resource("oci_logging_log_group", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("freeform_tags", cx.tags(c)),
    );
    let months = cfg_int(c, "retention_months", 1).clamp(1, 6);
    cx.emit(
        file,
        Block::resource("oci_logging_log", &l)
            .attr("display_name", format!("{}-app", c.id))
            .attr("log_group_id", Expr::raw(res("oci_logging_log_group", c, "id")))
            .attr("log_type", "CUSTOM")
            .attr("is_enabled", true)
            .attr("retention_duration", months * 30)
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(Some(c), "service logs (load balancer access logs, function invocations, ...) are enabled per resource with oci_logging_log of type SERVICE in this log group");
}

fn monitoring(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let Some(topic) = cx.reference(c, "alarm_topic").filter(|t| t.service == "notifications") else {
        cx.note(Some(c), "monitoring has no alarm_topic: metrics are collected without configuration, but no alarm was generated");
        return;
    };
    let (namespace, query, what) = if cx.of_service("compute_instance").next().is_some() {
        ("oci_computeagent", "CpuUtilization[5m].mean() > 80", "instance CPU above 80%")
    } else if cx.of_service("autonomous_database").next().is_some() {
        ("oci_autonomous_database", "CpuUtilization[5m].mean() > 80", "Autonomous Database CPU above 80%")
    } else if cx.of_service("load_balancer").next().is_some() {
        ("oci_lbaas", "UnHealthyBackendServers[5m].max() > 0", "unhealthy load balancer backends")
    } else {
        ("oci_computeagent", "CpuUtilization[5m].mean() > 80", "CPU above 80%")
    };
    cx.emit(
        file,
        Block::resource("oci_monitoring_alarm", &label(c))
            .attr("compartment_id", compartment())
            .attr("metric_compartment_id", compartment())
            .attr("display_name", format!("{} ({what})", c.name.trim()))
            .attr("namespace", namespace)
            .attr("query", query)
            .attr("severity", "CRITICAL")
            .attr("pending_duration", "PT5M")
            .attr("is_enabled", true)
            .attr("destinations", Expr::List(vec![Expr::raw(res("oci_ons_notification_topic", topic, "id"))]))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(Some(c), format!("one starter alarm ({what}) was generated: add alarms for the metrics that matter to the service levels"));
}

fn apm(cx: &mut Cx<'_>, c: &Component, file: &str) {
    cx.emit(
        file,
        Block::resource("oci_apm_apm_domain", &label(c))
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("description", format!("APM domain {} (Galley design)", c.id))
            .attr("is_free_tier", cfg_bool(c, "is_free_tier", false))
            .attr("freeform_tags", cx.tags(c)),
    );
}

fn notifications(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    cx.emit(
        file,
        Block::resource("oci_ons_notification_topic", &l)
            .attr("compartment_id", compartment())
            .attr("name", tenancy_unique_name(cx, c))
            .attr("description", c.name.trim())
            .attr("freeform_tags", cx.tags(c)),
    );
    let protocol = cfg_str(c, "protocol").unwrap_or("email").to_ascii_uppercase();
    cx.note(
        Some(c),
        format!("subscriptions need the recipients ({protocol} endpoints), which are not in the design: add oci_ons_subscription with protocol = \"{protocol}\" and each endpoint (an email subscription must be confirmed by its recipient)"),
    );
    cx.output(
        &format!("{l}_topic_id"),
        &format!("OCID of the notification topic {}", c.id),
        Expr::raw(res("oci_ons_notification_topic", c, "id")),
        false,
    );
}

// ---------------------------------------------------------------------------------------------- integration

fn api_gateway(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(subnet) = required_subnet(cx, c) else { return };
    // Lesson: endpoint_type must be upper case.
    let endpoint_type = cfg_str(c, "endpoint_type").unwrap_or("PUBLIC").to_ascii_uppercase();
    cx.emit(
        file,
        Block::resource("oci_apigateway_gateway", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("endpoint_type", endpoint_type.as_str())
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("freeform_tags", cx.tags(c)),
    );
    let mut spec = Block::new("specification", &[]);
    let mut routes = 0;
    let arch = cx.arch;
    for conn in arch.connections.iter().filter(|k| k.from == c.id) {
        let Some(to) = cx.get(conn.to.as_str()) else { continue };
        let host = match to.service.as_str() {
            "load_balancer" => {
                Some(res("oci_load_balancer_load_balancer", to, "ip_address_details[0].ip_address"))
            }
            "compute_instance" if cfg_int(to, "instance_count", 1) > 1 => {
                Some(format!("oci_core_instance.{}[0].private_ip", tf_label(to.id.as_str())))
            }
            "compute_instance" => Some(res("oci_core_instance", to, "private_ip")),
            "container_instance" => {
                Some(res("oci_container_instances_container_instance", to, "vnics[0].private_ip"))
            }
            "functions" => {
                cx.note(
                    Some(c),
                    format!("routes to the functions of {} need the function OCIDs: after `fn deploy`, add routes with a FUNCTIONS_BACKEND and function_id", to.id),
                );
                None
            }
            _ => None,
        };
        let Some(host) = host else { continue };
        let port = conn.port.unwrap_or(80);
        let url = Expr::template(vec![
            Part::Lit("http://".to_owned()),
            Part::Interp(host),
            Part::Lit(format!(":{port}/${{request.path[path]}}")),
        ]);
        spec = spec.block(
            Block::new("routes", &[])
                .attr("path", format!("/{}/{{path*}}", to.id))
                .attr("methods", Expr::strs(&["ANY"]))
                .block(Block::new("backend", &[]).attr("type", "HTTP_BACKEND").attr("url", url)),
        );
        routes += 1;
    }
    if routes == 0 {
        spec = spec.block(
            Block::new("routes", &[]).attr("path", "/health").attr("methods", Expr::strs(&["GET"])).block(
                Block::new("backend", &[])
                    .attr("type", "STOCK_RESPONSE_BACKEND")
                    .attr("status", 200i64)
                    .attr("body", "ok"),
            ),
        );
        cx.note(
            Some(c),
            "the API deployment has only a /health stock response: add routes to the application's backends",
        );
    }
    cx.emit(
        file,
        Block::resource("oci_apigateway_deployment", &l)
            .attr("compartment_id", compartment())
            .attr("gateway_id", Expr::raw(res("oci_apigateway_gateway", c, "id")))
            .attr("display_name", format!("{}-deployment", c.id))
            .attr("path_prefix", "/api")
            .attr("freeform_tags", cx.tags(c))
            .block(spec),
    );
    cx.output(
        &format!("{l}_hostname"),
        &format!("Host name of the API gateway {}", c.id),
        Expr::raw(res("oci_apigateway_gateway", c, "hostname")),
        false,
    );
    cx.output(
        &format!("{l}_endpoint"),
        &format!("Base URL of the API deployment of {}", c.id),
        Expr::raw(res("oci_apigateway_deployment", c, "endpoint")),
        false,
    );
}

fn events(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let arch = cx.arch;
    // What raises events: the components connected to this one (default: new objects in buckets).
    let mut types: Vec<&str> = Vec::new();
    for conn in arch.connections.iter().filter(|k| k.to == c.id) {
        let Some(from) = cx.get(conn.from.as_str()) else { continue };
        let t = match from.service.as_str() {
            "object_storage" => "com.oraclecloud.objectstorage.createobject",
            "compute_instance" => "com.oraclecloud.computeapi.launchinstance.end",
            "autonomous_database" => "com.oraclecloud.databaseservice.autonomous.database.critical",
            _ => continue,
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        types.push("com.oraclecloud.objectstorage.createobject");
        cx.note(Some(c), "the events rule reacts to new objects in buckets (no event source is connected to it): change its condition to the events that matter");
    }
    let mut actions = Block::new("actions", &[]);
    let mut n = 0;
    for conn in arch.connections.iter().filter(|k| k.from == c.id) {
        let Some(to) = cx.get(conn.to.as_str()) else { continue };
        let action = match to.service.as_str() {
            "notifications" => Some(("ONS", "topic_id", res("oci_ons_notification_topic", to, "id"))),
            "streaming" => Some(("OSS", "stream_id", res("oci_streaming_stream", to, "id"))),
            "functions" => {
                cx.note(Some(c), format!("the events rule should invoke a function of {}: after `fn deploy`, add an action with action_type = \"FAAS\" and its function_id", to.id));
                None
            }
            _ => None,
        };
        if let Some((kind, attr, id)) = action {
            actions = actions.block(
                Block::new("actions", &[])
                    .attr("action_type", kind)
                    .attr("is_enabled", true)
                    .attr(attr, Expr::raw(id)),
            );
            n += 1;
        }
    }
    if n == 0 {
        cx.note(Some(c), "the events rule has no target it can name (connect it to a notifications topic or a stream): no rule was generated");
        return;
    }
    let condition = Expr::Object(vec![("eventType".to_owned(), Expr::strs(&types))]);
    cx.emit(
        file,
        Block::resource("oci_events_rule", &label(c))
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("is_enabled", true)
            .attr("condition", Expr::raw(format!("jsonencode({})", condition.render())))
            .attr("freeform_tags", cx.tags(c))
            .block(actions),
    );
}

fn streaming(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let mut stream = Block::resource("oci_streaming_stream", &l)
        .attr("name", c.id.as_str())
        .attr("partitions", cfg_int(c, "partitions", 1))
        .attr("retention_in_hours", cfg_int(c, "retention_hours", 24));
    if let Some(subnet) = cx.subnet_of(c) {
        // A private endpoint belongs to a stream pool.
        cx.emit(
            file,
            Block::resource("oci_streaming_stream_pool", &l)
                .attr("compartment_id", compartment())
                .attr("name", format!("{}-pool", c.id))
                .attr("freeform_tags", cx.tags(c))
                .block(
                    Block::new("private_endpoint_settings", &[])
                        .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id"))),
                ),
        );
        stream = stream.attr("stream_pool_id", Expr::raw(res("oci_streaming_stream_pool", c, "id")));
    } else {
        stream = stream.attr("compartment_id", compartment());
    }
    cx.emit(file, stream.attr("freeform_tags", cx.tags(c)));
    cx.output(
        &format!("{l}_messages_endpoint"),
        &format!("Messages endpoint of the stream {}", c.id),
        Expr::raw(res("oci_streaming_stream", c, "messages_endpoint")),
        false,
    );
}

fn queue(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    cx.emit(
        file,
        Block::resource("oci_queue_queue", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("visibility_in_seconds", cfg_int(c, "visibility_timeout_seconds", 30))
            .attr("dead_letter_queue_delivery_count", cfg_int(c, "max_delivery_attempts", 5))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.output(
        &format!("{l}_messages_endpoint"),
        &format!("Messages endpoint of the queue {}", c.id),
        Expr::raw(res("oci_queue_queue", c, "messages_endpoint")),
        false,
    );
}

fn email_delivery(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    let Some(sender) = cfg_str(c, "approved_sender").filter(|s| s.contains('@')) else {
        cx.note(
            Some(c),
            "Email Delivery has no approved_sender (an address on your domain): nothing was generated for it",
        );
        return;
    };
    let domain = sender.rsplit('@').next().unwrap_or_default().to_owned();
    cx.emit(
        file,
        Block::resource("oci_email_email_domain", &l)
            .attr("compartment_id", compartment())
            .attr("name", domain.as_str())
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_email_sender", &l)
            .attr("compartment_id", compartment())
            .attr("email_address", sender)
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(
        Some(c),
        format!("Email Delivery: publish the SPF record and a DKIM key (oci_email_dkim) for {domain} in its DNS, and create SMTP credentials for the sending user (they are secrets: not in Terraform)"),
    );
}

// ---------------------------------------------------------------------------------------------- devops

fn devops(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    // A DevOps project must name a notification topic.
    cx.emit(
        file,
        Block::resource("oci_ons_notification_topic", &format!("{l}_devops"))
            .attr("compartment_id", compartment())
            .attr("name", format!("{}-devops", tenancy_unique_name(cx, c)))
            .attr("description", format!("Notifications of the DevOps project {}", c.id))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_devops_project", &l)
            .attr("compartment_id", compartment())
            .attr("name", c.id.as_str())
            .attr("description", c.name.trim())
            .attr("freeform_tags", cx.tags(c))
            .block(
                Block::new("notification_config", &[])
                    .attr("topic_id", Expr::raw(format!("oci_ons_notification_topic.{l}_devops.id"))),
            ),
    );
    let project = Expr::raw(res("oci_devops_project", c, "id"));
    cx.emit(
        file,
        Block::resource("oci_devops_build_pipeline", &l)
            .attr("project_id", project.clone())
            .attr("display_name", format!("{}-build", c.id))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_devops_deploy_pipeline", &l)
            .attr("project_id", project.clone())
            .attr("display_name", format!("{}-deploy", c.id))
            .attr("freeform_tags", cx.tags(c)),
    );
    let target = cfg_str(c, "deploy_target").unwrap_or("oke");
    match target {
        "oke" => match cx.of_service("oke").next() {
            Some(oke) => cx.emit(
                file,
                Block::resource("oci_devops_deploy_environment", &l)
                    .attr("project_id", project)
                    .attr("deploy_environment_type", "OKE_CLUSTER")
                    .attr("display_name", format!("{}-{}", c.id, oke.id))
                    .attr("cluster_id", Expr::raw(res("oci_containerengine_cluster", oke, "id")))
                    .attr("freeform_tags", cx.tags(c)),
            ),
            None => cx.note(Some(c), "deploy_target is oke but the design has no OKE cluster: no deploy environment was generated"),
        },
        "compute" => {
            let ids: Vec<Expr> = cx
                .of_service("compute_instance")
                .map(|i| {
                    if cfg_int(i, "instance_count", 1) > 1 {
                        Expr::raw(format!("oci_core_instance.{}[*].id", tf_label(i.id.as_str())))
                    } else {
                        Expr::List(vec![Expr::raw(res("oci_core_instance", i, "id"))])
                    }
                })
                .collect();
            if ids.is_empty() {
                cx.note(Some(c), "deploy_target is compute but the design has no compute instance: no deploy environment was generated");
            } else {
                let list = if ids.len() == 1 {
                    ids.into_iter().next().unwrap_or(Expr::Null)
                } else {
                    Expr::raw(format!("concat({})", ids.iter().map(Expr::render).collect::<Vec<_>>().join(", ")))
                };
                cx.emit(
                    file,
                    Block::resource("oci_devops_deploy_environment", &l)
                        .attr("project_id", project)
                        .attr("deploy_environment_type", "COMPUTE_INSTANCE_GROUP")
                        .attr("display_name", format!("{}-instances", c.id))
                        .attr("freeform_tags", cx.tags(c))
                        .block(
                            Block::new("compute_instance_group_selectors", &[]).block(
                                Block::new("items", &[])
                                    .attr("selector_type", "INSTANCE_IDS")
                                    .attr("compute_instance_ids", list),
                            ),
                        ),
                );
            }
        }
        other => cx.note(
            Some(c),
            format!("deploy_target {other}: the deploy environment needs the deployed function or container instance OCIDs; add oci_devops_deploy_environment once they exist"),
        ),
    }
    cx.note(
        Some(c),
        "DevOps build and deploy pipelines run as resource principals: a tenancy administrator must create their dynamic group and policies; pipeline stages, code repository and artifacts depend on the application",
    );
}

// ---------------------------------------------------------------------------------------------- ai

fn generative_ai(cx: &mut Cx<'_>, c: &Component, file: &str) {
    if cfg_str(c, "serving_mode") == Some("dedicated") {
        cx.emit(
            file,
            Block::resource("oci_generative_ai_dedicated_ai_cluster", &label(c))
                .attr("compartment_id", compartment())
                .attr("display_name", cx.display(c))
                .attr("type", "HOSTING")
                .attr("unit_shape", "LARGE_GENERIC")
                .attr("unit_count", 1i64)
                .attr("freeform_tags", cx.tags(c)),
        );
        cx.note(
            Some(c),
            "the dedicated AI cluster (HOSTING, LARGE_GENERIC) needs a model endpoint (oci_generative_ai_endpoint) for the chosen model, and the service is only in some regions; check unit_shape against the model",
        );
    } else {
        cx.note(
            Some(c),
            "on-demand Generative AI needs no resource: callers need an IAM policy such as \"Allow dynamic-group <app> to use generative-ai-family in compartment <c>\" and a region that offers the model",
        );
    }
}

fn data_science(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let l = label(c);
    cx.emit(
        file,
        Block::resource("oci_datascience_project", &l)
            .attr("compartment_id", compartment())
            .attr("display_name", cx.display(c))
            .attr("freeform_tags", cx.tags(c)),
    );
    let mut config = Block::new("notebook_session_config_details", &[])
        .attr("shape", "VM.Standard.E4.Flex")
        .attr("block_storage_size_in_gbs", 50i64);
    if let Some(subnet) = cx.subnet_of(c) {
        config = config.attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")));
    }
    config = config.block(
        Block::new("notebook_session_shape_config_details", &[])
            .attr("ocpus", 1i64)
            .attr("memory_in_gbs", 16i64),
    );
    cx.emit(
        file,
        Block::resource("oci_datascience_notebook_session", &l)
            .attr("compartment_id", compartment())
            .attr("project_id", Expr::raw(res("oci_datascience_project", c, "id")))
            .attr("display_name", format!("{}-notebook", c.id))
            .attr("freeform_tags", cx.tags(c))
            .block(config),
    );
    if cfg_bool(c, "model_deployment", false) {
        cx.note(Some(c), "a model deployment needs a trained model in the catalog first: add oci_datascience_model_deployment after the model is saved");
    }
    cx.note(
        Some(c),
        "Data Science needs IAM policies for the service and its notebook sessions (datascience-family)",
    );
}

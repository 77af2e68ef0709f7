//! Networking: VCNs, subnets with their route tables and security lists, gateways, DRG, VPN, FastConnect,
//! load balancers, DNS, and the ingress rules that connections and services need.

use super::generate::{Cx, alnum_name, cfg_bool, cfg_int, cfg_list, res, tpl};
use super::hcl::{Block, Expr};
use super::{cfg_str, tf_label};
use crate::architecture::Component;

/// One ingress rule, for a security list or a network security group.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rule {
    /// OCI protocol number as text ("6" tcp, "17" udp, "1" icmp) or "all".
    pub protocol: &'static str,
    /// Destination port range (tcp/udp); None: all ports.
    pub ports: Option<(u32, u32)>,
    /// ICMP type and code.
    pub icmp: Option<(i64, Option<i64>)>,
    /// Source CIDR expression.
    pub source: Expr,
    /// Why.
    pub description: String,
}

impl Rule {
    pub fn tcp(min: u32, max: u32, source: Expr, description: impl Into<String>) -> Rule {
        Rule { protocol: "6", ports: Some((min, max)), icmp: None, source, description: description.into() }
    }

    fn udp(min: u32, max: u32, source: Expr, description: impl Into<String>) -> Rule {
        Rule { protocol: "17", ports: Some((min, max)), icmp: None, source, description: description.into() }
    }

    fn icmp(t: i64, code: Option<i64>, source: Expr, description: impl Into<String>) -> Rule {
        Rule { protocol: "1", ports: None, icmp: Some((t, code)), source, description: description.into() }
    }

    fn all(source: Expr, description: impl Into<String>) -> Rule {
        Rule { protocol: "all", ports: None, icmp: None, source, description: description.into() }
    }

    /// Whether two rules allow the same traffic (descriptions aside).
    pub fn same_traffic(&self, other: &Rule) -> bool {
        self.protocol == other.protocol
            && self.ports == other.ports
            && self.icmp == other.icmp
            && self.source.render() == other.source.render()
    }

    fn options(&self, block: Block, nsg: bool) -> Block {
        let mut block = block;
        if let Some((t, code)) = self.icmp {
            block = block.block(Block::new("icmp_options", &[]).attr("type", t).attr_opt("code", code));
        }
        if let Some((min, max)) = self.ports {
            let name = if self.protocol == "17" { "udp_options" } else { "tcp_options" };
            let range = |b: Block| b.attr("min", i64::from(min)).attr("max", i64::from(max));
            block = if nsg {
                block.block(Block::new(name, &[]).block(range(Block::new("destination_port_range", &[]))))
            } else {
                block.block(range(Block::new(name, &[])))
            };
        }
        block
    }

    fn security_list_block(&self) -> Block {
        let b = Block::new("ingress_security_rules", &[])
            .attr("description", self.description.as_str())
            .attr("protocol", self.protocol)
            .attr("source", self.source.clone())
            .attr("source_type", "CIDR_BLOCK");
        self.options(b, false)
    }
}

/// Parses a subnet `ingress` entry `"<protocol>:<ports>:<source>"` (contract format).
pub(super) fn parse_ingress(entry: &str, vcn_cidr: &Expr) -> Result<Rule, String> {
    let parts: Vec<&str> = entry.trim().splitn(3, ':').map(str::trim).collect();
    let [protocol, ports, source] = parts.as_slice() else {
        return Err(format!(
            "ingress rule {entry:?} is not \"<protocol>:<ports>:<source>\" (e.g. tcp:443:0.0.0.0/0)"
        ));
    };
    let source_expr = if source.eq_ignore_ascii_case("vcn") {
        vcn_cidr.clone()
    } else if is_cidr(source) {
        Expr::str(*source)
    } else {
        return Err(format!("ingress rule {entry:?}: source {source:?} is neither a CIDR nor \"vcn\""));
    };
    let description = format!("{entry} (from the design)");
    let port_range = |p: &str| -> Result<Option<(u32, u32)>, String> {
        if p == "*" {
            return Ok(None);
        }
        let (a, b) = p.split_once('-').unwrap_or((p, p));
        match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
            (Ok(a), Ok(b)) if (1..=65535).contains(&a) && (a..=65535).contains(&b) => Ok(Some((a, b))),
            _ => Err(format!("ingress rule {entry:?}: ports {p:?} are not \"22\", \"80-443\" or \"*\"")),
        }
    };
    match protocol.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Rule {
            protocol: "6",
            ports: port_range(ports)?,
            icmp: None,
            source: source_expr,
            description,
        }),
        "udp" => Ok(Rule {
            protocol: "17",
            ports: port_range(ports)?,
            icmp: None,
            source: source_expr,
            description,
        }),
        "all" => Ok(Rule::all(source_expr, description)),
        "icmp" => {
            if *ports == "*" {
                return Ok(Rule { protocol: "1", ports: None, icmp: None, source: source_expr, description });
            }
            let (t, code) = ports.split_once('.').map_or((*ports, None), |(t, c)| (t, Some(c)));
            let t: i64 =
                t.parse().map_err(|_| format!("ingress rule {entry:?}: ICMP type {t:?} is not a number"))?;
            let code = match code {
                Some(c) => Some(
                    c.parse::<i64>()
                        .map_err(|_| format!("ingress rule {entry:?}: ICMP code {c:?} is not a number"))?,
                ),
                None => None,
            };
            Ok(Rule::icmp(t, code, source_expr, description))
        }
        other => Err(format!("ingress rule {entry:?}: protocol {other:?} is not tcp, udp, icmp or all")),
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, len)) = s.split_once('/') else { return false };
    let octets: Vec<&str> = ip.split('.').collect();
    octets.len() == 4
        && octets.iter().all(|o| o.parse::<u8>().is_ok())
        && len.parse::<u8>().is_ok_and(|l| l <= 32)
}

/// `local.<vcn>_cidr`.
pub(super) fn vcn_cidr(vcn: &Component) -> Expr {
    Expr::raw(format!("local.{}_cidr", tf_label(vcn.id.as_str())))
}

/// `local.<subnet>_cidr`.
pub(super) fn subnet_cidr(subnet: &Component) -> Expr {
    Expr::raw(format!("local.{}_cidr", tf_label(subnet.id.as_str())))
}

fn anywhere() -> Expr {
    Expr::str("0.0.0.0/0")
}

fn is_public_subnet(s: &Component) -> bool {
    cfg_str(s, "tier") == Some("public")
}

/// The subnets OKE uses: (API endpoint, workers, pods, service load balancers).
pub(super) struct OkeSubnets<'a> {
    pub api: Option<&'a Component>,
    pub workers: Option<&'a Component>,
    pub pods: Option<&'a Component>,
    pub lb: Option<&'a Component>,
}

pub(super) fn oke_subnets<'a>(cx: &Cx<'a>, oke: &Component) -> OkeSubnets<'a> {
    let workers = cx.subnet_of(oke);
    let api = cx.reference(oke, "api_endpoint_subnet").filter(|s| s.service == "subnet").or(workers);
    let lb = cx.reference(oke, "lb_subnet").filter(|s| s.service == "subnet");
    let vcn = workers.and_then(|w| cx.vcn_of(w));
    let pods = if cfg_str(oke, "cni").unwrap_or("vcn_native") == "vcn_native" {
        let role_pods = cx.arch.components.iter().find(|s| {
            s.service == "subnet"
                && cfg_str(s, "role") == Some("oke_pods")
                && vcn.is_some_and(|v| cx.vcn_of(s).is_some_and(|sv| sv.id == v.id))
        });
        role_pods.or(workers)
    } else {
        None
    };
    OkeSubnets { api, workers, pods, lb }
}

/// Default destination ports (protocol, min, max) of a connection into `to`, from a `from` component.
fn default_ports(cx: &Cx<'_>, from: &Component, to: &Component) -> Vec<(&'static str, u32, u32)> {
    let web_front =
        matches!(from.service.as_str(), "load_balancer" | "network_load_balancer" | "api_gateway");
    match to.service.as_str() {
        "autonomous_database" => vec![("6", 1522, 1522)],
        "base_database" => vec![("6", 1521, 1521)],
        "mysql_heatwave" => vec![("6", 3306, 3306), ("6", 33060, 33060)],
        "cache" => vec![("6", 6379, 6379)],
        "api_gateway" => vec![("6", 443, 443)],
        "load_balancer" => lb_ports(to),
        "file_storage" => vec![("6", 111, 111), ("6", 2048, 2050), ("17", 111, 111), ("17", 2048, 2048)],
        "streaming" => vec![("6", 9092, 9092), ("6", 443, 443)],
        "compute_instance" | "container_instance" if web_front => vec![("6", 80, 80)],
        "oke" if web_front => vec![("6", 30000, 32767)],
        _ => {
            let _ = cx;
            Vec::new()
        }
    }
}

fn lb_ports(lb: &Component) -> Vec<(&'static str, u32, u32)> {
    match cfg_str(lb, "listener_protocol").unwrap_or("https") {
        "http" => vec![("6", 80, 80)],
        "tcp" => vec![("6", 443, 443)],
        _ => vec![("6", 80, 80), ("6", 443, 443)],
    }
}

/// Source CIDRs of traffic a component opens.
fn sources<'a>(cx: &Cx<'a>, from: &Component) -> Vec<(Expr, String)> {
    if from.service == "oke" {
        let s = oke_subnets(cx, from);
        let mut out = Vec::new();
        for sub in [s.workers, s.pods].into_iter().flatten() {
            if !out.iter().any(|(_, id): &(Expr, String)| *id == sub.id.as_str()) {
                out.push((subnet_cidr(sub), sub.id.to_string()));
            }
        }
        return out;
    }
    cx.subnet_of(from).map(|s| vec![(subnet_cidr(s), s.id.to_string())]).unwrap_or_default()
}

/// Whether a component gets its own NSG (ADB private endpoint: lesson "with a private endpoint, use
/// subnet_id and nsg_ids").
pub(super) fn has_own_nsg(cx: &Cx<'_>, c: &Component) -> bool {
    c.service == "autonomous_database"
        && cx.subnet_of(c).is_some()
        && cfg_str(c, "network_access").unwrap_or("private_endpoint") == "private_endpoint"
        && !cfg_bool(c, "is_free_tier", false)
}

/// Pass 1: the ingress rules services and connections need.
pub(super) fn collect_rules(cx: &mut Cx<'_>) {
    let arch = cx.arch;
    for c in &arch.components {
        match c.service.as_str() {
            "oke" => {
                let s = oke_subnets(cx, c);
                let vcn = s.workers.and_then(|w| cx.vcn_of(w)).map(vcn_cidr).unwrap_or_else(anywhere);
                let public_api = cfg_str(c, "endpoint_visibility") == Some("public");
                if let Some(api) = s.api {
                    // Lesson: kubectl needs 6443 on the API endpoint's subnet (from anywhere when public); workers
                    // reach the control plane on 6443 and 12250; ICMP 3/4 for path MTU discovery.
                    let src = if public_api { anywhere() } else { vcn.clone() };
                    cx.allow_into_subnet(
                        api,
                        Rule::tcp(6443, 6443, src, "Kubernetes API (kubectl and worker nodes)"),
                    );
                    cx.allow_into_subnet(
                        api,
                        Rule::tcp(12250, 12250, vcn.clone(), "OKE control plane from worker nodes"),
                    );
                }
                // Lesson: worker nodes register only when all TCP from the VCN (10250, 12250, ...) and ICMP 3/4 are open.
                for sub in [s.workers, s.pods].into_iter().flatten() {
                    cx.allow_into_subnet(
                        sub,
                        Rule::all(
                            vcn.clone(),
                            "OKE: all traffic inside the VCN (kubelet, pods, control plane)",
                        ),
                    );
                    cx.allow_into_subnet(sub, Rule::icmp(3, Some(4), anywhere(), "Path MTU discovery"));
                }
                if let Some(lb) = s.lb {
                    let src = if is_public_subnet(lb) { anywhere() } else { vcn.clone() };
                    cx.allow_into_subnet(
                        lb,
                        Rule::tcp(80, 80, src.clone(), "Kubernetes service load balancers (HTTP)"),
                    );
                    cx.allow_into_subnet(
                        lb,
                        Rule::tcp(443, 443, src, "Kubernetes service load balancers (HTTPS)"),
                    );
                    if let Some(w) = s.workers {
                        cx.allow_into_subnet(
                            w,
                            Rule::tcp(
                                30000,
                                32767,
                                subnet_cidr(lb),
                                "NodePorts from the service load balancers",
                            ),
                        );
                    }
                }
            }
            "load_balancer" | "api_gateway" => {
                let Some(subnet) = cx.subnet_of(c) else { continue };
                let vcn = cx.vcn_of(subnet).map(vcn_cidr).unwrap_or_else(anywhere);
                let public = if c.service == "api_gateway" {
                    cfg_str(c, "endpoint_type").unwrap_or("PUBLIC").eq_ignore_ascii_case("PUBLIC")
                } else {
                    cfg_str(c, "visibility").unwrap_or("public") == "public"
                };
                let src = if public { anywhere() } else { vcn };
                let ports = if c.service == "api_gateway" { vec![("6", 443, 443)] } else { lb_ports(c) };
                for (_, min, max) in ports {
                    cx.allow_into_subnet(
                        subnet,
                        Rule::tcp(min, max, src.clone(), format!("Listener of {}", c.id)),
                    );
                }
            }
            "file_storage" => {
                let Some(subnet) = cx.subnet_of(c) else { continue };
                let vcn = cx.vcn_of(subnet).map(vcn_cidr).unwrap_or_else(anywhere);
                for (p, min, max) in
                    [("6", 111, 111), ("6", 2048, 2050), ("17", 111, 111), ("17", 2048, 2048)]
                {
                    let rule = if p == "6" {
                        Rule::tcp(min, max, vcn.clone(), "NFS to the mount target")
                    } else {
                        Rule::udp(min, max, vcn.clone(), "NFS to the mount target")
                    };
                    cx.allow_into_subnet(subnet, rule);
                }
            }
            _ => {}
        }
    }
    for c in &arch.components {
        if has_own_nsg(cx, c) {
            cx.nsg_rules.entry(c.id.to_string()).or_default();
        }
    }
    for conn in &arch.connections {
        let (Some(from), Some(to)) = (cx.get(conn.from.as_str()), cx.get(conn.to.as_str())) else { continue };
        let srcs = sources(cx, from);
        if srcs.is_empty() {
            continue;
        }
        let ports: Vec<(&'static str, u32, u32)> = match conn.port {
            Some(p) => {
                let proto = if conn.protocol.as_deref() == Some("udp") { "17" } else { "6" };
                vec![(proto, u32::from(p), u32::from(p))]
            }
            None => default_ports(cx, from, to),
        };
        let target_subnet = if to.service == "oke" { oke_subnets(cx, to).workers } else { cx.subnet_of(to) };
        let nsg = has_own_nsg(cx, to);
        if target_subnet.is_none() && !nsg {
            continue;
        }
        if ports.is_empty() {
            cx.note(
                Some(to),
                format!(
                    "the connection {} → {} has no port, so no ingress rule was generated for it: give the connection a port",
                    from.id, to.id
                ),
            );
            continue;
        }
        for (src, _) in &srcs {
            for &(proto, min, max) in &ports {
                let description = match &conn.purpose {
                    Some(p) => format!("{} → {}: {p}", from.id, to.id),
                    None => format!("{} → {}", from.id, to.id),
                };
                let rule = if proto == "17" {
                    Rule::udp(min, max, src.clone(), description)
                } else {
                    Rule::tcp(min, max, src.clone(), description)
                };
                if nsg {
                    cx.allow_into_nsg(to, rule);
                } else if let Some(ts) = target_subnet {
                    cx.allow_into_subnet(ts, rule);
                }
            }
        }
    }
    // An NSG without a connection into it still lets the VCN reach the database.
    let ids: Vec<String> =
        cx.nsg_rules.iter().filter(|(_, r)| r.is_empty()).map(|(k, _)| k.clone()).collect();
    for id in ids {
        let Some(c) = cx.get(&id) else { continue };
        let vcn = cx.subnet_of(c).and_then(|s| cx.vcn_of(s)).map(vcn_cidr).unwrap_or_else(anywhere);
        cx.allow_into_nsg(c, Rule::tcp(1522, 1522, vcn, "Database listener from the VCN"));
    }
}

/// Emits the NSGs collected in pass 1 (into the owning component's file).
pub(super) fn nsgs(cx: &mut Cx<'_>) {
    let entries: Vec<(String, Vec<Rule>)> =
        cx.nsg_rules.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (id, rules) in entries {
        let Some(c) = cx.get(&id) else { continue };
        let Some(vcn) = cx.subnet_of(c).and_then(|s| cx.vcn_of(s)) else { continue };
        let file = cx.file_of(c);
        cx.emit_comment(
            &file,
            &format!("Network security group of {id}: only the connections of the design reach it."),
        );
        emit_nsg(cx, &file, c, vcn, &format!("{}-nsg", c.id), &rules);
    }
}

/// A network security group of `vcn` with ingress `rules`, labelled after `owner`.
fn emit_nsg(cx: &mut Cx<'_>, file: &str, owner: &Component, vcn: &Component, display: &str, rules: &[Rule]) {
    let label = tf_label(owner.id.as_str());
    cx.emit(
        file,
        Block::resource("oci_core_network_security_group", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("vcn_id", Expr::raw(res("oci_core_vcn", vcn, "id")))
            .attr("display_name", display)
            .attr("freeform_tags", cx.tags(owner)),
    );
    for (i, rule) in rules.iter().enumerate() {
        let b = Block::resource(
            "oci_core_network_security_group_security_rule",
            &format!("{label}_ingress_{}", i + 1),
        )
        .attr("network_security_group_id", Expr::raw(format!("oci_core_network_security_group.{label}.id")))
        .attr("direction", "INGRESS")
        .attr("protocol", rule.protocol)
        .attr("source", rule.source.clone())
        .attr("source_type", "CIDR_BLOCK")
        .attr("description", rule.description.as_str());
        cx.emit(file, rule.options(b, true));
    }
}

/// A network security group the design declares itself (`network_security_group`, attached to a VCN), with the
/// ingress rules of its `ingress` attribute (the subnet format).
fn network_security_group(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let Some(vcn) = c.placement.as_ref().and_then(|p| cx.get(p.as_str())).filter(|v| v.service == "vcn")
    else {
        cx.note(Some(c), format!("{} must be placed in a VCN: nothing was generated for it", c.id));
        return;
    };
    let cidr = vcn_cidr(vcn);
    let mut rules = Vec::new();
    for entry in cfg_list(c, "ingress") {
        match parse_ingress(&entry, &cidr) {
            Ok(rule) => rules.push(rule),
            Err(e) => cx.note(Some(c), format!("{e}: left out")),
        }
    }
    let display = cfg_str(c, "name").unwrap_or(c.id.as_str()).to_owned();
    emit_nsg(cx, file, c, vcn, &display, &rules);
    let label = tf_label(c.id.as_str());
    cx.output(
        &format!("{label}_id"),
        &format!("OCID of the network security group {}", c.id),
        Expr::raw(format!("oci_core_network_security_group.{label}.id")),
        false,
    );
}

fn gateway_in<'a>(cx: &Cx<'a>, vcn: &Component, service: &str) -> Option<&'a Component> {
    cx.of_service(service).find(|g| g.placement.as_ref().is_some_and(|p| *p == vcn.id))
}

fn subnets_of<'a>(cx: &Cx<'a>, vcn: &Component) -> Vec<&'a Component> {
    cx.of_service("subnet").filter(|s| s.placement.as_ref().is_some_and(|p| *p == vcn.id)).collect()
}

/// The VCN's CIDR as configured, and new bits for its derived subnets (a /24 in a /16, more when needed).
fn newbits(vcn_cidr_text: &str, derived: usize) -> i64 {
    let prefix: i64 = vcn_cidr_text.split_once('/').and_then(|(_, l)| l.parse().ok()).unwrap_or(16);
    let mut needed = 0;
    while (1usize << needed) < derived.max(1) {
        needed += 1;
    }
    (24 - prefix).max(needed).min((30 - prefix).max(0)).max(0)
}

/// Unique DNS labels (letters and digits, at most 15) for the subnets of one VCN.
fn dns_labels(subnets: &[&Component]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in subnets {
        let base = alnum_name(s.id.as_str(), 15);
        let mut label = base.clone();
        let mut n = 2;
        while out.contains(&label) {
            let suffix = n.to_string();
            label = format!("{}{suffix}", &base[..base.len().min(15 - suffix.len())]);
            n += 1;
        }
        out.push(label);
    }
    out
}

/// Handles networking services; false for the others.
pub(super) fn component(cx: &mut Cx<'_>, c: &Component, file: &str) -> bool {
    match c.service.as_str() {
        "vcn" => vcn(cx, c, file),
        "subnet" => subnet(cx, c, file),
        "internet_gateway" | "nat_gateway" | "service_gateway" | "drg" => gateway(cx, c, file),
        "vpn_connect" => vpn(cx, c, file),
        "fastconnect" => fastconnect(cx, c, file),
        "load_balancer" => load_balancer(cx, c, file),
        "network_load_balancer" => network_load_balancer(cx, c, file),
        "dns" => dns(cx, c, file),
        "network_security_group" => network_security_group(cx, c, file),
        _ => return false,
    }
    true
}

fn vcn(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let cidr_text = cfg_str(c, "cidr").unwrap_or("10.0.0.0/16").to_owned();
    if !is_cidr(&cidr_text) {
        cx.note(Some(c), format!("the VCN CIDR {cidr_text:?} is not an IPv4 CIDR; Terraform will reject it"));
    }
    let subnets = subnets_of(cx, c);
    let derived = subnets.iter().filter(|s| cfg_str(s, "cidr").is_none()).count();
    let bits = newbits(&cidr_text, derived);
    // Lesson: subnet CIDRs derive from the VCN CIDR, so changing the VCN CIDR moves every subnet with it.
    let mut locals = Block::new("locals", &[]).attr(&format!("{label}_cidr"), cidr_text.as_str());
    let mut index = 0i64;
    for s in &subnets {
        let value = match cfg_str(s, "cidr") {
            Some(explicit) => Expr::str(explicit),
            None => {
                let e = Expr::raw(format!("cidrsubnet(local.{label}_cidr, {bits}, {index})"));
                index += 1;
                e
            }
        };
        locals = locals.attr(&format!("{}_cidr", tf_label(s.id.as_str())), value);
    }
    if subnets.iter().any(|s| cfg_str(s, "cidr").is_some()) && derived > 0 {
        cx.note(
            Some(c),
            "some subnets have explicit CIDRs and others are derived with cidrsubnet: check that they do not overlap",
        );
    }
    cx.emit(file, locals);
    let dns_label = cfg_str(c, "dns_label").map_or_else(|| alnum_name(c.id.as_str(), 15), str::to_owned);
    cx.emit(
        file,
        Block::resource("oci_core_vcn", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("display_name", cx.display(c))
            .attr("cidr_blocks", Expr::List(vec![vcn_cidr(c)]))
            .attr("dns_label", dns_label)
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.output(
        &format!("{label}_id"),
        &format!("OCID of the VCN {}", c.id),
        Expr::raw(res("oci_core_vcn", c, "id")),
        false,
    );
}

fn subnet(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(vcn) = cx.vcn_of(c) else { return };
    let public = is_public_subnet(c);
    let vcn_ref = Expr::raw(res("oci_core_vcn", vcn, "id"));

    // Route table (lesson: public → internet gateway; private → NAT 0.0.0.0/0 + service gateway).
    let mut rt = Block::resource("oci_core_route_table", &label)
        .attr("compartment_id", Expr::raw("var.compartment_ocid"))
        .attr("vcn_id", vcn_ref.clone())
        .attr("display_name", format!("{}-rt", c.id))
        .attr("freeform_tags", cx.tags(c));
    let route = |description: &str, destination: Expr, destination_type: &str, entity: String| {
        Block::new("route_rules", &[])
            .attr("description", description)
            .attr("destination", destination)
            .attr("destination_type", destination_type)
            .attr("network_entity_id", Expr::raw(entity))
    };
    if public {
        match gateway_in(cx, vcn, "internet_gateway") {
            Some(igw) => {
                rt = rt.block(route(
                    "Internet",
                    anywhere(),
                    "CIDR_BLOCK",
                    res("oci_core_internet_gateway", igw, "id"),
                ));
            }
            None => cx.note(
                Some(c),
                format!("public subnet {} has no internet gateway in its VCN: add one to the design", c.id),
            ),
        }
    } else {
        let sgw = gateway_in(cx, vcn, "service_gateway");
        if let Some(sgw) = sgw {
            rt = rt.block(route(
                "Oracle Services Network through the service gateway",
                Expr::raw(format!(
                    "data.oci_core_services.{}.services[0].cidr_block",
                    tf_label(sgw.id.as_str())
                )),
                "SERVICE_CIDR_BLOCK",
                res("oci_core_service_gateway", sgw, "id"),
            ));
        }
        match gateway_in(cx, vcn, "nat_gateway") {
            Some(nat) => {
                rt = rt.block(route(
                    "Outbound internet without public IPs",
                    anywhere(),
                    "CIDR_BLOCK",
                    res("oci_core_nat_gateway", nat, "id"),
                ));
            }
            None if sgw.is_none() => cx.note(
                Some(c),
                format!(
                    "private subnet {} has neither a NAT gateway nor a service gateway in its VCN: it cannot reach OCI services or the internet",
                    c.id
                ),
            ),
            None => {}
        }
    }
    cx.emit(file, rt);

    // Security list: the design's ingress rules, what services and connections need, ICMP for path MTU
    // discovery (as OCI's default list has), and all egress.
    let vcn_c = vcn_cidr(vcn);
    let mut rules: Vec<Rule> = Vec::new();
    for entry in cfg_list(c, "ingress") {
        match parse_ingress(&entry, &vcn_c) {
            Ok(r) => {
                if !rules.iter().any(|x| x.same_traffic(&r)) {
                    rules.push(r);
                }
            }
            Err(e) => cx.note(Some(c), format!("{e}; the rule was left out")),
        }
    }
    for r in cx.subnet_rules.get(c.id.as_str()).cloned().unwrap_or_default() {
        if !rules.iter().any(|x| x.same_traffic(&r)) {
            rules.push(r);
        }
    }
    for r in [
        Rule::icmp(3, Some(4), anywhere(), "Path MTU discovery"),
        Rule::icmp(3, None, vcn_c.clone(), "Destination unreachable inside the VCN"),
    ] {
        if !rules.iter().any(|x| x.same_traffic(&r)) {
            rules.push(r);
        }
    }
    let mut sl = Block::resource("oci_core_security_list", &label)
        .attr("compartment_id", Expr::raw("var.compartment_ocid"))
        .attr("vcn_id", vcn_ref.clone())
        .attr("display_name", format!("{}-sl", c.id))
        .attr("freeform_tags", cx.tags(c));
    for r in &rules {
        sl = sl.block(r.security_list_block());
    }
    sl = sl.block(
        Block::new("egress_security_rules", &[])
            .attr("description", "All outbound traffic")
            .attr("protocol", "all")
            .attr("destination", anywhere())
            .attr("destination_type", "CIDR_BLOCK"),
    );
    cx.emit(file, sl);

    let siblings = subnets_of(cx, vcn);
    let labels = dns_labels(&siblings);
    let dns_label = siblings.iter().position(|s| s.id == c.id).and_then(|i| labels.get(i).cloned());
    cx.emit(
        file,
        Block::resource("oci_core_subnet", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("vcn_id", vcn_ref)
            .attr("display_name", cx.display(c))
            .attr("cidr_block", subnet_cidr(c))
            .attr_opt("dns_label", dns_label)
            .attr("route_table_id", Expr::raw(res("oci_core_route_table", c, "id")))
            .attr("security_list_ids", Expr::List(vec![Expr::raw(res("oci_core_security_list", c, "id"))]))
            .attr("prohibit_public_ip_on_vnic", !public)
            .attr("prohibit_internet_ingress", !public)
            .attr("freeform_tags", cx.tags(c)),
    );
}

fn gateway(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(vcn) = cx.vcn_of(c) else {
        cx.note(Some(c), format!("{} is not placed in a VCN and was not exported", c.id));
        return;
    };
    let vcn_ref = Expr::raw(res("oci_core_vcn", vcn, "id"));
    let name = cx.display(c);
    let base = |ty: &str| {
        Block::resource(ty, &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("vcn_id", vcn_ref.clone())
            .attr("display_name", name.clone())
    };
    match c.service.as_str() {
        "internet_gateway" => {
            let b = base("oci_core_internet_gateway").attr("enabled", true).attr("freeform_tags", cx.tags(c));
            cx.emit(file, b);
        }
        "nat_gateway" => {
            let b = base("oci_core_nat_gateway").attr("freeform_tags", cx.tags(c));
            cx.emit(file, b);
        }
        "service_gateway" => {
            // Lesson: never a region-specific service name; a regex matches every region.
            let pattern = if cfg_str(c, "services") == Some("object_storage") {
                "OCI .* Object Storage"
            } else {
                "All .* Services In Oracle Services Network"
            };
            cx.emit(
                file,
                Block::data("oci_core_services", &label).block(
                    Block::new("filter", &[])
                        .attr("name", "name")
                        .attr("values", Expr::strs(&[pattern]))
                        .attr("regex", true),
                ),
            );
            let b = base("oci_core_service_gateway").attr("freeform_tags", cx.tags(c)).block(
                Block::new("services", &[])
                    .attr("service_id", Expr::raw(format!("data.oci_core_services.{label}.services[0].id"))),
            );
            cx.emit(file, b);
        }
        _ => {
            // drg: the gateway itself (regional) and its attachment to the VCN it is placed in.
            cx.emit(
                file,
                Block::resource("oci_core_drg", &label)
                    .attr("compartment_id", Expr::raw("var.compartment_ocid"))
                    .attr("display_name", cx.display(c))
                    .attr("freeform_tags", cx.tags(c)),
            );
            cx.emit(
                file,
                Block::resource("oci_core_drg_attachment", &label)
                    .attr("drg_id", Expr::raw(res("oci_core_drg", c, "id")))
                    .attr("display_name", format!("{}-attachment", c.id))
                    .attr("freeform_tags", cx.tags(c))
                    .block(Block::new("network_details", &[]).attr("id", vcn_ref).attr("type", "VCN")),
            );
            cx.note(
                Some(c),
                "routes from the subnets to on-premises networks through the DRG need the on-premises CIDRs, which the design does not have: add route rules with destination = <on-premises CIDR> and network_entity_id = the DRG",
            );
        }
    }
}

fn vpn(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(drg) = cx.reference(c, "drg").filter(|d| d.service == "drg") else {
        cx.note(Some(c), "the VPN has no DRG (attribute drg): nothing was generated for it");
        return;
    };
    let static_routing = cfg_str(c, "routing") == Some("static");
    cx.emit(
        file,
        Block::new("locals", &[])
            .comment("Placeholders: the on-premises VPN device's public IP (and, for static routing, the on-premises CIDRs).")
            .attr(&format!("{label}_cpe_ip_address"), "203.0.113.10")
            .attr(&format!("{label}_onprem_cidrs"), Expr::strs(&["192.168.0.0/16"])),
    );
    cx.emit(
        file,
        Block::resource("oci_core_cpe", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("ip_address", Expr::raw(format!("local.{label}_cpe_ip_address")))
            .attr("display_name", format!("{}-cpe", c.id))
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.emit(
        file,
        Block::resource("oci_core_ipsec", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("cpe_id", Expr::raw(res("oci_core_cpe", c, "id")))
            .attr("drg_id", Expr::raw(res("oci_core_drg", drg, "id")))
            .attr("display_name", cx.display(c))
            .attr(
                "static_routes",
                if static_routing {
                    Expr::raw(format!("local.{label}_onprem_cidrs"))
                } else {
                    Expr::List(Vec::new())
                },
            )
            .attr("freeform_tags", cx.tags(c)),
    );
    cx.note(
        Some(c),
        format!(
            "Site-to-Site VPN: replace the placeholder CPE address (local.{label}_cpe_ip_address = 203.0.113.10) with the on-premises device's public IP{}; {} and configure the device with the tunnels' shared secrets from the Console",
            if static_routing { " and local.{label}_onprem_cidrs with the on-premises CIDRs" } else { "" },
            if static_routing {
                "route the on-premises CIDRs to the DRG"
            } else {
                "BGP needs each tunnel's ASN and inside addresses (oci_core_ipsec_connection_tunnel_management), which depend on the on-premises side"
            }
        ),
    );
}

fn fastconnect(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(drg) = cx.reference(c, "drg").filter(|d| d.service == "drg") else {
        cx.note(Some(c), "FastConnect has no DRG (attribute drg): nothing was generated for it");
        return;
    };
    let bandwidth = format!("{} Gbps", cfg_str(c, "bandwidth_gbps").unwrap_or("1"));
    let redundant = cfg_bool(c, "redundant", false);
    let mut b = Block::resource("oci_core_virtual_circuit", &label);
    if redundant {
        b = b.attr("count", 2i64);
    }
    b = b
        .attr("compartment_id", Expr::raw("var.compartment_ocid"))
        .attr("type", "PRIVATE")
        .attr("bandwidth_shape_name", bandwidth)
        .attr("gateway_id", Expr::raw(res("oci_core_drg", drg, "id")))
        .attr(
            "display_name",
            if redundant { tpl(&format!("{}-", c.id), "count.index + 1", "") } else { cx.display(c) },
        )
        .attr("freeform_tags", cx.tags(c));
    cx.emit(file, b);
    cx.note(
        Some(c),
        "FastConnect: the partner (provider_service_id) or colocation cross-connects, the BGP peering addresses and the customer ASN come from the circuit order and are not in the design; add them to oci_core_virtual_circuit before apply",
    );
}

fn load_balancer(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(subnet) = cx.subnet_of(c) else {
        cx.note(Some(c), "the load balancer is not placed in a subnet: nothing was generated for it");
        return;
    };
    let private = cfg_str(c, "visibility") == Some("private");
    if !private && !is_public_subnet(subnet) {
        // Lesson: a public load balancer cannot live in a private subnet.
        cx.note(
            Some(c),
            format!(
                "a public load balancer needs a public subnet, but {} is private: OCI will refuse it",
                subnet.id
            ),
        );
    }
    let min = cfg_int(c, "min_bandwidth_mbps", 10);
    let max = cfg_int(c, "max_bandwidth_mbps", 100).max(min);
    cx.emit(
        file,
        Block::resource("oci_load_balancer_load_balancer", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("display_name", cx.display(c))
            .attr("shape", "flexible")
            .attr("subnet_ids", Expr::List(vec![Expr::raw(res("oci_core_subnet", subnet, "id"))]))
            .attr("is_private", private)
            .attr("freeform_tags", cx.tags(c))
            .block(
                Block::new("shape_details", &[])
                    .attr("minimum_bandwidth_in_mbps", min)
                    .attr("maximum_bandwidth_in_mbps", max),
            ),
    );
    let protocol = cfg_str(c, "listener_protocol").unwrap_or("https");
    let lb_id = Expr::raw(res("oci_load_balancer_load_balancer", c, "id"));
    let health = if protocol == "tcp" {
        Block::new("health_checker", &[]).attr("protocol", "TCP").attr("port", 80i64)
    } else {
        Block::new("health_checker", &[])
            .attr("protocol", "HTTP")
            .attr("port", 80i64)
            .attr("url_path", "/")
            .attr("return_code", 200i64)
    };
    cx.emit(
        file,
        Block::resource("oci_load_balancer_backend_set", &label)
            .attr("load_balancer_id", lb_id.clone())
            .attr("name", "default")
            .attr("policy", "ROUND_ROBIN")
            .block(health),
    );
    let (port, proto) = match protocol {
        "tcp" => (443i64, "TCP"),
        _ => (80i64, "HTTP"),
    };
    if protocol == "https" {
        cx.note(
            Some(c),
            "HTTPS needs a TLS certificate for your domain, which the design does not have: the listener is exported as HTTP on port 80 (port 443 is already open in the security list). Add the certificate (Certificates service or an uploaded one) and an HTTPS listener on 443 with ssl_configuration",
        );
    }
    cx.emit(
        file,
        Block::resource("oci_load_balancer_listener", &label)
            .attr("load_balancer_id", lb_id.clone())
            .attr("name", "default")
            .attr("default_backend_set_name", Expr::raw(res("oci_load_balancer_backend_set", c, "name")))
            .attr("port", port)
            .attr("protocol", proto),
    );
    // Backends: the compute instances and container instances it connects to.
    let arch = cx.arch;
    for conn in arch.connections.iter().filter(|k| k.from == c.id) {
        let Some(to) = cx.get(conn.to.as_str()) else { continue };
        let port = conn.port.map_or(80, i64::from);
        let backend = |ip: Expr, count: Option<i64>| {
            let mut b = Block::resource(
                "oci_load_balancer_backend",
                &format!("{label}_{}", tf_label(to.id.as_str())),
            );
            if let Some(n) = count {
                b = b.attr("count", n);
            }
            b.attr("load_balancer_id", lb_id.clone())
                .attr("backendset_name", Expr::raw(res("oci_load_balancer_backend_set", c, "name")))
                .attr("ip_address", ip)
                .attr("port", port)
        };
        match to.service.as_str() {
            "compute_instance" => {
                let n = cfg_int(to, "instance_count", 1);
                let b = if n > 1 {
                    let ip = format!("oci_core_instance.{}[count.index].private_ip", tf_label(to.id.as_str()));
                    backend(Expr::raw(ip), Some(n))
                } else {
                    backend(Expr::raw(res("oci_core_instance", to, "private_ip")), None)
                };
                cx.emit(file, b);
            }
            "container_instance" => {
                cx.emit(
                    file,
                    backend(Expr::raw(res("oci_container_instances_container_instance", to, "vnics[0].private_ip")), None),
                );
            }
            "oke" => cx.note(
                Some(c),
                format!(
                    "{} fronts OKE cluster {}: Kubernetes creates its own load balancers for Services of type LoadBalancer in the lb_subnet; to use this one, add the worker nodes' NodePort as backends (or drop this load balancer from the design)",
                    c.id, to.id
                ),
            ),
            _ => {}
        }
    }
    cx.output(
        &format!("{label}_ip_address"),
        &format!("IP address of the load balancer {}", c.id),
        Expr::raw(res("oci_load_balancer_load_balancer", c, "ip_address_details[0].ip_address")),
        false,
    );
}

fn network_load_balancer(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let Some(subnet) = cx.subnet_of(c) else {
        cx.note(Some(c), "the network load balancer is not placed in a subnet: nothing was generated for it");
        return;
    };
    let private = cfg_str(c, "visibility").unwrap_or("private") == "private";
    let port =
        cx.arch.connections.iter().find(|k| k.from == c.id).and_then(|k| k.port).map_or(443, i64::from);
    cx.emit(
        file,
        Block::resource("oci_network_load_balancer_network_load_balancer", &label)
            .attr("compartment_id", Expr::raw("var.compartment_ocid"))
            .attr("display_name", cx.display(c))
            .attr("subnet_id", Expr::raw(res("oci_core_subnet", subnet, "id")))
            .attr("is_private", private)
            .attr("freeform_tags", cx.tags(c)),
    );
    let nlb_id = Expr::raw(res("oci_network_load_balancer_network_load_balancer", c, "id"));
    cx.emit(
        file,
        Block::resource("oci_network_load_balancer_backend_set", &label)
            .attr("network_load_balancer_id", nlb_id.clone())
            .attr("name", "default")
            .attr("policy", "FIVE_TUPLE")
            .block(Block::new("health_checker", &[]).attr("protocol", "TCP").attr("port", port)),
    );
    cx.emit(
        file,
        Block::resource("oci_network_load_balancer_listener", &label)
            .attr("network_load_balancer_id", nlb_id)
            .attr("name", "default")
            .attr(
                "default_backend_set_name",
                Expr::raw(res("oci_network_load_balancer_backend_set", c, "name")),
            )
            .attr("port", port)
            .attr("protocol", "TCP"),
    );
    cx.note(
        Some(c),
        format!("the network load balancer listens on TCP {port}; add its backends (oci_network_load_balancer_backend) once the targets' IPs are known"),
    );
    cx.output(
        &format!("{label}_ip_address"),
        &format!("IP address of the network load balancer {}", c.id),
        Expr::raw(res("oci_network_load_balancer_network_load_balancer", c, "ip_addresses[0].ip_address")),
        false,
    );
}

fn dns(cx: &mut Cx<'_>, c: &Component, file: &str) {
    let label = tf_label(c.id.as_str());
    let zone = match cfg_str(c, "zone_name") {
        Some(z) => z.to_owned(),
        None => {
            cx.note(
                Some(c),
                format!(
                    "the DNS zone has no zone_name: exported as {}.example.com, change it to your domain",
                    c.id
                ),
            );
            format!("{}.example.com", c.id)
        }
    };
    let private = cfg_str(c, "zone_type") == Some("private");
    let mut b = Block::resource("oci_dns_zone", &label)
        .attr("compartment_id", Expr::raw("var.compartment_ocid"))
        .attr("name", zone)
        .attr("zone_type", "PRIMARY");
    if private {
        let Some(vcn) = cx.of_service("vcn").next() else {
            cx.note(Some(c), "a private DNS zone needs a VCN in the design: nothing was generated for it");
            return;
        };
        // The VCN's own resolver and its default view hold private zones.
        cx.emit(
            file,
            Block::data("oci_core_vcn_dns_resolver_association", &label)
                .attr("vcn_id", Expr::raw(res("oci_core_vcn", vcn, "id"))),
        );
        cx.emit(
            file,
            Block::data("oci_dns_resolver", &label)
                .attr(
                    "resolver_id",
                    Expr::raw(format!("data.oci_core_vcn_dns_resolver_association.{label}.dns_resolver_id")),
                )
                .attr("scope", "PRIVATE"),
        );
        b = b
            .attr("scope", "PRIVATE")
            .attr("view_id", Expr::raw(format!("data.oci_dns_resolver.{label}.default_view_id")));
    } else {
        cx.note(Some(c), "a public DNS zone answers only after the domain's registrar delegates it to the zone's OCI name servers");
    }
    cx.emit(file, b.attr("freeform_tags", cx.tags(c)));
}

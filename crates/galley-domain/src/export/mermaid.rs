//! The design as a Mermaid flowchart: the region, VCNs and their subnets as nested subgraphs, components in the
//! subnet (or VCN) they are placed in, regional and global services in their own groups, connections as labelled
//! edges and component references (a WAF's target, a volume's instance) as dotted edges.
//!
//! Every text that comes from the design is escaped with Mermaid's entity codes inside quoted labels, and node ids
//! are derived from component ids with a prefix (`n_`), so no name or id can break the syntax (quotes, brackets,
//! `#`, `;`, `<`, `end`, ...). The output is deterministic: the design's order, no maps with random order.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::architecture::{Architecture, Component};
use crate::catalog::{AttributeType, PlacementKind, ServiceCatalog};
use crate::locale::Locale;

use super::{key_config, service_label, tr, unique_components};

/// Most key-configuration lines shown in a node (the summary table shows them all).
const MAX_KEY_LINES: usize = 4;

/// Category → (fill, stroke) of its nodes.
const CATEGORY_STYLES: &[(&str, &str, &str)] = &[
    ("compute", "#fdf1e4", "#c74634"),
    ("containers", "#e8f1fb", "#2c5967"),
    ("serverless", "#f0e9f7", "#6f4e9c"),
    ("database", "#e6f4ea", "#3a7d44"),
    ("storage", "#fff8e1", "#a67c00"),
    ("networking", "#eef2f5", "#5f6f7a"),
    ("security", "#fdecea", "#b3261e"),
    ("observability", "#e8f5f3", "#00796b"),
    ("integration", "#fff3e0", "#e65100"),
    ("devops", "#ede7f6", "#4527a0"),
    ("ai", "#fce4ec", "#ad1457"),
];

/// Escapes text for a quoted Mermaid label: characters Mermaid (or the HTML it renders) treats specially become
/// entity codes, control characters become spaces.
pub fn escape_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            ';' => out.push_str("#59;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '%' => out.push_str("#37;"),
            '\\' => out.push_str("#92;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Mermaid node id of a component id: `n_` + the id with `-` as `_` (component ids have no `_`, so this is
/// one-to-one); any other character becomes `_xHEX_` (ids built by hand may hold anything).
pub fn node_id(component_id: &str) -> String {
    let mut out = String::from("n_");
    for ch in component_id.chars() {
        match ch {
            'a'..='z' | '0'..='9' => out.push(ch),
            '-' => out.push('_'),
            c => {
                let _ = write!(out, "_x{:x}_", u32::from(c));
            }
        }
    }
    out
}

/// Where a component is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot<'a> {
    /// Directly in the region (VCNs, and subnets whose VCN is missing).
    Region,
    /// Inside the VCN or subnet with this id.
    In(&'a str),
    /// In the "regional services" group.
    Regional,
    /// In the "global" group, outside the region.
    Global,
}

fn is_container(c: &Component) -> bool {
    c.service == "vcn" || c.service == "subnet"
}

struct Layout<'a> {
    components: Vec<&'a Component>,
    slots: Vec<Slot<'a>>,
    by_id: HashMap<&'a str, usize>,
}

impl<'a> Layout<'a> {
    fn new(arch: &'a Architecture, catalog: &ServiceCatalog) -> Layout<'a> {
        let components = unique_components(arch);
        let by_id: HashMap<&str, usize> =
            components.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let parent_service =
            |c: &Component| c.placement.as_ref().and_then(|p| by_id.get(p.as_str())).map(|&i| components[i]);
        let slots = components
            .iter()
            .map(|c| {
                let parent = parent_service(c);
                match c.service.as_str() {
                    "vcn" => Slot::Region,
                    "subnet" => match parent {
                        Some(p) if p.service == "vcn" => Slot::In(p.id.as_str()),
                        _ => Slot::Region,
                    },
                    _ => match parent {
                        Some(p) if is_container(p) => Slot::In(p.id.as_str()),
                        _ => {
                            let global = catalog
                                .service(&c.service)
                                .is_some_and(|s| s.placement == PlacementKind::Global);
                            if global { Slot::Global } else { Slot::Regional }
                        }
                    },
                }
            })
            .collect();
        Layout { components, slots, by_id }
    }

    fn children(&self, slot: Slot<'_>) -> Vec<&'a Component> {
        self.components.iter().zip(&self.slots).filter(|(_, s)| **s == slot).map(|(c, _)| *c).collect()
    }

    /// Whether `ancestor` is a container holding `id` (directly or through a subnet).
    fn contains(&self, ancestor: &str, id: &str) -> bool {
        let mut current = id;
        for _ in 0..3 {
            let Some(&i) = self.by_id.get(current) else { return false };
            match self.slots[i] {
                Slot::In(p) if p == ancestor => return true,
                Slot::In(p) => current = p,
                _ => return false,
            }
        }
        false
    }
}

struct Writer<'a> {
    out: String,
    arch: &'a Architecture,
    catalog: &'a ServiceCatalog,
    locale: Locale,
}

impl Writer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn node(&mut self, depth: usize, c: &Component) {
        let service = service_label(self.catalog, c, self.locale);
        // A component still named after its service (the default name, in English) shows the localised name.
        let default_name = self.catalog.service(&c.service).is_some_and(|s| s.name.matches(&c.name));
        let name = if default_name { service } else { display_name(c) };
        let mut label = format!("<b>{}</b>", escape_label(name));
        if name.trim() != service {
            let _ = write!(label, "<br/><i>{}</i>", escape_label(service));
        }
        for line in key_config(self.arch, c, self.locale).iter().take(MAX_KEY_LINES) {
            let _ = write!(label, "<br/>{}", escape_label(line));
        }
        let kind = self.catalog.service(&c.service);
        let category = kind.map(|s| s.category.as_str());
        let (open, close) = if kind.is_some_and(|s| s.placement == PlacementKind::Vcn) {
            ("{{", "}}")
        } else {
            match category {
                Some("database" | "storage") => ("[(", ")]"),
                Some("serverless" | "integration") => ("(", ")"),
                _ => ("[", "]"),
            }
        };
        let id = node_id(c.id.as_str());
        self.line(depth, &format!("{id}{open}\"{label}\"{close}"));
    }

    fn container_label(&self, c: &Component) -> String {
        let mut parts = vec![escape_label(display_name(c))];
        if c.service == "subnet" {
            match c.config_str("tier") {
                Some("public") => parts.push(tr(self.locale, "public", "パブリック").to_owned()),
                Some("private") => parts.push(tr(self.locale, "private", "プライベート").to_owned()),
                Some(other) => parts.push(escape_label(other)),
                None => {}
            }
        }
        if let Some(cidr) = c.config_str("cidr") {
            parts.push(escape_label(cidr));
        }
        parts.join(" · ")
    }
}

/// The design as a Mermaid flowchart (top to bottom), labels in `locale`. Deterministic: the same design gives the
/// same text.
pub fn mermaid(arch: &Architecture, catalog: &ServiceCatalog, locale: Locale) -> String {
    let layout = Layout::new(arch, catalog);
    let mut w = Writer { out: String::new(), arch, catalog, locale };
    w.line(0, "flowchart TB");

    let region =
        arch.region.as_deref().filter(|r| !r.trim().is_empty()).unwrap_or(tr(locale, "region", "リージョン"));
    w.line(1, &format!("subgraph g_region[\"{}\"]", escape_label(region)));
    let mut classes: Vec<(String, &'static str)> = Vec::new();
    let top = layout.children(Slot::Region);
    for c in &top {
        let id = node_id(c.id.as_str());
        if c.service == "vcn" {
            classes.push((id.clone(), "vcn"));
        } else {
            classes.push((id.clone(), subnet_class(c)));
        }
        w.line(2, &format!("subgraph {id}[\"{}\"]", w.container_label(c)));
        for child in layout.children(Slot::In(c.id.as_str())) {
            if child.service == "subnet" {
                let sid = node_id(child.id.as_str());
                classes.push((sid.clone(), subnet_class(child)));
                w.line(3, &format!("subgraph {sid}[\"{}\"]", w.container_label(child)));
                for leaf in layout.children(Slot::In(child.id.as_str())) {
                    w.node(4, leaf);
                }
                w.line(3, "end");
            } else {
                w.node(3, child);
            }
        }
        w.line(2, "end");
    }
    let regional = layout.children(Slot::Regional);
    if !regional.is_empty() {
        w.line(
            2,
            &format!(
                "subgraph g_regional[\"{}\"]",
                tr(locale, "Regional services", "リージョナル・サービス")
            ),
        );
        for c in regional {
            w.node(3, c);
        }
        w.line(2, "end");
        classes.push(("g_regional".to_owned(), "group"));
    }
    if layout.components.is_empty() {
        w.line(
            2,
            &format!(
                "g_empty[\"{}\"]",
                tr(locale, "(no components yet)", "（コンポーネントはまだありません）")
            ),
        );
    }
    w.line(1, "end");
    classes.push(("g_region".to_owned(), "region"));
    let global = layout.children(Slot::Global);
    if !global.is_empty() {
        w.line(1, &format!("subgraph g_global[\"{}\"]", tr(locale, "Global", "グローバル")));
        for c in global {
            w.node(2, c);
        }
        w.line(1, "end");
        classes.push(("g_global".to_owned(), "group"));
    }

    // Connections, then references between components (not to subnets: those are in the labels).
    for conn in &arch.connections {
        let (from, to) = (conn.from.as_str(), conn.to.as_str());
        if from == to
            || !layout.by_id.contains_key(from)
            || !layout.by_id.contains_key(to)
            || layout.contains(from, to)
            || layout.contains(to, from)
        {
            continue;
        }
        let mut parts = Vec::new();
        match (conn.protocol.as_ref().filter(|p| !p.trim().is_empty()), conn.port) {
            (Some(p), Some(port)) => parts.push(escape_label(&format!("{p}:{port}"))),
            (Some(p), None) => parts.push(escape_label(p)),
            (None, Some(port)) => parts.push(format!(":{port}")),
            (None, None) => {}
        }
        if let Some(purpose) = conn.purpose.as_deref().filter(|p| !p.trim().is_empty()) {
            parts.push(escape_label(purpose));
        }
        let label = parts.join("<br/>");
        let arrow = if label.is_empty() { "-->".to_owned() } else { format!("-->|\"{label}\"|") };
        w.line(1, &format!("{} {arrow} {}", node_id(from), node_id(to)));
    }
    for c in &layout.components {
        let Some(service) = catalog.service(&c.service) else { continue };
        for attr in service.attributes.iter().filter(|a| a.kind == AttributeType::Component) {
            let Some(target) = c.config_str(&attr.name) else { continue };
            let Some(&t) = layout.by_id.get(target) else { continue };
            if is_container(layout.components[t]) || is_container(c) || target == c.id.as_str() {
                continue;
            }
            w.line(
                1,
                &format!(
                    "{} -.->|\"{}\"| {}",
                    node_id(c.id.as_str()),
                    escape_label(&attr.name.replace('_', " ")),
                    node_id(target)
                ),
            );
        }
    }

    // Styles: one class per category (in a fixed order), then the network containers.
    for (category, fill, stroke) in CATEGORY_STYLES {
        let ids: Vec<String> = layout
            .components
            .iter()
            .filter(|c| !is_container(c))
            .filter(|c| catalog.service(&c.service).is_some_and(|s| s.category == *category))
            .map(|c| node_id(c.id.as_str()))
            .collect();
        if !ids.is_empty() {
            w.line(1, &format!("classDef {category} fill:{fill},stroke:{stroke},color:#1b1b1b"));
            w.line(1, &format!("class {} {category}", ids.join(",")));
        }
    }
    for (class, style) in [
        ("region", "fill:#fbfbfb,stroke:#312d2a,stroke-width:2px"),
        ("vcn", "fill:#f3f7fa,stroke:#2c5967,stroke-width:2px"),
        ("subnet_public", "fill:#fffdf3,stroke:#c98b00,stroke-dasharray:5 3"),
        ("subnet_private", "fill:#f4faf5,stroke:#3a7d44"),
        ("group", "fill:#ffffff,stroke:#9aa5ad,stroke-dasharray:3 3"),
    ] {
        let ids: Vec<&str> = classes.iter().filter(|(_, c)| *c == class).map(|(id, _)| id.as_str()).collect();
        if !ids.is_empty() {
            w.line(1, &format!("classDef {class} {style}"));
            w.line(1, &format!("class {} {class}", ids.join(",")));
        }
    }
    w.out
}

/// The name to show: the display name, or the id when the name is blank.
fn display_name(c: &Component) -> &str {
    if c.name.trim().is_empty() { c.id.as_str() } else { &c.name }
}

fn subnet_class(c: &Component) -> &'static str {
    if c.config_str("tier") == Some("public") { "subnet_public" } else { "subnet_private" }
}

//! A test over the whole tool inventory, and a snapshot of `tools/list`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rmcp::model::Tool;
use serde_json::Value;

use super::{ToolSelection, tool_router};
use crate::config::Mode;

fn tools(mode: Mode, conformance_fixtures: bool) -> Vec<Tool> {
    let mut tools = tool_router(ToolSelection { mode, conformance_fixtures }).list_all();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
}

fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn every_tool_is_well_formed() {
    for fixtures in [false, true] {
        for tool in tools(Mode::Full, fixtures) {
            let name = tool.name.as_ref();
            assert!(is_valid_name(name), "{name}: name must match ^[a-z][a-z0-9_]{{0,63}}$");
            let description = tool.description.as_deref().unwrap_or_default();
            assert!(!description.trim().is_empty(), "{name}: empty description");
            let a = tool.annotations.as_ref().unwrap_or_else(|| panic!("{name}: no annotations"));
            assert!(
                a.read_only_hint.is_some()
                    && a.destructive_hint.is_some()
                    && a.idempotent_hint.is_some()
                    && a.open_world_hint.is_some(),
                "{name}: every hint must be set explicitly: {a:?}"
            );
            let schema = Value::Object((*tool.input_schema).clone());
            // Clients handle a top-level oneOf/anyOf badly; Galley's own tools also avoid allOf (checked below),
            // while one conformance fixture needs it.
            for key in ["oneOf", "anyOf"] {
                assert!(schema.get(key).is_none(), "{name}: top-level {key} in the input schema");
            }
            assert_eq!(schema["type"], "object", "{name}");
        }
    }
}

#[test]
fn galley_tools_describe_themselves_for_the_model() {
    for tool in tools(Mode::Full, false) {
        let name = tool.name.as_ref();
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.len() >= 120, "{name}: say what it does, when to use it, what it returns");
        assert!(tool.output_schema.is_some(), "{name}: result is data, so it needs an output schema");
        assert!(tool.annotations.as_ref().and_then(|a| a.title.as_ref()).is_some(), "{name}: no title");
        let schema = Value::Object((*tool.input_schema).clone());
        assert!(schema.get("allOf").is_none(), "{name}: top-level allOf in the input schema");
        if let Some(props) = schema["properties"].as_object() {
            for (prop, s) in props {
                assert!(s.get("description").is_some(), "{name}.{prop}: parameter without description");
            }
        }
    }
}

#[test]
fn read_only_mode_keeps_only_read_only_tools() {
    let all = tools(Mode::Full, false);
    let ro = tools(Mode::ReadOnly, false);
    assert!(!ro.is_empty() && ro.len() < all.len());
    for t in &ro {
        let read_only = t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        // Tools that enforce the mode per call (refusing mutations) may stay: reads are useful in read-only mode.
        let enforces_mode = super::oci::MODE_ENFORCING_TOOLS.contains(&t.name.as_ref());
        assert!(read_only || enforces_mode, "{}: not read-only in read-only mode", t.name);
    }
    assert!(ro.iter().any(|t| t.name == "run_oci_cli"), "run_oci_cli serves reads in read-only mode");
}

#[test]
fn fixtures_are_off_by_default() {
    assert!(tools(Mode::Full, false).iter().all(|t| !t.name.starts_with("test_")));
}

#[test]
fn tools_list_snapshot() {
    insta::assert_json_snapshot!(tools(Mode::Full, false));
}

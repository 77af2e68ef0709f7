//! Resource Manager's `schema.yaml` for a hand-off zip: the form the customer's Console shows when they create a
//! stack from it (title, description, variable groups, and per variable its type, title and whether it is
//! required). `region`, `compartment_ocid` and `tenancy_ocid` get Resource Manager's `oci:identity:...` pickers
//! (the tenancy hidden: the Console fills it in); every other `variable` block of the workspace becomes a field,
//! typed from its `type` (string, number, bool; anything else is a string), required when it has no default,
//! its default and description kept, sensitive ones as passwords.
//!
//! The YAML is written by hand: every scalar is a JSON-quoted string, which is valid YAML, so no value can
//! change the document's structure.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variables Resource Manager's Console knows how to fill in.
const BUILTIN: [&str; 3] = ["region", "compartment_ocid", "tenancy_ocid"];

/// One `variable` block of the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct TfVariable {
    /// Its name.
    pub name: String,
    /// `string`, `number`, `bool` or the type expression's text (`list(string)`, ...); `None` when untyped.
    pub kind: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its default, when it is a plain string, number or bool.
    pub default: Option<Value>,
    /// Whether it has a default at all (of any shape).
    pub has_default: bool,
    /// `sensitive = true`.
    pub sensitive: bool,
}

fn expr_text(expr: &hcl::Expression) -> Option<String> {
    match expr {
        hcl::Expression::Variable(v) => Some(v.as_str().to_owned()),
        hcl::Expression::String(s) => Some(s.clone()),
        hcl::Expression::FuncCall(call) => Some(format!("{}(...)", call.name.name.as_str())),
        _ => None,
    }
}

fn plain_value(expr: &hcl::Expression) -> Option<Value> {
    match expr {
        hcl::Expression::String(s) => Some(Value::String(s.clone())),
        hcl::Expression::Bool(b) => Some(Value::Bool(*b)),
        hcl::Expression::Number(n) => serde_json::to_value(n).ok(),
        _ => None,
    }
}

/// The `variable` blocks of `.tf` files, by name (files that do not parse are skipped: Terraform reports them).
pub fn variables<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, TfVariable> {
    let mut out = BTreeMap::new();
    for (name, content) in files {
        if !name.ends_with(".tf") {
            continue;
        }
        let Ok(body) = hcl::parse(content) else { continue };
        for block in body.blocks().filter(|b| b.identifier() == "variable") {
            let Some(label) = block.labels().first() else { continue };
            let var_name = label.as_str().to_owned();
            let mut var = TfVariable {
                name: var_name.clone(),
                kind: None,
                description: None,
                default: None,
                has_default: false,
                sensitive: false,
            };
            for attr in block.body().attributes() {
                match attr.key() {
                    "type" => var.kind = expr_text(attr.expr()),
                    "description" => var.description = expr_text(attr.expr()),
                    "default" => {
                        var.has_default = true;
                        var.default = plain_value(attr.expr());
                    }
                    "sensitive" => var.sensitive = matches!(attr.expr(), hcl::Expression::Bool(true)),
                    _ => {}
                }
            }
            out.insert(var_name, var);
        }
    }
    out
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The `schema.yaml` for a stack with `variables`, titled `title`.
pub fn schema_yaml(title: &str, description: &str, variables: &BTreeMap<String, TfVariable>) -> String {
    let mut y = String::new();
    y.push_str("# Resource Manager stack schema, written by Galley\n");
    y.push_str("schemaVersion: \"1.1.0\"\nversion: \"20190304\"\nlocale: \"en\"\n");
    y.push_str(&format!("title: {}\ndescription: {}\n", q(title), q(description)));
    let own: Vec<&TfVariable> = variables.values().filter(|v| !BUILTIN.contains(&v.name.as_str())).collect();
    y.push_str("variableGroups:\n");
    y.push_str(
        "  - title: \"Placement\"\n    variables:\n      - \"compartment_ocid\"\n      - \"region\"\n",
    );
    y.push_str("  - title: \"Hidden\"\n    visible: false\n    variables:\n      - \"tenancy_ocid\"\n");
    if !own.is_empty() {
        y.push_str("  - title: \"Configuration\"\n    variables:\n");
        for v in &own {
            y.push_str(&format!("      - {}\n", q(&v.name)));
        }
    }
    y.push_str("variables:\n");
    y.push_str("  compartment_ocid:\n    type: \"oci:identity:compartment:id\"\n    title: \"Compartment\"\n    description: \"The compartment the resources are created in\"\n    required: true\n");
    y.push_str(
        "  region:\n    type: \"oci:identity:region:name\"\n    title: \"Region\"\n    required: true\n",
    );
    y.push_str("  tenancy_ocid:\n    type: \"string\"\n    title: \"Tenancy\"\n    visible: false\n    required: true\n");
    for v in own {
        let kind = match (v.kind.as_deref(), v.sensitive) {
            (_, true) => "password",
            (Some("number"), _) => "number",
            (Some("bool"), _) => "boolean",
            _ => "string",
        };
        y.push_str(&format!("  {}:\n    type: {}\n    title: {}\n", q(&v.name), q(kind), q(&v.name)));
        if let Some(d) = &v.description {
            y.push_str(&format!("    description: {}\n", q(d)));
        }
        match &v.default {
            Some(Value::String(s)) => y.push_str(&format!("    default: {}\n", q(s))),
            Some(Value::Bool(b)) => y.push_str(&format!("    default: {b}\n")),
            Some(Value::Number(n)) => y.push_str(&format!("    default: {n}\n")),
            _ => {}
        }
        y.push_str(&format!("    required: {}\n", !v.has_default));
    }
    y
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TF: &str = r#"
variable "region" {}
variable "compartment_ocid" {}
variable "greeting" {
  type        = string
  description = "What to say: \"hi\""
}
variable "count_of" {
  type    = number
  default = 2
}
variable "enabled" {
  type    = bool
  default = true
}
variable "tags" {
  type    = map(string)
  default = {}
}
variable "db_password" {
  type      = string
  sensitive = true
}
resource "terraform_data" "x" {}
"#;

    #[test]
    fn schema_from_variables() {
        let vars = variables([("main.tf", TF), ("broken.tf", "variable {"), ("x.tfvars", "a = 1")]);
        assert_eq!(vars.len(), 7);
        assert_eq!(vars["greeting"].kind.as_deref(), Some("string"));
        assert!(!vars["greeting"].has_default && vars["tags"].has_default && vars["tags"].default.is_none());
        assert!(vars["db_password"].sensitive);
        let yaml = schema_yaml("Acme: EC", "Galley session s", &vars);
        insta::assert_snapshot!(yaml);
        // It is YAML with the fields Resource Manager reads.
        let doc: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(doc["title"], "Acme: EC");
        assert_eq!(doc["variables"]["compartment_ocid"]["type"], "oci:identity:compartment:id");
        assert_eq!(doc["variables"]["greeting"]["required"], true);
        assert_eq!(doc["variables"]["count_of"]["default"], 2);
        assert_eq!(doc["variables"]["db_password"]["type"], "password");
        assert_eq!(doc["variableGroups"][1]["visible"], false);
    }
}

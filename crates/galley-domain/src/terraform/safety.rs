//! What model-written Terraform may not do in Galley's container, checked before Terraform runs.
//!
//! Terraform runs next to Galley's credentials (the container's Resource Principal, the store), so a workspace
//! is refused when it could run code or read files there:
//! - any `provisioner` (local-exec and remote-exec run commands; `file` copies the server's files out);
//! - `data "external"` and every provider outside [`ALLOWED_PROVIDERS`] (a provider is code Terraform runs);
//! - `module` blocks (their code is downloaded and not scanned; the workspace is flat anyway);
//! - the file functions (`file`, `templatefile`, `filebase64`, `fileset`, ...), which read the server's files;
//! - `data "terraform_remote_state"` (reads other states or backends).
//!
//! These are allowed when the operator says so ([`Policy::allow_exec`], `GALLEY_TERRAFORM_ALLOW_EXEC=1`, for
//! trusted local use). A `backend` or `cloud` block is refused always: Galley owns the state.
//!
//! [`init_fingerprint`] says what `terraform init` depends on, so Galley re-runs init only when it changes.

use std::collections::BTreeSet;
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, FuncCall, ObjectKey};
use hcl::edit::structure::{Block, Body};
use hcl::edit::visit::{Visit, visit_func_call};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Provider types a workspace may use, with the registry namespaces they may come from. `terraform` (the
/// built-in `terraform_data`) needs no entry.
pub const ALLOWED_PROVIDERS: [(&str, &[&str]); 5] = [
    ("oci", &["oracle", "hashicorp"]),
    ("random", &["hashicorp"]),
    ("tls", &["hashicorp"]),
    ("null", &["hashicorp"]),
    ("time", &["hashicorp"]),
];

/// Functions that read files on the machine Terraform runs on.
const FILE_FUNCTIONS: [&str; 11] = [
    "file",
    "filebase64",
    "fileexists",
    "fileset",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
    "templatefile",
];

/// What the operator allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Allow provisioners, external data, other providers, modules and file functions (trusted local use).
    pub allow_exec: bool,
}

/// One refused construct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Refusal {
    /// Workspace file.
    pub file: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Stable id: provisioner, external_data, provider_not_allowed, module, file_function, remote_state,
    /// backend, parse_error.
    pub rule: String,
    /// What is refused, why, and what to write instead.
    pub message: String,
}

/// Scans a workspace's files (name, content). An empty result means Terraform may run it.
pub fn scan(files: &[(String, String)], policy: Policy) -> Vec<Refusal> {
    let mut out = Vec::new();
    for (name, content) in files {
        let start = out.len();
        if name.ends_with(".tfvars") {
            continue; // values only: no blocks, no functions
        }
        let mut s = Scanner { file: name, policy, out: &mut out, line_starts: line_starts(content) };
        if name.ends_with(".tf.json") {
            s.scan_json(content);
        } else {
            // Terraform reports syntax errors itself, with better messages; nothing runs from a broken file.
            if let Ok(body) = hcl::edit::parser::parse_body(content) {
                s.scan_body(&body);
            }
        }
        out[start..].sort_by_key(|r| r.line.unwrap_or(0));
    }
    out
}

/// What `terraform init` depends on in these files: required_providers, provider and module blocks, and the
/// provider types resources and data sources imply. Equal fingerprints mean init need not run again.
pub fn init_fingerprint(files: &[(String, String)]) -> String {
    let mut parts = BTreeSet::new();
    for (name, content) in files {
        if name.ends_with(".tf.json") {
            // JSON configuration: any change may change requirements.
            parts.insert(format!("json:{name}:{content}"));
            continue;
        }
        if name.ends_with(".tfvars") {
            continue;
        }
        let Ok(body) = hcl::edit::parser::parse_body(content) else {
            parts.insert(format!("unparsed:{name}:{content}"));
            continue;
        };
        for block in body.blocks() {
            match block.ident.as_str() {
                "terraform" | "module" | "provider" => {
                    parts.insert(format!("{}:{}", block.ident.as_str(), block_text(content, block)));
                }
                "resource" | "data" => {
                    if let Some(ty) = block.labels.first() {
                        parts.insert(format!("type:{}", implied_provider(ty.as_str())));
                    }
                }
                _ => {}
            }
        }
    }
    parts.into_iter().collect::<Vec<_>>().join("\n")
}

/// The provider types a workspace uses: from resource and data source types, provider blocks and
/// required_providers (`terraform` for the built-in resources).
pub fn providers_used(files: &[(String, String)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (name, content) in files {
        if name.ends_with(".tf.json") {
            if let Ok(v) = serde_json::from_str::<Value>(content) {
                for kind in ["resource", "data"] {
                    for ty in v[kind].as_object().into_iter().flatten().map(|(k, _)| k) {
                        out.insert(implied_provider(ty).to_owned());
                    }
                }
                out.extend(v["provider"].as_object().into_iter().flatten().map(|(k, _)| k.clone()));
            }
            continue;
        }
        let Ok(body) = hcl::edit::parser::parse_body(content) else { continue };
        for block in body.blocks() {
            let label = block.labels.first().map(|l| l.as_str().to_owned()).unwrap_or_default();
            match block.ident.as_str() {
                "resource" | "data" => {
                    out.insert(implied_provider(&label).to_owned());
                }
                "provider" => {
                    out.insert(label);
                }
                "terraform" => {
                    for rp in block.body.get_blocks("required_providers") {
                        out.extend(rp.body.attributes().map(|a| a.key.as_str().to_owned()));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn block_text(content: &str, block: &Block) -> String {
    block.span().and_then(|r| content.get(r)).unwrap_or_default().to_owned()
}

/// `oci_core_vcn` → `oci`; `terraform_data` → `terraform`.
pub fn implied_provider(resource_type: &str) -> &str {
    resource_type.split('_').next().unwrap_or(resource_type)
}

fn line_starts(content: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(content.match_indices('\n').map(|(i, _)| i + 1));
    v
}

struct Scanner<'a> {
    file: &'a str,
    policy: Policy,
    out: &'a mut Vec<Refusal>,
    line_starts: Vec<usize>,
}

const EXEC_HINT: &str = "Galley refuses it because it would run on Galley's server next to its credentials (an operator can allow it \
     for trusted local use with GALLEY_TERRAFORM_ALLOW_EXEC=1)";

impl Scanner<'_> {
    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start;
        Some(self.line_starts.partition_point(|&s| s <= start))
    }

    fn push(&mut self, line: Option<usize>, rule: &str, message: String, always: bool) {
        if always || !self.policy.allow_exec {
            self.out.push(Refusal { file: self.file.to_owned(), line, rule: rule.to_owned(), message });
        }
    }

    fn provider_allowed(provider: &str) -> bool {
        provider == "terraform" || ALLOWED_PROVIDERS.iter().any(|(p, _)| *p == provider)
    }

    fn allowed_list() -> String {
        ALLOWED_PROVIDERS.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
    }

    fn check_type(&mut self, line: Option<usize>, kind: &str, ty: &str) {
        let provider = implied_provider(ty);
        if kind == "data" && ty == "external" {
            self.push(line, "external_data", format!("data \"external\" runs a program; {EXEC_HINT}"), false);
        } else if kind == "data" && ty == "terraform_remote_state" {
            self.push(
                line,
                "remote_state",
                format!("data \"terraform_remote_state\" reads another state or backend; {EXEC_HINT}"),
                false,
            );
        } else if !Self::provider_allowed(provider) {
            self.push(
                line,
                "provider_not_allowed",
                format!(
                    "{kind} \"{ty}\" needs the provider {provider:?}, which is not in Galley's allow-list ({}); {EXEC_HINT}",
                    Self::allowed_list()
                ),
                false,
            );
        }
    }

    fn check_source(&mut self, line: Option<usize>, local: &str, source: &str) {
        let parts: Vec<&str> = source.trim().split('/').collect();
        let (namespace, ty) = match parts.as_slice() {
            [ty] => ("hashicorp", *ty),
            [ns, ty] => (*ns, *ty),
            ["registry.terraform.io", ns, ty] => (*ns, *ty),
            _ => ("", ""),
        };
        let ok = ALLOWED_PROVIDERS.iter().any(|(p, namespaces)| {
            p.eq_ignore_ascii_case(ty) && namespaces.iter().any(|n| n.eq_ignore_ascii_case(namespace))
        });
        if !ok {
            self.push(
                line,
                "provider_not_allowed",
                format!(
                    "required_providers {local} = {{ source = {source:?} }} is not an allowed provider (allowed: oracle/oci, hashicorp/random, hashicorp/tls, hashicorp/null, hashicorp/time); {EXEC_HINT}"
                ),
                false,
            );
        }
    }

    fn scan_body(&mut self, body: &Body) {
        for block in body.blocks() {
            let line = self.line(block.span());
            let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_owned()).unwrap_or_default();
            match block.ident.as_str() {
                "resource" => {
                    self.check_type(line, "resource", &label(0));
                    self.scan_provisioners(&block.body);
                }
                "data" => self.check_type(line, "data", &label(0)),
                "provider" => {
                    let name = label(0);
                    if !Self::provider_allowed(&name) {
                        self.push(
                            line,
                            "provider_not_allowed",
                            format!(
                                "provider \"{name}\" is not in Galley's allow-list ({}); {EXEC_HINT}",
                                Self::allowed_list()
                            ),
                            false,
                        );
                    }
                }
                "module" => self.push(
                    line,
                    "module",
                    format!(
                        "module \"{}\": modules are not run in a Galley workspace (their code is not checked); write the resources in the workspace's own files; {EXEC_HINT}",
                        label(0)
                    ),
                    false,
                ),
                "terraform" => self.scan_terraform_block(&block.body),
                _ => {}
            }
        }
        let mut calls = FuncCalls::default();
        calls.visit_body(body);
        for (name, span) in calls.found {
            let line = self.line(span);
            self.push(
                line,
                "file_function",
                format!(
                    "{name}() reads files on the machine Terraform runs on; put the content in the configuration (a heredoc or a variable) instead; {EXEC_HINT}"
                ),
                false,
            );
        }
    }

    fn scan_provisioners(&mut self, body: &Body) {
        for p in body.get_blocks("provisioner") {
            let kind = p.labels.first().map(|l| l.as_str().to_owned()).unwrap_or_default();
            let line = self.line(p.span());
            self.push(
                line,
                "provisioner",
                format!("provisioner \"{kind}\" runs commands or copies files; {EXEC_HINT}"),
                false,
            );
        }
    }

    fn scan_terraform_block(&mut self, body: &Body) {
        for b in body.blocks() {
            let line = self.line(b.span());
            match b.ident.as_str() {
                "backend" | "cloud" => self.push(
                    line,
                    "backend",
                    format!(
                        "a {} block: Galley keeps the state in its store with locking and configures the backend itself; delete the block",
                        b.ident.as_str()
                    ),
                    true,
                ),
                "required_providers" => {
                    for attr in b.body.attributes() {
                        let line = self.line(attr.span());
                        if let Expression::Object(obj) = &attr.value {
                            for (k, v) in obj.iter() {
                                let key = match k {
                                    ObjectKey::Ident(i) => Some(i.as_str()),
                                    ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
                                    ObjectKey::Expression(_) => None,
                                };
                                if key == Some("source")
                                    && let Expression::String(s) = v.expr()
                                {
                                    self.check_source(line, attr.key.as_str(), s.as_str());
                                }
                            }
                        } else if !Self::provider_allowed(attr.key.as_str()) {
                            self.check_source(line, attr.key.as_str(), attr.key.as_str());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn json_line(&self, content: &str, needle: &str) -> Option<usize> {
        content.find(needle).map(|i| self.line_starts.partition_point(|&s| s <= i))
    }

    fn scan_json(&mut self, content: &str) {
        let Ok(v) = serde_json::from_str::<Value>(content) else { return };
        let key_line = |s: &Self, k: &str| s.json_line(content, &format!("\"{k}\""));
        for kind in ["resource", "data"] {
            for (ty, by_name) in v[kind].as_object().into_iter().flatten() {
                let line = key_line(self, ty);
                self.check_type(line, kind, ty);
                if kind == "resource" && contains_key(by_name, "provisioner") {
                    let line = key_line(self, "provisioner");
                    self.push(
                        line,
                        "provisioner",
                        format!("a provisioner runs commands or copies files; {EXEC_HINT}"),
                        false,
                    );
                }
            }
        }
        for name in v["provider"].as_object().into_iter().flatten().map(|(k, _)| k.clone()) {
            if !Self::provider_allowed(&name) {
                let line = key_line(self, &name);
                self.push(
                    line,
                    "provider_not_allowed",
                    format!(
                        "provider \"{name}\" is not in Galley's allow-list ({}); {EXEC_HINT}",
                        Self::allowed_list()
                    ),
                    false,
                );
            }
        }
        if v["module"].is_object() {
            let line = key_line(self, "module");
            self.push(
                line,
                "module",
                format!("modules are not run in a Galley workspace; {EXEC_HINT}"),
                false,
            );
        }
        let tf_blocks: Vec<&Value> = match &v["terraform"] {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for tf in tf_blocks {
            for k in ["backend", "cloud"] {
                if !tf[k].is_null() {
                    let line = key_line(self, k);
                    self.push(
                        line,
                        "backend",
                        format!("a {k} block: Galley configures the backend itself; delete it"),
                        true,
                    );
                }
            }
            for (local, req) in tf["required_providers"].as_object().into_iter().flatten() {
                if let Some(source) = req["source"].as_str() {
                    let line = key_line(self, local);
                    self.check_source(line, local, source);
                }
            }
        }
        let mut strings = Vec::new();
        collect_strings(&v, &mut strings);
        for s in strings {
            for f in FILE_FUNCTIONS {
                if calls(s, f) {
                    let line = self.json_line(content, &format!("{f}("));
                    self.push(
                        line,
                        "file_function",
                        format!("{f}() reads files on the machine Terraform runs on; {EXEC_HINT}"),
                        false,
                    );
                }
            }
        }
    }
}

/// Whether a JSON-syntax string calls function `f`: `f(` not preceded by a letter, digit, `_` or `.`
/// (so `templatefile(` is not a call of `file`, nor `profile(` one of anything).
fn calls(s: &str, f: &str) -> bool {
    let needle = format!("{f}(");
    s.match_indices(&needle).any(|(i, _)| {
        !s[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

fn contains_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k == key || contains_key(v, key)),
        Value::Array(a) => a.iter().any(|v| contains_key(v, key)),
        _ => false,
    }
}

fn collect_strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Object(m) => m.values().for_each(|v| collect_strings(v, out)),
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[derive(Default)]
struct FuncCalls {
    found: Vec<(String, Option<Range<usize>>)>,
}

impl Visit for FuncCalls {
    fn visit_func_call(&mut self, call: &FuncCall) {
        let name = call.name.name.as_str();
        if call.name.namespace.is_empty() && FILE_FUNCTIONS.contains(&name) {
            self.found.push((name.to_owned(), call.span()));
        }
        visit_func_call(self, call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(files: &[(&str, &str)], allow_exec: bool) -> Vec<(String, Option<usize>, String)> {
        let files: Vec<(String, String)> =
            files.iter().map(|(n, c)| ((*n).to_owned(), (*c).to_owned())).collect();
        scan(&files, Policy { allow_exec }).into_iter().map(|r| (r.file, r.line, r.rule)).collect()
    }

    fn one(file: &str, content: &str) -> Vec<(Option<usize>, String)> {
        rules(&[(file, content)], false).into_iter().map(|(_, l, r)| (l, r)).collect()
    }

    #[test]
    fn clean_workspaces_pass() {
        let tf = r#"
terraform {
  required_providers {
    oci    = { source = "oracle/oci", version = ">= 6.0" }
    random = { source = "hashicorp/random" }
  }
}
provider "oci" { region = var.region }
variable "region" { default = "ap-tokyo-1" }
resource "terraform_data" "a" { input = upper("x") }
resource "oci_core_vcn" "v" { compartment_id = "x" }
resource "random_id" "r" { byte_length = 4 }
data "oci_identity_availability_domains" "ads" { compartment_id = "x" }
output "o" { value = terraform_data.a.output }
"#;
        assert_eq!(one("main.tf", tf), []);
        assert_eq!(one("x.tfvars", "a = file(\"/etc/passwd\")"), [], "tfvars hold values only");
    }

    #[test]
    fn escape_hatches_are_refused_with_lines() {
        let tf = "resource \"terraform_data\" \"a\" {\n  input = 1\n  provisioner \"local-exec\" {\n    command = \"id\"\n  }\n}\n\ndata \"external\" \"e\" {\n  program = [\"sh\"]\n}\n\nresource \"aws_instance\" \"i\" {}\nprovider \"http\" {}\nmodule \"m\" { source = \"git::https://x\" }\noutput \"k\" { value = file(\"/root/.oci/key.pem\") }\ndata \"terraform_remote_state\" \"s\" { backend = \"local\" }\n";
        assert_eq!(
            one("main.tf", tf),
            [
                (Some(3), "provisioner".to_owned()),
                (Some(8), "external_data".to_owned()),
                (Some(12), "provider_not_allowed".to_owned()),
                (Some(13), "provider_not_allowed".to_owned()),
                (Some(14), "module".to_owned()),
                (Some(15), "file_function".to_owned()),
                (Some(16), "remote_state".to_owned()),
            ]
        );
    }

    #[test]
    fn required_providers_sources_are_checked() {
        let tf = "terraform {\n  required_providers {\n    oci = { source = \"evil/oci\" }\n    ext = { source = \"hashicorp/external\" }\n    tls = { source = \"registry.terraform.io/hashicorp/tls\" }\n  }\n  backend \"s3\" {}\n}\n";
        assert_eq!(
            one("versions.tf", tf),
            [
                (Some(3), "provider_not_allowed".to_owned()),
                (Some(4), "provider_not_allowed".to_owned()),
                (Some(7), "backend".to_owned())
            ]
        );
    }

    #[test]
    fn allow_exec_allows_all_but_backends() {
        let tf = "resource \"null_resource\" \"a\" {\n  provisioner \"local-exec\" { command = \"id\" }\n}\nterraform {\n  backend \"local\" {}\n}\n";
        assert_eq!(rules(&[("main.tf", tf)], true), [("main.tf".to_owned(), Some(5), "backend".to_owned())]);
        assert_eq!(rules(&[("main.tf", tf)], false).len(), 2);
    }

    #[test]
    fn json_configuration_is_scanned() {
        let json = r#"{
  "resource": {
    "terraform_data": {
      "a": { "provisioner": [{ "local-exec": { "command": "id" } }] }
    }
  },
  "data": { "external": { "e": { "program": ["sh"] } } },
  "output": { "k": { "value": "${file(\"/etc/passwd\")}" } }
}"#;
        let got: Vec<String> = one("main.tf.json", json).into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, ["provisioner", "external_data", "file_function"]);
    }

    #[test]
    fn json_function_calls_are_told_apart() {
        assert!(calls("${file(\"/etc/passwd\")}", "file"));
        assert!(calls("${upper(templatefile(\"x\", {}))}", "templatefile"));
        assert!(!calls("${templatefile(\"x\", {})}", "file"));
        assert!(!calls("see profile(default)", "file"));
        let json =
            r#"{"output": {"o": {"value": "profile(a)", "description": "${templatefile(\"t\", {})}"}}}"#;
        let got: Vec<String> = one("o.tf.json", json).into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, ["file_function"]);
    }

    #[test]
    fn providers_in_use() {
        let files = vec![
            (
                "a.tf".to_owned(),
                "resource \"oci_core_vcn\" \"v\" {}\nresource \"terraform_data\" \"t\" {}\n".to_owned(),
            ),
            ("b.tf.json".to_owned(), r#"{"data": {"random_id": {"x": {}}}}"#.to_owned()),
        ];
        let used: Vec<String> = providers_used(&files).into_iter().collect();
        assert_eq!(used, ["oci", "random", "terraform"]);
    }

    #[test]
    fn fingerprint_tracks_what_init_needs() {
        let a = vec![("main.tf".to_owned(), "resource \"terraform_data\" \"a\" { input = 1 }".to_owned())];
        let b = vec![(
            "main.tf".to_owned(),
            "resource \"terraform_data\" \"a\" { input = 2 }\nresource \"terraform_data\" \"b\" {}"
                .to_owned(),
        )];
        let c = vec![("main.tf".to_owned(), "resource \"random_id\" \"a\" { byte_length = 2 }".to_owned())];
        assert_eq!(init_fingerprint(&a), init_fingerprint(&b), "values do not matter");
        assert_ne!(init_fingerprint(&a), init_fingerprint(&c), "a new provider does");
    }
}

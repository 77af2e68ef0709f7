//! What a Resource Manager job's log and Terraform state say, for the model: Terraform's errors, the resources
//! created and the ones that failed (after a partial apply), the outputs (sensitive values masked). Pure
//! functions over text and JSON.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The most lines kept per Terraform error.
const ERROR_LINES: usize = 8;
/// The most errors reported.
const MAX_ERRORS: usize = 10;

/// A log line without Terraform's diagnostic box (`╷`, `│`, `╵`) and surrounding spaces.
fn unboxed(line: &str) -> &str {
    line.trim_start_matches(['╷', '│', '╵', '├', '─']).trim()
}

/// Terraform's `Error: ...` diagnostics in a log, each with the lines that follow it (where, which resource,
/// the detail), at most [`MAX_ERRORS`].
pub fn terraform_errors(log: &str) -> Vec<String> {
    let lines: Vec<&str> = log.lines().collect();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < lines.len() && errors.len() < MAX_ERRORS {
        let line = unboxed(lines[i]);
        if line.starts_with("Error: ") {
            let mut block = vec![line.to_owned()];
            let mut j = i + 1;
            while j < lines.len() && block.len() < ERROR_LINES {
                let raw = lines[j];
                let next = unboxed(raw);
                if raw.trim_start().starts_with('╵') || next.starts_with("Error: ") {
                    break;
                }
                if !next.is_empty() {
                    block.push(next.to_owned());
                }
                j += 1;
            }
            errors.push(block.join("\n"));
            i = j;
        } else {
            i += 1;
        }
    }
    errors
}

/// The resource addresses whose creation (or update) Terraform reported complete in a log.
pub fn completed_from_log(log: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for line in log.lines().map(unboxed) {
        for marker in [": Creation complete after", ": Modifications complete after"] {
            if let Some((addr, _)) = line.split_once(marker) {
                out.insert(addr.trim().to_owned());
            }
        }
    }
    out.into_iter().collect()
}

/// `in resource "T" "N":` (→ `T.N`) or `in data "T" "N":` (→ `data.T.N`) of an error's location line.
fn located_address(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(", in ")?;
    let (kind, rest) = rest.split_once(' ')?;
    let mut quoted = rest.split('"').skip(1).step_by(2);
    let (t, n) = (quoted.next()?, quoted.next()?);
    match kind {
        "resource" => Some(format!("{t}.{n}")),
        "data" => Some(format!("data.{t}.{n}")),
        _ => None,
    }
}

/// The resource addresses that failed in a log: named by an error's `with <address>,` line or its location
/// (`on main.tf line 6, in resource "T" "N":`), or started (`Creating...`, `Modifying...`) and never completed.
pub fn failed_from_log(log: &str) -> Vec<String> {
    let completed: BTreeSet<String> = completed_from_log(log).into_iter().collect();
    let mut out = BTreeSet::new();
    let mut in_error = false;
    for line in log.lines().map(unboxed) {
        if line.starts_with("Error: ") {
            in_error = true;
        } else if line.starts_with("Warning: ") {
            in_error = false;
        }
        if in_error
            && line.starts_with("on ")
            && let Some(addr) = located_address(line)
        {
            out.insert(addr);
        }
        if let Some(rest) = line.strip_prefix("with ")
            && let Some(addr) = rest.strip_suffix(',')
            && !addr.contains(' ')
        {
            out.insert(addr.to_owned());
        }
        for marker in [": Creating...", ": Modifying..."] {
            if let Some((addr, _)) = line.split_once(marker)
                && !completed.contains(addr.trim())
            {
                out.insert(addr.trim().to_owned());
            }
        }
    }
    out.into_iter().collect()
}

/// The managed resource instances of a Terraform state (`type.name`, `module.m.type.name`, `type.name[0]`).
pub fn resources_in_state(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["mode"] != "managed" {
            continue;
        }
        let (Some(kind), Some(name)) = (resource["type"].as_str(), resource["name"].as_str()) else {
            continue;
        };
        let base = match resource["module"].as_str() {
            Some(module) => format!("{module}.{kind}.{name}"),
            None => format!("{kind}.{name}"),
        };
        let instances = resource["instances"].as_array().map(Vec::as_slice).unwrap_or_default();
        for instance in instances {
            match &instance["index_key"] {
                Value::Number(n) => out.push(format!("{base}[{n}]")),
                Value::String(s) => out.push(format!("{base}[{s:?}]")),
                _ => out.push(base.clone()),
            }
        }
    }
    out
}

/// The outputs of a Terraform state, sensitive values replaced by `"(sensitive)"`.
pub fn outputs_in_state(state: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, output) in state["outputs"].as_object().into_iter().flatten() {
        let value = if output["sensitive"].as_bool().unwrap_or(false) {
            Value::String("(sensitive)".to_owned())
        } else {
            output["value"].clone()
        };
        out.insert(name.clone(), value);
    }
    out
}

/// The last `n` lines of a log.
pub fn tail(log: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use serde_json::json;

    use super::*;

    const PARTIAL: &str = "\
terraform_data.a: Creating...
terraform_data.a: Creation complete after 0s [id=1]
terraform_data.b: Creating...
╷
│ Error: Invalid function argument
│
│   on main.tf line 7, in resource \"terraform_data\" \"c\":
│    7:   input = tonumber(\"x\")
│
│ with terraform_data.c,
╵
Error: Reference to undeclared resource

  on main.tf line 3:
";

    #[test]
    fn errors_created_and_failed_come_from_the_log() {
        let errors = terraform_errors(PARTIAL);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("Error: Invalid function argument\non main.tf line 7"),
            "{}",
            errors[0]
        );
        assert!(errors[0].contains("with terraform_data.c,"));
        assert!(errors[1].starts_with("Error: Reference to undeclared resource"));
        assert_eq!(completed_from_log(PARTIAL), ["terraform_data.a"]);
        assert_eq!(failed_from_log(PARTIAL), ["terraform_data.b", "terraform_data.c"]);
        let located = "Warning: x\n  on a.tf line 1, in resource \"t\" \"w\":\nError: Invalid\n\n  on main.tf line 6, in resource \"terraform_data\" \"b\":\n  on d.tf line 2, in data \"t\" \"d\":\n";
        assert_eq!(failed_from_log(located), ["data.t.d", "terraform_data.b"]);
        assert!(terraform_errors("Apply complete! Resources: 1 added").is_empty());
        assert_eq!(tail("a\nb\nc\n", 2), ["b", "c"]);
    }

    #[test]
    fn state_resources_and_masked_outputs() {
        let state = json!({
            "resources": [
                {"mode": "managed", "type": "terraform_data", "name": "a", "instances": [{}]},
                {"mode": "managed", "type": "terraform_data", "name": "n", "instances": [{"index_key": 0}, {"index_key": 1}]},
                {"mode": "managed", "module": "module.m", "type": "x", "name": "k", "instances": [{"index_key": "z"}]},
                {"mode": "data", "type": "d", "name": "d", "instances": [{}]},
            ],
            "outputs": {"hello": {"value": "world", "type": "string"}, "pw": {"value": "s3cret", "sensitive": true}},
        });
        assert_eq!(
            resources_in_state(&state),
            ["terraform_data.a", "terraform_data.n[0]", "terraform_data.n[1]", "module.m.x.k[\"z\"]"]
        );
        let outputs = outputs_in_state(&state);
        assert_eq!(outputs["hello"], "world");
        assert_eq!(outputs["pw"], "(sensitive)");
        assert!(resources_in_state(&json!({})).is_empty());
    }
}

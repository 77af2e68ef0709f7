//! What Terraform's machine-readable output means: `-json` stream lines (init, plan, apply), the plan digest
//! from `terraform show -json`, and outputs with sensitive values masked. Pure parsing, no IO.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One diagnostic, as the model needs it to fix the exact line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: String,
    /// One-line summary (Terraform's).
    pub summary: String,
    /// Terraform's explanation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The workspace file, when Terraform points at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// First line of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
    /// Last line of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    /// The source line(s) Terraform quotes, with the enclosing block as context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The resource address, when the diagnostic belongs to one (apply errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// What probably caused it and how to fix it, from Galley's knowledge base of known failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}

/// A matched entry of the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Hint {
    /// The entry's id (e.g. `oci_not_authorized_or_not_found`).
    pub id: String,
    /// The likely cause.
    pub cause: String,
    /// What to change.
    pub fix: String,
}

/// A resource's planned change, by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDigest {
    /// Addresses to create.
    pub create: Vec<String>,
    /// Addresses to update in place.
    pub update: Vec<String>,
    /// Addresses to destroy and re-create (or create and then destroy): they destroy something.
    pub replace: Vec<String>,
    /// Addresses to destroy.
    pub destroy: Vec<String>,
    /// Data sources read during apply, and resources only forgotten or imported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
    /// Output names whose value changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_changes: Vec<String>,
}

impl PlanDigest {
    /// Sorts every list (addresses and output names), so a digest does not depend on the order Terraform reports in.
    fn sort(&mut self) {
        for list in [
            &mut self.create,
            &mut self.update,
            &mut self.replace,
            &mut self.destroy,
            &mut self.other,
            &mut self.output_changes,
        ] {
            list.sort();
        }
    }

    /// Whether applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        !(self.create.is_empty()
            && self.update.is_empty()
            && self.replace.is_empty()
            && self.destroy.is_empty()
            && self.other.is_empty()
            && self.output_changes.is_empty())
    }

    /// "2 to create, 1 to update, 0 to replace, 1 to destroy".
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} to create, {} to update, {} to replace, {} to destroy",
            self.create.len(),
            self.update.len(),
            self.replace.len(),
            self.destroy.len()
        );
        if !self.other.is_empty() {
            text.push_str(&format!(", {} other (moved, imported, forgotten or read)", self.other.len()));
        }
        if !self.output_changes.is_empty() {
            text.push_str(&format!(", {} output(s) changed", self.output_changes.len()));
        }
        text
    }
}

/// The digest of `terraform show -json PLANFILE`.
///
/// # Errors
/// When the text is not a plan document.
pub fn digest_from_show_json(text: &str) -> Result<PlanDigest, String> {
    let plan: Value =
        serde_json::from_str(text).map_err(|e| format!("terraform show -json is not JSON: {e}"))?;
    if !plan.is_object() {
        return Err("terraform show -json returned no plan object".to_owned());
    }
    let mut d = PlanDigest::default();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let address = rc["address"].as_str().unwrap_or_default().to_owned();
        let actions: Vec<&str> =
            rc["change"]["actions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let importing = rc["change"]["importing"].is_object();
        let moved = rc["previous_address"].is_string();
        match actions.as_slice() {
            // An import or a move (moved block) without other changes still has to be applied.
            ["no-op"] if importing || moved => d.other.push(address),
            ["no-op"] => {}
            ["create"] => d.create.push(address),
            ["update"] => d.update.push(address),
            ["delete"] if rc["mode"] == "data" => {}
            ["delete"] => d.destroy.push(address),
            ["delete", "create"] | ["create", "delete"] => d.replace.push(address),
            ["read"] => d.other.push(address),
            ["forget"] => d.other.push(address),
            _ => d.other.push(address),
        }
    }
    if let Some(outputs) = plan["output_changes"].as_object() {
        for (name, change) in outputs {
            let actions: Vec<&str> =
                change["actions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if actions != ["no-op"] {
                d.output_changes.push(name.clone());
            }
        }
    }
    d.sort();
    Ok(d)
}

/// The digest of a plan from the `planned_change` and `outputs` events of its `-json` stream: the same lists as
/// [`digest_from_show_json`] (checked against real Terraform in Galley's tests) without running `terraform show`.
pub fn digest_from_stream(events: &[StreamEvent]) -> PlanDigest {
    let mut d = PlanDigest::default();
    for event in events {
        match event {
            StreamEvent::PlannedChange { address, action } => match action.as_str() {
                "noop" => {}
                "create" => d.create.push(address.clone()),
                "update" => d.update.push(address.clone()),
                "replace" => d.replace.push(address.clone()),
                "delete" => d.destroy.push(address.clone()),
                // read (data sources during apply), remove (forget), move, import, and anything newer
                _ => d.other.push(address.clone()),
            },
            StreamEvent::Outputs { changed } => d.output_changes.extend(changed.iter().cloned()),
            _ => {}
        }
    }
    d.sort();
    d
}

/// What one line of a `-json` stream (init, plan, apply) says.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A diagnostic.
    Diagnostic(Diagnostic),
    /// `change_summary`: counts of a plan or an apply.
    ChangeSummary {
        /// To add.
        add: u64,
        /// To change.
        change: u64,
        /// To remove.
        remove: u64,
        /// To import.
        import: u64,
    },
    /// `planned_change`: what a plan does to one resource instance.
    PlannedChange {
        /// Resource address.
        address: String,
        /// Terraform's action: `create`, `update`, `replace`, `delete`, `read`, `remove`, `move`, `import`, `noop`.
        action: String,
    },
    /// `outputs`: the outputs a plan changes.
    Outputs {
        /// The names of the outputs whose action is not `noop`.
        changed: Vec<String>,
    },
    /// An apply finished for a resource (`apply_complete`).
    Applied {
        /// Resource address.
        address: String,
        /// The action (create, update, delete, ...).
        action: String,
    },
    /// An apply failed for a resource (`apply_errored`).
    ApplyFailed {
        /// Resource address.
        address: String,
    },
    /// Anything else.
    Other,
}

/// One parsed line: its human message (for the log) and what it means. Lines that are not JSON are returned
/// as their own message.
pub fn parse_stream_line(line: &str) -> (String, StreamEvent) {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return (line.to_owned(), StreamEvent::Other);
    };
    let message = v["@message"].as_str().unwrap_or(line).to_owned();
    let event = match v["type"].as_str() {
        Some("diagnostic") => StreamEvent::Diagnostic(diagnostic_from_json(&v["diagnostic"])),
        Some("change_summary") => {
            let c = &v["changes"];
            let n = |k: &str| c[k].as_u64().unwrap_or(0);
            StreamEvent::ChangeSummary {
                add: n("add"),
                change: n("change"),
                remove: n("remove"),
                import: n("import"),
            }
        }
        Some("planned_change") => StreamEvent::PlannedChange {
            address: v["change"]["resource"]["addr"].as_str().unwrap_or_default().to_owned(),
            action: v["change"]["action"].as_str().unwrap_or_default().to_owned(),
        },
        Some("outputs") => StreamEvent::Outputs {
            changed: v["outputs"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, out)| out["action"].as_str().is_some_and(|a| a != "noop"))
                .map(|(name, _)| name.clone())
                .collect(),
        },
        Some("apply_complete") => StreamEvent::Applied {
            address: v["hook"]["resource"]["addr"].as_str().unwrap_or_default().to_owned(),
            action: v["hook"]["action"].as_str().unwrap_or_default().to_owned(),
        },
        Some("apply_errored") => StreamEvent::ApplyFailed {
            address: v["hook"]["resource"]["addr"].as_str().unwrap_or_default().to_owned(),
        },
        _ => StreamEvent::Other,
    };
    (message, event)
}

/// A diagnostic from Terraform's JSON diagnostic object (as in `-json` streams and `validate -json`).
pub fn diagnostic_from_json(d: &Value) -> Diagnostic {
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let range = &d["range"];
    let snippet = &d["snippet"];
    let snippet = s(&snippet["code"]).map(|code| match snippet["context"].as_str() {
        Some(ctx) => format!("{ctx}:\n{code}"),
        None => code,
    });
    Diagnostic {
        severity: s(&d["severity"]).unwrap_or_else(|| "error".to_owned()),
        summary: s(&d["summary"]).unwrap_or_default(),
        detail: s(&d["detail"]).unwrap_or_default(),
        file: s(&range["filename"]),
        start_line: range["start"]["line"].as_u64(),
        end_line: range["end"]["line"].as_u64(),
        snippet,
        address: s(&d["address"]),
        hint: None,
    }
}

/// An output after apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutputValue {
    /// The value (the string `(sensitive)` when the output is sensitive).
    pub value: Value,
    /// Whether Terraform marks it sensitive (its value is never returned).
    pub sensitive: bool,
}

/// The outputs of `terraform output -json`, sensitive values masked.
///
/// # Errors
/// When the text is not an outputs object.
pub fn outputs_from_json(text: &str) -> Result<BTreeMap<String, OutputValue>, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("terraform output -json is not JSON: {e}"))?;
    let Some(map) = v.as_object() else { return Err("terraform output -json returned no object".to_owned()) };
    Ok(map
        .iter()
        .map(|(name, o)| {
            let sensitive = o["sensitive"].as_bool().unwrap_or(false);
            let value = if sensitive { Value::String("(sensitive)".to_owned()) } else { o["value"].clone() };
            (name.clone(), OutputValue { value, sensitive })
        })
        .collect())
}

/// The identity of a state document: `(lineage, serial)`, or `None` for a missing or unreadable state.
pub fn state_identity(state: &[u8]) -> Option<(String, u64)> {
    let v: Value = serde_json::from_slice(state).ok()?;
    Some((v["lineage"].as_str()?.to_owned(), v["serial"].as_u64()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn digest_classifies_actions() {
        let show = r#"{"resource_changes":[
            {"address":"a.new","mode":"managed","change":{"actions":["create"]}},
            {"address":"a.upd","mode":"managed","change":{"actions":["update"]}},
            {"address":"a.rep","mode":"managed","change":{"actions":["delete","create"]}},
            {"address":"a.rep2","mode":"managed","change":{"actions":["create","delete"]}},
            {"address":"a.del","mode":"managed","change":{"actions":["delete"]}},
            {"address":"a.same","mode":"managed","change":{"actions":["no-op"]}},
            {"address":"data.x.y","mode":"data","change":{"actions":["read"]}}],
          "output_changes":{"o":{"actions":["update"]},"p":{"actions":["no-op"]}}}"#;
        let d = digest_from_show_json(show).unwrap();
        assert_eq!(d.create, ["a.new"]);
        assert_eq!(d.update, ["a.upd"]);
        assert_eq!(d.replace, ["a.rep", "a.rep2"]);
        assert_eq!(d.destroy, ["a.del"]);
        assert_eq!(d.other, ["data.x.y"]);
        assert_eq!(d.output_changes, ["o"]);
        assert!(d.has_changes());
        assert_eq!(
            d.summary(),
            "1 to create, 1 to update, 2 to replace, 1 to destroy, 1 other (moved, imported, forgotten or read), 1 output(s) changed"
        );
        assert!(!digest_from_show_json("{}").unwrap().has_changes());
        assert!(digest_from_show_json("nope").is_err());
    }

    #[test]
    fn stream_lines() {
        let line = r#"{"@level":"error","@message":"Error: Unsupported argument","diagnostic":{"severity":"error","summary":"Unsupported argument","detail":"An argument named \"bogus\" is not expected here.","range":{"filename":"main.tf","start":{"line":3,"column":3,"byte":48},"end":{"line":3,"column":8,"byte":53}},"snippet":{"context":"resource \"terraform_data\" \"a\"","code":"  bogus = 1","start_line":3}},"type":"diagnostic"}"#;
        let (msg, ev) = parse_stream_line(line);
        assert_eq!(msg, "Error: Unsupported argument");
        let StreamEvent::Diagnostic(d) = ev else { panic!("{ev:?}") };
        assert_eq!((d.file.as_deref(), d.start_line, d.end_line), (Some("main.tf"), Some(3), Some(3)));
        assert_eq!(d.snippet.as_deref(), Some("resource \"terraform_data\" \"a\":\n  bogus = 1"));
        let summary = r#"{"@message":"Plan: 1 to add","changes":{"add":1,"change":0,"import":0,"remove":2,"operation":"plan"},"type":"change_summary"}"#;
        assert_eq!(
            parse_stream_line(summary).1,
            StreamEvent::ChangeSummary { add: 1, change: 0, remove: 2, import: 0 }
        );
        let outputs = r#"{"@message":"Outputs: 1","outputs":{"x":{"sensitive":false,"action":"noop"}},"type":"outputs"}"#;
        assert_eq!(parse_stream_line(outputs).1, StreamEvent::Outputs { changed: Vec::new() });
        assert_eq!(parse_stream_line("plain text").0, "plain text");
    }

    #[test]
    fn digest_from_the_plan_stream() {
        // Lines as Terraform 1.11 prints them (trimmed to the fields read).
        let lines = [
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.f"},"action":"remove"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.e2"},"previous_resource":{"addr":"terraform_data.e"},"action":"move"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.c"},"action":"delete"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.b"},"action":"replace","reason":"cannot_update"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.a"},"action":"update"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.d"},"action":"create"}}"#,
            r#"{"type":"planned_change","change":{"resource":{"addr":"terraform_data.g[1]"},"action":"delete"}}"#,
            r#"{"type":"change_summary","changes":{"add":2,"change":1,"import":0,"remove":3,"operation":"plan"}}"#,
            r#"{"type":"outputs","outputs":{"new":{"action":"create"},"o":{"action":"update"},"same":{"action":"noop"}}}"#,
        ];
        let events: Vec<StreamEvent> = lines.iter().map(|l| parse_stream_line(l).1).collect();
        let d = digest_from_stream(&events);
        assert_eq!(d.create, ["terraform_data.d"]);
        assert_eq!(d.update, ["terraform_data.a"]);
        assert_eq!(d.replace, ["terraform_data.b"]);
        assert_eq!(d.destroy, ["terraform_data.c", "terraform_data.g[1]"]);
        assert_eq!(d.other, ["terraform_data.e2", "terraform_data.f"]);
        assert_eq!(d.output_changes, ["new", "o"]);
        assert!(!digest_from_stream(&[]).has_changes());
    }

    #[test]
    fn outputs_are_masked() {
        let out = outputs_from_json(
            r#"{"a":{"sensitive":false,"type":"string","value":"x"},"pw":{"sensitive":true,"type":"string","value":"hunter2"}}"#,
        )
        .unwrap();
        assert_eq!(out["a"].value, "x");
        assert_eq!(out["pw"].value, "(sensitive)");
        assert!(!serde_json::to_string(&out).unwrap().contains("hunter2"));
    }

    #[test]
    fn state_identity_reads_lineage_and_serial() {
        assert_eq!(state_identity(br#"{"lineage":"l","serial":4}"#), Some(("l".to_owned(), 4)));
        assert_eq!(state_identity(b"garbage"), None);
    }
}

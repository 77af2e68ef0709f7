//! The knowledge base of known Terraform / OCI failures (`data/terraform_errors.yaml` and files developers add):
//! entries of case-insensitive substrings, matched against a diagnostic's summary and detail, with a cause and a
//! fix for the model.

use serde::Deserialize;

use super::run::{Diagnostic, Hint};

/// The built-in knowledge base.
pub const BUILTIN_YAML: &str = include_str!("../../../../data/terraform_errors.yaml");

/// One known failure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable id (snake_case).
    pub id: String,
    /// The entry matches when the text contains any of these (case-insensitive).
    #[serde(rename = "match")]
    pub any: Vec<String>,
    /// ...and all of these, when given.
    #[serde(default)]
    pub all: Vec<String>,
    /// The likely cause.
    pub cause: String,
    /// What to change.
    pub fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entries: Vec<Entry>,
}

/// Entries in match order.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
}

impl KnowledgeBase {
    /// The built-in entries.
    ///
    /// # Errors
    /// When the built-in file is broken (a test keeps it valid).
    pub fn builtin() -> Result<KnowledgeBase, String> {
        let mut kb = KnowledgeBase::default();
        kb.add_yaml("built-in terraform_errors.yaml", BUILTIN_YAML)?;
        Ok(kb)
    }

    /// Parses a file and appends its entries (or, with `first`, puts them before the existing ones).
    ///
    /// # Errors
    /// A message naming the file and what is wrong; nothing is added then.
    pub fn add_yaml(&mut self, name: &str, yaml: &str) -> Result<(), String> {
        self.add(name, yaml, false)
    }

    /// Like [`Self::add_yaml`], but the entries are tried before the existing ones.
    ///
    /// # Errors
    /// A message naming the file and what is wrong; nothing is added then.
    pub fn prepend_yaml(&mut self, name: &str, yaml: &str) -> Result<(), String> {
        self.add(name, yaml, true)
    }

    fn add(&mut self, name: &str, yaml: &str, first: bool) -> Result<(), String> {
        let file: File =
            serde_saphyr::from_str(yaml).map_err(|e| format!("{name}: not a valid knowledge file: {e}"))?;
        for e in &file.entries {
            if e.id.trim().is_empty() || e.any.iter().any(|m| m.trim().is_empty()) || e.any.is_empty() {
                return Err(format!("{name}: entry {:?} needs an id and non-empty `match` strings", e.id));
            }
        }
        if first {
            let mut entries = file.entries;
            entries.append(&mut self.entries);
            self.entries = entries;
        } else {
            self.entries.extend(file.entries);
        }
        Ok(())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry matching `text`.
    pub fn lookup(&self, text: &str) -> Option<Hint> {
        let text = text.to_lowercase();
        let has = |needle: &String| text.contains(&needle.to_lowercase());
        self.entries.iter().find(|e| e.any.iter().any(has) && e.all.iter().all(has)).map(|e| Hint {
            id: e.id.clone(),
            cause: e.cause.trim().to_owned(),
            fix: e.fix.trim().to_owned(),
        })
    }

    /// Attaches hints to the diagnostics that have none.
    pub fn annotate(&self, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics.iter_mut().filter(|d| d.hint.is_none()) {
            d.hint = self.lookup(&format!("{}\n{}", d.summary, d.detail));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(text: &str, want: Option<&str>) {
        let kb = KnowledgeBase::builtin().unwrap();
        assert_eq!(kb.lookup(text).map(|h| h.id).as_deref(), want, "{text}");
    }

    #[test]
    fn builtin_entries_match_real_messages() {
        check(
            "Error: 404-NotAuthorizedOrNotFound, Authorization failed or requested resource not found",
            Some("oci_not_authorized_or_not_found"),
        );
        check(
            "400-LimitExceeded, The following service limits were exceeded: vcn-count",
            Some("oci_limit_exceeded"),
        );
        check("500-InternalError, Out of host capacity.", Some("oci_out_of_host_capacity"));
        check(
            "400-InvalidParameter, The requested CIDR 10.0.1.0/24 overlaps with the CIDR of subnet x",
            Some("oci_cidr_overlap"),
        );
        check("409-Conflict, resource is being modified", Some("oci_conflict_409"));
        check(
            "route rule with destination_type SERVICE_CIDR_BLOCK requires a service gateway",
            Some("oci_missing_service_gateway"),
        );
        check(
            "Unsupported argument\nAn argument named \"bogus\" is not expected here.",
            Some("terraform_unsupported_argument"),
        );
        check("something else entirely", None);
    }

    #[test]
    fn store_files_extend_and_broken_files_are_refused() {
        let mut kb = KnowledgeBase::builtin().unwrap();
        let n = kb.len();
        kb.prepend_yaml(
            "x.yaml",
            "entries:\n  - id: mine\n    match: [\"Out of host\"]\n    cause: c\n    fix: f\n",
        )
        .unwrap();
        assert_eq!(kb.len(), n + 1);
        assert_eq!(kb.lookup("Out of host capacity").unwrap().id, "mine");
        assert!(kb.add_yaml("bad.yaml", "entries: [{id: x}]").unwrap_err().starts_with("bad.yaml"));
        assert!(
            kb.add_yaml("bad.yaml", "entries:\n  - id: x\n    match: []\n    cause: c\n    fix: f\n")
                .is_err()
        );
        assert_eq!(kb.len(), n + 1);
    }
}

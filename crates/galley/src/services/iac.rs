//! `export_iac`: the session's architecture → Terraform files in the session's workspace
//! (`sessions/<id>/terraform/`), without ever overwriting a file the model edited silently.
//!
//! What Galley generated last time is remembered per file as a content hash in `sessions/<id>/iac.json`; a
//! workspace file whose content no longer has that hash was edited (by `write_terraform_files`), so a re-export
//! reports the difference and leaves it alone unless asked to overwrite. Files Galley generated that the design no
//! longer produces are deleted (Terraform would otherwise keep creating what they describe), unless edited.

use std::collections::BTreeMap;
use std::sync::Arc;

use galley_domain::iac::{ChangeKind, FileChange, IacNote, IacOptions, compare, content_hash, generate};
use galley_domain::ids::SessionId;
use galley_domain::terraform::safety::{Policy, scan};
use galley_domain::terraform::{ProviderSchemas, Severity, check_files};
use galley_store::{Key, Store, StoreExt};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ServiceError;
use super::design::DesignService;
use super::doc::{DocLocks, update_doc};
use super::hearing::HearingService;
use super::terraform::workspace;

/// The `schema_version` of `iac.json` documents written by this build.
pub const IAC_RECORD_SCHEMA_VERSION: u32 = 1;
/// The longest diff returned for one file (the rest is cut, with a note).
const MAX_DIFF_CHARS: usize = 4000;

/// What Galley generated last time for a session (`sessions/<id>/iac.json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IacRecord {
    /// Document format version.
    pub schema_version: u32,
    /// The design revision of the last export.
    pub revision: u64,
    /// File name → SHA-256 of the content Galley wrote.
    pub generated: BTreeMap<String, String>,
    /// When it was exported.
    pub exported_at: Option<Timestamp>,
}

/// What an export did (or, with `dry_run`, would do).
#[derive(Debug)]
pub struct IacOutcome {
    /// The design revision exported.
    pub revision: u64,
    /// Per file: what happened.
    pub changes: Vec<FileChange>,
    /// Generated files (name, size).
    pub generated: Vec<(String, usize)>,
    /// What needs a person.
    pub notes: Vec<IacNote>,
    /// Schema check: errors (should be none) and warnings as text.
    pub schema_errors: Vec<String>,
    /// How many resource types the offline schema does not describe (checked by `terraform` only).
    pub unchecked_types: usize,
    /// Whether anything was written.
    pub written: bool,
}

fn record_key(id: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("sessions/{id}/iac.json"))?)
}

/// The `export_iac` service.
#[derive(Debug)]
pub struct IacService {
    store: Arc<dyn Store>,
    locks: DocLocks,
}

impl IacService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        IacService { store, locks: DocLocks::default() }
    }

    /// Generates the session's Terraform and writes it into the workspace (unless `dry_run`). Files the model
    /// edited since the last export are left alone and reported with their diff, unless `overwrite_edited`.
    pub async fn export(
        &self,
        design: &DesignService,
        hearing: &HearingService,
        id: SessionId,
        overwrite_edited: bool,
        dry_run: bool,
    ) -> Result<IacOutcome, ServiceError> {
        let (_, arch) = design.get(hearing, id).await?;
        let export = generate(&arch, design.services(), &IacOptions::default())
            .map_err(|e| ServiceError::InvalidInput(e.to_string()))?;
        let pairs = export.pairs();

        // What Galley generates must pass its own checks; a failure here is Galley's bug, said as such.
        let refusals = scan(&pairs, Policy { allow_exec: false });
        if !refusals.is_empty() {
            return Err(ServiceError::InvalidInput(format!(
                "internal: the generated Terraform does not pass Galley's safety scan ({}); please report this",
                refusals.iter().map(|r| format!("{}: {}", r.file, r.message)).collect::<Vec<_>>().join("; ")
            )));
        }
        let schemas = ProviderSchemas::builtin().map_err(|e| ServiceError::InvalidInput(e.to_string()))?;
        let findings = check_files(&pairs, schemas);
        let schema_errors: Vec<String> =
            findings.iter().filter(|f| f.severity == Severity::Error).map(ToString::to_string).collect();
        let unchecked_types = findings.iter().filter(|f| f.code.as_str() == "no_schema").count();

        let record: IacRecord =
            self.store.get_json_opt(&record_key(id)?).await?.map(|(r, _)| r).unwrap_or_default();
        let current = workspace::read_all(self.store.as_ref(), id).await?;
        let existing: Vec<(String, String, Option<String>)> = current
            .iter()
            .map(|(name, content)| (name.clone(), content.clone(), record.generated.get(name).cloned()))
            .collect();
        let mut changes = compare(&export.files, &existing);

        let mut to_write: Vec<(String, String)> = Vec::new();
        let mut to_delete: Vec<String> = Vec::new();
        for c in &mut changes {
            let overwrite = c.kind == ChangeKind::EditedInWorkspace && overwrite_edited;
            if (matches!(c.kind, ChangeKind::New | ChangeKind::Update) || overwrite)
                && let Some(f) = export.file(&c.name)
            {
                to_write.push((f.name.clone(), f.content.clone()));
            }
            if c.kind == ChangeKind::Obsolete {
                to_delete.push(c.name.clone());
            }
            if c.diff.chars().count() > MAX_DIFF_CHARS {
                c.diff = c.diff.chars().take(MAX_DIFF_CHARS).collect::<String>()
                    + "\n… (diff cut; read_terraform_file shows the whole file)";
            }
        }
        let written = !dry_run && (!to_write.is_empty() || !to_delete.is_empty());
        if !dry_run {
            workspace::write(self.store.as_ref(), id, &to_write).await?;
            for name in &to_delete {
                workspace::delete(self.store.as_ref(), id, name).await?;
            }
            // Remember what Galley wrote, and what it generated for files the workspace already had verbatim.
            let generated_now: BTreeMap<String, String> =
                export.files.iter().map(|f| (f.name.clone(), content_hash(&f.content))).collect();
            let kinds: BTreeMap<String, ChangeKind> =
                changes.iter().map(|c| (c.name.clone(), c.kind)).collect();
            let revision = arch.revision;
            update_doc(self.store.as_ref(), &self.locks, &record_key(id)?, |old: Option<IacRecord>| {
                let old = old.unwrap_or_default();
                let mut generated = BTreeMap::new();
                for (name, hash) in &generated_now {
                    let keep_old =
                        kinds.get(name) == Some(&ChangeKind::EditedInWorkspace) && !overwrite_edited;
                    match (keep_old, old.generated.get(name)) {
                        (true, Some(h)) => {
                            generated.insert(name.clone(), h.clone());
                        }
                        (true, None) => {}
                        (false, _) => {
                            generated.insert(name.clone(), hash.clone());
                        }
                    }
                }
                let doc = IacRecord {
                    schema_version: IAC_RECORD_SCHEMA_VERSION,
                    revision,
                    generated,
                    exported_at: Some(Timestamp::now()),
                };
                Ok((doc, ()))
            })
            .await?;
        }
        Ok(IacOutcome {
            revision: arch.revision,
            changes,
            generated: export.files.iter().map(|f| (f.name.clone(), f.content.len())).collect(),
            notes: export.notes,
            schema_errors,
            unchecked_types,
            written,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The persisted record's shape is an API.
    #[test]
    fn record_shape() {
        let r = IacRecord {
            schema_version: IAC_RECORD_SCHEMA_VERSION,
            revision: 7,
            generated: BTreeMap::from([("network.tf".to_owned(), "ab12".to_owned())]),
            exported_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
        };
        insta::assert_json_snapshot!(r);
    }
}

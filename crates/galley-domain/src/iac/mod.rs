//! `export_iac`: a session's architecture as a Terraform configuration for the OCI provider.
//!
//! [`generate`] turns an [`Architecture`] into files (`versions.tf`, `providers.tf`, `variables.tf`, `main.tf`,
//! `network.tf`, one file per service category that has content, `outputs.tf`) that are `terraform fmt` clean
//! (written by the small [`hcl`] emitter) and pass the offline schema check ([`crate::terraform::check_files`]),
//! plus [`IacNote`]s for what needs a person (a certificate, an on-premises address, code to deploy).
//! [`compare`] says what a re-export would change in the workspace, and never lets a file the model edited be
//! overwritten silently.
//!
//! Lessons from real OCI (shared/reference/real-oci-lessons.md) that this generator applies, each marked
//! "lesson" where it happens: subnet CIDRs come from the VCN CIDR with `cidrsubnet`; the service gateway finds
//! its service with `data "oci_core_services"` and a regex, never a region-specific name; images come from
//! `data "oci_core_images"` with a shape filter; the only input variables are those Resource Manager fills in
//! (`compartment_ocid`, `region`, `tenancy_ocid`) plus provider authentication and an optional SSH key; ADB
//! workloads are the API's `OLTP`/`DW`/`AJD`/`APEX`; OKE's subnets get the security-list rules OKE needs
//! (6443 and 12250 to the API endpoint, all TCP from the VCN and ICMP 3/4 to the workers); private route tables
//! send 0.0.0.0/0 to the NAT gateway and the Oracle Services Network CIDR to the service gateway; passwords
//! come from `random_password`, never literals.
//!
//! Pure: no IO, no clock, no randomness. The same architecture gives byte-identical files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::architecture::{Architecture, Component};
use crate::catalog::ServiceCatalog;

mod diff;
mod examples;
mod generate;
pub mod hash;
pub mod hcl;
mod network;
mod services;
#[cfg(test)]
mod tests;

pub use examples::example_architectures;

/// The input variables a generated configuration may declare. Resource Manager fills in the first three; the
/// provider block uses the next two; `ssh_public_key` is declared only when instances or node pools use it.
pub const ALLOWED_VARIABLES: [&str; 6] =
    ["compartment_ocid", "region", "tenancy_ocid", "oci_auth", "config_file_profile", "ssh_public_key"];

/// How to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IacOptions {
    /// Write a comment at the top of each file naming the session and revision it came from.
    pub header: bool,
}

impl Default for IacOptions {
    fn default() -> Self {
        IacOptions { header: true }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IacFile {
    /// File name, e.g. `network.tf` (no directories).
    pub name: String,
    /// Its content (fmt-clean, ending with a newline).
    pub content: String,
}

/// Something the export could not fully express, or that a person must do before or after `apply`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IacNote {
    /// The component it is about (none: the whole configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// What to do.
    pub message: String,
}

/// The result of [`generate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IacExport {
    /// The files, sorted by name.
    pub files: Vec<IacFile>,
    /// What needs manual attention, sorted.
    pub notes: Vec<IacNote>,
}

impl IacExport {
    /// The files as (name, content) pairs, the shape [`crate::terraform::check_files`] takes.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.files.iter().map(|f| (f.name.clone(), f.content.clone())).collect()
    }

    /// A file by name.
    pub fn file(&self, name: &str) -> Option<&IacFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Why an architecture cannot be exported. Nothing is generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IacError {
    /// The design has nothing to export.
    #[error(
        "the design has no components yet: build one first (propose_architecture, save_architecture or add_component), then call export_iac again"
    )]
    Empty,
    /// The design is inconsistent; every problem is listed.
    #[error("the design cannot be exported: {}. Fix these with configure_component or save_architecture, then export again", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Generates the Terraform configuration of a design. Deterministic: the same inputs give the same files.
pub fn generate(
    arch: &Architecture,
    catalog: &ServiceCatalog,
    options: &IacOptions,
) -> Result<IacExport, IacError> {
    generate::run(arch, catalog, options)
}

/// SHA-256 of a file's content (hex): what the store keeps as "last generated" for [`compare`].
pub fn content_hash(content: &str) -> String {
    hash::sha256_hex(content.as_bytes())
}

/// What a re-export would do to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The workspace already has exactly this content.
    Unchanged,
    /// Not in the workspace yet: it would be written.
    New,
    /// The workspace has what Galley generated last time (not edited since): it would be replaced.
    Update,
    /// The workspace's file was edited since Galley last generated it (or Galley never generated it): writing
    /// would overwrite those edits, so it is not written unless the caller says so.
    EditedInWorkspace,
    /// Galley generated it last time, it was not edited, and the design no longer produces it: it should be
    /// deleted (otherwise Terraform would keep creating what it describes).
    Obsolete,
    /// Only in the workspace (written or edited by the model): kept as it is.
    WorkspaceOnly,
}

/// One file's outcome of [`compare`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// File name.
    pub name: String,
    /// What would happen.
    pub kind: ChangeKind,
    /// What differs, as a line diff from the workspace's content to the generated one (`-` workspace,
    /// `+` generated); empty when there is nothing to compare.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub diff: String,
    /// One sentence for the model.
    pub message: String,
}

/// Compares freshly generated files with the workspace's files, given as (name, content, hash of what Galley
/// last generated for that name). Sorted by name. Pure: the caller decides what to write.
pub fn compare(generated: &[IacFile], existing: &[(String, String, Option<String>)]) -> Vec<FileChange> {
    let gen_by_name: BTreeMap<&str, &IacFile> = generated.iter().map(|f| (f.name.as_str(), f)).collect();
    let existing_by_name: BTreeMap<&str, (&String, &Option<String>)> =
        existing.iter().map(|(n, c, h)| (n.as_str(), (c, h))).collect();
    let names: BTreeSet<&str> = gen_by_name.keys().chain(existing_by_name.keys()).copied().collect();
    let mut out = Vec::new();
    for name in names {
        let change = match (gen_by_name.get(name), existing_by_name.get(name)) {
            (Some(_), None) => FileChange {
                name: name.to_owned(),
                kind: ChangeKind::New,
                diff: String::new(),
                message: format!("{name} is new and would be written"),
            },
            (Some(g), Some((content, last))) => {
                let unedited = last.as_deref() == Some(content_hash(content).as_str());
                if g.content == **content {
                    FileChange {
                        name: name.to_owned(),
                        kind: ChangeKind::Unchanged,
                        diff: String::new(),
                        message: format!("{name} is unchanged"),
                    }
                } else if unedited {
                    FileChange {
                        name: name.to_owned(),
                        kind: ChangeKind::Update,
                        diff: diff::unified(content, &g.content),
                        message: format!(
                            "{name} would be updated (the workspace copy is Galley's previous export)"
                        ),
                    }
                } else {
                    let why = if last.is_some() {
                        "was edited in the workspace since the last export"
                    } else {
                        "exists in the workspace but was not written by export_iac"
                    };
                    FileChange {
                        name: name.to_owned(),
                        kind: ChangeKind::EditedInWorkspace,
                        diff: diff::unified(content, &g.content),
                        message: format!(
                            "{name} {why}; the export would overwrite it. The diff shows the workspace's lines (-) against the generated ones (+): keep the edits (move them to another file, or into the design) or overwrite explicitly"
                        ),
                    }
                }
            }
            (None, Some((content, last))) => {
                let unedited = last.as_deref() == Some(content_hash(content).as_str());
                if unedited {
                    FileChange {
                        name: name.to_owned(),
                        kind: ChangeKind::Obsolete,
                        diff: String::new(),
                        message: format!(
                            "{name} was generated by the last export and the design no longer produces it: delete it, or Terraform keeps managing what it describes"
                        ),
                    }
                } else {
                    FileChange {
                        name: name.to_owned(),
                        kind: ChangeKind::WorkspaceOnly,
                        diff: String::new(),
                        message: format!("{name} is not generated by export_iac and is kept as it is"),
                    }
                }
            }
            (None, None) => continue,
        };
        out.push(change);
    }
    out
}

/// `web-subnet` → `web_subnet`: Terraform names of a component's resources.
pub fn tf_label(id: &str) -> String {
    id.replace('-', "_")
}

/// The file a service category's resources go to.
pub fn category_file(category: &str) -> String {
    match category {
        "networking" => "network.tf".to_owned(),
        "serverless" => "functions.tf".to_owned(),
        other => {
            let slug: String = other
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .collect();
            format!("{slug}.tf")
        }
    }
}

/// The component's catalog attribute as text.
fn cfg_str<'c>(c: &'c Component, name: &str) -> Option<&'c str> {
    c.config_str(name).map(str::trim).filter(|s| !s.is_empty())
}

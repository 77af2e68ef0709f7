//! Galley's domain: pure logic with no IO, no async and no clock.
//!
//! Everything here takes its inputs (including "now") as arguments and returns values or findings, so it
//! can be tested with plain data. Persistence, MCP and HTTP live in other crates (see ARCHITECTURE.md).
//!
//! - [`catalog`]: the OCI service catalog (services, attributes, placement, Terraform types).
//! - [`architecture`]: the architecture model (components, placement, connections) and its edits.
//! - [`design`]: proposals: a hearing's answers → a deterministic pattern as a complete design ([`design::propose`]).
//! - [`export`]: the design as a Mermaid diagram and the whole session as a Markdown summary for customer documents.
//! - [`iac`]: `export_iac`: an architecture as a fmt-clean Terraform configuration for the OCI provider, and the
//!   comparison with a workspace that never overwrites the model's edits silently.
//! - [`hearing`]: the requirements-hearing question catalog, sessions and answers.
//! - [`ids`]: newtype identifiers ([`ids::SessionId`]).
//! - [`locale`]: the two languages Galley speaks ([`locale::Locale`]) and bilingual text.
//! - [`oci`]: the OCI operation table (from the Python SDK), request building, result shaping, the mutation
//!   policy for OCI calls and the OCI CLI, and secret redaction.
//! - [`rules`]: validation of a design against data-driven OCI rules (findings with severity, fix and docs).
//! - [`terraform`]: provider schemas and the offline Terraform schema check ([`terraform::check_files`]).

pub mod architecture;
pub mod catalog;
pub mod design;
pub mod export;
pub mod hearing;
pub mod iac;
pub mod ids;
pub mod locale;
pub mod oci;
pub mod rules;
pub mod terraform;

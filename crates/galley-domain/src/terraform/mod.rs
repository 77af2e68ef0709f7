//! Offline Terraform checking: provider schemas as data, and a checker that reads `.tf` files against them.
//!
//! No provider binary and no network are needed: the checker answers in milliseconds, so generated
//! Terraform (`export_iac`) and model-written Terraform (before `terraform plan`) get schema errors with a file,
//! line and the valid names before anything runs. The built-in schemas are `data/terraform/*.json` (see the
//! README there); [`ProviderSchemas::add_json`] adds real `terraform providers schema -json` output.
//!
//! - [`schema`]: the provider-schema JSON as typed structs ([`ProviderSchemas`], merged by provider type,
//!   resource aliases resolved).
//! - [`check`]: [`check_files`] turns one module's files into [`Finding`]s; its module docs list what is
//!   deliberately not checked.
//! - [`run`]: Terraform's `-json` output as data (diagnostics, plan digests, outputs with secrets masked).
//! - [`knowledge`]: known Terraform/OCI failures and their fixes (`data/terraform_errors.yaml` + store files).
//! - [`safety`]: what model-written Terraform may not do (provisioners, external data, other providers, ...).
//! - [`workspace`]: the rules of a session's Terraform workspace (file names, size caps).

pub mod check;
pub mod knowledge;
pub mod run;
pub mod safety;
pub mod schema;
pub mod workspace;

pub use check::{Code, Finding, Severity, check_files, has_errors};
pub use schema::{Coverage, ProviderSchema, ProviderSchemas, SchemaError};

//! OCI API calls and the OCI CLI as pure data: the operation table generated from the OCI Python SDK, request
//! building, result shaping, the mutation policy and secret redaction. No IO: the HTTP client (`galley-oci`) sends
//! what [`request::build_request`] builds, and the `run_oci_cli` tool runs what [`policy::check_cli`] allowed.
//!
//! The flow of `oci_sdk_call` is:
//! [`OperationTable::builtin`] → [`OperationTable::lookup`] (service + operation, closest names on a miss) →
//! [`build_request`] (parameters checked: required, unknown, enums, types) → [`policy::decide`] on the spec's
//! class → send (elsewhere; [`OciRequestSpec::with_page`] for more pages) → [`shape::shape()`] the JSON result
//! (`fields`, `max_results`, a summary when large). Raw mode is [`request::raw_request`].
//!
//! - [`table`]: the embedded table (`data/oci/operations.json`) and lookups.
//! - [`request`]: [`OciRequestSpec`], [`build_request`], [`request::raw_request`], [`ParamError`].
//! - [`mod@shape`]: `fields` projection, `max_results`, summaries.
//! - [`policy`]: read / mutation / destructive, refused CLI options, [`policy::decide`] per write mode.
//! - [`redact`]: keys, tokens and secret-named values out of anything returned to the model.

pub mod policy;
pub mod redact;
pub mod request;
pub mod shape;
pub mod table;

pub use policy::{Class, CliCommand, CliRefusal, Decision, WriteMode, check_cli, classify_operation, decide};
pub use request::{
    BodyKind, OciRequestSpec, ParamError, ParamProblem, RawRequest, build_request, raw_request,
};
pub use shape::{ShapeOptions, Shaped, shape};
pub use table::{LookupError, OperationRef, OperationTable, TableError};

//! Orchestration between the domain and the store. Tool functions call these; they know nothing of MCP.

pub mod design;
pub mod doc;
pub mod handoff;
pub mod hearing;
pub mod iac;
pub mod jobs;
pub mod oci_cli;
pub mod oci_sdk;
pub mod rm;
pub mod terraform;

use std::fmt;

use galley_domain::architecture::DesignError;
use galley_domain::hearing::HearingError;

/// Why a service call failed. Every message says what was wrong and what to do next, and never contains
/// secrets (the store describes itself without credentials).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The domain refused the change; nothing was stored.
    #[error(transparent)]
    Hearing(#[from] HearingError),
    /// The design edit was refused; nothing was stored.
    #[error(transparent)]
    Design(#[from] DesignError),
    /// No session with this id.
    #[error(
        "no session with id {0}; call list_sessions to see existing sessions, or create_session to start one"
    )]
    UnknownSession(String),
    /// An argument is malformed.
    #[error("{0}")]
    InvalidInput(String),
    /// The store failed.
    #[error("{0}")]
    Store(StoreFailure),
    /// A lock (e.g. a Terraform workspace's) is held by a running job.
    #[error(
        "the workspace is locked by job {job_id} ({kind}), which is still running; call get_job with job_id {job_id} (wait_seconds up to 50) until it finishes, then run again"
    )]
    Locked {
        /// The job holding the lock.
        job_id: String,
        /// What it does.
        kind: String,
    },
}

/// A store error with a hint for the model.
#[derive(Debug)]
pub struct StoreFailure(pub galley_store::Error);

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            galley_store::Error::Precondition { .. } | galley_store::Error::AlreadyExists { .. } => write!(
                f,
                "another change to the same document kept winning ({}); nothing was lost, retry the call",
                self.0
            ),
            galley_store::Error::Corrupt { .. } => {
                write!(f, "a stored document cannot be read ({}); tell the Galley operator", self.0)
            }
            other => {
                write!(f, "Galley's store failed ({other}); retry, and run `galley doctor` if it persists")
            }
        }
    }
}

impl From<galley_store::Error> for ServiceError {
    fn from(e: galley_store::Error) -> Self {
        ServiceError::Store(StoreFailure(e))
    }
}

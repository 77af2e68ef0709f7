//! Application state shared by every request: the store and the services over it.

use std::sync::Arc;

use galley_domain::hearing::Catalog;
use galley_store::Store;

use crate::config::Mode;
use crate::services::hearing::HearingService;
use crate::services::oci_cli::{OciCliConfig, OciCliService};

/// Everything a tool call needs. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct App {
    /// The store (all persistent state lives here).
    pub store: Arc<dyn Store>,
    /// Sessions and answers.
    pub hearing: HearingService,
    /// Whether the MCP conformance fixtures are enabled.
    pub conformance_fixtures: bool,
    /// What the model may change (`--mode`); tools that reach OCI enforce it per call.
    pub mode: Mode,
    /// The OCI CLI (`run_oci_cli`).
    pub oci_cli: OciCliService,
}

impl App {
    /// Builds the state over `store` with the built-in catalog; the OCI CLI settings come from the environment.
    pub fn new(store: Arc<dyn Store>, conformance_fixtures: bool, mode: Mode) -> anyhow::Result<App> {
        let catalog = Arc::new(Catalog::builtin()?);
        let oci_cli = OciCliService::new(OciCliConfig::from_env(mode)?);
        Ok(App {
            hearing: HearingService::new(Arc::clone(&store), catalog),
            store,
            conformance_fixtures,
            mode,
            oci_cli,
        })
    }
}

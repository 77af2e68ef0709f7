//! Application state shared by every request: the store and the services over it.

use std::sync::Arc;

use galley_domain::hearing::Catalog;
use galley_store::Store;

use crate::services::hearing::HearingService;

/// Everything a tool call needs. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct App {
    /// The store (all persistent state lives here).
    pub store: Arc<dyn Store>,
    /// Sessions and answers.
    pub hearing: HearingService,
    /// Whether the MCP conformance fixtures are enabled.
    pub conformance_fixtures: bool,
}

impl App {
    /// Builds the state over `store` with the built-in catalog.
    pub fn new(store: Arc<dyn Store>, conformance_fixtures: bool) -> anyhow::Result<App> {
        let catalog = Arc::new(Catalog::builtin()?);
        Ok(App { hearing: HearingService::new(Arc::clone(&store), catalog), store, conformance_fixtures })
    }
}

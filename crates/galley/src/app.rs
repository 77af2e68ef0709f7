//! Application state shared by every request: the store and the services over it.

use std::sync::Arc;

use galley_domain::catalog::ServiceCatalog;
use galley_domain::hearing::Catalog;
use galley_store::Store;

use crate::config::Mode;
use crate::services::design::DesignService;
use crate::services::handoff::HandoffService;
use crate::services::hearing::HearingService;
use crate::services::iac::IacService;
use crate::services::jobs::JobService;
use crate::services::oci_cli::{OciCliConfig, OciCliService, write_mode};
use crate::services::oci_sdk::OciSdkService;
use crate::services::rm::{RmConfig, RmService};
use crate::services::terraform::{TerraformConfig, TerraformService};

/// Everything a tool call needs. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct App {
    /// The store (all persistent state lives here).
    pub store: Arc<dyn Store>,
    /// Sessions and answers.
    pub hearing: HearingService,
    /// Architectures: edits, validation, proposals, exports.
    pub design: DesignService,
    /// `export_iac`: the design as Terraform in the session's workspace.
    pub iac: IacService,
    /// Whether the MCP conformance fixtures are enabled.
    pub conformance_fixtures: bool,
    /// What the model may change (`--mode`); tools that reach OCI enforce it per call.
    pub mode: Mode,
    /// The OCI CLI (`run_oci_cli`).
    pub oci_cli: OciCliService,
    /// The OCI API (`oci_sdk_call`).
    pub oci_sdk: Arc<OciSdkService>,
    /// Jobs (`get_job`): slow work in the store.
    pub jobs: Arc<JobService>,
    /// Terraform workspaces and runs.
    pub terraform: Arc<TerraformService>,
    /// Resource Manager stacks and jobs of sessions.
    pub rm: Arc<RmService>,
    /// Customer hand-off packages (`export_all`).
    pub handoff: HandoffService,
}

impl App {
    /// Builds the state over `store` with the built-in catalog; the OCI CLI settings come from the environment.
    /// `oci_client` is the client of an `oci://` store, shared with `oci_sdk_call`; without one, `oci_sdk_call`
    /// builds its own from the environment on first use.
    pub fn new(
        store: Arc<dyn Store>,
        conformance_fixtures: bool,
        mode: Mode,
        oci_client: Option<galley_oci::OciClient>,
    ) -> anyhow::Result<App> {
        let catalog = Arc::new(Catalog::builtin()?);
        let services = Arc::new(ServiceCatalog::builtin()?);
        let oci_cli = OciCliService::new(OciCliConfig::from_env(mode)?);
        let oci_sdk = Arc::new(OciSdkService::new(write_mode(mode), galley_oci::Env::process(), oci_client));
        let jobs = Arc::new(JobService::new(Arc::clone(&store)));
        let terraform_config = TerraformConfig::from_vars(std::env::vars(), mode)?;
        let terraform =
            Arc::new(TerraformService::new(Arc::clone(&store), Arc::clone(&jobs), terraform_config));
        let rm_config = RmConfig::from_vars(std::env::vars(), mode)?;
        let rm =
            Arc::new(RmService::new(Arc::clone(&store), Arc::clone(&jobs), Arc::clone(&oci_sdk), rm_config));
        Ok(App {
            jobs,
            terraform,
            rm,
            handoff: HandoffService::new(Arc::clone(&store), Arc::clone(&oci_sdk)),
            hearing: HearingService::new(Arc::clone(&store), catalog),
            design: DesignService::new(Arc::clone(&store), services),
            iac: IacService::new(Arc::clone(&store)),
            store,
            conformance_fixtures,
            mode,
            oci_cli,
            oci_sdk,
        })
    }
}

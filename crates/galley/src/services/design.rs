//! The design service: a session's architecture in the store (`sessions/<id>/architecture.json`), its edits,
//! validation against the rules (built in plus those uploaded under `rules/`), proposals and exports.
//!
//! Every edit is a compare-and-swap read-modify-write ([`super::doc`]): two concurrent edits of one design never
//! lose an update. A design is created on its first edit; its region defaults to the hearing's `region.primary`.

use std::sync::Arc;

use galley_domain::architecture::{Architecture, DesignError};
use galley_domain::catalog::ServiceCatalog;
use galley_domain::design::{Proposal, propose};
use galley_domain::hearing::Session;
use galley_domain::ids::SessionId;
use galley_domain::locale::Locale;
use galley_store::{Key, Store, StoreExt};
use jiff::Timestamp;

use super::ServiceError;
use super::doc::{DocLocks, update_doc};
use super::hearing::HearingService;

/// Architectures of sessions.
#[derive(Debug)]
pub struct DesignService {
    store: Arc<dyn Store>,
    services: Arc<ServiceCatalog>,
    locks: DocLocks,
}

fn architecture_key(id: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("sessions/{id}/architecture.json"))?)
}

/// The region a new design starts with: the hearing's primary region, when answered.
pub fn hearing_region(session: &Session) -> Option<String> {
    session.answers.get("region.primary").and_then(|a| a.value.as_str()).map(str::to_owned)
}

impl DesignService {
    /// A service over `store` with the service catalog.
    pub fn new(store: Arc<dyn Store>, services: Arc<ServiceCatalog>) -> Self {
        DesignService { store, services, locks: DocLocks::default() }
    }

    /// The service catalog.
    pub fn services(&self) -> &ServiceCatalog {
        &self.services
    }

    /// The session's design (an empty one, not stored, when nothing was designed yet). Fails when the session
    /// does not exist.
    pub async fn get(
        &self,
        hearing: &HearingService,
        id: SessionId,
    ) -> Result<(Session, Architecture), ServiceError> {
        let session = hearing.get(id).await?;
        let arch = match self.store.get_json_opt::<Architecture>(&architecture_key(id)?).await? {
            Some((a, _)) => a,
            None => Architecture::new(id, hearing_region(&session), session.created_at),
        };
        Ok((session, arch))
    }

    /// Applies an edit to the session's design and stores it (compare-and-swap). The edit gets the current
    /// design (a new empty one when there is none) and the time; when it fails nothing is stored.
    pub async fn edit<R: Send>(
        &self,
        hearing: &HearingService,
        id: SessionId,
        mut change: impl FnMut(&mut Architecture, &ServiceCatalog, Timestamp) -> Result<R, DesignError> + Send,
    ) -> Result<(Architecture, R), ServiceError> {
        let session = hearing.get(id).await?;
        let region = hearing_region(&session);
        let services = Arc::clone(&self.services);
        update_doc(
            self.store.as_ref(),
            &self.locks,
            &architecture_key(id)?,
            |current: Option<Architecture>| {
                let now = Timestamp::now();
                let mut arch = current.unwrap_or_else(|| Architecture::new(id, region.clone(), now));
                let r = change(&mut arch, &services, now)?;
                Ok((arch, r))
            },
        )
        .await
    }

    /// Proposes a design from the session's hearing and saves it. Refuses to replace a non-empty design unless
    /// `replace` is given.
    pub async fn propose(
        &self,
        hearing: &HearingService,
        id: SessionId,
        pattern: Option<&str>,
        replace: bool,
        locale: Option<Locale>,
    ) -> Result<(Architecture, Proposal), ServiceError> {
        let session = hearing.get(id).await?;
        let proposal =
            propose(&session, hearing.catalog(), &self.services, locale.unwrap_or(session.locale), pattern)
                .map_err(|e| ServiceError::InvalidInput(e.to_string()))?;
        let (arch, ()) = self
            .edit(hearing, id, |a, catalog, now| {
                if !replace && !a.components.is_empty() {
                    return Err(DesignError::Invalid(vec![format!(
                        "session {id} already has a design (revision {}, {} components); call propose_architecture with replace=true to replace it with the proposal, or get_architecture to see it",
                        a.revision,
                        a.components.len()
                    )]));
                }
                a.replace(catalog, proposal.architecture.clone(), Some(proposal.pattern.clone()), now)
            })
            .await?;
        Ok((arch, proposal))
    }
}

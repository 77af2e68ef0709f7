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
use galley_domain::rules::{BUILTIN_RULE_FILES, RuleLoadProblem, RuleSet, Validation, validate};
use galley_store::{Key, Store, StoreExt};
use jiff::Timestamp;
use tokio::sync::Mutex;

use super::ServiceError;
use super::doc::{DocLocks, update_doc};
use super::hearing::HearingService;

/// Architectures of sessions.
#[derive(Debug)]
pub struct DesignService {
    store: Arc<dyn Store>,
    services: Arc<ServiceCatalog>,
    locks: DocLocks,
    rules: Mutex<Option<LoadedRules>>,
}

/// Where uploaded rules live in the store.
pub const RULES_PREFIX: &str = "rules/";
/// The largest uploaded rule file read; larger ones are reported and skipped.
const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

/// The rule set in force: the built-in rules plus those uploaded under `rules/`, with what could not be loaded.
#[derive(Debug, Clone)]
pub struct LoadedRules {
    /// What the uploaded files looked like when they were read: (key, size, last modified).
    fingerprint: Vec<(String, u64, Option<Timestamp>)>,
    /// The rules.
    pub set: Arc<RuleSet>,
    /// Broken files or rules, skipped.
    pub problems: Vec<RuleLoadProblem>,
}

/// The result of validating a session's design.
#[derive(Debug)]
pub struct Validated {
    /// The design that was validated.
    pub architecture: Architecture,
    /// Findings and counts.
    pub validation: Validation,
    /// Uploaded rules that could not be loaded (skipped).
    pub rule_problems: Vec<RuleLoadProblem>,
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
        DesignService { store, services, locks: DocLocks::default(), rules: Mutex::new(None) }
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

    /// The rules in force: built-in plus uploaded (`rules/*.yaml`). Uploaded files are read again only when the
    /// listing changed (key, size or time), so validation costs one listing when nothing was uploaded. A broken
    /// file or rule is reported in `problems` and skipped, never fatal; an uploaded rule replaces the built-in
    /// rule with the same id.
    pub async fn rules(&self) -> Result<LoadedRules, ServiceError> {
        let metas = self.store.list_all(RULES_PREFIX).await?;
        let files: Vec<_> = metas
            .into_iter()
            .filter(|m| m.key.as_str().ends_with(".yaml") || m.key.as_str().ends_with(".yml"))
            .collect();
        let fingerprint: Vec<(String, u64, Option<Timestamp>)> =
            files.iter().map(|m| (m.key.to_string(), m.size, m.last_modified)).collect();
        let mut cache = self.rules.lock().await;
        if let Some(loaded) = cache.as_ref()
            && loaded.fingerprint == fingerprint
        {
            return Ok(loaded.clone());
        }
        let mut sources: Vec<(String, String)> =
            BUILTIN_RULE_FILES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
        let mut problems = Vec::new();
        for meta in &files {
            let source = meta.key.to_string();
            if meta.size > MAX_RULE_FILE_BYTES {
                problems.push(RuleLoadProblem {
                    source,
                    rule_id: None,
                    message: format!(
                        "the file is {} bytes; rule files may be at most {MAX_RULE_FILE_BYTES}",
                        meta.size
                    ),
                });
                continue;
            }
            match self.store.get(&meta.key).await {
                Ok(got) => match String::from_utf8(got.bytes.to_vec()) {
                    Ok(text) => sources.push((source, text)),
                    Err(_) => problems.push(RuleLoadProblem {
                        source,
                        rule_id: None,
                        message: "the file is not UTF-8 text".to_owned(),
                    }),
                },
                // Deleted between the listing and the read: nothing to load.
                Err(galley_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let (set, load_problems) = RuleSet::load_for(&sources, &self.services);
        problems.extend(load_problems);
        for p in &problems {
            tracing::warn!(source = %p.source, rule = ?p.rule_id, "validation rule skipped: {}", p.message);
        }
        let loaded = LoadedRules { fingerprint, set: Arc::new(set), problems };
        *cache = Some(loaded.clone());
        Ok(loaded)
    }

    /// Validates the session's design against the rules in force.
    pub async fn validate(
        &self,
        hearing: &HearingService,
        id: SessionId,
        locale: Option<Locale>,
    ) -> Result<(Session, Validated), ServiceError> {
        let (session, architecture) = self.get(hearing, id).await?;
        let rules = self.rules().await?;
        let validation =
            validate(&architecture, &self.services, &rules.set, locale.unwrap_or(session.locale));
        Ok((session, Validated { architecture, validation, rule_problems: rules.problems }))
    }
}

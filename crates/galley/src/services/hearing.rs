//! The hearing service: sessions and answers in the store, with compare-and-swap updates.
//!
//! Every change is a compare-and-swap read-modify-write of `sessions/<id>/session.json` ([`super::doc`]), so
//! concurrent calls, in this process or in another replica, never lose an update.

use std::sync::Arc;

use galley_domain::hearing::{AnswerInput, Catalog, HearingError, Session};
use galley_domain::ids::SessionId;
use galley_domain::locale::Locale;
use galley_store::{Key, ListOptions, PutMode, Store, StoreExt};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use super::doc::{DocLocks, update_doc};

/// Sessions and answers.
#[derive(Debug)]
pub struct HearingService {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    locks: DocLocks,
}

/// One line of `list_sessions`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionSummary {
    /// Session id.
    pub session_id: SessionId,
    /// Customer name.
    pub customer: String,
    /// Project name.
    pub project: String,
    /// `hearing` or `completed`.
    pub status: galley_domain::hearing::SessionStatus,
    /// Language.
    pub locale: Locale,
    /// Number of answers.
    pub answered: usize,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl SessionSummary {
    /// The summary of a session.
    pub fn of(s: &Session) -> Self {
        SessionSummary {
            session_id: s.id,
            customer: s.customer.clone(),
            project: s.project.clone(),
            status: s.status,
            locale: s.locale,
            answered: s.answers.len(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Parses a session id given by the model.
pub fn parse_session_id(raw: &str) -> Result<SessionId, ServiceError> {
    raw.parse().map_err(|_| ServiceError::UnknownSession(format!("{raw:?} (not a session id)")))
}

fn session_key(id: SessionId) -> Result<Key, ServiceError> {
    Ok(Key::new(format!("sessions/{id}/session.json"))?)
}

impl HearingService {
    /// A service over `store` with `catalog`.
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>) -> Self {
        HearingService { store, catalog, locks: DocLocks::default() }
    }

    /// The question catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Creates a session.
    pub async fn create(
        &self,
        customer: &str,
        project: &str,
        locale: Locale,
        notes: Option<&str>,
    ) -> Result<Session, ServiceError> {
        let id = SessionId::from_uuid(uuid::Uuid::now_v7());
        let session = Session::new(id, customer, project, locale, notes, Timestamp::now())?;
        self.store.put_json(&session_key(id)?, &session, PutMode::Create).await?;
        Ok(session)
    }

    /// Reads a session.
    pub async fn get(&self, id: SessionId) -> Result<Session, ServiceError> {
        match self.store.get_json_opt::<Session>(&session_key(id)?).await? {
            Some((s, _)) => Ok(s),
            None => Err(ServiceError::UnknownSession(id.to_string())),
        }
    }

    async fn update<R: Send>(
        &self,
        id: SessionId,
        mut change: impl FnMut(&mut Session) -> Result<R, HearingError> + Send,
    ) -> Result<(Session, R), ServiceError> {
        update_doc(self.store.as_ref(), &self.locks, &session_key(id)?, |current: Option<Session>| {
            let Some(mut s) = current else { return Err(ServiceError::UnknownSession(id.to_string())) };
            let r = change(&mut s)?;
            Ok((s, r))
        })
        .await
    }

    /// Validates and stores answers, all or nothing. Returns the session and the stored values.
    pub async fn save_answers(
        &self,
        id: SessionId,
        inputs: &[AnswerInput],
    ) -> Result<(Session, Vec<(String, Value)>), ServiceError> {
        let catalog = Arc::clone(&self.catalog);
        self.update(id, |s| s.record_answers(&catalog, inputs, Timestamp::now())).await
    }

    /// Completes the hearing (see `Session::complete`).
    pub async fn complete(&self, id: SessionId, force: bool) -> Result<Session, ServiceError> {
        let catalog = Arc::clone(&self.catalog);
        Ok(self.update(id, |s| s.complete(&catalog, force, Timestamp::now())).await?.0)
    }

    /// Sessions, newest first. `cursor` is the last session id of the previous page.
    pub async fn list(
        &self,
        limit: usize,
        cursor: Option<SessionId>,
    ) -> Result<(Vec<SessionSummary>, Option<String>), ServiceError> {
        let mut ids: Vec<SessionId> = Vec::new();
        let mut start_after: Option<Key> = None;
        loop {
            let page = self
                .store
                .list(ListOptions { prefix: "sessions/", start_after: start_after.as_ref(), limit: 1000 })
                .await?;
            for meta in &page.objects {
                let k = meta.key.as_str();
                if let Some(rest) = k.strip_prefix("sessions/").and_then(|r| r.strip_suffix("/session.json"))
                    && let Ok(id) = rest.parse::<SessionId>()
                {
                    ids.push(id);
                }
            }
            match page.next_start_after {
                Some(next) => start_after = Some(next),
                None => break,
            }
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let start = match cursor {
            Some(c) => ids.iter().position(|i| *i < c).unwrap_or(ids.len()),
            None => 0,
        };
        let page: Vec<SessionId> = ids.iter().skip(start).take(limit).copied().collect();
        let next = if start + page.len() < ids.len() { page.last().map(ToString::to_string) } else { None };
        let mut out = Vec::with_capacity(page.len());
        for id in page {
            // A session deleted between the listing and this read is skipped.
            match self.get(id).await {
                Ok(s) => out.push(SessionSummary::of(&s)),
                Err(ServiceError::UnknownSession(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((out, next))
    }
}

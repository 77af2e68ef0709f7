//! A session's Terraform workspace in the store: `sessions/<session_id>/terraform/<file>`.
//!
//! Names and sizes follow [`galley_domain::terraform::workspace`]; every write re-checks the workspace's total
//! size. Files are plain objects (the last write wins, like an editor saving a file).

use std::collections::BTreeMap;

use galley_domain::ids::SessionId;
use galley_domain::terraform::workspace::{validate_file_name, validate_file_size, validate_workspace_size};
use galley_store::{Key, PutMode, Store, StoreExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::services::ServiceError;

/// One file of a workspace listing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileInfo {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The files of a workspace, by name (sorted).
pub type Files = BTreeMap<String, String>;

fn prefix(session: SessionId) -> String {
    format!("sessions/{session}/terraform/")
}

fn file_key(session: SessionId, name: &str) -> Result<Key, ServiceError> {
    validate_file_name(name).map_err(ServiceError::InvalidInput)?;
    Ok(Key::new(format!("{}{name}", prefix(session)))?)
}

/// Fails with `UnknownSession` unless the session exists.
pub async fn require_session(store: &dyn Store, session: SessionId) -> Result<(), ServiceError> {
    let key = Key::new(format!("sessions/{session}/session.json"))?;
    match store.get(&key).await {
        Ok(_) => Ok(()),
        Err(galley_store::Error::NotFound { .. }) => Err(ServiceError::UnknownSession(session.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Lists the workspace's files.
pub async fn list(store: &dyn Store, session: SessionId) -> Result<Vec<FileInfo>, ServiceError> {
    let prefix = prefix(session);
    Ok(store
        .list_all(&prefix)
        .await?
        .into_iter()
        .filter_map(|m| {
            let name = m.key.as_str().strip_prefix(&prefix)?.to_owned();
            (!name.contains('/')).then_some(FileInfo { name, bytes: m.size })
        })
        .collect())
}

/// Reads one file; `None` when it does not exist.
pub async fn read(store: &dyn Store, session: SessionId, name: &str) -> Result<Option<String>, ServiceError> {
    match store.get(&file_key(session, name)?).await {
        Ok(got) => Ok(Some(String::from_utf8_lossy(&got.bytes).into_owned())),
        Err(galley_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Reads every file of the workspace.
pub async fn read_all(store: &dyn Store, session: SessionId) -> Result<Files, ServiceError> {
    let mut files = Files::new();
    for info in list(store, session).await? {
        if validate_file_name(&info.name).is_err() {
            continue; // not written through Galley's tools; never materialised
        }
        if let Some(content) = read(store, session, &info.name).await? {
            files.insert(info.name, content);
        }
    }
    Ok(files)
}

/// Writes several files after checking every name, every size and the resulting workspace size; nothing is
/// written when any check fails.
pub async fn write(
    store: &dyn Store,
    session: SessionId,
    changes: &[(String, String)],
) -> Result<(), ServiceError> {
    let mut sizes: BTreeMap<String, u64> =
        list(store, session).await?.into_iter().map(|f| (f.name, f.bytes)).collect();
    let mut keys = Vec::with_capacity(changes.len());
    for (name, content) in changes {
        let key = file_key(session, name)?;
        validate_file_size(name, content.len()).map_err(ServiceError::InvalidInput)?;
        sizes.insert(name.clone(), content.len() as u64);
        keys.push(key);
    }
    let total = usize::try_from(sizes.values().sum::<u64>()).unwrap_or(usize::MAX);
    validate_workspace_size(sizes.len(), total).map_err(ServiceError::InvalidInput)?;
    for (key, (_, content)) in keys.iter().zip(changes) {
        store.put(key, bytes::Bytes::from(content.clone().into_bytes()), PutMode::Overwrite).await?;
    }
    Ok(())
}

/// Deletes one file; `false` when it did not exist.
pub async fn delete(store: &dyn Store, session: SessionId, name: &str) -> Result<bool, ServiceError> {
    match store.delete(&file_key(session, name)?).await {
        Ok(()) => Ok(true),
        Err(galley_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// SHA-256 over the files' names and contents (length-prefixed, in name order): what a plan was made from.
pub fn hash(files: &Files) -> String {
    let mut h = Sha256::new();
    for (name, content) in files {
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((content.len() as u64).to_be_bytes());
        h.update(content.as_bytes());
    }
    hex_lower(&h.finalize())
}

/// Lower-case hex of bytes.
pub fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use galley_store::MemoryStore;

    #[tokio::test]
    async fn write_read_list_delete() {
        let store = MemoryStore::new();
        let s = SessionId::from_uuid(uuid::Uuid::now_v7());
        write(&store, s, &[("main.tf".into(), "a".into()), ("b.tfvars".into(), "x=1".into())]).await.unwrap();
        assert_eq!(read(&store, s, "main.tf").await.unwrap().as_deref(), Some("a"));
        let names: Vec<_> = list(&store, s).await.unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["b.tfvars", "main.tf"]);
        assert!(delete(&store, s, "main.tf").await.unwrap());
        assert!(!delete(&store, s, "main.tf").await.unwrap());
        let err = write(&store, s, &[("ok.tf".into(), String::new()), ("../x.tf".into(), String::new())])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        assert!(read(&store, s, "ok.tf").await.unwrap().is_none(), "nothing written when one name is bad");
        let big = "x".repeat(galley_domain::terraform::workspace::MAX_FILE_BYTES + 1);
        assert!(write(&store, s, &[("big.tf".into(), big)]).await.is_err());
    }

    #[test]
    fn hash_depends_on_names_and_contents() {
        let a: Files = [("a.tf".to_owned(), "x".to_owned())].into();
        let b: Files = [("a.tf".to_owned(), "y".to_owned())].into();
        let c: Files = [("b.tf".to_owned(), "x".to_owned())].into();
        assert_ne!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a), hash(&a.clone()));
    }
}

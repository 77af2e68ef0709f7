//! Read-modify-write of one JSON document in the store, shared by every service that edits documents.
//!
//! Every change is a compare-and-swap on the store's ETag (`StoreExt::update_json`), so concurrent calls, in
//! this process or in another replica, never lose an update. Inside one process, calls on the same document also
//! queue on a striped mutex, which keeps a burst of parallel edits from turning into a storm of CAS retries.

use galley_store::{Key, Store, StoreExt, UpdateError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::ServiceError;

const LOCK_STRIPES: usize = 64;

/// Striped in-process locks, by document key.
#[derive(Debug)]
pub struct DocLocks(Vec<Mutex<()>>);

impl Default for DocLocks {
    fn default() -> Self {
        DocLocks((0..LOCK_STRIPES).map(|_| Mutex::new(())).collect())
    }
}

impl DocLocks {
    fn lock_for(&self, key: &Key) -> &Mutex<()> {
        let h = key.as_str().bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
        &self.0[h % self.0.len()]
    }
}

/// Applies `change` to the document at `key` (`None` when it does not exist yet) and stores the result with
/// compare-and-swap, retrying on a lost race. `change` may run several times: keep it free of side effects.
/// Returns the stored document and what `change` returned on the attempt that won.
pub async fn update_doc<T, R>(
    store: &dyn Store,
    locks: &DocLocks,
    key: &Key,
    mut change: impl FnMut(Option<T>) -> Result<(T, R), ServiceError> + Send,
) -> Result<(T, R), ServiceError>
where
    T: Serialize + DeserializeOwned + Send + Sync,
    R: Send,
{
    let _guard = locks.lock_for(key).lock().await;
    let mut out = None;
    let result = store
        .update_json(key, |current: Option<T>| {
            let (doc, r) = change(current)?;
            out = Some(r);
            Ok(doc)
        })
        .await;
    match result {
        Ok((doc, _)) => match out {
            Some(r) => Ok((doc, r)),
            None => Err(ServiceError::InvalidInput("internal: update produced no result".into())),
        },
        Err(UpdateError::Aborted(e)) => Err(e),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}

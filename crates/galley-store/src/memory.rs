//! [`MemoryStore`]: objects in a map in this process's memory.
//!
//! For tests and demos: everything is lost when the process exits, and nothing is shared between
//! processes. Within the process it gives every guarantee of [`Store`]: every operation runs under one
//! lock, so conditional writes are linearizable.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{PoisonError, RwLock};

use bytes::Bytes;

use crate::{
    DEFAULT_MAX_OBJECT_SIZE, ETag, Error, GetResult, Key, ListOptions, ListPage, ObjectMeta, PutMode,
    PutResult, Result, Store,
};

/// A [`Store`] kept in memory. ETags are `m-<n>`, from a counter that increases with every write.
#[derive(Debug)]
pub struct MemoryStore {
    state: RwLock<State>,
    max_object_size: u64,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<String, Object>,
    writes: u64,
}

#[derive(Debug)]
struct Object {
    bytes: Bytes,
    etag: ETag,
    last_modified: jiff::Timestamp,
}

impl MemoryStore {
    /// An empty store accepting objects up to [`DEFAULT_MAX_OBJECT_SIZE`].
    pub fn new() -> Self {
        MemoryStore { state: RwLock::default(), max_object_size: DEFAULT_MAX_OBJECT_SIZE }
    }

    /// The same store, rejecting objects larger than `bytes` with [`Error::TooLarge`].
    #[must_use]
    pub fn with_max_object_size(mut self, bytes: u64) -> Self {
        self.max_object_size = bytes;
        self
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &Key) -> Result<GetResult> {
        // No code panics while holding the lock, so a poisoned lock still guards consistent data.
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.objects.get(key.as_str()) {
            Some(object) => Ok(GetResult { bytes: object.bytes.clone(), etag: object.etag.clone() }),
            None => Err(Error::NotFound { key: key.to_string() }),
        }
    }

    async fn put(&self, key: &Key, bytes: Bytes, mode: PutMode) -> Result<PutResult> {
        let size = bytes.len() as u64;
        if size > self.max_object_size {
            return Err(Error::TooLarge { key: key.to_string(), size, limit: self.max_object_size });
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let current = state.objects.get(key.as_str());
        match (&mode, current) {
            (PutMode::Create, Some(_)) => return Err(Error::AlreadyExists { key: key.to_string() }),
            (PutMode::Update(_), None) => return Err(Error::Precondition { key: key.to_string() }),
            (PutMode::Update(expected), Some(object)) if object.etag != *expected => {
                return Err(Error::Precondition { key: key.to_string() });
            }
            _ => {}
        }
        state.writes += 1;
        let etag = ETag::new(format!("m-{}", state.writes));
        let object = Object { bytes, etag: etag.clone(), last_modified: jiff::Timestamp::now() };
        state.objects.insert(key.to_string(), object);
        Ok(PutResult { etag })
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match state.objects.remove(key.as_str()) {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { key: key.to_string() }),
        }
    }

    async fn list(&self, opts: ListOptions<'_>) -> Result<ListPage> {
        let limit = opts.clamped_limit();
        let prefix = opts.prefix;
        let lower = match opts.start_after {
            Some(after) if after.as_str() >= prefix => Bound::Excluded(after.as_str()),
            _ => Bound::Included(prefix),
        };
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let mut objects = Vec::new();
        let mut more = false;
        for (key, object) in state.objects.range::<str, _>((lower, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            if objects.len() == limit {
                more = true;
                break;
            }
            objects.push(ObjectMeta {
                key: Key::new(key.as_str())?,
                size: object.bytes.len() as u64,
                last_modified: Some(object.last_modified),
            });
        }
        let next_start_after = if more { objects.last().map(|meta| meta.key.clone()) } else { None };
        Ok(ListPage { objects, next_start_after })
    }

    fn describe(&self) -> String {
        "memory://".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::conformance;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_store_conforms() {
        conformance::run_all(Arc::new(MemoryStore::new())).await;
    }

    #[tokio::test]
    async fn memory_store_rejects_too_large() {
        let store = MemoryStore::new().with_max_object_size(4);
        let key = Key::new("big").unwrap();
        store.put(&key, Bytes::from_static(b"1234"), PutMode::Create).await.unwrap();
        let err = store.put(&key, Bytes::from_static(b"12345"), PutMode::Overwrite).await.unwrap_err();
        assert!(matches!(err, Error::TooLarge { size: 5, limit: 4, .. }), "{err:?}");
        assert_eq!(&store.get(&key).await.unwrap().bytes[..], b"1234");
    }

    #[tokio::test]
    async fn memory_etags_increase() {
        let store = MemoryStore::new();
        let key = Key::new("k").unwrap();
        let first = store.put(&key, Bytes::new(), PutMode::Overwrite).await.unwrap();
        let second = store.put(&key, Bytes::new(), PutMode::Overwrite).await.unwrap();
        assert_eq!((first.etag.as_str(), second.etag.as_str()), ("m-1", "m-2"));
        assert_eq!(store.describe(), "memory://");
    }
}

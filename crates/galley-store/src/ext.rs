//! JSON helpers and the compare-and-swap update loop, for every [`Store`].
//!
//! The methods return `Send` futures, so they can be awaited inside `tokio::spawn`, including through an
//! `Arc<dyn Store>`.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ETag, Error, Key, ListOptions, ObjectMeta, PutMode, PutResult, Result, Store};

/// How many times [`StoreExt::update_json`] tries before giving up with [`Error::Precondition`].
const MAX_UPDATE_ATTEMPTS: u32 = 64;
/// Attempts made back to back before [`StoreExt::update_json`] starts sleeping between attempts.
const ATTEMPTS_WITHOUT_BACKOFF: u32 = 3;
/// The longest sleep between two attempts, in milliseconds.
const MAX_BACKOFF_MS: u64 = 100;

/// Why [`StoreExt::update_json`] failed.
#[derive(thiserror::Error, Debug)]
pub enum UpdateError<E> {
    /// The store failed (including running out of attempts under heavy contention, as
    /// [`Error::Precondition`]).
    #[error(transparent)]
    Store(#[from] Error),
    /// The update function returned this error; nothing was written by this attempt.
    #[error("{0}")]
    Aborted(E),
}

/// JSON documents and read-modify-write on any [`Store`] (implemented for every `S: Store + ?Sized`,
/// including `dyn Store`).
pub trait StoreExt {
    /// Reads the object at `key` and decodes it as JSON.
    ///
    /// # Errors
    /// [`Error::NotFound`] when missing; [`Error::Corrupt`] when the content does not decode as `T`.
    fn get_json<T: DeserializeOwned>(&self, key: &Key) -> impl Future<Output = Result<(T, ETag)>> + Send;

    /// Like [`StoreExt::get_json`], but `Ok(None)` when there is no object at `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the content does not decode as `T`; [`Error::Unavailable`].
    fn get_json_opt<T: DeserializeOwned>(
        &self,
        key: &Key,
    ) -> impl Future<Output = Result<Option<(T, ETag)>>> + Send;

    /// Writes `value` as pretty-printed JSON followed by a newline, subject to `mode`.
    ///
    /// # Errors
    /// Those of [`Store::put`]; [`Error::Corrupt`] when `value` cannot be encoded as JSON.
    fn put_json<T: Serialize + ?Sized>(
        &self,
        key: &Key,
        value: &T,
        mode: PutMode,
    ) -> impl Future<Output = Result<PutResult>> + Send;

    /// Read-modify-write with compare-and-swap.
    ///
    /// Reads the current value (`None` when missing), calls `f` on it, and writes the result with
    /// [`PutMode::Update`] (or [`PutMode::Create`] when it was missing). If another writer got there first
    /// ([`Error::Precondition`] / [`Error::AlreadyExists`]) it reads again and calls `f` again, up to 64
    /// attempts, sleeping a short jittered backoff between attempts after the first few. So no update is
    /// ever lost, and `f` may be called several times: keep it free of side effects.
    ///
    /// Returns the value written and its ETag.
    ///
    /// # Errors
    /// [`UpdateError::Aborted`] with `f`'s error (nothing written by that attempt);
    /// [`UpdateError::Store`] with the store's error, or [`Error::Precondition`] after 64 lost races.
    fn update_json<T, E, F>(
        &self,
        key: &Key,
        f: F,
    ) -> impl Future<Output = std::result::Result<(T, ETag), UpdateError<E>>> + Send
    where
        T: Serialize + DeserializeOwned + Send,
        E: Send,
        F: FnMut(Option<T>) -> std::result::Result<T, E> + Send;

    /// Lists every object whose key starts with `prefix`, following pages.
    ///
    /// # Errors
    /// Those of [`Store::list`].
    fn list_all(&self, prefix: &str) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
}

impl<S: Store + ?Sized> StoreExt for S {
    async fn get_json<T: DeserializeOwned>(&self, key: &Key) -> Result<(T, ETag)> {
        let got = self.get(key).await?;
        Ok((decode(key, &got.bytes)?, got.etag))
    }

    async fn get_json_opt<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<(T, ETag)>> {
        match self.get(key).await {
            Ok(got) => Ok(Some((decode(key, &got.bytes)?, got.etag))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn put_json<T: Serialize + ?Sized>(
        &self,
        key: &Key,
        value: &T,
        mode: PutMode,
    ) -> impl Future<Output = Result<PutResult>> + Send {
        // Encode before building the future, so that it does not hold `value` (and `T` need not be `Sync`).
        let encoded = encode(key, value);
        async move { self.put(key, encoded?, mode).await }
    }

    async fn update_json<T, E, F>(
        &self,
        key: &Key,
        mut f: F,
    ) -> std::result::Result<(T, ETag), UpdateError<E>>
    where
        T: Serialize + DeserializeOwned + Send,
        E: Send,
        F: FnMut(Option<T>) -> std::result::Result<T, E> + Send,
    {
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            if attempt >= ATTEMPTS_WITHOUT_BACKOFF {
                tokio::time::sleep(backoff(attempt - ATTEMPTS_WITHOUT_BACKOFF)).await;
            }
            let (current, mode) = match self.get_json_opt::<T>(key).await? {
                Some((value, etag)) => (Some(value), PutMode::Update(etag)),
                None => (None, PutMode::Create),
            };
            let next = f(current).map_err(UpdateError::Aborted)?;
            let bytes = encode(key, &next)?;
            match self.put(key, bytes, mode).await {
                Ok(put) => return Ok((next, put.etag)),
                Err(Error::Precondition { .. } | Error::AlreadyExists { .. }) => {
                    tracing::trace!(%key, attempt, "update_json lost a race, retrying");
                }
                Err(err) => return Err(err.into()),
            }
        }
        tracing::warn!(%key, attempts = MAX_UPDATE_ATTEMPTS, "update_json gave up under contention");
        Err(Error::Precondition { key: key.to_string() }.into())
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut objects = Vec::new();
        let mut start_after: Option<Key> = None;
        loop {
            let opts =
                ListOptions { prefix, start_after: start_after.as_ref(), limit: crate::MAX_LIST_LIMIT };
            let page = self.list(opts).await?;
            objects.extend(page.objects);
            match page.next_start_after {
                // A backend that returns its own cursor again would loop forever; stop instead.
                Some(next) if start_after.as_ref() != Some(&next) => start_after = Some(next),
                _ => return Ok(objects),
            }
        }
    }
}

fn decode<T: DeserializeOwned>(key: &Key, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|err| Error::Corrupt {
        key: key.to_string(),
        message: format!("its content is not the expected JSON document ({err})"),
    })
}

fn encode<T: Serialize + ?Sized>(key: &Key, value: &T) -> Result<bytes::Bytes> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|err| Error::Corrupt {
        key: key.to_string(),
        message: format!("the value to write cannot be encoded as JSON ({err})"),
    })?;
    bytes.push(b'\n');
    Ok(bytes.into())
}

/// A random delay in `[cap/2, cap]` where `cap` doubles per attempt up to [`MAX_BACKOFF_MS`].
fn backoff(retry: u32) -> Duration {
    let cap_ms = 1u64.checked_shl(retry).unwrap_or(u64::MAX).min(MAX_BACKOFF_MS);
    let cap_us = cap_ms * 1000;
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    Duration::from_micros(cap_us / 2 + random % (cap_us / 2 + 1))
}

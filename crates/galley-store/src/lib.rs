//! Galley's storage abstraction.
//!
//! All of Galley's persistent state (sessions, architectures, Terraform workspaces and state, jobs) goes
//! through one minimal trait, [`Store`]: a flat namespace of [`Key`]s mapping to byte objects, with
//! conditional writes ([`PutMode`]) keyed on an opaque [`ETag`]. [`StoreExt`] adds JSON helpers and
//! [`StoreExt::update_json`], a compare-and-swap read-modify-write loop that never loses an update.
//!
//! Backends:
//! - [`LocalStore`]: a directory on the local file system (the embedded default);
//! - [`MemoryStore`]: a map in memory (tests, demos);
//! - the OCI Object Storage backend lives in `galley-oci`.
//!
//! Every backend runs the same conformance suite, `galley_store::conformance` (enable the `conformance` feature to use it from
//! another crate's tests), so code written against [`Store`] behaves the same everywhere.
//!
//! # Guarantees every backend gives
//! - **Atomic objects.** A reader sees either the whole old object or the whole new one, never a mix.
//! - **Linearizable conditional writes.** [`PutMode::Create`] and [`PutMode::Update`] are checked and
//!   applied atomically with respect to every other write to the same key through the same backing
//!   store (for [`LocalStore`]: every process using the same directory on a local file system).
//! - **Read-your-writes.** After `put` returns, `get` and `list` see the new object.
//! - **Sorted listings.** [`Store::list`] returns keys in ascending bytewise order, paginated.

pub mod ext;
pub mod key;
pub mod local;
pub mod memory;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use ext::{StoreExt, UpdateError};
pub use key::{ALLOWED_CHARS, Key, MAX_KEY_LEN};
pub use local::LocalStore;
pub use memory::MemoryStore;

/// The default largest object a backend accepts: 64 MiB.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 64 * 1024 * 1024;

/// The largest page [`Store::list`] returns; larger [`ListOptions::limit`]s are clamped to it.
pub const MAX_LIST_LIMIT: usize = 1000;

/// An opaque version tag of an object's content, returned by `get` and `put`.
///
/// Compare it only for equality and pass it back in [`PutMode::Update`]; its format is backend-specific.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(String);

impl ETag {
    /// Wraps a backend's version string.
    pub fn new(tag: String) -> Self {
        ETag(tag)
    }

    /// The tag as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How [`Store::put`] treats an existing object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PutMode {
    /// Write unconditionally, creating or replacing the object.
    Overwrite,
    /// Write only if no object exists at the key; otherwise [`Error::AlreadyExists`].
    Create,
    /// Write only if the object exists and its current ETag is this one; otherwise [`Error::Precondition`].
    Update(ETag),
}

/// The outcome of [`Store::get`].
#[derive(Clone, Debug)]
pub struct GetResult {
    /// The whole content of the object.
    pub bytes: bytes::Bytes,
    /// The version of that content.
    pub etag: ETag,
}

/// The outcome of [`Store::put`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PutResult {
    /// The version of the content just written.
    pub etag: ETag,
}

/// One entry of a listing.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ObjectMeta {
    /// The object's key.
    pub key: Key,
    /// The object's size in bytes.
    pub size: u64,
    /// When the object was last written, if the backend knows.
    pub last_modified: Option<jiff::Timestamp>,
}

/// One page of a listing.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ListPage {
    /// The objects of this page, in ascending bytewise key order.
    pub objects: Vec<ObjectMeta>,
    /// Pass this as [`ListOptions::start_after`] to get the next page; `None` when there are no more pages.
    pub next_start_after: Option<Key>,
}

/// What [`Store::list`] should return.
#[derive(Clone, Copy, Debug)]
pub struct ListOptions<'a> {
    /// Only keys starting with this string. A plain string prefix: it may end mid-segment
    /// (`sessions/ab` matches `sessions/abc/x`) and may be empty (everything).
    pub prefix: &'a str,
    /// Only keys strictly greater than this one (the previous page's `next_start_after`).
    pub start_after: Option<&'a Key>,
    /// The maximum number of objects in the page, clamped to `1..=`[`MAX_LIST_LIMIT`].
    pub limit: usize,
}

impl<'a> ListOptions<'a> {
    /// The first page (of the largest size) of keys starting with `prefix`.
    pub fn new(prefix: &'a str) -> Self {
        ListOptions { prefix, start_after: None, limit: MAX_LIST_LIMIT }
    }

    /// [`Self::limit`] clamped to `1..=`[`MAX_LIST_LIMIT`], for backends.
    pub fn clamped_limit(&self) -> usize {
        self.limit.clamp(1, MAX_LIST_LIMIT)
    }
}

/// What can go wrong talking to a [`Store`].
///
/// The first three variants are the normal outcomes of conditional writes and lookups; callers are
/// expected to match on them. Messages never contain credentials.
#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// There is no object at the key.
    #[error("no object exists at key `{key}`; check the key, or create the object first")]
    NotFound {
        /// The key that was looked up.
        key: String,
    },
    /// [`PutMode::Create`] found an object already at the key.
    #[error(
        "an object already exists at key `{key}`; read it and update it, or write with overwrite if replacing is intended"
    )]
    AlreadyExists {
        /// The key that was written.
        key: String,
    },
    /// [`PutMode::Update`] found the object changed (its ETag differs) or missing.
    #[error(
        "object `{key}` was changed or deleted since it was read (its ETag no longer matches); read it again and retry"
    )]
    Precondition {
        /// The key that was written.
        key: String,
    },
    /// The key breaks the key rules (see [`Key`]).
    #[error(
        "invalid store key {key:?}: {reason}; keys are 1 to 1024 bytes of the ASCII characters `{ALLOWED_CHARS}`, in non-empty `/`-separated segments that are not `.` or `..`"
    )]
    InvalidKey {
        /// The rejected key (truncated when very long).
        key: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The key clashes with the backend's structure (for [`LocalStore`]: an object where a directory is
    /// needed, or the reverse).
    #[error("cannot store object `{key}`: {reason}")]
    Conflict {
        /// The key that was written.
        key: String,
        /// What clashes, and how to resolve it.
        reason: String,
    },
    /// The object is larger than the backend accepts.
    #[error(
        "object `{key}` is {size} bytes, larger than this store's limit of {limit} bytes; store a smaller object or split it"
    )]
    TooLarge {
        /// The key that was written.
        key: String,
        /// The object's size in bytes.
        size: u64,
        /// The backend's limit in bytes.
        limit: u64,
    },
    /// The store could not be reached, read or written (an IO or network failure).
    #[error("the store is unavailable: {message}")]
    Unavailable {
        /// What failed, with the path or endpoint involved (never secrets) and what to check.
        message: String,
    },
    /// An object's content could not be decoded (or a value could not be encoded) as JSON.
    #[error("object `{key}` is not usable: {message}; fix or delete the object")]
    Corrupt {
        /// The object's key.
        key: String,
        /// The decoding error.
        message: String,
    },
}

impl Error {
    /// An [`Error::InvalidKey`] naming at most the first 200 characters of a rejected key.
    pub(crate) fn invalid_key(key: &str, reason: impl Into<String>) -> Error {
        const SHOWN: usize = 200;
        let key = match key.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}…", &key[..cut]),
            None => key.to_owned(),
        };
        Error::InvalidKey { key, reason: reason.into() }
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A key-value object store with conditional writes: the one interface to Galley's persistence.
///
/// Implementations must pass the conformance suite (`conformance::run_all`). See the [crate documentation](crate) for the
/// guarantees every implementation gives.
#[async_trait::async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Reads a whole object.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no object at `key`; [`Error::Unavailable`] on IO failure.
    async fn get(&self, key: &Key) -> Result<GetResult>;

    /// Writes a whole object atomically, subject to `mode`, and returns the ETag of what was written.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`] ([`PutMode::Create`]), [`Error::Precondition`] ([`PutMode::Update`]),
    /// [`Error::TooLarge`], [`Error::Conflict`], [`Error::Unavailable`].
    async fn put(&self, key: &Key, bytes: bytes::Bytes, mode: PutMode) -> Result<PutResult>;

    /// Deletes an object.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no object at `key`; [`Error::Unavailable`] on IO failure.
    async fn delete(&self, key: &Key) -> Result<()>;

    /// Lists one page of the objects whose keys start with `opts.prefix` and are strictly greater than
    /// `opts.start_after`, sorted ascending bytewise.
    ///
    /// # Errors
    /// [`Error::Unavailable`] on IO failure.
    async fn list(&self, opts: ListOptions<'_>) -> Result<ListPage>;

    /// A human-readable location of the store (`file:///abs/path`, `memory://`), without secrets.
    fn describe(&self) -> String;
}

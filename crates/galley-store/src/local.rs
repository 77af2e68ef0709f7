//! [`LocalStore`]: objects as files in a directory on the local file system (the embedded default).
//!
//! # Layout
//! The object at key `a/b/c.json` is the file `<root>/a/b/c.json`. Backend-internal files all contain a
//! `~`, which keys cannot contain: lock stripes live in `<root>/~locks/<n>`, and writes go through
//! temporary files named `<name>~tmp~<uuid>` next to their target. Listings skip every name with a `~`.
//!
//! # Guarantees
//! - **Atomic, durable writes.** A write goes to a temporary file in the target's directory, which is
//!   flushed to disk (`fsync`) and then renamed over the target; the directory is then flushed too. A
//!   reader, or a restart after a crash, sees the whole old object or the whole new one, never a partial
//!   file. A crash can leave a temporary file behind; it is invisible to `get` and `list`, and
//!   [`LocalStore::open`] removes those older than an hour.
//! - **Linearizable conditional writes, across threads and processes.** Every write and delete holds an
//!   exclusive `flock`-style lock ([`std::fs::File::lock`]) on one of 64 lock files chosen by hashing the
//!   key, while it checks the [`PutMode`] and replaces the file. Each operation opens its own file
//!   descriptor, so the lock excludes other threads of this process as well as other processes (other
//!   Galley replicas, a CLI) that use the same directory.
//! - **Lock-free reads.** `get` reads the file (a rename replaces it atomically); the ETag is the first 32
//!   hex digits of the SHA-256 of the content, so it changes exactly when the content does.
//!
//! # Not supported
//! - Network file systems whose `flock` is not shared between clients (NFS, SMB, some FUSE mounts): two
//!   machines sharing such a directory can lose updates. Use the OCI Object Storage backend instead.
//! - An object and a "folder" of the same name (`a` and `a/b`), which an object store would allow: the
//!   second write fails with [`Error::Conflict`].
//! - Segments longer than 255 bytes (a file-system limit): [`Error::InvalidKey`].
//!
//! Blocking file-system calls run on tokio's blocking thread pool, so a running tokio runtime is required.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::{
    DEFAULT_MAX_OBJECT_SIZE, ETag, Error, GetResult, Key, ListOptions, ListPage, ObjectMeta, PutMode,
    PutResult, Result, Store,
};

/// The directory (under the root) of the lock stripes.
const LOCK_DIR: &str = "~locks";
/// How many lock files writes are spread over.
const LOCK_STRIPES: u64 = 64;
/// The marker in the names of temporary files.
const TMP_MARKER: &str = "~tmp~";
/// Temporary files older than this are left over from a crash, and removed by [`LocalStore::open`].
const STALE_TMP_AGE: Duration = Duration::from_secs(60 * 60);
/// The longest file name most local file systems accept.
const MAX_SEGMENT_LEN: usize = 255;
/// How much of an object's name is kept in its temporary file's name (which must stay under 255 bytes).
const TMP_NAME_KEEP: usize = 200;

/// A [`Store`] in a local directory. See the [module documentation](self) for layout and guarantees.
///
/// Cheap to clone: clones share the same root and settings.
#[derive(Clone, Debug)]
pub struct LocalStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    max_object_size: u64,
}

impl LocalStore {
    /// Opens the store in directory `root`, creating it if missing.
    ///
    /// Checks that `root` is a writable directory, and removes (best effort) temporary files older than an
    /// hour left by crashed writers. Objects up to [`DEFAULT_MAX_OBJECT_SIZE`] are accepted.
    ///
    /// This does blocking IO; call it at startup (or in `spawn_blocking`).
    ///
    /// # Errors
    /// [`Error::Unavailable`] naming the path when it cannot be created, is not a directory, or is not
    /// writable.
    pub fn open(root: impl Into<PathBuf>) -> Result<LocalStore> {
        let root: PathBuf = root.into();
        fs::create_dir_all(&root).map_err(|err| {
            unavailable(format!(
                "cannot create the store directory {} ({err}); check the path and its permissions",
                root.display()
            ))
        })?;
        let root = fs::canonicalize(&root).map_err(|err| {
            unavailable(format!("cannot resolve the store directory {} ({err})", root.display()))
        })?;
        let metadata = fs::metadata(&root).map_err(|err| {
            unavailable(format!("cannot inspect the store directory {} ({err})", root.display()))
        })?;
        if !metadata.is_dir() {
            return Err(unavailable(format!(
                "the store path {} is not a directory; point the store at a directory",
                root.display()
            )));
        }
        check_writable(&root)?;
        remove_stale_temp_files(&root);
        tracing::debug!(root = %root.display(), "opened local store");
        Ok(LocalStore { inner: Arc::new(Inner { root, max_object_size: DEFAULT_MAX_OBJECT_SIZE }) })
    }

    /// The same store, rejecting objects larger than `bytes` with [`Error::TooLarge`].
    #[must_use]
    pub fn with_max_object_size(self, bytes: u64) -> Self {
        LocalStore { inner: Arc::new(Inner { root: self.inner.root.clone(), max_object_size: bytes }) }
    }

    /// The absolute, canonical root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Runs `op` on the blocking thread pool.
    async fn blocking<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || op(&inner))
            .await
            .map_err(|err| unavailable(format!("a local store task failed ({err})")))?
    }
}

#[async_trait::async_trait]
impl Store for LocalStore {
    async fn get(&self, key: &Key) -> Result<GetResult> {
        let key = key.clone();
        self.blocking(move |inner| inner.get(&key)).await
    }

    async fn put(&self, key: &Key, bytes: Bytes, mode: PutMode) -> Result<PutResult> {
        let size = bytes.len() as u64;
        if size > self.inner.max_object_size {
            return Err(Error::TooLarge { key: key.to_string(), size, limit: self.inner.max_object_size });
        }
        let key = key.clone();
        self.blocking(move |inner| inner.put(&key, &bytes, &mode)).await
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        let key = key.clone();
        self.blocking(move |inner| inner.delete(&key)).await
    }

    async fn list(&self, opts: ListOptions<'_>) -> Result<ListPage> {
        let prefix = opts.prefix.to_owned();
        let start_after = opts.start_after.map(|key| key.as_str().to_owned());
        let limit = opts.clamped_limit();
        self.blocking(move |inner| inner.list(&prefix, start_after.as_deref(), limit)).await
    }

    fn describe(&self) -> String {
        format!("file://{}", self.inner.root.display())
    }
}

impl Inner {
    /// The file of `key`, after checking that the local file system can name it.
    fn object_path(&self, key: &Key) -> Result<PathBuf> {
        let mut path = self.root.clone();
        for segment in key.segments() {
            if segment.len() > MAX_SEGMENT_LEN {
                return Err(Error::invalid_key(
                    key.as_str(),
                    format!(
                        "a segment is {} bytes long, and the local store accepts at most {MAX_SEGMENT_LEN} bytes per segment",
                        segment.len()
                    ),
                ));
            }
            path.push(segment);
        }
        Ok(path)
    }

    fn get(&self, key: &Key) -> Result<GetResult> {
        let path = self.object_path(key)?;
        match fs::read(&path) {
            Ok(data) => Ok(GetResult { etag: etag_of(&data), bytes: Bytes::from(data) }),
            Err(err) if is_absent(&err) => Err(Error::NotFound { key: key.to_string() }),
            Err(err) => Err(io_unavailable("read", &path, &err)),
        }
    }

    fn put(&self, key: &Key, bytes: &[u8], mode: &PutMode) -> Result<PutResult> {
        let path = self.object_path(key)?;
        let _lock = self.lock(key)?;
        let exists = match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => return Err(is_a_directory(key)),
            Ok(_) => true,
            Err(err) if is_absent(&err) => false,
            Err(err) => return Err(io_unavailable("inspect", &path, &err)),
        };
        match mode {
            PutMode::Overwrite => {}
            PutMode::Create if exists => return Err(Error::AlreadyExists { key: key.to_string() }),
            PutMode::Create => {}
            PutMode::Update(_) if !exists => return Err(Error::Precondition { key: key.to_string() }),
            PutMode::Update(expected) => match fs::read(&path) {
                Ok(data) if etag_of(&data) == *expected => {}
                Ok(_) => return Err(Error::Precondition { key: key.to_string() }),
                Err(err) if is_absent(&err) => return Err(Error::Precondition { key: key.to_string() }),
                Err(err) => return Err(io_unavailable("read", &path, &err)),
            },
        }
        self.create_parent_dirs(key)?;
        write_atomically(key, &path, bytes)?;
        Ok(PutResult { etag: etag_of(bytes) })
    }

    fn delete(&self, key: &Key) -> Result<()> {
        let path = self.object_path(key)?;
        let _lock = self.lock(key)?;
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => return Err(Error::NotFound { key: key.to_string() }),
            Ok(_) => {}
            Err(err) if is_absent(&err) => return Err(Error::NotFound { key: key.to_string() }),
            Err(err) => return Err(io_unavailable("inspect", &path, &err)),
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if is_absent(&err) => return Err(Error::NotFound { key: key.to_string() }),
            Err(err) => return Err(io_unavailable("delete", &path, &err)),
        }
        match path.parent() {
            Some(dir) => sync_dir(dir),
            None => Ok(()),
        }
    }

    fn list(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<ListPage> {
        // Only the directory named by the prefix's complete segments can hold matching keys.
        let (dir_key, base) = match prefix.rfind('/') {
            Some(at) => (&prefix[..at], &prefix[..=at]),
            None => ("", ""),
        };
        let mut dir = self.root.clone();
        if !dir_key.is_empty() {
            if Key::new(dir_key).is_err() {
                // No valid key can start with this prefix.
                return Ok(ListPage::default());
            }
            dir.extend(dir_key.split('/'));
        }
        let mut walk = Walk { prefix, start_after, want: limit + 1, found: Vec::new() };
        walk.dir(&dir, base)?;
        let mut objects = walk.found;
        let more = objects.len() > limit;
        objects.truncate(limit);
        let next_start_after = if more { objects.last().map(|meta| meta.key.clone()) } else { None };
        Ok(ListPage { objects, next_start_after })
    }

    /// Takes the exclusive lock of `key`'s stripe; it is released when the returned file is dropped.
    fn lock(&self, key: &Key) -> Result<File> {
        let digest = Sha256::digest(key.as_str().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let stripe = u64::from_be_bytes(first) % LOCK_STRIPES;
        let path = self.root.join(LOCK_DIR).join(stripe.to_string());
        let open = || OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path);
        let file = match open() {
            Err(err) if err.kind() == ErrorKind::NotFound => {
                // The lock directory was removed while the store was open: recreate it.
                fs::create_dir_all(self.root.join(LOCK_DIR))
                    .map_err(|err| io_unavailable("create", &self.root.join(LOCK_DIR), &err))?;
                open()
            }
            other => other,
        }
        .map_err(|err| io_unavailable("open the lock file", &path, &err))?;
        file.lock().map_err(|err| io_unavailable("lock", &path, &err))?;
        Ok(file)
    }

    /// Creates the directories above `key`'s file, failing with [`Error::Conflict`] where an object is.
    fn create_parent_dirs(&self, key: &Key) -> Result<()> {
        let segments: Vec<&str> = key.segments().collect();
        let mut dir = self.root.clone();
        for (depth, segment) in segments.iter().enumerate().take(segments.len().saturating_sub(1)) {
            dir.push(segment);
            match fs::metadata(&dir) {
                Ok(meta) if meta.is_dir() => continue,
                Ok(_) => return Err(object_in_the_way(key, &segments[..=depth])),
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => return Err(io_unavailable("inspect", &dir, &err)),
            }
            match fs::create_dir(&dir) {
                Ok(()) => {
                    if let Some(parent) = dir.parent() {
                        sync_dir(parent)?;
                    }
                }
                // Another writer (of another key) created it meanwhile.
                Err(err) if err.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                    return Err(object_in_the_way(key, &segments[..=depth]));
                }
                Err(err) => return Err(io_unavailable("create the directory", &dir, &err)),
            }
        }
        Ok(())
    }
}

/// An in-order walk of a directory tree collecting the keys of a listing.
struct Walk<'a> {
    prefix: &'a str,
    start_after: Option<&'a str>,
    /// Stop once this many objects are found.
    want: usize,
    found: Vec<ObjectMeta>,
}

impl Walk<'_> {
    /// Visits `dir`, whose entries have keys starting with `base` (empty or ending with `/`).
    ///
    /// Entries are visited in the order of their keys: a directory `d` sorts as `d/`, since every key
    /// below it starts with that, so visiting siblings sorted that way yields keys in bytewise order.
    fn dir(&mut self, dir: &Path, base: &str) -> Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if is_absent(&err) => return Ok(()),
            Err(err) => return Err(io_unavailable("list", dir, &err)),
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|err| io_unavailable("list", dir, &err))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.contains('~') || !crate::key::is_valid_segment(&name) {
                continue;
            }
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(err) if is_absent(&err) => continue,
                Err(err) => return Err(io_unavailable("inspect", &entry.path(), &err)),
            };
            if file_type.is_dir() {
                children.push((format!("{base}{name}/"), true));
            } else if file_type.is_file() {
                children.push((format!("{base}{name}"), false));
            }
        }
        children.sort_unstable();
        for (key, is_dir) in children {
            if self.found.len() >= self.want {
                break;
            }
            let name = key[base.len()..].trim_end_matches('/');
            if is_dir {
                let could_match = key.starts_with(self.prefix) || self.prefix.starts_with(key.as_str());
                // Every key below sorts after `key`; if `start_after` is past `key` without being below
                // it, every key below is before `start_after`.
                let all_before =
                    self.start_after.is_some_and(|after| after > key.as_str() && !after.starts_with(&key));
                if could_match && !all_before {
                    self.dir(&dir.join(name), &key)?;
                }
                continue;
            }
            if !key.starts_with(self.prefix) || self.start_after.is_some_and(|after| key.as_str() <= after) {
                continue;
            }
            let path = dir.join(name);
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(err) if is_absent(&err) => continue, // deleted since read_dir
                Err(err) => return Err(io_unavailable("inspect", &path, &err)),
            };
            let Ok(key) = Key::new(key) else { continue };
            let last_modified = meta.modified().ok().and_then(|time| jiff::Timestamp::try_from(time).ok());
            self.found.push(ObjectMeta { key, size: meta.len(), last_modified });
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a flushed temporary file renamed over it, then flushes the directory.
fn write_atomically(key: &Key, path: &Path, bytes: &[u8]) -> Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|name| name.to_str())) else {
        return Err(unavailable(format!("{} has no parent directory", path.display())));
    };
    let kept = &name[..name.len().min(TMP_NAME_KEEP)];
    let tmp = dir.join(format!("{kept}{TMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
    let written = (|| -> std::result::Result<(), (&'static str, io::Error)> {
        let mut file =
            OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(|e| ("create", e))?;
        file.write_all(bytes).map_err(|e| ("write", e))?;
        file.sync_all().map_err(|e| ("flush", e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| ("rename", e))
    })();
    if let Err((op, err)) = written {
        if let Err(cleanup) = fs::remove_file(&tmp)
            && cleanup.kind() != ErrorKind::NotFound
        {
            tracing::warn!(path = %tmp.display(), error = %cleanup, "could not remove a temporary file");
        }
        if op == "rename" && err.kind() == ErrorKind::IsADirectory {
            return Err(is_a_directory(key));
        }
        return Err(io_unavailable(op, if op == "rename" { path } else { &tmp }, &err));
    }
    sync_dir(dir)
}

/// Flushes a directory's entries (new, renamed or removed files) to disk.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|handle| handle.sync_all())
            .map_err(|err| io_unavailable("flush the directory", dir, &err))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The content-addressed ETag: the first 32 hex digits of the SHA-256 of `bytes`.
fn etag_of(bytes: &[u8]) -> ETag {
    let mut tag = hex::encode(Sha256::digest(bytes));
    tag.truncate(32);
    ETag::new(tag)
}

/// Whether an IO error means "there is no file here" (including "a parent is a file", "this is a directory").
fn is_absent(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory)
}

fn unavailable(message: String) -> Error {
    Error::Unavailable { message }
}

fn io_unavailable(op: &str, path: &Path, err: &io::Error) -> Error {
    unavailable(format!(
        "cannot {op} {} ({err}); check that the store directory exists, is writable and the disk is not full",
        path.display()
    ))
}

fn is_a_directory(key: &Key) -> Error {
    Error::Conflict {
        key: key.to_string(),
        reason: format!(
            "the local store has a directory at this path, because other objects have keys starting with `{key}/`; \
             an object and a prefix of the same name cannot coexist here, so choose another key or delete those objects"
        ),
    }
}

fn object_in_the_way(key: &Key, prefix: &[&str]) -> Error {
    let prefix = prefix.join("/");
    Error::Conflict {
        key: key.to_string(),
        reason: format!(
            "`{prefix}` is an object, and the local store cannot also use it as a directory (prefix `{prefix}/`); \
             choose another key or delete `{prefix}`"
        ),
    }
}

/// Fails unless a file can be created (and removed) in `root`, and the lock directory exists.
fn check_writable(root: &Path) -> Result<()> {
    let locks = root.join(LOCK_DIR);
    fs::create_dir_all(&locks).map_err(|err| {
        unavailable(format!(
            "the store directory {} is not writable: cannot create {} ({err}); fix its permissions or choose another directory",
            root.display(),
            locks.display()
        ))
    })?;
    let probe = root.join(format!(".probe{TMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
    OpenOptions::new().write(true).create_new(true).open(&probe).map_err(|err| {
        unavailable(format!(
            "the store directory {} is not writable: cannot create {} ({err}); fix its permissions or choose another directory",
            root.display(),
            probe.display()
        ))
    })?;
    if let Err(err) = fs::remove_file(&probe) {
        tracing::warn!(path = %probe.display(), error = %err, "could not remove the write probe");
    }
    Ok(())
}

/// Removes temporary files older than [`STALE_TMP_AGE`] anywhere under `root`, ignoring errors.
fn remove_stale_temp_files(root: &Path) {
    let now = SystemTime::now();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(file_type) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if file_type.is_dir() {
                if name != LOCK_DIR {
                    pending.push(entry.path());
                }
                continue;
            }
            if !file_type.is_file() || !name.contains(TMP_MARKER) {
                continue;
            }
            let age = entry
                .metadata()
                .ok()
                .and_then(|meta| meta.modified().ok())
                .and_then(|t| now.duration_since(t).ok());
            if age.is_some_and(|age| age > STALE_TMP_AGE) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => {
                        tracing::info!(path = %entry.path().display(), "removed a stale temporary file")
                    }
                    Err(err) => {
                        tracing::debug!(path = %entry.path().display(), error = %err, "cannot remove a stale temporary file");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The emulator's state: configuration (namespace, trusted keys, clock), the Object Storage data, kept in
//! memory and, with a data directory, written through to disk (each write a temp file + fsync + rename, so a
//! crash never leaves a half-written object), and the Resource Manager data (in memory only).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::auth::{ClockCheck, Keys};
use crate::error::SetupError;
use crate::resourcemanager::model::RmData;

/// The emulator's clock: the system clock, or a fixed instant (tests replaying signed vectors).
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Self::System => Timestamp::now(),
            Self::Fixed(ts) => *ts,
        }
    }
}

/// How to build an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Object Storage namespace (`GET /n/` answers it).
    pub namespace: String,
    /// The keys requests may be signed with.
    pub keys: Keys,
    pub clock: Clock,
    /// The largest accepted distance between a request's date and the clock; `None` turns the check off.
    pub max_skew: Option<SignedDuration>,
    /// The largest request body read (bigger ones get 413).
    pub max_body_bytes: usize,
    /// Keep Object Storage data in this directory (created if missing); `None` keeps it in memory only.
    pub data_dir: Option<PathBuf>,
    /// Buckets that exist from the start (created in `compartment_id` unless already there).
    pub buckets: Vec<String>,
    /// The compartment pre-created buckets are put in.
    pub compartment_id: String,
    /// How Resource Manager jobs run terraform.
    pub resource_manager: crate::resourcemanager::Settings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            namespace: "galleyemu".to_string(),
            keys: Keys::default(),
            clock: Clock::System,
            max_skew: Some(SignedDuration::from_mins(5)),
            max_body_bytes: 64 * 1024 * 1024,
            data_dir: None,
            buckets: Vec::new(),
            compartment_id: "ocid1.compartment.oc1..galleyemulator".to_string(),
            resource_manager: crate::resourcemanager::Settings::default(),
        }
    }
}

/// The shared state handed to every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    namespace: String,
    keys: Keys,
    clock: Clock,
    max_skew: Option<SignedDuration>,
    max_body_bytes: usize,
    compartment_id: String,
    buckets: Mutex<BTreeMap<String, Bucket>>,
    disk: Option<Disk>,
    rm: Mutex<RmData>,
    rm_settings: crate::resourcemanager::Settings,
    pars: Mutex<BTreeMap<String, Par>>,
}

/// A pre-authenticated request (`ObjectRead` of one object), by its secret token.
#[derive(Clone, Debug)]
pub struct Par {
    /// The bucket.
    pub bucket: String,
    /// The object.
    pub object: String,
    /// When it stops working.
    pub expires: Timestamp,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("namespace", &self.0.namespace)
            .field("api_keys", &self.0.keys.api_key_count())
            .field("resource_principal", &self.0.keys.has_resource_principal())
            .field("data_dir", &self.0.disk.as_ref().map(|d| &d.root))
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state: loads the data directory (if any) and creates the pre-configured buckets.
    pub fn new(config: Config) -> Result<Self, SetupError> {
        let disk = config.data_dir.map(Disk::open).transpose()?;
        let mut buckets = match &disk {
            Some(disk) => disk.load()?,
            None => BTreeMap::new(),
        };
        for name in &config.buckets {
            if !valid_bucket_name(name) {
                return Err(SetupError::BadBucketName(name.clone()));
            }
            if !buckets.contains_key(name) {
                let bucket = Bucket::new(
                    &config.namespace,
                    name,
                    &config.compartment_id,
                    "ocid1.user.oc1..galleyemulator",
                    config.clock.now(),
                    BTreeMap::new(),
                );
                if let Some(disk) = &disk {
                    disk.save_bucket(&bucket.info)?;
                }
                buckets.insert(name.clone(), bucket);
            }
        }
        Ok(Self(Arc::new(Inner {
            namespace: config.namespace,
            keys: config.keys,
            clock: config.clock,
            max_skew: config.max_skew,
            max_body_bytes: config.max_body_bytes,
            compartment_id: config.compartment_id,
            buckets: Mutex::new(buckets),
            disk,
            rm: Mutex::new(RmData::default()),
            rm_settings: config.resource_manager,
            pars: Mutex::new(BTreeMap::new()),
        })))
    }

    pub fn namespace(&self) -> &str {
        &self.0.namespace
    }

    pub fn keys(&self) -> &Keys {
        &self.0.keys
    }

    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    pub fn default_compartment_id(&self) -> &str {
        &self.0.compartment_id
    }

    /// The date check signature verification applies, if any.
    pub fn clock_check(&self) -> Option<ClockCheck> {
        self.0.max_skew.map(|max_skew| ClockCheck { now: self.now(), max_skew })
    }

    pub fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    /// Locks the Object Storage data. A poisoned lock is taken over: every mutation leaves the map consistent
    /// (each is a single insert or remove), so a panic elsewhere cannot have left it half-changed.
    pub fn buckets(&self) -> MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.0.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Locks the Resource Manager data (stacks, jobs, logs). Poisoning is taken over as for [`Self::buckets`]:
    /// handlers change it in single steps under the lock.
    pub fn rm(&self) -> MutexGuard<'_, RmData> {
        self.0.rm.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Locks the pre-authenticated requests (in memory only: they do not survive a restart).
    pub fn pars(&self) -> MutexGuard<'_, BTreeMap<String, Par>> {
        self.0.pars.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How Resource Manager jobs run terraform.
    pub fn rm_settings(&self) -> &crate::resourcemanager::Settings {
        &self.0.rm_settings
    }

    /// The write-through store, when a data directory is configured.
    pub fn disk(&self) -> Option<&Disk> {
        self.0.disk.as_ref()
    }
}

/// OCI bucket names: 1-256 letters, digits, `-`, `_`, `.` (and not `.`/`..`, which would be paths on disk).
pub fn valid_bucket_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A fresh opaque identifier (ETags, version ids): OCI's are UUID-shaped and change on every write.
pub fn new_etag() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What a bucket is, apart from its objects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketInfo {
    pub namespace: String,
    pub name: String,
    pub id: String,
    pub compartment_id: String,
    pub created_by: String,
    pub time_created: Timestamp,
    pub etag: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub info: BucketInfo,
    pub objects: BTreeMap<String, Object>,
}

impl Bucket {
    pub fn new(
        namespace: &str,
        name: &str,
        compartment_id: &str,
        created_by: &str,
        now: Timestamp,
        metadata: BTreeMap<String, String>,
    ) -> Self {
        let id = format!("ocid1.bucket.oc1..emu{}", uuid::Uuid::new_v4().simple());
        Self {
            info: BucketInfo {
                namespace: namespace.to_string(),
                name: name.to_string(),
                id,
                compartment_id: compartment_id.to_string(),
                created_by: created_by.to_string(),
                time_created: now,
                etag: new_etag(),
                metadata,
            },
            objects: BTreeMap::new(),
        }
    }
}

/// An object's metadata (everything but the bytes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub name: String,
    pub etag: String,
    pub version_id: String,
    /// base64 MD5 of the content.
    pub md5: String,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `opc-meta-*` headers, names without the prefix, lowercase.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub time_created: Timestamp,
    pub time_modified: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub meta: ObjectMeta,
    pub data: Bytes,
}

/// A failure of the data directory while serving (becomes a 500).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct DiskError {
    path: PathBuf,
    source: std::io::Error,
}

impl From<DiskError> for SetupError {
    fn from(e: DiskError) -> Self {
        SetupError::DataDir { path: e.path, source: e.source }
    }
}

/// The data directory: `buckets/<bucket>/bucket.json` and `buckets/<bucket>/objects/<sha256(name)>`, each object
/// file being one line of JSON metadata, a newline, then the content.
#[derive(Debug)]
pub struct Disk {
    root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DiskError + '_ {
    move |source| DiskError { path: path.to_path_buf(), source }
}

impl Disk {
    fn open(root: PathBuf) -> Result<Self, SetupError> {
        std::fs::create_dir_all(root.join("buckets"))
            .map_err(|source| SetupError::DataDir { path: root.clone(), source })?;
        Ok(Self { root })
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    fn object_path(&self, bucket: &str, name: &str) -> PathBuf {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
        let file: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        self.bucket_dir(bucket).join("objects").join(file)
    }

    /// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync the directory.
    fn write_atomic(path: &Path, parts: &[&[u8]]) -> Result<(), DiskError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            for part in parts {
                file.write_all(part)?;
            }
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io_err(path))
    }

    pub fn save_bucket(&self, info: &BucketInfo) -> Result<(), DiskError> {
        let path = self.bucket_dir(&info.name).join("bucket.json");
        let json = serde_json::to_vec_pretty(info)
            .map_err(|e| DiskError { path: path.clone(), source: std::io::Error::other(e) })?;
        Self::write_atomic(&path, &[&json])
    }

    pub fn delete_bucket(&self, name: &str) -> Result<(), DiskError> {
        let dir = self.bucket_dir(name);
        std::fs::remove_dir_all(&dir).map_err(io_err(&dir))
    }

    pub fn save_object(&self, bucket: &str, object: &Object) -> Result<(), DiskError> {
        let path = self.object_path(bucket, &object.meta.name);
        let meta = serde_json::to_vec(&object.meta)
            .map_err(|e| DiskError { path: path.clone(), source: std::io::Error::other(e) })?;
        Self::write_atomic(&path, &[&meta, b"\n", &object.data])
    }

    pub fn delete_object(&self, bucket: &str, name: &str) -> Result<(), DiskError> {
        let path = self.object_path(bucket, name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&path)(e)),
            _ => Ok(()),
        }
    }

    fn load(&self) -> Result<BTreeMap<String, Bucket>, SetupError> {
        let setup = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SetupError::DataDir { path, source }
        };
        let corrupt = |path: &Path, reason: String| SetupError::Corrupt { path: path.to_path_buf(), reason };
        let mut buckets = BTreeMap::new();
        let root = self.root.join("buckets");
        for entry in std::fs::read_dir(&root).map_err(setup(&root))? {
            let dir = entry.map_err(setup(&root))?.path();
            let info_path = dir.join("bucket.json");
            if !info_path.is_file() {
                continue;
            }
            let raw = std::fs::read(&info_path).map_err(setup(&info_path))?;
            let info: BucketInfo =
                serde_json::from_slice(&raw).map_err(|e| corrupt(&info_path, e.to_string()))?;
            let mut objects = BTreeMap::new();
            let objects_dir = dir.join("objects");
            if objects_dir.is_dir() {
                for entry in std::fs::read_dir(&objects_dir).map_err(setup(&objects_dir))? {
                    let path = entry.map_err(setup(&objects_dir))?.path();
                    let is_tmp =
                        path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(".tmp-"));
                    if is_tmp {
                        // A write interrupted before its rename: never visible, safe to drop.
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    let raw = std::fs::read(&path).map_err(setup(&path))?;
                    let split = raw
                        .iter()
                        .position(|b| *b == b'\n')
                        .ok_or_else(|| corrupt(&path, "no metadata line".into()))?;
                    let meta: ObjectMeta =
                        serde_json::from_slice(&raw[..split]).map_err(|e| corrupt(&path, e.to_string()))?;
                    let data = Bytes::copy_from_slice(&raw[split + 1..]);
                    objects.insert(meta.name.clone(), Object { meta, data });
                }
            }
            buckets.insert(info.name.clone(), Bucket { info, objects });
        }
        Ok(buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["a", "galley-state", "a.b_c-1", &"x".repeat(256)] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "é", &"x".repeat(257)] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn data_dir_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: Some(dir.path().to_path_buf()),
            buckets: vec!["b1".into()],
            ..Config::default()
        };
        let state = AppState::new(config.clone()).unwrap();
        let now = state.now();
        let object = Object {
            meta: ObjectMeta {
                name: "a/b\nc.json".into(),
                etag: new_etag(),
                version_id: new_etag(),
                md5: "x".into(),
                content_type: "application/json".into(),
                content_encoding: None,
                content_language: None,
                content_disposition: None,
                cache_control: None,
                metadata: BTreeMap::from([("k".into(), "v".into())]),
                time_created: now,
                time_modified: now,
            },
            data: Bytes::from_static(b"{\"x\":\n1}"),
        };
        state.disk().unwrap().save_object("b1", &object).unwrap();
        let reopened = AppState::new(config).unwrap();
        let buckets = reopened.buckets();
        let loaded = &buckets["b1"].objects["a/b\nc.json"];
        assert_eq!(loaded.data, object.data);
        assert_eq!(loaded.meta.etag, object.meta.etag);
        assert_eq!(loaded.meta.metadata["k"], "v");
    }
}

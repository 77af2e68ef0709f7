use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::{StoreExt, conformance};

fn key(s: &str) -> Key {
    Key::new(s).unwrap()
}

fn open_temp() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    (dir, store)
}

/// Every file under `root` whose name contains `~tmp~`.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else if entry.file_name().to_string_lossy().contains(TMP_MARKER) {
                found.push(entry.path());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_store_conforms() {
    let (_dir, store) = open_temp();
    conformance::run_all(Arc::new(store)).await;
}

#[tokio::test]
async fn objects_are_plain_files_at_their_key() {
    let (dir, store) = open_temp();
    store.put(&key("a/b/c.json"), Bytes::from_static(b"{}"), PutMode::Create).await.unwrap();
    let path = dir.path().join("a").join("b").join("c.json");
    assert_eq!(fs::read(path).unwrap(), b"{}");
    let root = fs::canonicalize(dir.path()).unwrap();
    assert_eq!(store.root(), root);
    assert_eq!(store.describe(), format!("file://{}", root.display()));
}

#[tokio::test]
async fn etag_is_a_content_hash() {
    let (_dir, store) = open_temp();
    let put = store.put(&key("empty"), Bytes::new(), PutMode::Create).await.unwrap();
    // SHA-256 of the empty string, first 32 hex digits.
    assert_eq!(put.etag.as_str(), "e3b0c44298fc1c149afbf4c8996fb924");
    let other = store.put(&key("other/empty"), Bytes::new(), PutMode::Create).await.unwrap();
    assert_eq!(other.etag, put.etag);
}

#[tokio::test]
async fn puts_leave_no_temp_files() {
    let (dir, store) = open_temp();
    for i in 0..20 {
        let k = key(&format!("d{}/x{i}.json", i % 3));
        store.put(&k, Bytes::from(vec![7u8; i * 100]), PutMode::Overwrite).await.unwrap();
        store.put(&k, Bytes::from_static(b"again"), PutMode::Overwrite).await.unwrap();
    }
    // Failed conditional writes leave nothing behind either.
    let k = key("d0/x0.json");
    store.put(&k, Bytes::from_static(b"x"), PutMode::Create).await.unwrap_err();
    store.put(&k, Bytes::from_static(b"x"), PutMode::Update(ETag::new("stale".into()))).await.unwrap_err();
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn temp_files_are_invisible_and_stale_ones_removed_at_open() {
    let (dir, store) = open_temp();
    store.put(&key("s/doc.json"), Bytes::from_static(b"{}"), PutMode::Create).await.unwrap();
    let stale = dir.path().join("s").join("doc.json~tmp~0123456789abcdef");
    let fresh = dir.path().join("s").join("new.json~tmp~fedcba9876543210");
    fs::write(&stale, b"partial").unwrap();
    fs::write(&fresh, b"partial").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
    fs::File::options().write(true).open(&stale).unwrap().set_modified(two_hours_ago).unwrap();

    let listed = store.list_all("").await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|meta| meta.key.as_str()).collect();
    assert_eq!(keys, ["s/doc.json"]);
    assert!(matches!(store.get(&key("s/new.json")).await, Err(Error::NotFound { .. })));
    assert_eq!(&store.get(&key("s/doc.json")).await.unwrap().bytes[..], b"{}");

    let _reopened = LocalStore::open(dir.path()).unwrap();
    assert!(!stale.exists(), "a stale temp file survived open");
    assert!(fresh.exists(), "a recent temp file (maybe a write in progress) was removed");
}

#[tokio::test]
async fn internal_and_foreign_files_are_not_listed() {
    let (dir, store) = open_temp();
    store.put(&key("ok.txt"), Bytes::from_static(b"1"), PutMode::Create).await.unwrap();
    fs::write(dir.path().join("has space.txt"), b"x").unwrap();
    fs::write(dir.path().join("tilde~file"), b"x").unwrap();
    fs::create_dir(dir.path().join("bad dir")).unwrap();
    fs::write(dir.path().join("bad dir").join("x"), b"x").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("ok.txt"), dir.path().join("link")).unwrap();
    let listed = store.list_all("").await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|meta| meta.key.as_str()).collect();
    assert_eq!(keys, ["ok.txt"]);
    // Files written by other tools under valid names are objects.
    fs::write(dir.path().join("dropped.json"), b"[]").unwrap();
    let (value, _) = store.get_json::<Vec<u8>>(&key("dropped.json")).await.unwrap();
    assert!(value.is_empty());
}

#[tokio::test]
async fn list_prefix_cannot_escape_the_root() {
    let parent = tempfile::tempdir().unwrap();
    fs::write(parent.path().join("outside.txt"), b"secret").unwrap();
    let store = LocalStore::open(parent.path().join("store")).unwrap();
    store.put(&key("inside.txt"), Bytes::from_static(b"1"), PutMode::Create).await.unwrap();
    for prefix in ["../", "../outside", "/", "/etc/", "./", "a/../", "~locks/", "~locks"] {
        let page = store.list(ListOptions::new(prefix)).await.unwrap();
        assert!(page.objects.is_empty(), "prefix {prefix:?} listed {:?}", page.objects);
    }
}

#[tokio::test]
async fn object_and_prefix_of_the_same_name_conflict() {
    let (_dir, store) = open_temp();
    store.put(&key("a/b"), Bytes::from_static(b"file"), PutMode::Create).await.unwrap();
    let err = store.put(&key("a/b/c"), Bytes::from_static(b"x"), PutMode::Overwrite).await.unwrap_err();
    match &err {
        Error::Conflict { key, reason } => {
            assert_eq!(key, "a/b/c");
            assert!(reason.contains("`a/b` is an object"), "{reason}");
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(err.to_string().contains("a/b/c"), "{err}");

    let err = store.put(&key("a"), Bytes::from_static(b"x"), PutMode::Overwrite).await.unwrap_err();
    assert!(matches!(&err, Error::Conflict { reason, .. } if reason.contains("`a/`")), "{err:?}");
    // Reads and deletes of such keys are simply not found.
    assert!(matches!(store.get(&key("a")).await, Err(Error::NotFound { .. })));
    assert!(matches!(store.get(&key("a/b/c")).await, Err(Error::NotFound { .. })));
    assert!(matches!(store.delete(&key("a")).await, Err(Error::NotFound { .. })));
    assert!(matches!(store.delete(&key("a/b/c")).await, Err(Error::NotFound { .. })));
    assert_eq!(&store.get(&key("a/b")).await.unwrap().bytes[..], b"file");
}

#[tokio::test]
async fn corrupt_json_is_reported_with_the_key() {
    let (dir, store) = open_temp();
    fs::create_dir_all(dir.path().join("sessions/s1")).unwrap();
    fs::write(dir.path().join("sessions/s1/session.json"), b"{\"truncated\": ").unwrap();
    let err = store.get_json::<serde_json::Value>(&key("sessions/s1/session.json")).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("sessions/s1/session.json"), "{err}");
}

#[tokio::test]
async fn too_large_objects_are_rejected() {
    let (_dir, store) = open_temp();
    let store = store.with_max_object_size(8);
    store.put(&key("k"), Bytes::from_static(b"12345678"), PutMode::Create).await.unwrap();
    let err = store.put(&key("k"), Bytes::from_static(b"123456789"), PutMode::Overwrite).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { size: 9, limit: 8, .. }), "{err:?}");
    assert_eq!(&store.get(&key("k")).await.unwrap().bytes[..], b"12345678");
}

#[tokio::test]
async fn overlong_segments_are_invalid_keys() {
    let (_dir, store) = open_temp();
    let long = key(&format!("d/{}", "x".repeat(256)));
    let err = store.put(&long, Bytes::new(), PutMode::Create).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidKey { reason, .. } if reason.contains("255")), "{err:?}");
    // The longest allowed segment works, temporary file name included.
    let longest = key(&format!("d/{}", "x".repeat(255)));
    store.put(&longest, Bytes::from_static(b"ok"), PutMode::Create).await.unwrap();
    assert_eq!(&store.get(&longest).await.unwrap().bytes[..], b"ok");
}

#[test]
fn open_fails_clearly_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    let err = LocalStore::open(&file).unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    let err = LocalStore::open(file.join("below")).unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn open_creates_the_root_and_lock_dir() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("x/y/store");
    let store = LocalStore::open(&root).unwrap();
    assert!(root.join(LOCK_DIR).is_dir());
    assert_eq!(temp_files(&root), Vec::<PathBuf>::new(), "the write probe was left behind");
    assert!(store.root().is_absolute());
}

#[tokio::test]
async fn lock_dir_removed_while_open_is_recreated() {
    let (dir, store) = open_temp();
    fs::remove_dir_all(dir.path().join(LOCK_DIR)).unwrap();
    store.put(&key("k"), Bytes::from_static(b"x"), PutMode::Create).await.unwrap();
    assert!(dir.path().join(LOCK_DIR).is_dir());
}

const CHILD_ENV: &str = "GALLEY_STORE_CHILD";
const CHILD_INCREMENTS: u64 = 200;

/// Two processes each do 200 `update_json` increments on one key in a shared directory: none is lost.
///
/// The test re-runs its own test binary, filtered to this test, with `GALLEY_STORE_CHILD=<dir>`; in that
/// mode it is the child and does the increments.
#[test]
fn cross_process_update_json_loses_no_update() {
    let counter = key("counter.json");
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let store = LocalStore::open(dir).unwrap();
            for _ in 0..CHILD_INCREMENTS {
                store
                    .update_json(&counter, |n: Option<u64>| Ok::<_, String>(n.unwrap_or(0) + 1))
                    .await
                    .unwrap();
            }
        });
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let this_test = format!(
        "{}::cross_process_update_json_loses_no_update",
        module_path!().split_once("::").map_or(module_path!(), |(_crate, path)| path)
    );
    let exe = std::env::current_exe().unwrap();
    let mut children = Vec::new();
    for i in 0..2 {
        let log = dir.path().join(format!("~child-{i}.log"));
        let out = fs::File::create(&log).unwrap();
        #[allow(clippy::disallowed_methods)] // test re-exec of itself, not a runtime spawn
        let mut command = Command::new(&exe);
        command
            .args(["--exact", &this_test, "--nocapture"])
            .env(CHILD_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        children.push((command.spawn().unwrap(), log));
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    for (mut child, log) in children {
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("child timed out; its output:\n{}", fs::read_to_string(&log).unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = fs::read_to_string(&log).unwrap_or_default();
        assert!(status.success(), "child failed ({status}); its output:\n{output}");
        assert!(output.contains("1 passed"), "the child did not run this test; its output:\n{output}");
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let count = runtime.block_on(async {
        let store = LocalStore::open(dir.path()).unwrap();
        store.get_json::<u64>(&counter).await.unwrap().0
    });
    assert_eq!(count, 2 * CHILD_INCREMENTS, "updates were lost between processes");
}

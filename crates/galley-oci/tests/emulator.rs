//! Galley's OCI client and `OciStore` against the OCI emulator (`galley-emulator`), which verifies every
//! request's signature: the store conformance suite with API-key auth (from an OCI config file) and
//! with Resource Principal auth (from the RP 2.2 variables, given as an explicit environment map).
//!
//! The emulator binary must be built first: `cargo build -p galley-emulator` (a plain `cargo build` or
//! `cargo test --workspace` builds it too). When it is missing these tests fail if
//! `GALLEY_REQUIRE_TOOLS=1`, and otherwise print why they were skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods, clippy::print_stderr)] // tests spawn the emulator

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use galley_oci::OciStore;
use galley_oci::auth::{self, AuthKind, jwt};
use galley_oci::client::{ClientConfig, OciClient};
use galley_oci::env::Env;
use galley_oci::error::ErrorKind;
use galley_oci::key::PrivateKey;
use galley_oci::objectstorage::{ListObjectsRequest, ObjectStorage, PutCondition};
use galley_store::Store;

const NAMESPACE: &str = "galleyns";
const BUCKET: &str = "galley-state";
const TENANCY: &str = "ocid1.tenancy.oc1..galleytest";
const USER: &str = "ocid1.user.oc1..galleytest";

/// `target/<profile>/galley-emulator`, next to this test's `deps/` directory.
fn emulator_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join(format!("galley-emulator{}", std::env::consts::EXE_SUFFIX));
    bin.exists().then_some(bin)
}

fn require_emulator() -> Option<PathBuf> {
    let found = emulator_binary();
    if found.is_none() {
        let reason = "the galley-emulator binary is not built next to this test; run `cargo build -p galley-emulator` first";
        if std::env::var("GALLEY_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{reason} (GALLEY_REQUIRE_TOOLS=1)");
        }
        eprintln!("skipped: {reason}");
    }
    found
}

/// A running emulator, killed on drop.
struct Emulator {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
    home: PathBuf,
    rp_token_path: PathBuf,
    rp_key_path: PathBuf,
    api_fingerprint: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn rpst(lifetime_secs: i64) -> String {
    let exp = jiff::Timestamp::now().as_second() + lifetime_secs;
    jwt::encode_unverified(
        &serde_json::json!({"exp": exp, "res_tenant": TENANCY, "res_type": "computecontainerinstance"}),
    )
}

fn start_emulator(bin: &Path) -> Emulator {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    // The API key, as `oci setup keys` would leave it, and a config file pointing at it.
    let api_key = PrivateKey::generate().unwrap();
    write(&home.join(".oci/galley_api_key.pem"), &api_key.private_key_pkcs8_pem().unwrap());
    write(&dir.path().join("api_public.pem"), &api_key.public_key_pem().unwrap());
    write(
        &home.join(".oci/config"),
        &format!(
            "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file=~/.oci/galley_api_key.pem\n",
            api_key.fingerprint()
        ),
    );
    // The Resource Principal's token and key, as a Container Instance mounts them.
    let rp_key = PrivateKey::generate().unwrap();
    let rp_token_path = dir.path().join("rp/session_token");
    let rp_key_path = dir.path().join("rp/private_key");
    write(&rp_token_path, &rpst(3600));
    write(&rp_key_path, &rp_key.private_key_pkcs8_pem().unwrap());
    write(&dir.path().join("rp_public.pem"), &rp_key.public_key_pem().unwrap());

    let key_id = format!("{TENANCY}/{USER}/{}", api_key.fingerprint());
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--namespace", NAMESPACE, "--bucket", BUCKET])
        .arg("--api-key")
        .arg(format!("{key_id}={}", dir.path().join("api_public.pem").display()))
        .arg("--rp-token-file")
        .arg(&rp_token_path)
        .arg("--rp-public-key")
        .arg(dir.path().join("rp_public.pem"))
        .env("GALLEY_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(url) = line.trim().strip_prefix("listening on ") {
                let _ = tx.send(url.to_owned());
                sent = true;
            } else if line.contains("ERROR") || line.contains("error") {
                eprintln!("emulator: {line}");
            }
        }
    });
    let url =
        rx.recv_timeout(Duration::from_secs(30)).expect("the emulator printed `listening on http://ADDR`");
    Emulator {
        child,
        url,
        _dir: dir,
        home,
        rp_token_path,
        rp_key_path,
        api_fingerprint: api_key.fingerprint().to_owned(),
    }
}

fn api_key_env(emulator: &Emulator) -> Env {
    Env::from_pairs([
        ("HOME", emulator.home.display().to_string()),
        ("GALLEY_OCI_AUTH", "api_key".to_owned()),
        ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", emulator.url.clone()),
    ])
}

fn rp_env(emulator: &Emulator) -> Env {
    Env::from_pairs([
        ("GALLEY_OCI_AUTH", "auto".to_owned()),
        ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2".to_owned()),
        ("OCI_RESOURCE_PRINCIPAL_RPST", emulator.rp_token_path.display().to_string()),
        ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", emulator.rp_key_path.display().to_string()),
        ("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1".to_owned()),
        ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", emulator.url.clone()),
    ])
}

async fn client(env: Env) -> OciClient {
    let provider = auth::provider_from_env(&env).await.unwrap();
    OciClient::new(provider, ClientConfig { env, ..ClientConfig::default() }).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_conformance_with_api_key_auth() {
    let Some(bin) = require_emulator() else { return };
    let emulator = start_emulator(&bin);
    let client = client(api_key_env(&emulator)).await;
    assert_eq!(client.auth().kind(), AuthKind::ApiKey);
    let store = OciStore::from_url(client, &format!("oci://{NAMESPACE}/{BUCKET}/apikey")).unwrap();
    let started = Instant::now();
    galley_store::conformance::run_all(Arc::new(store)).await;
    eprintln!("store conformance on the emulator (API key): {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_conformance_with_resource_principal_auth() {
    let Some(bin) = require_emulator() else { return };
    let emulator = start_emulator(&bin);
    let client = client(rp_env(&emulator)).await;
    assert_eq!(client.auth().kind(), AuthKind::ResourcePrincipal);
    assert_eq!(client.region().map(|r| r.id()), Some("us-ashburn-1"));
    // The whole bucket, no prefix.
    let store = OciStore::from_url(client.clone(), &format!("oci://{NAMESPACE}/{BUCKET}")).unwrap();
    let started = Instant::now();
    galley_store::conformance::run_all(Arc::new(store)).await;
    eprintln!("store conformance on the emulator (Resource Principal): {:?}", started.elapsed());

    // The platform rotates the token file; the emulator now accepts only the new token, so the next
    // request gets a 401, the principal re-reads its files, and the one retry succeeds.
    let rotated = rpst(7200);
    std::fs::write(&emulator.rp_token_path, &rotated).unwrap();
    let os = ObjectStorage::new(client.clone());
    assert_eq!(os.get_namespace().await.unwrap(), NAMESPACE);
    assert_eq!(client.auth().credentials().await.unwrap().key_id(), format!("ST${rotated}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_storage_operations() {
    let Some(bin) = require_emulator() else { return };
    let emulator = start_emulator(&bin);
    let os = ObjectStorage::new(client(api_key_env(&emulator)).await);
    assert_eq!(os.get_namespace().await.unwrap(), NAMESPACE);

    let name = "dir/with space+plus=eq@at,comma.json";
    let first = os
        .put_object(NAMESPACE, BUCKET, name, Bytes::from_static(b"one"), &PutCondition::IfNoneMatchAny)
        .await
        .unwrap();
    let again = os
        .put_object(NAMESPACE, BUCKET, name, Bytes::from_static(b"two"), &PutCondition::IfNoneMatchAny)
        .await;
    assert_eq!(again.unwrap_err().kind(), Some(ErrorKind::IfNoneMatchFailed));
    let got = os.get_object(NAMESPACE, BUCKET, name).await.unwrap();
    assert_eq!((&got.bytes[..], got.etag.as_str()), (&b"one"[..], first.etag.as_str()));
    let head = os.head_object(NAMESPACE, BUCKET, name).await.unwrap();
    assert_eq!((head.etag.as_str(), head.content_length), (first.etag.as_str(), Some(3)));
    let stale = os
        .put_object(NAMESPACE, BUCKET, name, Bytes::from_static(b"x"), &PutCondition::IfMatch("nope".into()))
        .await;
    let stale = stale.unwrap_err();
    assert_eq!(stale.kind(), Some(ErrorKind::IfMatchFailed));
    assert!(stale.request_id().is_some(), "the opc-request-id is kept: {stale}");
    os.put_object(
        NAMESPACE,
        BUCKET,
        name,
        Bytes::from_static(b"two"),
        &PutCondition::IfMatch(first.etag.clone()),
    )
    .await
    .unwrap();

    for i in 0..5 {
        os.put_object(NAMESPACE, BUCKET, &format!("page/{i}"), Bytes::new(), &PutCondition::None)
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut start = None;
    loop {
        let params = ListObjectsRequest {
            prefix: Some("page/".into()),
            start: start.take(),
            limit: Some(2),
            ..Default::default()
        };
        let page = os.list_objects(NAMESPACE, BUCKET, &params).await.unwrap();
        assert!(page.objects.len() <= 2);
        assert!(
            page.objects.iter().all(|o| o.size == Some(0) && o.etag.is_some() && o.time_modified.is_some())
        );
        names.extend(page.objects.into_iter().map(|o| o.name));
        match page.next_start_with {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    assert_eq!(names, (0..5).map(|i| format!("page/{i}")).collect::<Vec<_>>());

    os.delete_object(NAMESPACE, BUCKET, name, None).await.unwrap();
    let missing = os.get_object(NAMESPACE, BUCKET, name).await.unwrap_err();
    assert_eq!(missing.kind(), Some(ErrorKind::NotFound), "{missing}");
    let missing = os.head_object(NAMESPACE, BUCKET, name).await.unwrap_err();
    assert_eq!(missing.kind(), Some(ErrorKind::NotFound), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_signed_with_an_untrusted_key_are_refused() {
    let Some(bin) = require_emulator() else { return };
    let emulator = start_emulator(&bin);
    let stranger = PrivateKey::generate().unwrap();
    assert_ne!(stranger.fingerprint(), emulator.api_fingerprint);
    let provider = Arc::new(auth::ApiKeyProvider::new(TENANCY, USER, stranger, None));
    let env = Env::from_pairs([("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", emulator.url.clone())]);
    let client = OciClient::new(provider, ClientConfig { env, ..ClientConfig::default() }).unwrap();
    let err = ObjectStorage::new(client.clone()).get_namespace().await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotAuthenticated), "{err}");
    let store = OciStore::from_url(client, &format!("oci://{NAMESPACE}/{BUCKET}")).unwrap();
    let err = store.get(&galley_store::Key::new("x").unwrap()).await.unwrap_err();
    assert!(
        matches!(err, galley_store::Error::Unavailable { .. })
            && err.to_string().contains("NotAuthenticated"),
        "{err}"
    );
}

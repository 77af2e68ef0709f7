//! The conformance suite every [`Store`] backend must pass.
//!
//! Call [`run_all`] from a backend's tests (other crates: enable this crate's `conformance` feature in
//! `[dev-dependencies]`). Each check is also a public function, for running one at a time. A failing
//! check panics with a message naming the check and the store ([`Store::describe`]).
//!
//! Every check works under its own fresh prefix `conformance/<uuid>/<check>/` and never assumes the
//! store is empty, so the suite can run against a shared real bucket. Checks clean up after themselves
//! only on success (left-over objects help to debug a failure).
//!
//! Use a multi-threaded tokio runtime (`#[tokio::test(flavor = "multi_thread")]`): the concurrency checks
//! then really race.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::{Error, Key, ListOptions, PutMode, Store, StoreExt, UpdateError};

type Shared = Arc<dyn Store>;

/// Runs every check, one after the other.
pub async fn run_all(store: Arc<dyn Store>) {
    roundtrip_binary_and_empty(store.clone()).await;
    get_missing_is_not_found(store.clone()).await;
    create_on_existing_is_already_exists(store.clone()).await;
    update_with_current_etag_succeeds(store.clone()).await;
    update_with_stale_etag_is_precondition(store.clone()).await;
    update_on_missing_is_precondition(store.clone()).await;
    overwrite_always_succeeds(store.clone()).await;
    delete_then_get_is_not_found(store.clone()).await;
    delete_missing_is_not_found(store.clone()).await;
    etag_of_put_equals_etag_of_get(store.clone()).await;
    list_prefix_may_end_mid_segment(store.clone()).await;
    list_is_sorted_bytewise(store.clone()).await;
    list_paginates_without_gaps_or_duplicates(store.clone()).await;
    list_honours_start_after(store.clone()).await;
    list_clamps_limit(store.clone()).await;
    list_empty_prefix_lists_everything(store.clone()).await;
    list_nested_keys_with_sizes(store.clone()).await;
    special_character_keys_roundtrip(store.clone()).await;
    json_helpers(store.clone()).await;
    update_json_abort_writes_nothing(store.clone()).await;
    concurrent_update_json_loses_no_update(store.clone()).await;
    concurrent_create_has_one_winner(store).await;
}

/// A fresh prefix `conformance/<uuid>/<check>/` for one check.
fn fresh_prefix(check: &str) -> String {
    format!("conformance/{}/{check}/", uuid::Uuid::new_v4().simple())
}

fn key(prefix: &str, rest: &str) -> Key {
    Key::new(format!("{prefix}{rest}")).unwrap()
}

/// Panics with the check, the store and what happened.
macro_rules! check {
    ($store:expr, $check:literal, $cond:expr, $($msg:tt)+) => {
        assert!($cond, "conformance check `{}` failed on {}: {}", $check, $store.describe(), format!($($msg)+))
    };
}

async fn put(
    store: &Shared,
    key: &Key,
    bytes: &'static [u8],
    mode: PutMode,
) -> crate::Result<crate::PutResult> {
    store.put(key, Bytes::from_static(bytes), mode).await
}

async fn content(store: &Shared, key: &Key) -> Vec<u8> {
    store
        .get(key)
        .await
        .unwrap_or_else(|err| panic!("get {key} on {}: {err}", store.describe()))
        .bytes
        .to_vec()
}

async fn cleanup(store: &Shared, prefix: &str) {
    for meta in store.list_all(prefix).await.unwrap() {
        store.delete(&meta.key).await.unwrap();
    }
}

/// Binary content (every byte value) and empty content come back exactly.
pub async fn roundtrip_binary_and_empty(store: Arc<dyn Store>) {
    let p = fresh_prefix("roundtrip");
    let binary: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let k = key(&p, "binary.bin");
    store.put(&k, Bytes::from(binary.clone()), PutMode::Create).await.unwrap();
    check!(
        store,
        "roundtrip_binary_and_empty",
        content(&store, &k).await == binary,
        "binary content differs"
    );

    let empty = key(&p, "empty");
    put(&store, &empty, b"", PutMode::Create).await.unwrap();
    let got = content(&store, &empty).await;
    check!(
        store,
        "roundtrip_binary_and_empty",
        got.is_empty(),
        "empty object came back as {} bytes",
        got.len()
    );
    cleanup(&store, &p).await;
}

/// `get` of a missing key is `NotFound` naming the key.
pub async fn get_missing_is_not_found(store: Arc<dyn Store>) {
    let p = fresh_prefix("get-missing");
    let k = key(&p, "nothing-here");
    match store.get(&k).await {
        Err(Error::NotFound { key }) => {
            check!(store, "get_missing_is_not_found", key == k.as_str(), "NotFound names {key:?}");
        }
        other => check!(store, "get_missing_is_not_found", false, "expected NotFound, got {other:?}"),
    }
}

/// `Create` on an existing key is `AlreadyExists` and leaves the content alone.
pub async fn create_on_existing_is_already_exists(store: Arc<dyn Store>) {
    let p = fresh_prefix("create-existing");
    let k = key(&p, "doc");
    put(&store, &k, b"first", PutMode::Create).await.unwrap();
    let second = put(&store, &k, b"second", PutMode::Create).await;
    check!(
        store,
        "create_on_existing_is_already_exists",
        matches!(second, Err(Error::AlreadyExists { .. })),
        "expected AlreadyExists, got {second:?}"
    );
    check!(
        store,
        "create_on_existing_is_already_exists",
        content(&store, &k).await == b"first",
        "content changed"
    );
    cleanup(&store, &p).await;
}

/// `Update` with the current ETag writes and returns a new ETag.
pub async fn update_with_current_etag_succeeds(store: Arc<dyn Store>) {
    let p = fresh_prefix("update-current");
    let k = key(&p, "doc");
    let first = put(&store, &k, b"v1", PutMode::Create).await.unwrap();
    let second = put(&store, &k, b"v2", PutMode::Update(first.etag.clone())).await;
    let second = second.unwrap_or_else(|err| panic!("update with the current etag failed: {err}"));
    check!(store, "update_with_current_etag_succeeds", second.etag != first.etag, "etag did not change");
    check!(
        store,
        "update_with_current_etag_succeeds",
        content(&store, &k).await == b"v2",
        "content not updated"
    );
    let third = put(&store, &k, b"v3", PutMode::Update(second.etag)).await;
    check!(store, "update_with_current_etag_succeeds", third.is_ok(), "chained update failed: {third:?}");
    cleanup(&store, &p).await;
}

/// `Update` with a stale ETag is `Precondition` and leaves the content alone.
pub async fn update_with_stale_etag_is_precondition(store: Arc<dyn Store>) {
    let p = fresh_prefix("update-stale");
    let k = key(&p, "doc");
    let first = put(&store, &k, b"v1", PutMode::Create).await.unwrap();
    put(&store, &k, b"v2", PutMode::Overwrite).await.unwrap();
    let stale = put(&store, &k, b"v3", PutMode::Update(first.etag)).await;
    check!(
        store,
        "update_with_stale_etag_is_precondition",
        matches!(stale, Err(Error::Precondition { .. })),
        "expected Precondition, got {stale:?}"
    );
    check!(
        store,
        "update_with_stale_etag_is_precondition",
        content(&store, &k).await == b"v2",
        "content changed"
    );
    cleanup(&store, &p).await;
}

/// `Update` of a missing key (never written, or deleted) is `Precondition` and creates nothing.
pub async fn update_on_missing_is_precondition(store: Arc<dyn Store>) {
    let p = fresh_prefix("update-missing");
    let k = key(&p, "doc");
    let etag = put(&store, &k, b"v1", PutMode::Create).await.unwrap().etag;
    store.delete(&k).await.unwrap();
    let result = put(&store, &k, b"v2", PutMode::Update(etag)).await;
    check!(
        store,
        "update_on_missing_is_precondition",
        matches!(result, Err(Error::Precondition { .. })),
        "expected Precondition on a deleted key, got {result:?}"
    );
    let never = key(&p, "never-written");
    let result =
        put(&store, &never, b"v", PutMode::Update(crate::ETag::new("0123456789abcdef".into()))).await;
    check!(
        store,
        "update_on_missing_is_precondition",
        matches!(result, Err(Error::Precondition { .. })),
        "expected Precondition on a missing key, got {result:?}"
    );
    let left = store.list_all(&p).await.unwrap();
    check!(store, "update_on_missing_is_precondition", left.is_empty(), "objects were created: {left:?}");
}

/// `Overwrite` creates a missing object and replaces an existing one.
pub async fn overwrite_always_succeeds(store: Arc<dyn Store>) {
    let p = fresh_prefix("overwrite");
    let k = key(&p, "doc");
    put(&store, &k, b"v1", PutMode::Overwrite).await.unwrap();
    check!(store, "overwrite_always_succeeds", content(&store, &k).await == b"v1", "not created");
    put(&store, &k, b"v2", PutMode::Overwrite).await.unwrap();
    check!(store, "overwrite_always_succeeds", content(&store, &k).await == b"v2", "not replaced");
    put(&store, &k, b"v2", PutMode::Overwrite).await.unwrap();
    check!(store, "overwrite_always_succeeds", content(&store, &k).await == b"v2", "same-content overwrite");
    cleanup(&store, &p).await;
}

/// After `delete`, `get` is `NotFound`, and the key can be created again.
pub async fn delete_then_get_is_not_found(store: Arc<dyn Store>) {
    let p = fresh_prefix("delete");
    let k = key(&p, "doc");
    put(&store, &k, b"v1", PutMode::Create).await.unwrap();
    store.delete(&k).await.unwrap();
    let got = store.get(&k).await;
    check!(
        store,
        "delete_then_get_is_not_found",
        matches!(got, Err(Error::NotFound { .. })),
        "expected NotFound, got {got:?}"
    );
    let listed = store.list_all(&p).await.unwrap();
    check!(store, "delete_then_get_is_not_found", listed.is_empty(), "deleted key still listed: {listed:?}");
    let again = put(&store, &k, b"v2", PutMode::Create).await;
    check!(store, "delete_then_get_is_not_found", again.is_ok(), "Create after delete failed: {again:?}");
    cleanup(&store, &p).await;
}

/// `delete` of a missing key is `NotFound`.
pub async fn delete_missing_is_not_found(store: Arc<dyn Store>) {
    let p = fresh_prefix("delete-missing");
    let result = store.delete(&key(&p, "nothing")).await;
    check!(
        store,
        "delete_missing_is_not_found",
        matches!(result, Err(Error::NotFound { .. })),
        "expected NotFound, got {result:?}"
    );
}

/// The ETag returned by `put` is the one `get` returns, and differs for different content.
pub async fn etag_of_put_equals_etag_of_get(store: Arc<dyn Store>) {
    let p = fresh_prefix("etag");
    let a = key(&p, "a");
    let b = key(&p, "b");
    let put_a = put(&store, &a, b"alpha", PutMode::Create).await.unwrap();
    let put_b = put(&store, &b, b"beta", PutMode::Create).await.unwrap();
    let get_a = store.get(&a).await.unwrap();
    check!(
        store,
        "etag_of_put_equals_etag_of_get",
        put_a.etag == get_a.etag,
        "{} != {}",
        put_a.etag,
        get_a.etag
    );
    check!(
        store,
        "etag_of_put_equals_etag_of_get",
        put_a.etag != put_b.etag,
        "different objects share an etag"
    );
    let put_a2 = put(&store, &a, b"alpha2", PutMode::Update(get_a.etag.clone())).await.unwrap();
    let get_a2 = store.get(&a).await.unwrap();
    check!(store, "etag_of_put_equals_etag_of_get", put_a2.etag == get_a2.etag, "after update");
    check!(
        store,
        "etag_of_put_equals_etag_of_get",
        get_a2.etag != get_a.etag,
        "etag unchanged by new content"
    );
    cleanup(&store, &p).await;
}

async fn keys_of(store: &Shared, prefix: &str) -> Vec<String> {
    store.list_all(prefix).await.unwrap().into_iter().map(|meta| meta.key.to_string()).collect()
}

/// A prefix is a plain string prefix: `sessions/ab` matches `sessions/abc/x` and `sessions/ab.json`.
pub async fn list_prefix_may_end_mid_segment(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-prefix");
    for rest in ["sessions/abc/x", "sessions/ab.json", "sessions/ab/y", "sessions/b/z", "sessionsab", "other"]
    {
        put(&store, &key(&p, rest), b"x", PutMode::Create).await.unwrap();
    }
    let got = keys_of(&store, &format!("{p}sessions/ab")).await;
    let want: Vec<String> = ["sessions/ab.json", "sessions/ab/y", "sessions/abc/x"]
        .iter()
        .map(|rest| format!("{p}{rest}"))
        .collect();
    check!(store, "list_prefix_may_end_mid_segment", got == want, "got {got:?}, want {want:?}");

    let got = keys_of(&store, &format!("{p}sessions/")).await;
    check!(store, "list_prefix_may_end_mid_segment", got.len() == 4, "prefix ending in `/`: {got:?}");
    let got = keys_of(&store, &format!("{p}sessions")).await;
    check!(store, "list_prefix_may_end_mid_segment", got.len() == 5, "prefix without `/`: {got:?}");
    let got = keys_of(&store, &format!("{p}nothing/")).await;
    check!(store, "list_prefix_may_end_mid_segment", got.is_empty(), "unmatched prefix: {got:?}");
    let got = keys_of(&store, &format!("{p}sessions/abc/x")).await;
    check!(store, "list_prefix_may_end_mid_segment", got.len() == 1, "prefix equal to a key: {got:?}");
    cleanup(&store, &p).await;
}

/// Listings are sorted bytewise, even where that differs from a directory walk (`a.b` < `a/b` < `a0`).
pub async fn list_is_sorted_bytewise(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-sorted");
    let rests =
        ["a0", "a/b", "a.b", "_z", "a,d", "A", "a-c", "a+e", "a=f", "a@g", "a/a/a", "a/b0", "B", "a.b.c"];
    let mut want = Vec::new();
    for rest in rests {
        let k = key(&p, rest);
        put(&store, &k, b"x", PutMode::Create).await.unwrap();
        want.push(k.to_string());
    }
    want.sort();
    let got = keys_of(&store, &p).await;
    check!(store, "list_is_sorted_bytewise", got == want, "got {got:?}, want {want:?}");
    cleanup(&store, &p).await;
}

/// Paging with limit 2 over 5 keys returns every key exactly once, in order, at most 2 per page.
pub async fn list_paginates_without_gaps_or_duplicates(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-pages");
    let mut want = Vec::new();
    for rest in ["k1", "k2", "k3/deep", "k4", "k5"] {
        let k = key(&p, rest);
        put(&store, &k, b"x", PutMode::Create).await.unwrap();
        want.push(k.to_string());
    }
    let mut got = Vec::new();
    let mut start_after: Option<Key> = None;
    for _page in 0..10 {
        let page = store
            .list(ListOptions { prefix: &p, start_after: start_after.as_ref(), limit: 2 })
            .await
            .unwrap();
        check!(
            store,
            "list_paginates_without_gaps_or_duplicates",
            page.objects.len() <= 2,
            "page of {} objects with limit 2",
            page.objects.len()
        );
        got.extend(page.objects.iter().map(|meta| meta.key.to_string()));
        match page.next_start_after {
            Some(next) => start_after = Some(next),
            None => break,
        }
    }
    check!(store, "list_paginates_without_gaps_or_duplicates", got == want, "got {got:?}, want {want:?}");
    cleanup(&store, &p).await;
}

/// Only keys strictly after `start_after` are listed, whether or not `start_after` exists.
pub async fn list_honours_start_after(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-start-after");
    let keys: Vec<Key> = ["a", "b", "c/x", "d"].iter().map(|rest| key(&p, rest)).collect();
    for k in &keys {
        put(&store, k, b"x", PutMode::Create).await.unwrap();
    }
    let cases: [(Key, &[usize]); 5] = [
        (key(&p, "a"), &[1, 2, 3]),
        (key(&p, "b0"), &[2, 3]),
        (key(&p, "c"), &[2, 3]),
        (key(&p, "c/x"), &[3]),
        (key(&p, "d"), &[]),
    ];
    for (after, indices) in cases {
        let page =
            store.list(ListOptions { prefix: &p, start_after: Some(&after), limit: 100 }).await.unwrap();
        let got: Vec<&str> = page.objects.iter().map(|meta| meta.key.as_str()).collect();
        let want: Vec<&str> = indices.iter().map(|&i| keys[i].as_str()).collect();
        check!(store, "list_honours_start_after", got == want, "after {after}: got {got:?}, want {want:?}");
        check!(
            store,
            "list_honours_start_after",
            page.next_start_after.is_none(),
            "after {after}: more pages"
        );
    }
    // A start_after before the prefix lists the whole prefix.
    let before = Key::new("conformance").unwrap();
    let page = store.list(ListOptions { prefix: &p, start_after: Some(&before), limit: 100 }).await.unwrap();
    check!(store, "list_honours_start_after", page.objects.len() == 4, "start_after before the prefix");
    cleanup(&store, &p).await;
}

/// A limit of 0 behaves as 1, and a huge limit is accepted.
pub async fn list_clamps_limit(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-limit");
    for rest in ["a", "b", "c"] {
        put(&store, &key(&p, rest), b"x", PutMode::Create).await.unwrap();
    }
    let page = store.list(ListOptions { prefix: &p, start_after: None, limit: 0 }).await.unwrap();
    check!(
        store,
        "list_clamps_limit",
        page.objects.len() == 1,
        "limit 0 gave {} objects",
        page.objects.len()
    );
    check!(store, "list_clamps_limit", page.next_start_after.is_some(), "limit 0 claims no more pages");
    let page = store.list(ListOptions { prefix: &p, start_after: None, limit: usize::MAX }).await.unwrap();
    check!(
        store,
        "list_clamps_limit",
        page.objects.len() == 3,
        "huge limit gave {} objects",
        page.objects.len()
    );
    cleanup(&store, &p).await;
}

/// The empty prefix lists everything, sorted, without duplicates (including this check's keys).
pub async fn list_empty_prefix_lists_everything(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-all");
    let mine = [key(&p, "one"), key(&p, "two/three")];
    for k in &mine {
        put(&store, k, b"x", PutMode::Create).await.unwrap();
    }
    let all = keys_of(&store, "").await;
    check!(
        store,
        "list_empty_prefix_lists_everything",
        all.windows(2).all(|pair| pair[0] < pair[1]),
        "not strictly increasing"
    );
    for k in &mine {
        check!(store, "list_empty_prefix_lists_everything", all.contains(&k.to_string()), "{k} missing");
    }
    cleanup(&store, &p).await;
}

/// Nested keys are listed with their full key and size, whatever the depth.
pub async fn list_nested_keys_with_sizes(store: Arc<dyn Store>) {
    let p = fresh_prefix("list-nested");
    let objects: [(&str, &'static [u8]); 4] =
        [("n/a/b/c/d.tf", b"deep"), ("n/a/x", b""), ("n/b", b"12345"), ("top", b"1")];
    for (rest, bytes) in objects {
        put(&store, &key(&p, rest), bytes, PutMode::Create).await.unwrap();
    }
    let listed = store.list_all(&format!("{p}n/")).await.unwrap();
    let got: Vec<(String, u64)> = listed.iter().map(|meta| (meta.key.to_string(), meta.size)).collect();
    let want: Vec<(String, u64)> =
        objects[..3].iter().map(|(rest, bytes)| (format!("{p}{rest}"), bytes.len() as u64)).collect();
    check!(store, "list_nested_keys_with_sizes", got == want, "got {got:?}, want {want:?}");
    let got = keys_of(&store, &format!("{p}n/a/b/")).await;
    check!(store, "list_nested_keys_with_sizes", got == [format!("{p}n/a/b/c/d.tf")], "deep prefix: {got:?}");
    cleanup(&store, &p).await;
}

/// Keys using every allowed special character, and dot-files, roundtrip and list.
pub async fn special_character_keys_roundtrip(store: Arc<dyn Store>) {
    let p = fresh_prefix("special-keys");
    let rests = ["a/b@c+d=e,f.g_h-i", ".gitignore", "app/.terraform.lock.hcl", "x/...", "UPPER=lower,0-9"];
    let mut want = Vec::new();
    for rest in rests {
        let k = key(&p, rest);
        store.put(&k, Bytes::from(rest.as_bytes().to_vec()), PutMode::Create).await.unwrap();
        check!(
            store,
            "special_character_keys_roundtrip",
            content(&store, &k).await == rest.as_bytes(),
            "{k}"
        );
        want.push(k.to_string());
    }
    want.sort();
    let got = keys_of(&store, &p).await;
    check!(store, "special_character_keys_roundtrip", got == want, "got {got:?}, want {want:?}");
    cleanup(&store, &p).await;
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
struct Doc {
    name: String,
    count: u64,
}

/// `put_json` writes pretty JSON with a trailing newline; `get_json`/`get_json_opt` decode it; content
/// that is not the expected JSON is `Corrupt` naming the key.
pub async fn json_helpers(store: Arc<dyn Store>) {
    let p = fresh_prefix("json");
    let k = key(&p, "doc.json");
    let none = store.get_json_opt::<Doc>(&k).await.unwrap();
    check!(store, "json_helpers", none.is_none(), "get_json_opt of a missing key: {none:?}");
    let doc = Doc { name: "x".into(), count: 3 };
    let put = store.put_json(&k, &doc, PutMode::Create).await.unwrap();
    let raw = content(&store, &k).await;
    check!(store, "json_helpers", raw.ends_with(b"}\n") && raw.contains(&b'\n'), "not pretty JSON + newline");
    let (got, etag) = store.get_json::<Doc>(&k).await.unwrap();
    check!(store, "json_helpers", got == doc && etag == put.etag, "get_json: {got:?} {etag}");
    let (got, _) = store.get_json_opt::<Doc>(&k).await.unwrap().unwrap();
    check!(store, "json_helpers", got == doc, "get_json_opt: {got:?}");
    let missing = store.get_json::<Doc>(&key(&p, "missing.json")).await;
    check!(store, "json_helpers", matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");

    let bad = key(&p, "bad.json");
    store.put(&bad, Bytes::from_static(b"not json {"), PutMode::Create).await.unwrap();
    match store.get_json::<Doc>(&bad).await {
        Err(err @ Error::Corrupt { .. }) => {
            check!(
                store,
                "json_helpers",
                err.to_string().contains(bad.as_str()),
                "message lacks the key: {err}"
            );
        }
        other => check!(store, "json_helpers", false, "expected Corrupt, got {other:?}"),
    }
    let wrong_shape = store.get_json_opt::<Vec<u8>>(&k).await;
    check!(store, "json_helpers", matches!(wrong_shape, Err(Error::Corrupt { .. })), "{wrong_shape:?}");
    cleanup(&store, &p).await;
}

/// When the update function fails, `update_json` returns its error and writes nothing.
pub async fn update_json_abort_writes_nothing(store: Arc<dyn Store>) {
    let p = fresh_prefix("update-abort");
    let k = key(&p, "doc.json");
    let result = store.update_json(&k, |_: Option<Doc>| Err::<Doc, _>("nope")).await;
    check!(
        store,
        "update_json_abort_writes_nothing",
        matches!(result, Err(UpdateError::Aborted("nope"))),
        "expected Aborted, got {result:?}"
    );
    check!(store, "update_json_abort_writes_nothing", store.get(&k).await.is_err(), "an object was created");

    let (created, etag) = store
        .update_json(&k, |current: Option<Doc>| Ok::<_, String>(current.unwrap_or_default()))
        .await
        .unwrap();
    check!(store, "update_json_abort_writes_nothing", created == Doc::default(), "{created:?}");
    let result = store.update_json(&k, |_: Option<Doc>| Err::<Doc, _>("again")).await;
    check!(store, "update_json_abort_writes_nothing", result.is_err(), "{result:?}");
    let after = store.get(&k).await.unwrap().etag;
    check!(store, "update_json_abort_writes_nothing", after == etag, "an aborted update changed the object");
    cleanup(&store, &p).await;
}

/// 16 tasks × 25 `update_json` increments of one counter end at exactly 400.
pub async fn concurrent_update_json_loses_no_update(store: Arc<dyn Store>) {
    const TASKS: u64 = 16;
    const INCREMENTS: u64 = 25;
    let p = fresh_prefix("concurrent-cas");
    let k = key(&p, "counter.json");
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..INCREMENTS {
                store.update_json(&k, |n: Option<u64>| Ok::<_, String>(n.unwrap_or(0) + 1)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (count, _) = store.get_json::<u64>(&k).await.unwrap();
    check!(
        store,
        "concurrent_update_json_loses_no_update",
        count == TASKS * INCREMENTS,
        "counter is {count}, want {}",
        TASKS * INCREMENTS
    );
    cleanup(&store, &p).await;
}

/// 16 tasks racing to `Create` one key: exactly one wins, the others get `AlreadyExists`.
pub async fn concurrent_create_has_one_winner(store: Arc<dyn Store>) {
    let p = fresh_prefix("concurrent-create");
    let k = key(&p, "lock");
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let store = store.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(
            async move { (i, store.put(&k, Bytes::from(vec![i]), PutMode::Create).await) },
        ));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (i, Ok(_)) => winners.push(i),
            (_, Err(Error::AlreadyExists { .. })) => {}
            (i, Err(err)) => check!(store, "concurrent_create_has_one_winner", false, "task {i}: {err}"),
        }
    }
    check!(store, "concurrent_create_has_one_winner", winners.len() == 1, "winners: {winners:?}");
    let stored = content(&store, &k).await;
    check!(
        store,
        "concurrent_create_has_one_winner",
        stored == [winners[0]],
        "stored {stored:?}, winner {winners:?}"
    );
    cleanup(&store, &p).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_prefixes_are_valid_and_distinct() {
        let a = fresh_prefix("x");
        let b = fresh_prefix("x");
        assert_ne!(a, b);
        assert!(Key::new(format!("{a}k")).is_ok());
    }
}

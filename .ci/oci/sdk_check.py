"""Oracle's Python SDK (`oci`) against galley-emulator: the Object Storage calls Galley relies on.

Usage: python sdk_check.py ENDPOINT KEYDIR CONFIG_FILE

ENDPOINT      the emulator's base URL (http://127.0.0.1:PORT)
KEYDIR        the directory .ci/oci/make_keys.py wrote (rp_key.pem, rpst, other_rpst, ...)
CONFIG_FILE   an OCI config file: DEFAULT (trusted API key), UNTRUSTED (an unknown key), WRONGKEY (a trusted keyId
              signed with another key)

The emulator must already have the `sdk-bucket` bucket absent (this script creates it). Each check prints
`ok - ...` or `FAIL - ...`; exit 1 if any failed.
"""

import base64
import email.utils
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

import oci
from oci._vendor import requests  # the SDK's own vendored copy (its Signer is a requests auth)

ENDPOINT, KEYDIR, CONFIG_FILE = sys.argv[1:4]
BUCKET = "sdk-bucket"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaagalleytest"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks, expect_service_error  # noqa: E402

CHECKS = Checks("sdk")
check = CHECKS.check


def client(profile="DEFAULT", **kwargs):
    config = oci.config.from_file(CONFIG_FILE, profile)
    oci.config.validate_config(config)
    return oci.object_storage.ObjectStorageClient(config, service_endpoint=ENDPOINT, **kwargs)


os_client = client()
state = {}


def get_namespace():
    ns = os_client.get_namespace().data
    assert ns == "galleyemu", ns
    state["ns"] = ns
    return ns


def create_bucket():
    details = oci.object_storage.models.CreateBucketDetails(name=BUCKET, compartment_id=COMPARTMENT)
    bucket = os_client.create_bucket(state["ns"], details).data
    assert bucket.name == BUCKET and bucket.compartment_id == COMPARTMENT, bucket
    assert bucket.etag and bucket.time_created, bucket
    got = os_client.get_bucket(state["ns"], BUCKET).data
    assert got.name == BUCKET, got
    listed = os_client.list_buckets(state["ns"], COMPARTMENT).data
    assert BUCKET in [b.name for b in listed], listed
    return f"created, got and listed {BUCKET}"


def create_bucket_again():
    details = oci.object_storage.models.CreateBucketDetails(name=BUCKET, compartment_id=COMPARTMENT)
    return expect_service_error(lambda: os_client.create_bucket(state["ns"], details), 409, "BucketAlreadyExists")


def put_object():
    body = b'{"hello": "world"}'
    resp = os_client.put_object(state["ns"], BUCKET, "sessions/abc.json", body, content_type="application/json")
    assert resp.status == 200, resp.status
    etag = resp.headers["etag"]
    assert etag, resp.headers
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert resp.headers["opc-content-md5"] == md5, (resp.headers["opc-content-md5"], md5)
    state["etag"] = etag
    return f"etag {etag}"


def get_object():
    resp = os_client.get_object(state["ns"], BUCKET, "sessions/abc.json")
    data = resp.data.content
    assert data == b'{"hello": "world"}', data
    assert resp.headers["etag"] == state["etag"], (resp.headers["etag"], state["etag"])
    assert resp.headers["content-type"] == "application/json", resp.headers["content-type"]
    assert int(resp.headers["content-length"]) == len(data), resp.headers["content-length"]
    return f"{len(data)} bytes, same etag"


def head_object():
    resp = os_client.head_object(state["ns"], BUCKET, "sessions/abc.json")
    assert resp.status == 200, resp.status
    assert resp.headers["etag"] == state["etag"]
    assert int(resp.headers["content-length"]) == 18, resp.headers["content-length"]
    return "etag and content-length"


def get_if_none_match():
    return expect_service_error(
        lambda: os_client.get_object(state["ns"], BUCKET, "sessions/abc.json", if_none_match=state["etag"]), 304
    )


def odd_names():
    names = ["dir/a b+c%d.txt", "データ/ü.json", "a//b", "trailing/"]
    for name in names:
        os_client.put_object(state["ns"], BUCKET, name, name.encode())
        got = os_client.get_object(state["ns"], BUCKET, name).data.content
        assert got == name.encode(), (name, got)
    listed = [o.name for o in os_client.list_objects(state["ns"], BUCKET).data.objects]
    for name in names:
        assert name in listed, (name, listed)
        os_client.delete_object(state["ns"], BUCKET, name)
    return f"{len(names)} names round-tripped"


def put_if_match_wrong():
    return expect_service_error(
        lambda: os_client.put_object(state["ns"], BUCKET, "sessions/abc.json", b"x", if_match="not-the-etag"),
        412,
        "IfMatchFailed",
    )


def put_if_none_match_existing():
    return expect_service_error(
        lambda: os_client.put_object(state["ns"], BUCKET, "sessions/abc.json", b"x", if_none_match="*"),
        412,
        "IfNoneMatchFailed",
    )


def put_if_match_right():
    resp = os_client.put_object(state["ns"], BUCKET, "sessions/abc.json", b"v2", if_match=state["etag"])
    new = resp.headers["etag"]
    assert new != state["etag"], "etag did not change"
    old, state["etag"] = state["etag"], new
    return expect_service_error(
        lambda: os_client.put_object(state["ns"], BUCKET, "sessions/abc.json", b"v3", if_match=old),
        412,
        "IfMatchFailed",
    ) + " for the stale etag after a compare-and-swap"


def put_if_none_match_new():
    resp = os_client.put_object(state["ns"], BUCKET, "locks/new.lock", b"lock", if_none_match="*")
    assert resp.status == 200
    return "created"


def list_paging():
    for i in range(1, 6):
        os_client.put_object(state["ns"], BUCKET, f"page/obj-{i}", f"body {i}".encode())
    seen, start, pages = [], None, 0
    while True:
        kwargs = {"prefix": "page/", "limit": 2, "fields": "name,size,etag,md5,timeCreated,timeModified"}
        if start:
            kwargs["start"] = start
        data = os_client.list_objects(state["ns"], BUCKET, **kwargs).data
        pages += 1
        assert len(data.objects) <= 2
        for o in data.objects:
            assert o.size == 6 and o.etag and o.md5 and o.time_created and o.time_modified, o
        seen += [o.name for o in data.objects]
        start = data.next_start_with
        if not start:
            break
    assert seen == [f"page/obj-{i}" for i in range(1, 6)], seen
    assert pages == 3, pages
    return f"5 objects in {pages} pages via nextStartWith"


def list_delimiter():
    data = os_client.list_objects(state["ns"], BUCKET, delimiter="/").data
    assert "page/" in data.prefixes and "sessions/" in data.prefixes, data.prefixes
    assert data.objects == [], [o.name for o in data.objects]
    return f"prefixes {data.prefixes}"


def list_bad_field():
    return expect_service_error(
        lambda: os_client.list_objects(state["ns"], BUCKET, fields="name,colour"), 400, "InvalidParameter"
    )


def delete_if_match_wrong():
    return expect_service_error(
        lambda: os_client.delete_object(state["ns"], BUCKET, "sessions/abc.json", if_match="not-the-etag"),
        412,
        "IfMatchFailed",
    )


def delete_object():
    resp = os_client.delete_object(state["ns"], BUCKET, "sessions/abc.json", if_match=state["etag"])
    assert resp.status == 204, resp.status
    return expect_service_error(
        lambda: os_client.get_object(state["ns"], BUCKET, "sessions/abc.json"), 404, "ObjectNotFound"
    ) + " afterwards"


def delete_missing():
    return expect_service_error(
        lambda: os_client.delete_object(state["ns"], BUCKET, "sessions/abc.json"), 404, "ObjectNotFound"
    )


def missing_bucket():
    return expect_service_error(
        lambda: os_client.put_object(state["ns"], "no-such-bucket", "x", b"x"), 404, "BucketNotFound"
    )


def untrusted_key():
    c = client("UNTRUSTED", retry_strategy=oci.retry.NoneRetryStrategy())
    return expect_service_error(lambda: c.get_namespace(), 401, "NotAuthenticated")


def wrong_private_key():
    c = client("WRONGKEY", retry_strategy=oci.retry.NoneRetryStrategy())
    return expect_service_error(lambda: c.list_objects(state["ns"], BUCKET), 401, "NotAuthenticated")


def signer_for(profile):
    config = oci.config.from_file(CONFIG_FILE, profile)
    return oci.signer.Signer(config["tenancy"], config["user"], config["fingerprint"], config["key_file"])


def skewed_date():
    # The SDK's signer keeps a Date header that is already there, so this signs a request dated 10 minutes ago.
    date = email.utils.formatdate(time.time() - 600, usegmt=True)
    resp = requests.get(f"{ENDPOINT}/n/", auth=signer_for("DEFAULT"), headers={"date": date}, timeout=10)
    assert resp.status_code == 401, resp.status_code
    assert resp.json()["code"] == "NotAuthenticated", resp.text
    fresh = requests.get(f"{ENDPOINT}/n/", auth=signer_for("DEFAULT"), timeout=10)
    assert fresh.status_code == 200, (fresh.status_code, fresh.text)
    return "401 at -10 min, 200 now (same signer)"


def tampered_body():
    # A signed POST whose body is changed after signing: x-content-sha256 no longer matches.
    body = json.dumps({"name": "tampered", "compartmentId": COMPARTMENT})
    req = requests.Request("POST", f"{ENDPOINT}/n/galleyemu/b/", data=body, auth=signer_for("DEFAULT")).prepare()
    req.body = body.replace("tampered", "tamperex")
    resp = requests.Session().send(req, timeout=10)
    assert resp.status_code == 401, (resp.status_code, resp.text)
    return "401"


def unsigned():
    try:
        urllib.request.urlopen(f"{ENDPOINT}/n/", timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 401, exc.code
        body = json.loads(exc.read())
        assert body["code"] == "NotAuthenticated" and body["message"], body
        assert exc.headers.get("opc-request-id"), dict(exc.headers)
        assert exc.headers.get("content-type") == "application/json", exc.headers.get("content-type")
        return "401 NotAuthenticated with opc-request-id"
    raise AssertionError("an unsigned request was served")


def read(name):
    with open(os.path.join(KEYDIR, name)) as f:
        return f.read().strip()


def rp_security_token_signer():
    key = oci.signer.load_private_key_from_file(os.path.join(KEYDIR, "rp_key.pem"))
    signer = oci.auth.signers.SecurityTokenSigner(read("rpst"), key)
    c = oci.object_storage.ObjectStorageClient({"region": "us-ashburn-1"}, signer=signer, service_endpoint=ENDPOINT)
    assert c.get_namespace().data == "galleyemu"
    c.put_object("galleyemu", BUCKET, "rp/object.txt", b"from the resource principal")
    got = c.get_object("galleyemu", BUCKET, "rp/object.txt").data.content
    assert got == b"from the resource principal", got
    names = [o.name for o in c.list_objects("galleyemu", BUCKET, prefix="rp/").data.objects]
    assert names == ["rp/object.txt"], names
    c.delete_object("galleyemu", BUCKET, "rp/object.txt")
    return "namespace, put, get, list, delete with keyId ST$<rpst>"


def rp_unknown_token():
    key = oci.signer.load_private_key_from_file(os.path.join(KEYDIR, "rp_key.pem"))
    signer = oci.auth.signers.SecurityTokenSigner(read("other_rpst"), key)
    c = oci.object_storage.ObjectStorageClient(
        {"region": "us-ashburn-1"}, signer=signer, service_endpoint=ENDPOINT,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    return expect_service_error(lambda: c.get_namespace(), 401, "NotAuthenticated")


def rp_environment():
    # The way a Container Instance provides its resource principal (version 2.2, file paths).
    env = {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": os.path.join(KEYDIR, "rpst"),
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": os.path.join(KEYDIR, "rp_key.pem"),
        "OCI_RESOURCE_PRINCIPAL_REGION": "us-ashburn-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        signer = oci.auth.signers.get_resource_principals_signer()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    c = oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=ENDPOINT)
    assert c.get_namespace().data == "galleyemu"
    c.put_object("galleyemu", BUCKET, "rp/env.txt", b"env")
    c.delete_object("galleyemu", BUCKET, "rp/env.txt")
    return f"{type(signer).__name__}: namespace, put, delete"


def delete_bucket():
    expect_service_error(lambda: os_client.delete_bucket(state["ns"], BUCKET), 409, "BucketNotEmpty")
    for o in os_client.list_objects(state["ns"], BUCKET).data.objects:
        os_client.delete_object(state["ns"], BUCKET, o.name)
    resp = os_client.delete_bucket(state["ns"], BUCKET)
    assert resp.status == 204, resp.status
    return expect_service_error(lambda: os_client.get_bucket(state["ns"], BUCKET), 404, "BucketNotFound") + " afterwards"


check("get_namespace", get_namespace)
if "ns" not in state:
    CHECKS.finish("sdk_check.py", force_fail=True)
check("create_bucket / get_bucket / list_buckets", create_bucket)
check("create_bucket again -> 409 BucketAlreadyExists", create_bucket_again)
check("put_object", put_object)
check("get_object", get_object)
check("head_object", head_object)
check("get_object if_none_match=<etag> -> 304", get_if_none_match)
check("object names with '/', spaces, '+', '%', unicode", odd_names)
check("put_object if_match=<wrong> -> 412 IfMatchFailed", put_if_match_wrong)
check("put_object if_none_match='*' on an existing object -> 412 IfNoneMatchFailed", put_if_none_match_existing)
check("put_object if_match=<current etag> (compare-and-swap)", put_if_match_right)
check("put_object if_none_match='*' on a new object", put_if_none_match_new)
check("list_objects paging (limit 2, start=nextStartWith)", list_paging)
check("list_objects delimiter='/'", list_delimiter)
check("list_objects unknown field -> 400 InvalidParameter", list_bad_field)
check("delete_object if_match=<wrong> -> 412 IfMatchFailed", delete_if_match_wrong)
check("delete_object", delete_object)
check("delete_object missing -> 404 ObjectNotFound", delete_missing)
check("put_object into a missing bucket -> 404 BucketNotFound", missing_bucket)
check("untrusted API key -> 401 NotAuthenticated", untrusted_key)
check("trusted keyId signed with another key -> 401 NotAuthenticated", wrong_private_key)
check("signed request with a skewed date -> 401", skewed_date)
check("signed POST with its body changed after signing -> 401", tampered_body)
check("unsigned request -> 401 JSON error", unsigned)
check("resource principal via SecurityTokenSigner", rp_security_token_signer)
check("security token the emulator does not know -> 401", rp_unknown_token)
check("resource principal from the v2.2 environment (get_resource_principals_signer)", rp_environment)
check("delete_bucket (409 BucketNotEmpty first)", delete_bucket)

CHECKS.finish("sdk_check.py")

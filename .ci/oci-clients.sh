#!/usr/bin/env bash
# Oracle's own clients against galley-emulator: the official OCI CLI and Python SDK (.ci/oci/requirements.txt)
# must accept the emulator, and the emulator must refuse what OCI refuses.
#
#   GALLEY_EMULATOR_BIN  emulator binary (default: target/debug/galley-emulator, built with
#                        `cargo build -p galley-emulator` first)
#   PYTHON               a Python >= 3.11 (a venv); .ci/oci/requirements.txt is pip-installed into it. When unset,
#                        a venv is made in a temp dir.
#
# Makes test credentials in a temp dir (.ci/oci/make_keys.py: a trusted API key, an untrusted one, a resource
# principal key pair and a fake RPST), writes an OCI config file, starts the emulator on a free loopback port
# trusting the API key and the RP pair, then runs the CLI (`oci --endpoint ... --config-file ...`) and
# .ci/oci/sdk_check.py. Every check prints `ok - ...` or `FAIL - ...`; the last line is `N passed, M failed`;
# exit 1 on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HERE="$ROOT/.ci/oci"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/galley-oci-clients.XXXXXX")"
EMU_PID=""
PASSED=0
FAILED=0

cleanup() {
    if [[ -n "$EMU_PID" ]]; then
        kill "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '# %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
finish() {
    echo "$PASSED passed, $FAILED failed"
    if [[ "$FAILED" -ne 0 ]]; then exit 1; fi
    exit 0
}

# --- the emulator binary ------------------------------------------------------------------------------------
if [[ -z "${GALLEY_EMULATOR_BIN:-}" ]]; then
    say "building galley-emulator (cargo build -p galley-emulator)"
    (cd "$ROOT" && cargo build --quiet -p galley-emulator)
    GALLEY_EMULATOR_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/galley-emulator"
fi
if [[ ! -x "$GALLEY_EMULATOR_BIN" ]]; then
    fail "GALLEY_EMULATOR_BIN=$GALLEY_EMULATOR_BIN is not an executable"
    finish
fi

# --- Python, the CLI and the SDK ----------------------------------------------------------------------------
if [[ -z "${PYTHON:-}" ]]; then
    say "creating a venv"
    python3 -m venv "$WORK/venv"
    PYTHON="$WORK/venv/bin/python"
fi
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
    || { fail "$PYTHON is older than Python 3.11"; finish; }
say "installing .ci/oci/requirements.txt"
"$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
OCI_BIN="$(dirname "$PYTHON")/oci"
[[ -x "$OCI_BIN" ]] || { fail "no oci CLI next to $PYTHON"; finish; }
say "oci-cli $("$OCI_BIN" --version), oci SDK $("$PYTHON" -c 'import oci; print(oci.__version__)')"

# --- credentials and config ---------------------------------------------------------------------------------
TENANCY="ocid1.tenancy.oc1..aaaaaaaagalleytesttenancy"
USER_OCID="ocid1.user.oc1..aaaaaaaagalleytestuser"
COMPARTMENT="ocid1.compartment.oc1..aaaaaaaagalleytest"
KEYS="$WORK/keys"
mkdir -m 700 "$KEYS"
eval "$("$PYTHON" "$HERE/make_keys.py" "$KEYS" "$TENANCY" "$COMPARTMENT")"
CONFIG="$WORK/oci-config"
cat >"$CONFIG" <<EOF
[DEFAULT]
user=$USER_OCID
fingerprint=$API_FP
tenancy=$TENANCY
region=us-ashburn-1
key_file=$KEYS/api_key.pem

[UNTRUSTED]
user=$USER_OCID
fingerprint=$OTHER_FP
tenancy=$TENANCY
region=us-ashburn-1
key_file=$KEYS/other_key.pem

[WRONGKEY]
user=$USER_OCID
fingerprint=$API_FP
tenancy=$TENANCY
region=us-ashburn-1
key_file=$KEYS/other_key.pem
EOF
chmod 600 "$CONFIG"
: >"$WORK/oci_cli_rc"
export OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING=True SUPPRESS_LABEL_WARNING=True
unset OCI_CLI_AUTH OCI_CLI_PROFILE OCI_CONFIG_FILE OCI_CLI_CONFIG_FILE

# --- the emulator -------------------------------------------------------------------------------------------
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
EMU_LOG="$WORK/emulator.log"
ENDPOINT=""
for try in 1 2 3 4 5; do
    port="$(free_port)"
    GALLEY_LOG="${GALLEY_LOG:-galley_emulator=info,warn}" "$GALLEY_EMULATOR_BIN" --listen "127.0.0.1:$port" \
        --api-key "$TENANCY/$USER_OCID/$API_FP=$KEYS/api_pub.pem" \
        --rp-token-file "$KEYS/rpst" --rp-public-key "$KEYS/rp_pub.pem" \
        --bucket cli-preset --compartment-id "$COMPARTMENT" >"$EMU_LOG" 2>&1 &
    EMU_PID=$!
    for _ in $(seq 1 200); do
        if grep -q "^listening on http://" "$EMU_LOG"; then
            ENDPOINT="http://127.0.0.1:$port"
            break 2
        fi
        kill -0 "$EMU_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
    EMU_PID=""
    say "emulator did not start on port $port (try $try)"
done
if [[ -z "$ENDPOINT" ]]; then
    fail "galley-emulator did not start"
    sed 's/^/#   /' "$EMU_LOG" || true
    finish
fi
say "emulator at $ENDPOINT ($GALLEY_EMULATOR_BIN)"

# --- the CLI ------------------------------------------------------------------------------------------------
OUT="$WORK/out.json"
ERR="$WORK/err.txt"

# oci_run ARGS...: the CLI against the emulator; stdout in $OUT, stderr in $ERR; returns the CLI's status.
oci_run() {
    "$OCI_BIN" --config-file "$CONFIG" --cli-rc-file "$WORK/oci_cli_rc" --endpoint "$ENDPOINT" \
        --connection-timeout 10 --read-timeout 60 "$@" >"$OUT" 2>"$ERR" </dev/null
}

# cli_ok NAME PYTHON_ASSERTION -- ARGS...: the command must succeed; the assertion sees its JSON output as `d`
# (None when it printed nothing) and may also read the text as `out`.
cli_ok() {
    local name="$1" assertion="$2"
    shift 3
    local rc=0
    oci_run "$@" || rc=$?
    if [[ "$rc" -ne 0 ]]; then
        fail "cli: $name: exit $rc ($(tr '\n' ' ' <"$ERR" | cut -c1-400))"
        return 0
    fi
    local why
    if why="$("$PYTHON" - "$OUT" "$assertion" 2>&1 <<'PY'
import json, sys
out = open(sys.argv[1]).read()
d = json.loads(out) if out.strip().startswith(("{", "[", '"')) else None
assert eval(sys.argv[2]), (out[:600])
PY
)"; then
        pass "cli: $name"
    else
        fail "cli: $name: $(echo "$why" | tail -1 | cut -c1-400)"
    fi
}

# cli_fails NAME STATUS CODE -- ARGS...: the command must fail with a ServiceError of that status (and code,
# unless CODE is '-': HEAD answers carry no body, so no code).
cli_fails() {
    local name="$1" status="$2" code="$3"
    shift 4
    if oci_run "$@"; then
        fail "cli: $name: succeeded, expected $status $code"
        return 0
    fi
    local why
    if why="$("$PYTHON" - "$ERR" "$status" "$code" 2>&1 <<'PY'
import json, sys
text = open(sys.argv[1]).read()
start = text.find("{")
err = json.loads(text[start:text.rfind("}") + 1]) if start >= 0 else {}
assert err.get("status") == int(sys.argv[2]), ("status", err.get("status"), text[:400])
assert sys.argv[3] == "-" or err.get("code") == sys.argv[3], ("code", err.get("code"))
assert err.get("opc-request-id"), "no opc-request-id"
print(f"{err['status']} {err.get('code')}")
PY
)"; then
        pass "cli: $name ($why)"
    else
        fail "cli: $name: $(echo "$why" | tail -1 | cut -c1-400)"
    fi
}

echo "hello from the OCI CLI" >"$WORK/hello.txt"
for i in 1 2 3 4 5; do echo "page object $i" >"$WORK/page-$i.txt"; done

cli_ok "os ns get" 'd["data"] == "galleyemu"' -- os ns get
cli_ok "os bucket create" 'd["data"]["name"] == "cli-bucket" and d["etag"]' -- \
    os bucket create --name cli-bucket --compartment-id "$COMPARTMENT"
cli_ok "os bucket get" 'd["data"]["name"] == "cli-bucket" and d["data"]["namespace"] == "galleyemu"' -- \
    os bucket get --name cli-bucket
cli_ok "os bucket list" '[b["name"] for b in d["data"]] == ["cli-bucket", "cli-preset"]' -- \
    os bucket list --compartment-id "$COMPARTMENT"
cli_fails "os bucket create (exists) -> 409" 409 BucketAlreadyExists -- \
    os bucket create --name cli-bucket --compartment-id "$COMPARTMENT"
cli_ok "os object put" 'd["etag"] and d["opc-content-md5"]' -- \
    os object put -bn cli-bucket --file "$WORK/hello.txt" --name "docs/hello world.txt" --content-type text/plain
cli_ok "os object get" 'out == "hello from the OCI CLI\n"' -- \
    os object get -bn cli-bucket --name "docs/hello world.txt" --file -
cli_ok "os object head" 'd["content-length"] == "23" and d["content-type"] == "text/plain" and d["etag"]' -- \
    os object head -bn cli-bucket --name "docs/hello world.txt"
cli_ok "os object put into --bucket preset" 'd["etag"]' -- \
    os object put -bn cli-preset --file "$WORK/hello.txt" --name preset.txt
cli_fails "os object put into a missing bucket -> 404" 404 BucketNotFound -- \
    os object put -bn no-such-bucket --file "$WORK/hello.txt" --name x.txt --force
cli_fails "os object put --force --if-match <wrong etag> -> 412" 412 IfMatchFailed -- \
    os object put -bn cli-bucket --file "$WORK/hello.txt" --name "docs/hello world.txt" --force --if-match not-the-etag
# Without --force the CLI first sends HEAD with the same if-match (a HEAD answer has no body, hence no code).
cli_fails "os object put --if-match <wrong etag> (HEAD first) -> 412" 412 - -- \
    os object put -bn cli-bucket --file "$WORK/hello.txt" --name "docs/hello world.txt" --if-match not-the-etag
cli_ok "os object put --no-overwrite on an existing object keeps it" 'True' -- \
    os object put -bn cli-bucket --file "$WORK/page-1.txt" --name "docs/hello world.txt" --no-overwrite
for i in 1 2 3 4 5; do
    if ! oci_run os object put -bn cli-bucket --file "$WORK/page-$i.txt" --name "page/obj-$i"; then
        fail "cli: os object put page/obj-$i: $(tr '\n' ' ' <"$ERR" | cut -c1-300)"
    fi
done
cli_ok "os object list --limit 2 (page 1)" \
    '[o["name"] for o in d["data"]] == ["page/obj-1", "page/obj-2"] and d["next-start-with"] == "page/obj-3"' -- \
    os object list -bn cli-bucket --prefix page/ --limit 2
cli_ok "os object list --limit 2 --start page/obj-3 (page 2)" \
    '[o["name"] for o in d["data"]] == ["page/obj-3", "page/obj-4"] and d["next-start-with"] == "page/obj-5"' -- \
    os object list -bn cli-bucket --prefix page/ --limit 2 --start page/obj-3
cli_ok "os object list --limit 2 --start page/obj-5 (last page)" \
    '[o["name"] for o in d["data"]] == ["page/obj-5"] and "next-start-with" not in d' -- \
    os object list -bn cli-bucket --prefix page/ --limit 2 --start page/obj-5
cli_ok "os object list --all --page-size 2" \
    '[o["name"] for o in d["data"]] == ["page/obj-%d" % i for i in range(1, 6)] and all(o["size"] == 14 for o in d["data"])' -- \
    os object list -bn cli-bucket --prefix page/ --all --page-size 2
cli_ok "os object list --delimiter /" 'set(d["prefixes"]) == {"docs/", "page/"} and d.get("data", []) == []' -- \
    os object list -bn cli-bucket --delimiter /
cli_ok "os object delete" 'True' -- os object delete -bn cli-bucket --name "docs/hello world.txt" --force
cli_fails "os object get (deleted) -> 404" 404 - -- \
    os object get -bn cli-bucket --name "docs/hello world.txt" --file "$WORK/nothing"
cli_fails "os object delete (deleted) -> 404" 404 ObjectNotFound -- \
    os object delete -bn cli-bucket --name "docs/hello world.txt" --force
cli_fails "os ns get signed with an untrusted key -> 401" 401 NotAuthenticated -- \
    --profile UNTRUSTED os ns get
cli_fails "os object list signed with the wrong key for a trusted keyId -> 401" 401 NotAuthenticated -- \
    --profile WRONGKEY os object list -bn cli-bucket --namespace galleyemu

# The CLI as a Container Instance runs it: resource principal 2.2 from the environment.
rp_env=(env OCI_RESOURCE_PRINCIPAL_VERSION=2.2 OCI_RESOURCE_PRINCIPAL_RPST="$KEYS/rpst"
    OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM="$KEYS/rp_key.pem" OCI_RESOURCE_PRINCIPAL_REGION=us-ashburn-1)
if "${rp_env[@]}" "$OCI_BIN" --auth resource_principal --cli-rc-file "$WORK/oci_cli_rc" --endpoint "$ENDPOINT" \
    os object list -bn cli-bucket --prefix page/ >"$OUT" 2>"$ERR" </dev/null \
    && "$PYTHON" -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["data"]) == 5' "$OUT" 2>/dev/null; then
    pass "cli: --auth resource_principal (RP 2.2 environment) os object list"
else
    fail "cli: --auth resource_principal: $(tr '\n' ' ' <"$ERR" | cut -c1-400)"
fi

# --- the Python SDK -----------------------------------------------------------------------------------------
SDK_LOG="$WORK/sdk.log"
set +e
"$PYTHON" "$HERE/sdk_check.py" "$ENDPOINT" "$KEYS" "$CONFIG" >"$SDK_LOG" 2>"$WORK/sdk.err"
sdk_status=$?
set -e
cat "$SDK_LOG"
sdk_ok=$(grep -c '^ok - ' "$SDK_LOG" || true)
sdk_failed=$(grep -c '^FAIL - ' "$SDK_LOG" || true)
PASSED=$((PASSED + sdk_ok))
FAILED=$((FAILED + sdk_failed))
if [[ "$sdk_status" -ne 0 && "$sdk_failed" -eq 0 ]]; then
    fail "sdk: sdk_check.py exited $sdk_status: $(tail -3 "$WORK/sdk.err" | tr '\n' ' ' | cut -c1-400)"
fi
if [[ "$sdk_failed" -ne 0 ]]; then
    say "sdk_check.py stderr:"
    sed 's/^/#   /' "$WORK/sdk.err" | tail -40
fi

# --- the emulator itself ------------------------------------------------------------------------------------
if grep -qE 'panicked| ERROR | WARN ' "$EMU_LOG"; then
    fail "emulator log has errors or warnings: $(grep -E 'panicked| ERROR | WARN ' "$EMU_LOG" | head -3 | tr '\n' ' ')"
else
    pass "emulator log has no errors or panics ($(grep -c 'request' "$EMU_LOG") requests logged)"
fi
if grep -qF "$(head -c 40 "$KEYS/rpst")" "$EMU_LOG"; then
    fail "emulator log contains the resource principal token"
else
    pass "emulator log does not contain the resource principal token"
fi
if [[ "$FAILED" -ne 0 ]]; then
    say "emulator log (tail):"
    tail -30 "$EMU_LOG" | sed 's/^/#   /'
fi

finish

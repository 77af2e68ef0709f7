#!/usr/bin/env bash
# Galley's OCI side through real clients: `galley serve --store oci://...` against galley-emulator, driven by the
# official Python `mcp` SDK over HTTP, with `run_oci_cli` running Oracle's real OCI CLI.
#
#   GALLEY_BIN           galley binary (default: target/debug/galley)
#   GALLEY_EMULATOR_BIN  emulator binary (default: target/debug/galley-emulator)
#   PYTHON               a Python >= 3.11 with .ci/clients/requirements.txt (the mcp SDK); made in a temp venv when
#                        unset
#   OCI_PYTHON           a Python >= 3.11 for .ci/oci/requirements.txt (oci-cli); made in a temp venv when unset.
#                        Two venvs because the two pinned sets conflict (mcp and oci-cli pin different `click`s).
#
# Makes a test API key (.ci/oci/make_keys.py), a HOME with ~/.oci/config for it (read by galley's own signer and
# by the CLI galley runs), starts the emulator trusting the key, then galley with the store in the emulator's
# bucket, GALLEY_OCI_ENDPOINT_OBJECTSTORAGE pointing at the emulator and GALLEY_OCI_CLI_BIN at the venv's `oci`.
# Then: (i) .ci/clients/hearing_flow.py, the whole hearing on the OCI store; (ii) .ci/clients/oci_tools.py,
# run_oci_cli and oci_sdk_call; (iii) .ci/clients/rm_flow.py, Resource Manager stacks and jobs (the emulator's
# jobs run the real terraform; GALLEY_OCI_ENDPOINT_RESOURCEMANAGER points at it) and export_all's hand-off zip,
# whose schema.yaml must parse (PyYAML) and whose Terraform must pass `terraform fmt -check` and
# `galley check-terraform`; (iv) the session documents are objects in the bucket (listed by the real CLI),
# and neither log holds a secret (the token, the API key, the hand-off PAR's token). Every check prints `ok - ...` or `FAIL - ...`; the last line is
# `N passed, M failed`; exit 1 on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLIENTS="$ROOT/.ci/clients"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/galley-oci-mcp.XXXXXX")"
PIDS=()

# shellcheck source=lib.sh
source "$ROOT/.ci/lib.sh"

# --- binaries -----------------------------------------------------------------------------------------------
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
GALLEY_BIN="${GALLEY_BIN:-$TARGET/galley}"
GALLEY_EMULATOR_BIN="${GALLEY_EMULATOR_BIN:-$TARGET/galley-emulator}"
if [[ ! -x "$GALLEY_BIN" || ! -x "$GALLEY_EMULATOR_BIN" ]]; then
    say "building galley and galley-emulator (cargo build -p galley -p galley-emulator)"
    (cd "$ROOT" && cargo build --quiet -p galley -p galley-emulator)
fi
for bin in "$GALLEY_BIN" "$GALLEY_EMULATOR_BIN"; do
    [[ -x "$bin" ]] || { fail "$bin is not an executable"; finish; }
done

# --- the two Pythons ----------------------------------------------------------------------------------------
if [[ -z "${PYTHON:-}" ]]; then
    say "creating a venv with .ci/clients/requirements.txt (mcp SDK)"
    python3 -m venv "$WORK/venv-mcp"
    "$WORK/venv-mcp/bin/pip" install --quiet --disable-pip-version-check -r "$CLIENTS/requirements.txt"
    PYTHON="$WORK/venv-mcp/bin/python"
fi
if [[ -z "${OCI_PYTHON:-}" ]]; then
    say "creating a venv with .ci/oci/requirements.txt (oci-cli)"
    python3 -m venv "$WORK/venv-oci"
    "$WORK/venv-oci/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/.ci/oci/requirements.txt"
    OCI_PYTHON="$WORK/venv-oci/bin/python"
fi
for py in "$PYTHON" "$OCI_PYTHON"; do
    "$py" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
        || { fail "$py is older than Python 3.11"; finish; }
done
OCI_BIN="$(dirname "$OCI_PYTHON")/oci"
[[ -x "$OCI_BIN" ]] || { fail "no oci CLI next to $OCI_PYTHON"; finish; }
say "mcp SDK $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("mcp"))'), oci-cli $("$OCI_BIN" --version), $("$GALLEY_BIN" --version)"

# --- credentials: one API key, in the HOME both galley and the CLI it runs read -------------------------------
TENANCY="ocid1.tenancy.oc1..aaaaaaaagalleymcptenancy"
USER_OCID="ocid1.user.oc1..aaaaaaaagalleymcpuser"
COMPARTMENT="ocid1.compartment.oc1..aaaaaaaagalleymcp"
NAMESPACE="galleymcp"
BUCKET="galley-state"
KEYS="$WORK/keys"
mkdir -m 700 "$KEYS"
eval "$("$OCI_PYTHON" "$ROOT/.ci/oci/make_keys.py" "$KEYS" "$TENANCY" "$COMPARTMENT")"
export HOME="$WORK/home"
mkdir -p -m 700 "$HOME/.oci"
cat >"$HOME/.oci/config" <<EOF
[DEFAULT]
user=$USER_OCID
fingerprint=$API_FP
tenancy=$TENANCY
region=us-ashburn-1
key_file=$KEYS/api_key.pem
EOF
chmod 600 "$HOME/.oci/config"
export OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING=True SUPPRESS_LABEL_WARNING=True
unset OCI_CLI_AUTH OCI_CLI_PROFILE OCI_CONFIG_FILE OCI_CLI_CONFIG_FILE GALLEY_OCI_AUTH GALLEY_REGION OCI_REGION
unset OCI_RESOURCE_PRINCIPAL_VERSION GALLEY_STORE GALLEY_MODE GALLEY_AUTH_TOKEN
while IFS='=' read -r name _; do
    [[ "$name" == GALLEY_OCI_ENDPOINT_* ]] && unset "$name"
done < <(env)

# --- the emulator and galley --------------------------------------------------------------------------------
EMU_LOG="$WORK/emulator.log"
GALLEY_LOG_FILE="$WORK/galley.log"
if ! GALLEY_LOG="galley_emulator=info,warn" start emulator "$EMU_LOG" "listening on http://127.0.0.1:PORT" \
    "$GALLEY_EMULATOR_BIN" --listen "127.0.0.1:PORT" --namespace "$NAMESPACE" --bucket "$BUCKET" \
    --compartment-id "$COMPARTMENT" --api-key "$TENANCY/$USER_OCID/$API_FP=$KEYS/api_pub.pem"; then
    fail "galley-emulator started"
    finish
fi
ENDPOINT="http://127.0.0.1:$PORT_emulator"
TOKEN="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
STORE="oci://$NAMESPACE/$BUCKET/ci"
if ! GALLEY_LOG="galley=info,warn" GALLEY_OCI_ENDPOINT_OBJECTSTORAGE="$ENDPOINT" GALLEY_OCI_CLI_BIN="$OCI_BIN" \
    GALLEY_OCI_ENDPOINT_RESOURCEMANAGER="$ENDPOINT" GALLEY_WORK_COMPARTMENT_ID="$COMPARTMENT" GALLEY_RM_POLL_MS=300 \
    GALLEY_AUTH_TOKEN="$TOKEN" start galley "$GALLEY_LOG_FILE" "127.0.0.1:PORT" \
    "$GALLEY_BIN" serve --http "127.0.0.1:PORT" --store "$STORE"; then
    fail "galley serve --store $STORE started"
    sed 's/^/#   /' "$GALLEY_LOG_FILE" | tail -n 20
    finish
fi
pass "galley serve --store $STORE started against the emulator"
URL="http://127.0.0.1:$PORT_galley/mcp?token=$TOKEN"

# run DESC CMD...: one client script (cwd .ci/clients); its ok/FAIL lines count; a crash without a FAIL line
# of its own becomes one.
run() {
    local desc="$1" rc=0
    shift
    say "== $desc"
    (cd "$CLIENTS" && "$@") 2>"$WORK/stderr.txt" | tee "$WORK/one.txt" || rc=$?
    cat "$WORK/one.txt" >>"$OUT"
    if [[ $rc -ne 0 ]]; then
        say "$desc exited with status $rc; its stderr (last 40 lines):"
        tail -n 40 "$WORK/stderr.txt" | sed 's/^/#   /'
        if ! grep -q '^FAIL - ' "$WORK/one.txt"; then
            fail "$desc exited with status $rc without a FAIL line"
        fi
    fi
}

run "hearing flow over HTTP on the OCI store (auto, legacy)" "$PYTHON" hearing_flow.py "$URL" --modes auto,legacy
run "run_oci_cli (Oracle's CLI) and oci_sdk_call" \
    "$PYTHON" oci_tools.py "$URL" --namespace "$NAMESPACE" --bucket "$BUCKET" --compartment "$COMPARTMENT"

HANDOFF="$WORK/handoff"
mkdir -p "$HANDOFF"
run "Resource Manager stacks and jobs, and export_all's hand-off package" \
    "$PYTHON" rm_flow.py "$URL" --out "$HANDOFF"

# --- the hand-off zip: schema.yaml parses, the Terraform is fmt-clean and passes galley's schema check --------
if [[ -f "$HANDOFF/stack.zip" ]]; then
    if check="$("$OCI_PYTHON" -c '
import sys, yaml, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
doc = yaml.safe_load(open(sys.argv[2] + "/schema.yaml"))
assert doc["title"] and doc["variableGroups"], doc
v = doc["variables"]
assert v["compartment_ocid"]["type"] == "oci:identity:compartment:id", v
assert v["region"]["type"] == "oci:identity:region:name", v
assert v["greeting"]["required"] is True and v["greeting"]["type"] == "string", v
print(len(v), "variables")' "$HANDOFF/stack.zip" "$HANDOFF/x" 2>&1)"; then
        pass "the hand-off schema.yaml parses with PyYAML and has Resource Manager's fields ($check)"
    else
        fail "the hand-off schema.yaml: $(echo "$check" | tail -n 3 | tr '\n' ' ')"
    fi
    if out="$(terraform -chdir="$HANDOFF/x" fmt -check -diff 2>&1)"; then
        pass "the hand-off Terraform passes terraform fmt -check"
    else
        fail "terraform fmt -check on the hand-off zip: $(echo "$out" | head -n 5 | tr '\n' ' ')"
    fi
    if out="$("$GALLEY_BIN" check-terraform "$HANDOFF/x" 2>&1)"; then
        pass "the hand-off Terraform passes galley check-terraform"
    else
        fail "galley check-terraform on the hand-off zip: $(echo "$out" | head -n 5 | tr '\n' ' ')"
    fi
else
    fail "rm_flow.py saved the hand-off zip"
fi

# --- what the store left in the bucket, seen by Oracle's CLI ------------------------------------------------
if "$OCI_BIN" --endpoint "$ENDPOINT" os object list -bn "$BUCKET" --prefix ci/sessions/ --all \
    >"$WORK/list.json" 2>"$WORK/list.err" </dev/null \
    && sessions="$("$OCI_PYTHON" -c '
import json, sys
names = [o["name"] for o in json.load(open(sys.argv[1])).get("data", [])]
docs = [n for n in names if n.endswith("/session.json")]
# Besides session.json: the Terraform workspaces and stack records of rm_flow.py.
other = [n for n in names if not n.endswith(("/session.json", "/rm.json")) and "/terraform/" not in n]
assert docs and not other, names
print(len(docs))' "$WORK/list.json" 2>&1)"; then
    pass "the hearing's session documents are objects under ci/sessions/ in the bucket ($sessions, listed by oci os object list)"
else
    fail "session documents in the bucket: $(tr '\n' ' ' <"$WORK/list.err" | cut -c1-300) ${sessions:-}"
fi

# --- the servers are up, and their logs hold no secret ------------------------------------------------------
for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then pass "pid $pid is still running after the checks"; else fail "pid $pid exited"; fi
done
if grep -qF -- "$TOKEN" "$GALLEY_LOG_FILE" "$EMU_LOG"; then
    fail "the logs do not contain galley's token: they do"
else
    pass "the logs do not contain galley's token"
fi
key_line="$(sed -n 2p "$KEYS/api_key.pem")"
if grep -qF -- "$key_line" "$GALLEY_LOG_FILE" "$EMU_LOG" || grep -q 'PRIVATE KEY' "$GALLEY_LOG_FILE"; then
    fail "the logs do not contain the API private key: they do"
else
    pass "the logs do not contain the API private key"
fi
if [[ -s "$HANDOFF/par_token" ]]; then
    if grep -qF -- "$(cat "$HANDOFF/par_token")" "$GALLEY_LOG_FILE"; then
        fail "galley's log does not contain the hand-off PAR token: it does"
    else
        pass "galley's log does not contain the hand-off PAR token"
    fi
fi
if grep -qE ' (ERROR|WARN) |panicked' "$GALLEY_LOG_FILE"; then
    fail "galley logged no warning, error or panic: $(grep -E ' (ERROR|WARN) |panicked' "$GALLEY_LOG_FILE" | head -n 3 | tr '\n' ' ')"
else
    pass "galley logged no warning, error or panic ($(grep -c 'running the OCI CLI' "$GALLEY_LOG_FILE" || true) CLI runs, $(grep -c 'calling the OCI API' "$GALLEY_LOG_FILE" || true) API calls)"
fi
if grep -qE 'panicked| ERROR ' "$EMU_LOG"; then
    fail "the emulator logged no error or panic: $(grep -E 'panicked| ERROR ' "$EMU_LOG" | head -n 3 | tr '\n' ' ')"
else
    pass "the emulator logged no error or panic ($(grep -c ' request' "$EMU_LOG" || true) requests)"
fi

finish

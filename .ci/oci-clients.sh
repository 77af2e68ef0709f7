#!/usr/bin/env bash
# Oracle's own clients against galley-emulator: the official OCI CLI and Python SDK (.ci/oci/requirements.txt)
# must accept the emulator, and the emulator must refuse what OCI refuses.
#
#   GALLEY_EMULATOR_BIN  emulator binary (default: target/debug/galley-emulator, built with
#                        `cargo build -p galley-emulator` first)
#   PYTHON               a Python >= 3.11 (a venv); .ci/oci/requirements.txt is pip-installed into it. When unset,
#                        a venv is made in a temp dir.
#
#   TERRAFORM_BIN        the terraform the emulator's Resource Manager jobs run (default: terraform on PATH; the
#                        RM checks need it: terraform_data configurations, no provider download)
#
# Makes test credentials in a temp dir (.ci/oci/make_keys.py: a trusted API key, an untrusted one, a resource
# principal key pair and a fake RPST), writes an OCI config file, starts the emulator on a free loopback port
# trusting the API key and the RP pair, then runs the CLI (`oci --endpoint ... --config-file ...`: Object Storage,
# then Resource Manager stacks and jobs on the zips of .ci/oci/rm_zips.py) and the SDK scripts .ci/oci/sdk_check.py
# and .ci/oci/rm_check.py. Every check prints `ok - ...` or `FAIL - ...`; the last line is `N passed, M failed`;
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
if ! command -v "${TERRAFORM_BIN:-terraform}" >/dev/null 2>&1; then
    fail "terraform (${TERRAFORM_BIN:-terraform}) is not on PATH: the emulator's Resource Manager jobs run it"
fi
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
        --bucket cli-preset --compartment-id "$COMPARTMENT" \
        --terraform-bin "${TERRAFORM_BIN:-terraform}" >"$EMU_LOG" 2>&1 &
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

# --- Resource Manager through the CLI: stacks from zips, jobs that run terraform in the emulator ---------------
# .ci/oci/rm_zips.py writes good.zip (terraform_data + an output, provider-less), broken.zip (a syntax error) and
# evil.zip (an entry escaping the zip's root).
"$PYTHON" "$HERE/rm_zips.py" "$WORK"
# json_field FILE EXPR: a value of the CLI's last JSON output (`d`), for the next commands.
json_field() { "$PYTHON" -c 'import json,sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$OUT" "$1"; }
WAIT_JOB=(--wait-for-state SUCCEEDED --wait-for-state FAILED --wait-interval-seconds 1 --max-wait-seconds 300)

cli_ok "rm stack create --config-source good.zip" \
    'd["data"]["lifecycle-state"] == "ACTIVE" and d["data"]["config-source"]["config-source-type"] == "ZIP_UPLOAD" and d["data"]["variables"]["name"] == "cli" and d["etag"]' -- \
    resource-manager stack create --compartment-id "$COMPARTMENT" --config-source "$WORK/good.zip" \
    --display-name cli-stack --terraform-version 1.5.x \
    --variables '{"name": "cli", "region": "us-ashburn-1", "compartment_ocid": "'"$COMPARTMENT"'"}'
STACK_ID="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm stack get" 'd["data"]["display-name"] == "cli-stack" and d["data"]["terraform-version"] == "1.5.x"' -- \
    resource-manager stack get --stack-id "$STACK_ID"
cli_ok "rm stack list" '[s["display-name"] for s in d["data"]] == ["cli-stack"]' -- \
    resource-manager stack list --compartment-id "$COMPARTMENT"
cli_ok "rm job create-plan-job (waits: ACCEPTED -> IN_PROGRESS -> SUCCEEDED)" \
    'd["data"]["lifecycle-state"] == "SUCCEEDED" and d["data"]["operation"] == "PLAN" and d["data"]["time-finished"]' -- \
    resource-manager job create-plan-job --stack-id "$STACK_ID" --display-name cli-plan "${WAIT_JOB[@]}"
PLAN_ID="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm job get (plan)" 'd["data"]["lifecycle-state"] == "SUCCEEDED" and d["data"]["job-operation-details"]["operation"] == "PLAN"' -- \
    resource-manager job get --job-id "$PLAN_ID"
cli_ok "rm job get-job-logs --all" \
    'any("Plan: 1 to add, 0 to change, 0 to destroy." in e["message"] for e in d["data"]) and all(e["type"] == "TERRAFORM_CONSOLE" and e["timestamp"] for e in d["data"])' -- \
    resource-manager job get-job-logs --job-id "$PLAN_ID" --all
cli_ok "rm job get-job-logs --limit 2 (first page, opc-next-page)" 'len(d["data"]) == 2 and d["opc-next-page"]' -- \
    resource-manager job get-job-logs --job-id "$PLAN_ID" --limit 2
cli_ok "rm job get-job-logs-content" '"Plan: 1 to add, 0 to change, 0 to destroy." in d["data"]' -- \
    resource-manager job get-job-logs-content --job-id "$PLAN_ID"
cli_ok "rm job create-apply-job --execution-plan-strategy FROM_PLAN_JOB_ID" \
    'd["data"]["lifecycle-state"] == "SUCCEEDED" and d["data"]["resolved-plan-job-id"] == "'"$PLAN_ID"'"' -- \
    resource-manager job create-apply-job --stack-id "$STACK_ID" --execution-plan-strategy FROM_PLAN_JOB_ID \
    --execution-plan-job-id "$PLAN_ID" "${WAIT_JOB[@]}"
APPLY_ID="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm job get-job-logs-content (apply)" '"Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in d["data"]' -- \
    resource-manager job get-job-logs-content --job-id "$APPLY_ID"
cli_ok "rm job get-job-tf-state (the apply's state, with the output)" \
    'd["outputs"]["greeting"]["value"] == "hello cli in us-ashburn-1" and d["resources"][0]["type"] == "terraform_data"' -- \
    resource-manager job get-job-tf-state --job-id "$APPLY_ID" --file -
cli_ok "rm job create-destroy-job --execution-plan-strategy AUTO_APPROVED" \
    'd["data"]["lifecycle-state"] == "SUCCEEDED" and d["data"]["operation"] == "DESTROY"' -- \
    resource-manager job create-destroy-job --stack-id "$STACK_ID" --execution-plan-strategy AUTO_APPROVED "${WAIT_JOB[@]}"
DESTROY_ID="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm job get-job-tf-state (after destroy: no resources)" 'd["resources"] == []' -- \
    resource-manager job get-job-tf-state --job-id "$DESTROY_ID" --file -
cli_ok "rm job list --stack-id (newest first)" '[j["operation"] for j in d["data"]] == ["DESTROY", "APPLY", "PLAN"]' -- \
    resource-manager job list --stack-id "$STACK_ID"
cli_fails "rm job create-apply-job from a missing plan job -> 404" 404 NotAuthorizedOrNotFound -- \
    resource-manager job create-apply-job --stack-id "$STACK_ID" --execution-plan-strategy FROM_PLAN_JOB_ID \
    --execution-plan-job-id ocid1.ormjob.oc1.iad.nosuchjob
cli_ok "rm stack create --config-source broken.zip" 'd["data"]["lifecycle-state"] == "ACTIVE"' -- \
    resource-manager stack create --compartment-id "$COMPARTMENT" --config-source "$WORK/broken.zip" --display-name cli-broken
BROKEN_ID="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm job create-plan-job on the broken zip -> FAILED with failure-details" \
    'd["data"]["lifecycle-state"] == "FAILED" and d["data"]["failure-details"]["code"] == "TERRAFORM_EXECUTION_ERROR" and "Error:" in d["data"]["failure-details"]["message"]' -- \
    resource-manager job create-plan-job --stack-id "$BROKEN_ID" "${WAIT_JOB[@]}"
BROKEN_JOB="$(json_field 'd["data"]["id"]' 2>/dev/null || true)"
cli_ok "rm job get-job-logs-content (broken): Terraform's own error" \
    '"Error: Invalid expression" in d["data"] and "main.tf line 2" in d["data"]' -- \
    resource-manager job get-job-logs-content --job-id "$BROKEN_JOB"
cli_fails "rm stack create --config-source evil.zip (path traversal) -> 400" 400 InvalidParameter -- \
    resource-manager stack create --compartment-id "$COMPARTMENT" --config-source "$WORK/evil.zip"
cli_ok "rm stack delete" 'True' -- resource-manager stack delete --stack-id "$STACK_ID" --force
cli_ok "rm stack delete (broken)" 'True' -- resource-manager stack delete --stack-id "$BROKEN_ID" --force
cli_fails "rm stack get (deleted) -> 404" 404 NotAuthorizedOrNotFound -- resource-manager stack get --stack-id "$STACK_ID"

# --- the Python SDK -----------------------------------------------------------------------------------------
# py_checks SCRIPT: runs a check script (ENDPOINT KEYDIR CONFIG) and counts its `ok - ` / `FAIL - ` lines.
py_checks() {
    local script="$1" log="$WORK/$1.log" err="$WORK/$1.err" status=0
    "$PYTHON" "$HERE/$script" "$ENDPOINT" "$KEYS" "$CONFIG" >"$log" 2>"$err" || status=$?
    cat "$log"
    local ok failed
    ok=$(grep -c '^ok - ' "$log" || true)
    failed=$(grep -c '^FAIL - ' "$log" || true)
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + failed))
    if [[ "$status" -ne 0 && "$failed" -eq 0 ]]; then
        fail "sdk: $script exited $status: $(tail -3 "$err" | tr '\n' ' ' | cut -c1-400)"
    fi
    if [[ "$failed" -ne 0 ]]; then
        say "$script stderr:"
        sed 's/^/#   /' "$err" | tail -40
    fi
}
py_checks sdk_check.py
# Resource Manager (oci.resource_manager.ResourceManagerClient): stacks, jobs running terraform, logs, state.
py_checks rm_check.py

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

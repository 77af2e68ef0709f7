#!/usr/bin/env bash
# Terraform through Galley's MCP tools with the real terraform binary, driven by the official Python `mcp` SDK
# (.ci/clients/terraform_flow.py), on a file:// store and on the OCI store in galley-emulator.
#
#   GALLEY_BIN           galley binary (default: target/debug/galley)
#   GALLEY_EMULATOR_BIN  emulator binary (default: target/debug/galley-emulator)
#   PYTHON               a Python >= 3.11 with .ci/clients/requirements.txt; a temp venv is made when unset
#
# For each store: galley without GALLEY_TERRAFORM_ALLOW_EXEC runs the main flow (error loop with file and line,
# fix, plan, apply, outputs, stale plans, destroy, local-exec refused); galley with it (a local-exec `sleep`
# makes applies slow) runs two concurrent applies on one workspace, cancels a long apply (cancel_job), then starts
# a long apply, is killed with SIGKILL and restarted on the same store: the job must be interrupted, the lock
# released and the state usable.
# Every check prints `ok - ...` or `FAIL - ...`; the last line is `N passed, M failed`; exit 1 on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLIENTS="$ROOT/.ci/clients"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/galley-terraform.XXXXXX")"
PIDS=()
# shellcheck source=lib.sh
source "$ROOT/.ci/lib.sh"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
GALLEY_BIN="${GALLEY_BIN:-$TARGET/galley}"
GALLEY_EMULATOR_BIN="${GALLEY_EMULATOR_BIN:-$TARGET/galley-emulator}"
if [[ ! -x "$GALLEY_BIN" || ! -x "$GALLEY_EMULATOR_BIN" ]]; then
    (cd "$ROOT" && cargo build --quiet -p galley -p galley-emulator)
fi
command -v terraform >/dev/null || { fail "terraform is on PATH"; finish; }
if [[ -z "${PYTHON:-}" ]]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check -r "$CLIENTS/requirements.txt"
    PYTHON="$WORK/venv/bin/python"
fi
say "$(terraform version | head -n 1), $("$GALLEY_BIN" --version)"
unset GALLEY_STORE GALLEY_MODE GALLEY_AUTH_TOKEN GALLEY_TERRAFORM_ALLOW_EXEC GALLEY_TERRAFORM_WORK_DIR TF_CLI_CONFIG_FILE
TOKEN="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export GALLEY_LOG="galley=info,warn"

run() {
    local desc="$1" rc=0
    shift
    say "== $desc"
    (cd "$CLIENTS" && "$@") 2>"$WORK/stderr.txt" | tee "$WORK/one.txt" || rc=$?
    grep -E '^(ok|FAIL) - ' "$WORK/one.txt" >>"$OUT" || true
    if [[ $rc -ne 0 ]] && ! grep -q '^FAIL - ' "$WORK/one.txt"; then
        fail "$desc exited with status $rc: $(tail -n 5 "$WORK/stderr.txt" | tr '\n' ' ')"
    fi
}

# flows LABEL STORE_URL: the main flow, concurrency, and the restart, on one store.
flows() {
    local label="$1" store="$2" log="$WORK/galley-$1.log" exec_log="$WORK/galley-$1-exec.log" line sid job
    if ! start "plain_$label" "$log" "127.0.0.1:PORT" env GALLEY_AUTH_TOKEN="$TOKEN" \
        GALLEY_TERRAFORM_WORK_DIR="$WORK/work-$label" "$GALLEY_BIN" serve --http "127.0.0.1:PORT" --store "$store"; then
        fail "[$label] galley serve started"; sed 's/^/#   /' "$log" | tail -n 20; return
    fi
    local port_var="PORT_plain_$label"
    run "[$label] error loop, apply, stale plans, destroy, local-exec refused" \
        "$PYTHON" terraform_flow.py "http://127.0.0.1:${!port_var}/mcp?token=$TOKEN" --phase main --label "$label main"

    local exec_cmd=(env GALLEY_AUTH_TOKEN="$TOKEN" GALLEY_TERRAFORM_ALLOW_EXEC=1
        GALLEY_TERRAFORM_WORK_DIR="$WORK/work-$label-exec" "$GALLEY_BIN" serve --http "127.0.0.1:PORT" --store "$store")
    if ! start "exec_$label" "$exec_log" "127.0.0.1:PORT" "${exec_cmd[@]}"; then
        fail "[$label] galley serve (exec allowed) started"; return
    fi
    port_var="PORT_exec_$label"
    local pid_var="PID_exec_$label"
    run "[$label] two concurrent applies on one workspace, cancel_job of a long apply" \
        "$PYTHON" terraform_flow.py "http://127.0.0.1:${!port_var}/mcp?token=$TOKEN" --phase lock --label "$label lock"
    run "[$label] a long apply" \
        "$PYTHON" terraform_flow.py "http://127.0.0.1:${!port_var}/mcp?token=$TOKEN" --phase start-long --label "$label restart"
    line="$(grep -E '^SESSION=' "$WORK/one.txt" || true)"
    sid="$(sed -n 's/^SESSION=\([^ ]*\) JOB=.*/\1/p' <<<"$line")"
    job="$(sed -n 's/.* JOB=\(.*\)$/\1/p' <<<"$line")"
    if [[ -z "$sid" || -z "$job" ]]; then fail "[$label] the long apply reported its session and job"; return; fi
    kill -9 "${!pid_var}" 2>/dev/null || true
    wait "${!pid_var}" 2>/dev/null || true
    pass "[$label] galley was killed (SIGKILL) in the middle of the apply"
    if ! start "exec2_$label" "$exec_log" "127.0.0.1:PORT" "${exec_cmd[@]}"; then
        fail "[$label] galley restarted on the same store"; return
    fi
    port_var="PORT_exec2_$label"
    run "[$label] after the restart" "$PYTHON" terraform_flow.py "http://127.0.0.1:${!port_var}/mcp?token=$TOKEN" \
        --phase after-restart --session "$sid" --job "$job" --label "$label restart"
    for f in "$log" "$exec_log"; do
        if grep -qF -- "$TOKEN" "$f" || grep -q 'TF_HTTP_PASSWORD' "$f"; then
            fail "[$label] $(basename "$f") holds no token or backend credential"
        else
            pass "[$label] $(basename "$f") holds no token or backend credential"
        fi
        if grep -qE 'panicked| ERROR ' "$f"; then fail "[$label] $(basename "$f") has no error or panic: $(grep -E 'panicked| ERROR ' "$f" | head -n 2)"; else pass "[$label] $(basename "$f") has no error or panic"; fi
    done
}

mkdir -p "$WORK/store"
flows file "file://$WORK/store"

# --- the same on the OCI store in galley-emulator -----------------------------------------------------------------
TENANCY="ocid1.tenancy.oc1..aaaaaaaagalleytftenancy"
USER_OCID="ocid1.user.oc1..aaaaaaaagalleytfuser"
COMPARTMENT="ocid1.compartment.oc1..aaaaaaaagalleytf"
KEYS="$WORK/keys"
mkdir -m 700 "$KEYS"
eval "$("$PYTHON" "$ROOT/.ci/oci/make_keys.py" "$KEYS" "$TENANCY" "$COMPARTMENT")"
export HOME="$WORK/home"
mkdir -p -m 700 "$HOME/.oci"
printf '[DEFAULT]\nuser=%s\nfingerprint=%s\ntenancy=%s\nregion=us-ashburn-1\nkey_file=%s\n' \
    "$USER_OCID" "$API_FP" "$TENANCY" "$KEYS/api_key.pem" >"$HOME/.oci/config"
chmod 600 "$HOME/.oci/config"
unset OCI_CLI_AUTH OCI_CONFIG_FILE GALLEY_OCI_AUTH OCI_RESOURCE_PRINCIPAL_VERSION
if GALLEY_LOG="galley_emulator=info,warn" start emulator "$WORK/emulator.log" "listening on http://127.0.0.1:PORT" \
    "$GALLEY_EMULATOR_BIN" --listen "127.0.0.1:PORT" --namespace galleytf --bucket tfstate \
    --compartment-id "$COMPARTMENT" --api-key "$TENANCY/$USER_OCID/$API_FP=$KEYS/api_pub.pem"; then
    export GALLEY_OCI_ENDPOINT_OBJECTSTORAGE="http://127.0.0.1:$PORT_emulator"
    flows oci "oci://galleytf/tfstate/ci"
    if grep -q 'tfstate/' "$WORK/emulator.log" 2>/dev/null || true; then :; fi
else
    fail "galley-emulator started"
fi
finish

#!/usr/bin/env bash
# Real-client checks: the official Python MCP SDK (.ci/clients/requirements.txt) against the real galley binary.
#
#   GALLEY_BIN  galley binary (default: target/debug/galley; built with `cargo build -p galley` when the default
#               is missing)
#   PYTHON      a Python >= 3.11 with .ci/clients/requirements.txt installed; when unset, a venv is made in a
#               temp dir and the requirements are installed into it
#
# Runs hearing_flow.py over stdio (legacy + auto) and over HTTP (auto + legacy, plus token checks), design_flow.py
# over HTTP and stdio (GALLEY_MERMAID_OUT, when set, receives its diagrams for Mermaid's parser), then
# concurrency.py against one HTTP server and against two replicas sharing one file:// store. The servers are
# started here on free loopback ports with temp stores and a random token, and killed on exit.
# Every check prints `ok - ...` or `FAIL - ...`; the last line is `N passed, M failed`; exit 1 on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLIENTS="$ROOT/.ci/clients"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/galley-clients.XXXXXX")"
PIDS=()

# shellcheck source=lib.sh
source "$ROOT/.ci/lib.sh"

# --- the binary ---------------------------------------------------------------------------------------------
if [[ -z "${GALLEY_BIN:-}" ]]; then
    GALLEY_BIN="$ROOT/target/debug/galley"
    if [[ ! -x "$GALLEY_BIN" ]]; then
        say "building galley (cargo build -p galley)"
        (cd "$ROOT" && cargo build -p galley)
    fi
fi
if [[ ! -x "$GALLEY_BIN" ]]; then
    fail "GALLEY_BIN=$GALLEY_BIN is not an executable"
    finish
fi
GALLEY_BIN="$(cd "$(dirname "$GALLEY_BIN")" && pwd)/$(basename "$GALLEY_BIN")"

# --- Python -------------------------------------------------------------------------------------------------
if [[ -z "${PYTHON:-}" ]]; then
    say "creating a venv with .ci/clients/requirements.txt"
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check -r "$CLIENTS/requirements.txt"
    PYTHON="$WORK/venv/bin/python"
fi
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
    || { fail "$PYTHON is older than Python 3.11"; finish; }
say "mcp SDK $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("mcp"))'), $("$GALLEY_BIN" --version)"

TOKEN="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export GALLEY_LOG="${GALLEY_LOG:-galley=info,warn}"

# start_server NAME STORE_DIR: `galley serve --http` on a free port (lib.sh's start); sets URL_<NAME>.
start_server() {
    local name="$1" store="$2" port_var
    GALLEY_AUTH_TOKEN="$TOKEN" start "$name" "$WORK/$name.log" "127.0.0.1:PORT" \
        "$GALLEY_BIN" serve --http "127.0.0.1:PORT" --store "file://$store" || return 1
    port_var="PORT_$name"
    printf -v "URL_$name" 'http://127.0.0.1:%s/mcp?token=%s' "${!port_var}" "$TOKEN"
}

mkdir -p "$WORK/stdio-store" "$WORK/http-store" "$WORK/shared-store"
FAILED_TO_START=0
start_server main "$WORK/http-store" || FAILED_TO_START=1
start_server replica1 "$WORK/shared-store" || FAILED_TO_START=1
start_server replica2 "$WORK/shared-store" || FAILED_TO_START=1

# run DESC CMD...: runs one script (in .ci/clients), shows its output and keeps it for the count; a non-zero exit
# without any FAIL line of its own (a crash) becomes a FAIL line; its stderr is shown when it failed.
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

if [[ $FAILED_TO_START -ne 0 ]]; then
    fail "a galley HTTP server did not start"
else
    run "hearing flow over stdio (legacy, auto)" \
        "$PYTHON" hearing_flow.py "stdio:$GALLEY_BIN:$WORK/stdio-store" --modes legacy,auto
    run "hearing flow over HTTP (auto, legacy) and token checks" \
        "$PYTHON" hearing_flow.py "$URL_main" --modes auto,legacy
    run "design flow over HTTP (hearing, proposal, a tripped rule, the fix, exports)" \
        "$PYTHON" design_flow.py "$URL_main" ${GALLEY_MERMAID_OUT:+--mermaid-out "$GALLEY_MERMAID_OUT"}
    run "design flow over stdio" \
        "$PYTHON" design_flow.py "stdio:$GALLEY_BIN:$WORK/stdio-store"
    run "concurrency against one galley" \
        "$PYTHON" concurrency.py "$URL_main"
    run "concurrency against two replicas sharing one file:// store" \
        "$PYTHON" concurrency.py "$URL_replica1" "$URL_replica2"

    # the servers are still up and their logs must not hold the token
    for name in main replica1 replica2; do
        log="$WORK/$name.log"
        if grep -qF -- "$TOKEN" "$log"; then
            fail "[servers] galley $name's log does not contain the token: it does"
        else
            pass "[servers] galley $name's log does not contain the token"
        fi
        if grep -qE ' (ERROR|WARN) |panicked' "$log"; then
            fail "[servers] galley $name logged no warning, error or panic: $(grep -E ' (ERROR|WARN) |panicked' "$log" | head -n 3 | tr '\n' ' ')"
        else
            pass "[servers] galley $name logged no warning, error or panic"
        fi
    done
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            pass "[servers] galley pid $pid is still running after the checks"
        else
            fail "[servers] galley pid $pid is still running after the checks: it exited"
        fi
    done
fi

finish

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

cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '# %s\n' "$*"; }

# --- the binary ---------------------------------------------------------------------------------------------
if [[ -z "${GALLEY_BIN:-}" ]]; then
    GALLEY_BIN="$ROOT/target/debug/galley"
    if [[ ! -x "$GALLEY_BIN" ]]; then
        say "building galley (cargo build -p galley)"
        (cd "$ROOT" && cargo build -p galley)
    fi
fi
if [[ ! -x "$GALLEY_BIN" ]]; then
    echo "FAIL - GALLEY_BIN=$GALLEY_BIN is not an executable" >&2
    echo "0 passed, 1 failed"
    exit 1
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
    || { echo "FAIL - $PYTHON is older than Python 3.11"; echo "0 passed, 1 failed"; exit 1; }
say "mcp SDK $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("mcp"))'), $("$GALLEY_BIN" --version)"

TOKEN="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export GALLEY_LOG="${GALLEY_LOG:-galley=info,warn}"

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME STORE_DIR: starts `galley serve --http` on a free port; sets URL_<NAME>.
# Retries with another port when the chosen one was taken meanwhile (galley then exits at once).
start_server() {
    local name="$1" store="$2" try port pid log i
    for try in 1 2 3 4 5; do
        port="$(free_port)"
        log="$WORK/$name.log"
        GALLEY_AUTH_TOKEN="$TOKEN" "$GALLEY_BIN" serve --http "127.0.0.1:$port" --store "file://$store" >"$log" 2>&1 &
        pid=$!
        for i in $(seq 1 600); do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            # our process names this port in its log (it printed where it listens), and /healthz answers
            if grep -q "127.0.0.1:$port" "$log" \
                && "$PYTHON" - "$port" <<'EOF' 2>/dev/null; then
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as r:
    assert r.status == 200 and json.load(r)["status"] == "ok"
EOF
                PIDS+=("$pid")
                printf -v "URL_$name" 'http://127.0.0.1:%s/mcp?token=%s' "$port" "$TOKEN"
                say "galley $name on 127.0.0.1:$port (pid $pid, store $store)"
                return 0
            fi
            sleep 0.1
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        say "galley $name did not come up on port $port (try $try): $(tail -n 3 "$log" | tr '\n' ' ')"
    done
    return 1
}

mkdir -p "$WORK/stdio-store" "$WORK/http-store" "$WORK/shared-store"
FAILED_TO_START=0
start_server main "$WORK/http-store" || FAILED_TO_START=1
start_server replica1 "$WORK/shared-store" || FAILED_TO_START=1
start_server replica2 "$WORK/shared-store" || FAILED_TO_START=1

OUT="$WORK/results.txt"
: >"$OUT"

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
            echo "FAIL - $desc exited with status $rc without a FAIL line" | tee -a "$OUT"
        fi
    fi
}

if [[ $FAILED_TO_START -ne 0 ]]; then
    echo "FAIL - a galley HTTP server did not start" | tee -a "$OUT"
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
            echo "FAIL - [servers] galley $name's log does not contain the token: it does" | tee -a "$OUT"
        else
            echo "ok - [servers] galley $name's log does not contain the token" | tee -a "$OUT"
        fi
        if grep -qE ' (ERROR|WARN) |panicked' "$log"; then
            echo "FAIL - [servers] galley $name logged no warning, error or panic: $(grep -E ' (ERROR|WARN) |panicked' "$log" | head -n 3 | tr '\n' ' ')" | tee -a "$OUT"
        else
            echo "ok - [servers] galley $name logged no warning, error or panic" | tee -a "$OUT"
        fi
    done
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            echo "ok - [servers] galley pid $pid is still running after the checks" | tee -a "$OUT"
        else
            echo "FAIL - [servers] galley pid $pid is still running after the checks: it exited" | tee -a "$OUT"
        fi
    done
fi

passed="$(grep -c '^ok - ' "$OUT" || true)"
failed="$(grep -c '^FAIL - ' "$OUT" || true)"
echo
if [[ $failed -ne 0 ]]; then
    say "failures:"
    grep '^FAIL - ' "$OUT" || true
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

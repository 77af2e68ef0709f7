#!/usr/bin/env bash
# Runs the official MCP conformance suite against `galley serve --conformance-fixtures` (stateless Streamable
# HTTP) for every spec version in SPEC_VERSIONS. Exits non-zero when any run has an unexpected failure or a
# stale expected-failure entry (see .ci/conformance/expected-failures-<version>.yml).
#
# Env:
#   GALLEY_BIN         server binary (default: target/debug/galley; build it first with `cargo build -p galley`)
#   CONFORMANCE_PKG    suite package (default: @modelcontextprotocol/conformance@0.2.0-alpha.12)
#   NODE_PKG           Node package that provides the runtime (default: node@22; the suite needs Node >= 22)
#   CONFORMANCE_OUT    where to keep the results (default: a fresh temporary directory)
#   SPEC_VERSIONS      space-separated spec versions (default: "2025-11-25 2026-07-28")
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

GALLEY_BIN="${GALLEY_BIN:-target/debug/galley}"
CONFORMANCE_PKG="${CONFORMANCE_PKG:-@modelcontextprotocol/conformance@0.2.0-alpha.12}"
NODE_PKG="${NODE_PKG:-node@22}"
SPEC_VERSIONS="${SPEC_VERSIONS:-2025-11-25 2026-07-28}"
baseline_dir="$repo_root/.ci/conformance"

if [[ ! -x "$GALLEY_BIN" ]]; then
    echo "conformance: $GALLEY_BIN is not an executable; build it with 'cargo build -p galley' or set GALLEY_BIN" >&2
    exit 2
fi
for tool in npx python3; do
    command -v "$tool" >/dev/null || { echo "conformance: '$tool' is required" >&2; exit 2; }
done

out="${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/galley-conformance.XXXXXX")}"
mkdir -p "$out"

# A free loopback port: bind port 0 and read back what the kernel chose.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
token="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
url="http://127.0.0.1:${port}/mcp?token=${token}"

server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The token goes through the environment (GALLEY_AUTH_TOKEN), not argv, so `ps` does not show it.
GALLEY_AUTH_TOKEN="$token" "$GALLEY_BIN" serve \
    --http "127.0.0.1:${port}" --store memory:// --conformance-fixtures >"$out/server.log" 2>&1 &
server_pid=$!

healthy() {
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1).read()' \
        "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1
}
for _ in $(seq 1 100); do
    if healthy; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "conformance: galley exited during start-up; its log:" >&2
        cat "$out/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
healthy || {
    echo "conformance: galley did not answer /healthz on port $port within 10 s" >&2
    exit 1
}

# From the checks.json files of one run: how many scenarios had only passing checks, how many checks passed
# (INFO and SKIPPED are not counted), and one line per scenario with a failing or warning check.
summarize() {
    python3 - "$1" <<'PY'
import json, pathlib, sys
runs = {}
for f in sorted(pathlib.Path(sys.argv[1]).glob("server-*/checks.json")):
    name = f.parent.name[len("server-"):].rsplit("-", 6)[0]  # drop the -YYYY-MM-DDTHH-MM-SS-mmmZ suffix
    runs[name] = json.loads(f.read_text())
scenarios_ok = checks_ok = checks = 0
bad = []
for name, results in runs.items():
    counted = [c for c in results if c.get("status") in ("SUCCESS", "FAILURE", "WARNING")]
    ok = [c for c in counted if c["status"] == "SUCCESS"]
    checks += len(counted)
    checks_ok += len(ok)
    if len(ok) == len(counted):
        scenarios_ok += 1
    else:
        ids = sorted({f'{c["id"]} ({c["status"]})' for c in counted if c["status"] != "SUCCESS"})
        bad.append(f"    {name}: " + ", ".join(ids))
print(f"  {scenarios_ok}/{len(runs)} scenarios clean, {checks_ok}/{checks} checks passed")
print("\n".join(bad))
PY
}

status=0
for version in $SPEC_VERSIONS; do
    baseline="$baseline_dir/expected-failures-${version}.yml"
    [[ -f "$baseline" ]] || { echo "conformance: missing $baseline" >&2; exit 2; }
    run_dir="$out/$version"
    mkdir -p "$run_dir"
    echo "== MCP conformance, spec $version (results: $run_dir)"
    set +e
    npx -y -p "$NODE_PKG" -p "$CONFORMANCE_PKG" -- conformance server \
        --url "$url" --suite all --spec-version "$version" \
        --expected-failures "$baseline" -o "$run_dir" >"$run_dir/output.txt" 2>&1
    rc=$?
    set -e
    summarize "$run_dir"
    if [[ $rc -ne 0 ]]; then
        # The suite's verdict on the baseline: unexpected failures and stale entries, without colours.
        sed -n '/^Total: /,$p' "$run_dir/output.txt" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  /'
        echo "  FAILED (exit $rc); full output: $run_dir/output.txt"
        status=1
    else
        echo "  ok: every failure and warning is an expected one ($(basename "$baseline"))"
    fi
done

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance: galley died during the run; its log: $out/server.log" >&2
    status=1
fi
exit "$status"

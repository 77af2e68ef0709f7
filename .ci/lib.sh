# Shared by the .ci check scripts that start processes and report `ok - ...` / `FAIL - ...` lines.
# The sourcing script sets WORK (a temp dir, removed at exit) and PIDS (processes to stop at exit) first.
# shellcheck shell=bash

cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

OUT="$WORK/results.txt"
: >"$OUT"
say() { printf '# %s\n' "$*"; }
pass() { echo "ok - $*" | tee -a "$OUT"; }
fail() { echo "FAIL - $*" | tee -a "$OUT"; }

# Prints the failures and the closing `N passed, M failed` line; exits 1 when anything failed.
finish() {
    local passed failed
    passed="$(grep -c '^ok - ' "$OUT" || true)"
    failed="$(grep -c '^FAIL - ' "$OUT" || true)"
    echo
    if [[ "$failed" -ne 0 ]]; then
        say "failures:"
        grep '^FAIL - ' "$OUT" || true
    fi
    echo "$passed passed, $failed failed"
    if [[ "$failed" -ne 0 ]]; then exit 1; fi
    exit 0
}

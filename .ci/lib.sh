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

# A free TCP port on 127.0.0.1 (the sourcing script sets PYTHON before calling it).
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME LOG READY_PATTERN CMD...: starts CMD in the background on a fresh port (the word PORT in CMD and in
# READY_PATTERN is replaced), appending its output to LOG, and waits until LOG has READY_PATTERN; sets PORT_<NAME>
# and PID_<NAME>. Five tries, since another process may take the port between choosing and binding it; what a
# failed try wrote is cut from LOG again, so later checks of the log see only the process that came up.
# Pass secrets (tokens) through the environment, not CMD: arguments are visible in `ps` and PORT would be replaced
# inside them.
start() {
    local name="$1" log="$2" ready="$3" try port pid i size
    shift 3
    touch "$log"
    for try in 1 2 3 4 5; do
        port="$(free_port)"
        size="$(stat -c %s "$log")"
        "${@//PORT/$port}" >>"$log" 2>&1 &
        pid=$!
        for i in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            if grep -q -- "${ready//PORT/$port}" "$log"; then
                PIDS+=("$pid")
                printf -v "PORT_$name" '%s' "$port"
                printf -v "PID_$name" '%s' "$pid"
                say "$name on 127.0.0.1:$port (pid $pid)"
                return 0
            fi
            sleep 0.1
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        say "$name did not come up on port $port (try $try): $(tail -c +"$((size + 1))" "$log" | tail -n 3 | tr '\n' ' ')"
        truncate -s "$size" "$log"
    done
    return 1
}

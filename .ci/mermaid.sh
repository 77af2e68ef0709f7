#!/usr/bin/env bash
# Checks Galley's Mermaid exports with Mermaid's own code: every diagram in the corpus is parsed by the npm `mermaid`
# package under Node (DOM from jsdom), a broken diagram must fail, and some diagrams are rendered to SVG and PNG with
# @mermaid-js/mermaid-cli driving Debian's chromium.
#
# Corpus: the export snapshots in crates/galley-domain/src/export/snapshots/ (the *_mermaid ones whole, without
# insta's header; the ```mermaid blocks of the others) plus every *.mmd file in the directories given as arguments,
# e.g. random designs from
#   GALLEY_MERMAID_CORPUS=/tmp/mmd cargo test -p galley-domain export::tests::write_random_corpus -- --ignored
#
# Usage: .ci/mermaid.sh [DIR...]
# Env:   MERMAID_OUT=DIR keeps the rendered SVG/PNG files there (default: a temp dir removed at exit).
# Needs Node/npm; installs chromium and CJK fonts with apt-get when chromium is missing (root or sudo), and the npm
# packages (.ci/mermaid/package.json, no lock file) into a temp dir. Nothing is installed globally.
set -euo pipefail
cd "$(dirname "$0")/.."

export CI="${CI:-true}"
export DEBIAN_FRONTEND=noninteractive
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="${MERMAID_OUT:-$WORK/out}"
mkdir -p "$OUT" "$WORK/corpus" "$WORK/npm"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

echo "--- chromium and fonts"
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'cjk'; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
    $SUDO apt-get update -qq </dev/null
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig </dev/null >/dev/null
fi
CHROMIUM="$(command -v chromium)"
"$CHROMIUM" --version

echo "--- npm packages"
# Exact versions from the lock file (npm ci), so a new release upstream cannot turn this check red overnight.
cp .ci/mermaid/package.json .ci/mermaid/package-lock.json .ci/mermaid/parse.mjs "$WORK/npm/"
sed "s#/usr/bin/chromium#$CHROMIUM#" .ci/mermaid/puppeteer.json >"$WORK/npm/puppeteer.json"
(cd "$WORK/npm" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
node -e "for (const p of ['mermaid', '@mermaid-js/mermaid-cli', 'jsdom']) console.log(p, require('$WORK/npm/node_modules/' + p + '/package.json').version)"

echo "--- corpus"
n=0
for snap in crates/galley-domain/src/export/snapshots/*.snap; do
    base="$(basename "$snap" .snap)"
    case "$base" in
        *_mermaid)
            # insta's header is the first block between two --- lines.
            awk 'h >= 2 { print; next } /^---$/ { h++ }' "$snap" >"$WORK/corpus/$base.mmd"
            n=$((n + 1))
            ;;
        *)
            awk -v out="$WORK/corpus/$base" '
                /^```mermaid$/ { k++; f = out "-" k ".mmd"; inb = 1; next }
                /^```$/ && inb { inb = 0; close(f); next }
                inb { print > f }' "$snap"
            ;;
    esac
done
for dir in "$@"; do
    for f in "$dir"/*.mmd; do
        [ -e "$f" ] || continue
        cp "$f" "$WORK/corpus/arg-$(basename "$dir")-$(basename "$f")"
    done
done
total=$(find "$WORK/corpus" -name '*.mmd' | wc -l)
echo "$total diagrams ($n mermaid snapshots, the rest from summaries and arguments)"
[ "$total" -gt 0 ] || { echo "no diagrams found"; exit 1; }

echo "--- negative check: a broken diagram must fail to parse"
printf 'flowchart TB\n  a["say "hi""] --> end\n' >"$WORK/broken.mmd"
if (cd "$WORK/npm" && node parse.mjs "$WORK/broken.mmd") >"$WORK/broken.log" 2>&1; then
    fail "broken diagram was accepted: the parser check is not working"
    cat "$WORK/broken.log"
else
    grep -q '^FAIL' "$WORK/broken.log" && pass "broken diagram rejected" || { fail "parser crashed"; cat "$WORK/broken.log"; }
fi

echo "--- parse every diagram with mermaid.parse"
(cd "$WORK/npm" && find "$WORK/corpus" -name '*.mmd' -print0 | sort -z | xargs -0 node parse.mjs) >"$WORK/parse.log" 2>&1 || true
while IFS= read -r line; do
    case "$line" in
        "ok "*) pass "parse ${line#ok "$WORK"/corpus/}" ;;
        "FAIL "*) fail "parse ${line#FAIL "$WORK"/corpus/}" ;;
        *) echo "     $line" ;;
    esac
done <"$WORK/parse.log"
parsed=$(grep -c '^\(ok\|FAIL\) ' "$WORK/parse.log" || true)
[ "$parsed" -eq "$total" ] || fail "the parser reported $parsed of $total diagrams"

echo "--- render to SVG and PNG with mermaid-cli (chromium)"
for name in galley_domain__export__tests__ec_site_ja_mermaid galley_domain__export__tests__hostile_mermaid; do
    src="$WORK/corpus/$name.mmd"
    [ -f "$src" ] || { fail "render: $name.mmd is not in the corpus"; continue; }
    for fmt in svg png; do
        dst="$OUT/${name#galley_domain__export__tests__}.$fmt"
        if "$WORK/npm/node_modules/.bin/mmdc" -q -p "$WORK/npm/puppeteer.json" -b white -s 2 \
            -i "$src" -o "$dst" </dev/null >"$WORK/render.log" 2>&1 && [ -s "$dst" ]; then
            if [ "$fmt" = svg ] && ! grep -q '<svg' "$dst"; then
                fail "render $dst: not an SVG"
            else
                pass "render $dst ($(wc -c <"$dst") bytes)"
            fi
        else
            fail "render $dst"
            cat "$WORK/render.log"
        fi
    done
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

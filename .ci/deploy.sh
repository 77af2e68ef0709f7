#!/usr/bin/env bash
# Offline checks of the distribution Terraform in deploy/ (no OCI provider download, no tenancy):
#   1. terraform fmt -check
#   2. checkov (from PyPI, in a venv) with no failed check; every skip is justified inline in deploy/*.tf
#   3. the Rust tests that parse deploy/*.tf (crates/galley/tests/cli/deploy.rs)
#   4. galley check-terraform deploy/ (schema check against the vendored provider schemas)
#
# Env: PYTHON      a python whose environment may already have checkov (else a venv is made in a temp dir)
#      GALLEY_BIN  the galley binary for step 4 (default: target/debug/galley, or under CARGO_TARGET_DIR)
#      TERRAFORM   the terraform binary (default: terraform on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
TERRAFORM="${TERRAFORM:-terraform}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n=== deploy: %s\n' "$*"; }

step "terraform fmt -check -recursive deploy/"
if ! command -v "$TERRAFORM" >/dev/null 2>&1; then
    echo "terraform not found (set TERRAFORM or put it on PATH)" >&2
    exit 1
fi
# An empty CLI config: no ~/.terraformrc needed, nothing from the user's config leaks in.
: >"$WORK/terraform.rc"
TF_CLI_CONFIG_FILE="$WORK/terraform.rc" CHECKPOINT_DISABLE=1 "$TERRAFORM" fmt -check -recursive -diff deploy/

step "checkov $CHECKOV_VERSION"
checkov=""
if [[ -n "${PYTHON:-}" ]] && [[ -x "$(dirname "$PYTHON")/checkov" ]] \
    && [[ "$("$(dirname "$PYTHON")/checkov" --version 2>/dev/null)" == "$CHECKOV_VERSION" ]]; then
    checkov="$(dirname "$PYTHON")/checkov"
else
    # A venv of its own, so checkov's pins never clash with another tool's venv (PYTHON is only the base).
    base="${PYTHON:-python3}"
    "$base" -m venv "$WORK/checkov-venv"
    "$WORK/checkov-venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
    checkov="$WORK/checkov-venv/bin/checkov"
fi
# --skip-download: no calls to the Prisma Cloud API (guidelines, updated checks); the run is offline.
# checkov exits non-zero on any failed check; skips are only the inline `#checkov:skip=ID:reason` comments.
"$checkov" -d deploy/ --framework terraform --quiet --compact --skip-download | tee "$WORK/checkov.log"
if ! grep -Eq 'Failed checks: 0,' "$WORK/checkov.log"; then
    echo "checkov reported failed checks" >&2
    exit 1
fi
# Every skip must carry a reason (checkov:skip=CKV_X:reason).
if grep -rnE 'checkov:skip=[A-Z0-9_]+ *($|[^:A-Z0-9_])' deploy/*.tf; then
    echo "a checkov skip above has no reason" >&2
    exit 1
fi

step "Rust tests on deploy/ (cargo test -p galley --test cli deploy)"
cargo test -p galley --test cli --locked deploy

step "galley check-terraform deploy/"
GALLEY_BIN="${GALLEY_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/galley}"
"$GALLEY_BIN" check-terraform deploy/

step "deploy checks passed"

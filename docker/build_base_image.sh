#!/usr/bin/env bash
# Build the offline base image: a stand-in for python:3.11-slim-bookworm when nothing can be
# pulled. debootstrap (minbase) Debian bookworm with python3 (3.11), python3-venv, python3-pip
# and ca-certificates, plus this host's CA bundle (so pip inside reaches PyPI through the same
# TLS interception the host trusts), then `docker import` it.
#
#   docker/build_base_image.sh [--force]
#
# Idempotent: does nothing when the image exists (unless --force). Needs root (debootstrap)
# and a running daemon (DOCKER_HOST, see docker/dockerd.sh).
# Env: POSEARENA_BASE_IMAGE (tag, default posearena/base:bookworm-py311),
#      DEBIAN_MIRROR (default http://deb.debian.org/debian), POSEARENA_DOCKER_STATE.
# Python in this image is /usr/bin/python3; images create their own venv at /opt/venv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${POSEARENA_DOCKER_STATE:-$HERE/.state}"
TAG="${POSEARENA_BASE_IMAGE:-posearena/base:bookworm-py311}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA=/etc/ssl/certs/ca-certificates.crt

if [[ "${1:-}" != "--force" ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "base image $TAG exists (use --force to rebuild)"
    exit 0
fi
command -v debootstrap >/dev/null || {
    echo "build_base_image.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "build_base_image.sh: debootstrap needs root" >&2; exit 2; }

ROOTFS="$STATE/rootfs-bookworm"
rm -rf "$ROOTFS"
mkdir -p "$STATE"
trap 'rm -rf "$ROOTFS"' EXIT
start=$(date +%s)
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 || {
    echo "build_base_image.sh: debootstrap failed; last lines of $STATE/debootstrap.log:" >&2
    tail -n 20 "$STATE/debootstrap.log" >&2
    exit 1
}
if [[ -f "$HOST_CA" ]]; then
    cp "$HOST_CA" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
fi
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/tmp/*
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --message "posearena offline base: debootstrap bookworm minbase + python3" \
    - "$TAG" >/dev/null
echo "built base image $TAG in $(( $(date +%s) - start )) s"

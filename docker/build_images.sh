#!/usr/bin/env bash
# Build posearena's images from the repository root, one per estimator plus the gateway.
#
#   docker/build_images.sh [--gpu] [--no-cache] [NAME ...]
#
# NAME: stereo, videopose3d, blazepose, openpose, gateway, detectron. Default: the first five
# (each whose Dockerfile and server exist); detectron only when named (its torch 2.14.1 +
# torchvision from PyTorch's CPU index, or a 4+ GB CUDA build from PyPI). Images are tagged
# ${POSEARENA_REGISTRY:-posearena}/NAME:${POSEARENA_TAG:-latest} (GPU variant: TAG-gpu).
# Idempotent and cached: the base image is made only when missing, layers come from the
# daemon's build cache, so a rebuild with nothing changed takes seconds. Every image starts
# from one shared stage (docker/stage.Dockerfile: the non-root user, /opt/venv, the generated
# Pose API code), built here first as ${POSEARENA_REGISTRY:-posearena}/stage:TAG.
#
# Env: POSEARENA_BASE_IMAGE (default posearena/base:bookworm-py311, made offline by
#      build_base_image.sh when missing; set python:3.11-slim-bookworm where pulling works),
#      POSEARENA_TORCH_WHEEL (local torch CPU wheel; default /opt/wheels/torch-2.13.0+cpu-*),
#      POSEARENA_TORCH_GPU_VARIANT (PyTorch index suffix for --gpu, default cu128),
#      POSEARENA_TORCH_INDEX_URL (detectron's torch index, e.g. https://pypi.org/simple where
#      PyTorch's own index is not reachable: a CUDA build that also runs on the CPU),
#      DOCKER_HOST (see docker/dockerd.sh).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BASE="${POSEARENA_BASE_IMAGE:-posearena/base:bookworm-py311}"
REGISTRY="${POSEARENA_REGISTRY:-posearena}"
TAG="${POSEARENA_TAG:-latest}"
ALL=(stereo videopose3d blazepose openpose gateway)
ON_REQUEST=(detectron)  # built only when named

gpu=0
cache=()
names=()
for arg in "$@"; do
    case "$arg" in
        --gpu) gpu=1 ;;
        --no-cache) cache=(--no-cache) ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        -*) echo "build_images.sh: unknown option $arg" >&2; exit 2 ;;
        *) names+=("$arg") ;;
    esac
done

dockerfile_of() {
    if [[ "$1" == gateway ]]; then echo "gateway/Dockerfile"; else echo "services/$1/Dockerfile"; fi
}
entry_of() {
    if [[ "$1" == gateway ]]; then echo "gateway/posearena_gateway/server.py"
    else echo "services/$1/posearena_$1/server.py"; fi
}

explicit=1
if [[ ${#names[@]} -eq 0 ]]; then
    explicit=0
    names=("${ALL[@]}")
    echo "skip ${ON_REQUEST[*]}: built only when named (docker/build_images.sh ${ON_REQUEST[*]})"
fi
todo=()
for name in "${names[@]}"; do
    df="$(dockerfile_of "$name")"
    entry="$(entry_of "$name")"
    if [[ -f "$ROOT/$df" && -f "$ROOT/$entry" ]]; then
        todo+=("$name")
    elif [[ $explicit -eq 1 ]]; then
        echo "build_images.sh: cannot build $name: missing $df or $entry" >&2
        exit 2
    else
        echo "skip $name: no $df or $entry yet"
    fi
done
[[ ${#todo[@]} -gt 0 ]] || { echo "build_images.sh: nothing to build" >&2; exit 2; }

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
    echo "build_images.sh: no Docker daemon at ${DOCKER_HOST:-default socket};" \
         "start one with: eval \"\$(docker/dockerd.sh start)\"" >&2
    exit 2
}
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    if [[ "$BASE" == posearena/base:* ]]; then
        POSEARENA_BASE_IMAGE="$BASE" "$HERE/build_base_image.sh"
    else
        echo "base image $BASE not present locally: docker build will pull it"
    fi
fi

# The torch CPU wheel travels in the build context (docker/wheels/, git-ignored).
wheel="${POSEARENA_TORCH_WHEEL:-}"
if [[ -z "$wheel" ]]; then
    wheel="$(ls /opt/wheels/torch-2.13.0+cpu-cp311-*.whl 2>/dev/null | head -n1 || true)"
fi
if [[ -n "$wheel" && -f "$wheel" ]]; then
    dest="$HERE/wheels/$(basename "$wheel")"
    if [[ ! -f "$dest" ]] || ! cmp -s "$wheel" "$dest"; then
        cp "$wheel" "$dest"
    fi
fi

variant_args=()
suffix=""
if [[ $gpu -eq 1 ]]; then
    variant_args=(--build-arg "TORCH_VARIANT=${POSEARENA_TORCH_GPU_VARIANT:-cu128}")
    suffix="-gpu"
fi
if [[ -n "${POSEARENA_TORCH_INDEX_URL:-}" ]]; then
    variant_args+=(--build-arg "TORCH_INDEX_URL=$POSEARENA_TORCH_INDEX_URL")
fi

cd "$ROOT"
summary=()
total_start=$(date +%s)
stage="$REGISTRY/stage:$TAG"
echo "=== building $stage (shared by every image)"
log="$(mktemp)"
if ! DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" docker build --network host --force-rm "${cache[@]}" \
        -f docker/stage.Dockerfile --build-arg "BASE_IMAGE=$BASE" -t "$stage" . >"$log" 2>&1; then
    echo "build_images.sh: building $stage failed; last lines:" >&2
    tail -n 30 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
for name in "${todo[@]}"; do
    image="$REGISTRY/$name:$TAG$suffix"
    start=$(date +%s)
    echo "=== building $image"
    log="$(mktemp)"
    if ! DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" docker build --network host --force-rm "${cache[@]}" \
            -f "$(dockerfile_of "$name")" --build-arg "STAGE_IMAGE=$stage" \
            "${variant_args[@]}" -t "$image" . >"$log" 2>&1; then
        echo "build_images.sh: building $image failed; last lines:" >&2
        tail -n 30 "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    secs=$(( $(date +%s) - start ))
    size="$(docker image inspect --format '{{.Size}}' "$image")"
    summary+=("$(printf '%-28s %5d s %8d MB' "$image" "$secs" $(( size / 1000000 )))")
done
echo "=== built ${#todo[@]} image(s) in $(( $(date +%s) - total_start )) s"
printf '%s\n' "${summary[@]}"

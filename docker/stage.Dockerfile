# What every posearena image starts from, built once by docker/build_images.sh:
#   docker build --network host -f docker/stage.Dockerfile \
#       --build-arg BASE_IMAGE=posearena/base:bookworm-py311 -t posearena/stage:latest .
# It holds what the six images share and nothing of any one service: the non-root user
# `posearena` (uid/gid 10001), an empty /opt/venv with current pip/setuptools/wheel, pip and
# Python settings, and the Pose API code generated from protos/ (in /opt/posearena/v1/, copied
# into the common package by each image's last layer). Each service's Dockerfile starts
# `FROM ${STAGE_IMAGE}` and adds only its own requirements, files, port and health check.
# BASE_IMAGE: any Debian-like image with python3 3.11 and its venv module (the official
# python:3.11-slim-bookworm, or the offline stand-in from docker/build_base_image.sh).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- Pose API code generated in the image (grpcio-tools pinned in tools/protoc-requirements.txt)
FROM ${BASE_IMAGE} AS protos
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
COPY tools/protoc-requirements.txt tools/
RUN python3 -m venv /opt/protoc && /opt/protoc/bin/pip install -q -r tools/protoc-requirements.txt
COPY protos/ protos/
COPY tools/build_protos.py tools/
RUN mkdir -p common && /opt/protoc/bin/python tools/build_protos.py

# ---- the shared stage
FROM ${BASE_IMAGE} AS stage
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    POSEARENA_HOST=0.0.0.0
RUN groupadd --system --gid 10001 posearena \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/posearena \
        --shell /usr/sbin/nologin posearena \
    && python3 -m venv /opt/venv && /opt/venv/bin/pip install -q --upgrade pip 'setuptools>=70' wheel
COPY --from=protos /src/common/posearena/v1/ /opt/posearena/v1/
COPY docker/install_project.sh /usr/local/bin/posearena-install-project

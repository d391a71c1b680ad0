"""Compose integration tests: skipped unless POSEARENA_INTEGRATION=1.

Session set-up: start (and if needed install) the private Docker daemon, build every image
(cached), and report the measured times at the end of the run. Containers use host networking
and 127.0.0.1 only, on ports 502xx so that services started elsewhere on 501xx do not clash.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.integration.stack import (
    TIMES,
    Stack,
    build_images,
    daemon_running,
    ensure_daemon,
    stop_daemon,
)

ENABLED = os.environ.get("POSEARENA_INTEGRATION") == "1"
IMAGES = ["stereo", "videopose3d", "blazepose", "openpose", "gateway"]  # not detectron
ESTIMATORS = ["stereo", "videopose3d", "blazepose", "openpose"]
TEST_PORTS = {"POSEARENA_GATEWAY_PORT": "50250", "POSEARENA_BLAZEPOSE_PORT": "50251",
              "POSEARENA_STEREO_PORT": "50252", "POSEARENA_VIDEOPOSE3D_PORT": "50253",
              "POSEARENA_OPENPOSE_PORT": "50254", "POSEARENA_DETECTRON_PORT": "50255"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="compose integration tests: set POSEARENA_INTEGRATION=1 "
                                   "(needs root for docker/debootstrap, ~8 min cold)")
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMES:
        terminalreporter.write_line("posearena integration timings: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in TIMES.items()))


@pytest.fixture(scope="session")
def images():
    """Daemon up and images built; yields the image names. A daemon this session started is
    stopped at the end (one that was already running is left alone)."""
    start = time.monotonic()
    was_running = daemon_running()
    ensure_daemon()
    TIMES["daemon"] = time.monotonic() - start
    try:
        TIMES["build"] = build_images(IMAGES)
        yield IMAGES
    finally:
        if not was_running:
            stop_daemon()


@pytest.fixture(scope="session")
def stack(images: list[str]):
    """The whole stack on host networking, as users start it: one `docker-compose up -d` of
    the gateway and its dependencies. videopose3d reads the shipped trained model (the default
    volume, services/videopose3d/posearena_videopose3d/models); openpose has an empty models
    volume (no weights here), so it runs NOT_SERVING and compose must still start the gateway.
    Torn down at the end, also after failures."""
    s = Stack("pa-it", dict(TEST_PORTS))
    s.env["POSEARENA_OPENPOSE_MODELS"] = str(s.empty_dir("openpose-models"))
    try:
        start = time.monotonic()
        s.up([*ESTIMATORS, "gateway"], deps=True)  # waits for service_healthy (--alive)
        TIMES["up"] = time.monotonic() - start
        TIMES["healthy"] = s.wait_healthy([*ESTIMATORS, "gateway"])
        yield s
    finally:
        s.down()

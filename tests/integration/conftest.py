"""Compose integration tests: skipped unless POSEARENA_INTEGRATION=1.

Session set-up: start (and if needed install) the private Docker daemon, build every image
(cached), and report the measured times at the end of the run. Containers use host networking
and 127.0.0.1 only, on ports 502xx so that services started elsewhere on 501xx do not clash.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.stack import Stack, build_images, ensure_daemon

ENABLED = os.environ.get("POSEARENA_INTEGRATION") == "1"
IMAGES = ["stereo", "videopose3d", "blazepose", "gateway"]
TEST_PORTS = {"POSEARENA_GATEWAY_PORT": "50250", "POSEARENA_BLAZEPOSE_PORT": "50251",
              "POSEARENA_STEREO_PORT": "50252", "POSEARENA_VIDEOPOSE3D_PORT": "50253"}
TIMES: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="compose integration tests: set POSEARENA_INTEGRATION=1 "
                                   "(needs root for docker/debootstrap, ~10 min cold)")
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMES:
        terminalreporter.write_line("posearena integration timings: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in TIMES.items()))


@pytest.fixture(scope="session")
def images() -> list[str]:
    """Daemon up and images built; returns the image names built."""
    start = time.monotonic()
    ensure_daemon()
    TIMES["daemon"] = time.monotonic() - start
    TIMES["build"] = build_images(IMAGES)
    return IMAGES


@pytest.fixture(scope="session")
def vp3d_models():
    """A models folder holding an UNTRAINED VideoPose3D checkpoint (random weights, small
    architecture) for the /models volume: it exercises the mount and the loading path only;
    nothing checks lifting accuracy with it."""
    from posearena_videopose3d.checkpoint import save_checkpoint
    from posearena_videopose3d.model import TemporalModel

    with tempfile.TemporaryDirectory(prefix="pa-vp3d-") as d:
        folder = Path(d)
        folder.chmod(0o755)  # read by uid 10001 in the container
        model = TemporalModel(17, 2, 17, [3, 3, 3], channels=64)
        ckpt = save_checkpoint(folder / "default.pt", model, "untrained (container test)")
        ckpt.chmod(0o644)
        yield folder


@pytest.fixture(scope="session")
def stack(images: list[str], vp3d_models: Path):
    """stereo + blazepose + videopose3d + gateway on host networking, torn down at the end."""
    s = Stack("pa-it", {**TEST_PORTS, "POSEARENA_VIDEOPOSE3D_MODELS": str(vp3d_models)})
    try:
        start = time.monotonic()
        s.up(["stereo", "blazepose", "videopose3d"])
        TIMES["healthy"] = s.wait_healthy(["stereo", "blazepose", "videopose3d"])
        s.up(["gateway"])  # depends_on: service_healthy, checked by compose
        TIMES["up"] = time.monotonic() - start
        yield s
    finally:
        s.down()

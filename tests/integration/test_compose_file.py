"""compose.yaml + compose.host.yaml as docker-compose reads them (no daemon needed; skipped
when docker-compose is not installed): images by variable, healthchecks, dependencies, the
host-network override."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.stack import DEFAULT_PORTS, render_host_config

pytestmark = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                reason="docker-compose not installed (docker/dockerd.sh start)")
ESTIMATORS = ["stereo", "videopose3d", "blazepose"]


def _config(tmp_path: Path, **env: str) -> dict:
    return json.loads(render_host_config(env, tmp_path / "c.json").read_text())["services"]


def test_every_service_defaults(tmp_path):
    services = _config(tmp_path, PATH="/usr/bin:/bin")
    assert sorted(services) == sorted([*ESTIMATORS, "gateway"])
    for name, svc in services.items():
        assert svc["image"] == f"posearena/{name}:latest"
        assert svc["network_mode"] == "host" and "ports" not in svc
        assert svc["environment"]["POSEARENA_HOST"] == "127.0.0.1"
        assert int(svc["environment"]["POSEARENA_PORT"]) == DEFAULT_PORTS[name]
        assert "posearena.service.healthcheck" in svc["healthcheck"]["test"]
    gw = services["gateway"]
    assert {k: v["condition"] for k, v in gw["depends_on"].items()} == {
        s: "service_healthy" for s in ESTIMATORS}
    for s in ESTIMATORS:
        assert gw["environment"][f"POSEARENA_{s.upper()}_ADDR"] == f"127.0.0.1:{DEFAULT_PORTS[s]}"


def test_swap_one_image_and_move_ports(tmp_path):
    services = _config(tmp_path, PATH="/usr/bin:/bin",
                       POSEARENA_BLAZEPOSE_IMAGE="registry.example/bp:2.0",
                       POSEARENA_STEREO_PORT="6001", POSEARENA_VIDEOPOSE3D_MODELS="/srv/vp3d")
    assert services["blazepose"]["image"] == "registry.example/bp:2.0"
    assert services["stereo"]["image"] == "posearena/stereo:latest"  # the others unchanged
    assert services["stereo"]["environment"]["POSEARENA_PORT"] == "6001"
    assert services["gateway"]["environment"]["POSEARENA_STEREO_ADDR"] == "127.0.0.1:6001"
    assert services["videopose3d"]["volumes"] == ["/srv/vp3d:/models:ro"]

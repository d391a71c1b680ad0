"""compose.yaml with its two overlays, as docker-compose 1.29 reads them (no daemon needed;
skipped when docker-compose is not installed): the host-network merge users and tests run
(`-f compose.yaml -f compose.host.yaml`), the bridge default (`docker-compose up`, which adds
compose.override.yaml's ports), images by variable, --alive healthchecks, dependencies, the
opt-in detectron profile."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.stack import DEFAULT_PORTS, GATEWAY_DEPENDS_ON, REPO, compose_config

pytestmark = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                reason="docker-compose not installed (docker/dockerd.sh start)")
ENV = {"PATH": "/usr/bin:/bin"}
ALL = [*GATEWAY_DEPENDS_ON, "detectron", "gateway"]


def _host(**env: str) -> dict:
    return compose_config({**ENV, **env})["services"]


def test_host_merge_is_accepted_as_documented():
    services = _host()
    assert sorted(services) == sorted(ALL)
    for name, svc in services.items():
        assert svc["image"] == f"posearena/{name}:latest"
        # docker-compose 1.29 refuses published ports with host networking: there are none
        assert svc["network_mode"] == "host" and "ports" not in svc, name
        assert svc["environment"]["POSEARENA_HOST"] == "127.0.0.1"
        assert int(svc["environment"]["POSEARENA_PORT"]) == DEFAULT_PORTS[name]
        test = svc["healthcheck"]["test"]
        assert "posearena.service.healthcheck" in test and "--alive" in test, name
    gw = services["gateway"]
    assert {k: v["condition"] for k, v in gw["depends_on"].items()} == {
        s: "service_healthy" for s in GATEWAY_DEPENDS_ON}
    for s in [*GATEWAY_DEPENDS_ON, "detectron"]:
        assert gw["environment"][f"POSEARENA_{s.upper()}_ADDR"] == f"127.0.0.1:{DEFAULT_PORTS[s]}"
    assert services["detectron"]["profiles"] == ["detectron"]  # opt-in, never a dependency


def test_plain_up_publishes_ports_on_loopback_in_bridge_mode():
    services = compose_config({**ENV, "POSEARENA_GATEWAY_PORT": "6100"}, files=())["services"]
    assert sorted(services) == sorted(ALL)
    for name, svc in services.items():
        assert "network_mode" not in svc, name
        port = 6100 if name == "gateway" else DEFAULT_PORTS[name]
        assert svc["ports"] == [f"127.0.0.1:{port}:{port}/tcp"], name
    gw = services["gateway"]["environment"]
    assert gw["POSEARENA_STEREO_ADDR"] == f"stereo:{DEFAULT_PORTS['stereo']}"  # service names
    assert gw["POSEARENA_PORT"] == "6100"


def test_swap_one_image_and_move_ports_and_models():
    services = _host(POSEARENA_BLAZEPOSE_IMAGE="registry.example/bp:2.0",
                     POSEARENA_STEREO_PORT="6001", POSEARENA_VIDEOPOSE3D_MODELS="/srv/vp3d",
                     POSEARENA_OPENPOSE_MODELS="/srv/openpose")
    assert services["blazepose"]["image"] == "registry.example/bp:2.0"
    assert services["stereo"]["image"] == "posearena/stereo:latest"  # the others unchanged
    assert services["stereo"]["environment"]["POSEARENA_PORT"] == "6001"
    assert services["gateway"]["environment"]["POSEARENA_STEREO_ADDR"] == "127.0.0.1:6001"
    assert services["videopose3d"]["volumes"] == ["/srv/vp3d:/models:ro"]
    assert services["openpose"]["volumes"] == ["/srv/openpose:/models:ro"]


def test_default_videopose3d_volume_is_the_shipped_model():
    vol = _host()["videopose3d"]["volumes"][0]
    host, inside, mode = vol.rsplit(":", 2)
    assert (inside, mode) == ("/models", "ro")
    assert host == str(REPO / "services/videopose3d/posearena_videopose3d/models")
    assert (REPO / "services/videopose3d/posearena_videopose3d/models/default.pt").is_file()


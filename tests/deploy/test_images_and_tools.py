"""What the container side promises without a daemon: every image runs as a non-root user,
and the docker helper checks each tool it needs on its own (not one as a proxy for the rest)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted([*REPO.glob("services/*/Dockerfile"), REPO / "gateway" / "Dockerfile"])


def test_there_are_six_images():
    names = sorted(p.parent.name for p in DOCKERFILES)
    assert names == ["blazepose", "detectron", "gateway", "openpose", "stereo", "videopose3d"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_every_image_runs_as_a_non_root_user(dockerfile: Path):
    text = dockerfile.read_text()
    final_stage = re.split(r"^FROM ", text, flags=re.M)[-1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, flags=re.M)
    assert users, f"{dockerfile}: the final stage sets no USER (it would run as root)"
    assert users[-1] not in ("root", "0", "0:0"), f"{dockerfile}: USER {users[-1]}"


def _fake_path(tmp_path: Path, present: list[str]) -> str:
    """A PATH with the basic commands dockerd.sh uses, the named docker tools as stubs that
    only exist (never run here), and no apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("id", "dirname", "cat", "mkdir", "rm", "seq", "tee"):
        real = shutil.which(tool)
        assert real, tool
        os.symlink(real, bin_dir / tool)
    for tool in present:
        stub = bin_dir / tool
        stub.write_text("#!/bin/sh\nexit 1\n")
        stub.chmod(0o755)
    return str(bin_dir)


def test_dockerd_helper_checks_debootstrap_even_when_docker_is_there(tmp_path):
    path = _fake_path(tmp_path, ["dockerd", "docker", "docker-compose"])
    r = subprocess.run([shutil.which("bash"), str(REPO / "docker" / "dockerd.sh"), "start"],
                       env={"PATH": path, "POSEARENA_DOCKER_STATE": str(tmp_path / "state")},
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2, r.stderr
    assert "missing debootstrap" in r.stderr and "docker-compose" not in r.stderr.split(
        "missing")[1].split(":")[0], r.stderr

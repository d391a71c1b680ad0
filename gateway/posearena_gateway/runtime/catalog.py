"""The estimator services posearena knows: how to start each one locally, where it listens.

Each service runs in its own Python environment (its dependencies may conflict with the
gateway's: BlazePose needs numpy<2 and protobuf<5). Where a service is already running (a
container, another machine), `POSEARENA_<NAME>_ADDR=host:port` points the gateway at it and
nothing is started.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from posearena.errors import InvalidInputError

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ServiceSpec:
    """One estimator service.

    Attributes:
        name: short name used on the CLI ("blazepose", "stereo", ...).
        module: module run with `python -m` to start it.
        venv: environment folder relative to the repo root ("" = the gateway's own).
        port: default port in embedded mode and compose.
        kind: what it does, in words.
        install: the one command that installs its environment.
    """

    name: str
    module: str
    venv: str
    port: int
    kind: str
    install: str = "make setup"

    @property
    def env_prefix(self) -> str:
        return f"POSEARENA_{self.name.upper()}"

    def python(self) -> str:
        """Interpreter that runs this service: env `POSEARENA_<NAME>_PYTHON`, its venv, or ours."""
        override = os.environ.get(f"{self.env_prefix}_PYTHON")
        if override:
            return override
        if self.venv:
            candidate = REPO_ROOT / self.venv / "bin" / "python"
            if candidate.exists():
                return str(candidate)
        return sys.executable

    def not_installed(self) -> str | None:
        """Why this service cannot start here (its environment or package is missing), or None.

        A service configured with POSEARENA_<NAME>_ADDR or POSEARENA_<NAME>_PYTHON is taken
        as installed: it runs elsewhere or in an environment the user chose.
        """
        if self.configured_address() or os.environ.get(f"{self.env_prefix}_PYTHON"):
            return None
        package = self.module.split(".")[0]
        if not self.venv:
            if importlib.util.find_spec(package) is None:
                return f"package {package} is not installed in {sys.prefix}"
            return None
        python = REPO_ROOT / self.venv / "bin" / "python"
        if not python.exists():
            return f"its environment {self.venv} does not exist"
        probe = subprocess.run(
            [str(python), "-c", f"import importlib.util, sys; "
             f"sys.exit(importlib.util.find_spec({package!r}) is None)"],
            capture_output=True, timeout=60, check=False,
        )
        if probe.returncode != 0:
            return f"package {package} is not installed in {self.venv}"
        return None

    def configured_address(self) -> str | None:
        """`host:port` from env `POSEARENA_<NAME>_ADDR` when the service runs elsewhere."""
        return os.environ.get(f"{self.env_prefix}_ADDR") or None


SERVICES: dict[str, ServiceSpec] = {
    s.name: s
    for s in (
        ServiceSpec("blazepose", "posearena_blazepose.server", ".venvs/blazepose", 50151,
                    "2D + 3D from video (MediaPipe BlazePose)"),
        ServiceSpec("stereo", "posearena_stereo.server", "", 50152,
                    "two-camera and multi-camera triangulation"),
        ServiceSpec("videopose3d", "posearena_videopose3d.server", "", 50153,
                    "2D -> 3D lifting (VideoPose3D)"),
        ServiceSpec("openpose", "posearena_openpose.server", "", 50154,
                    "2D multi-person (OpenPose BODY_25/COCO via OpenCV DNN)"),
        ServiceSpec("detectron", "posearena_detectron.server", ".venvs/detectron", 50155,
                    "2D Keypoint R-CNN (torchvision; Detectron/Detectron2 weights)",
                    install="make setup-detectron"),
    )
}


def get_spec(name: str) -> ServiceSpec:
    """The ServiceSpec called `name`; InvalidInputError listing the known ones otherwise."""
    try:
        return SERVICES[name]
    except KeyError:
        raise InvalidInputError("service", name, f"one of {sorted(SERVICES)}") from None

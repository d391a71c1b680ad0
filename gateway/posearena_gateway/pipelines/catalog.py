"""The named pipelines `posearena pipelines` lists and `--pipelines` selects.

A pipeline turns the input video(s) into one 3D pose sequence:
    <detector>+videopose3d   one camera: 2D detection, then VideoPose3D lifting (camera frame)
    <detector>+videopose3d-causal   the same, causal end to end (frame t from frames <= t)
    <detector>+videopose3d-adapted  the lifter first fine-tuned on every calibrated view's 2D
    <detector>+stereo        two calibrated cameras: 2D in both, then triangulation (world)
    <detector>+multiview     every calibrated camera: 2D in each, triangulation (world)
    blazepose-world          BlazePose's own metric 3D (hip-centred) from one camera
for detector in blazepose / openpose / detectron.
"""

from __future__ import annotations

from dataclasses import dataclass

from posearena.errors import InvalidInputError
from posearena_gateway.pipelines.names import (
    DEFAULT_PIPELINES,
    DETECTORS,
    WORLD,
    pipeline_services,
)
from posearena_gateway.pipelines.stage_kinds import AdaptedLift, Lift, Stage, Triangulate, World

__all__ = ["DEFAULT_PIPELINES", "DETECTORS", "PIPELINES", "PipelineSpec", "parse_pipelines"]


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline.

    Attributes:
        name: e.g. "blazepose+videopose3d".
        detector: 2D service name.
        stage: its 3D stage (`stage_kinds`: the views it reads, its output frame, how it runs).
        services: every service it needs (detector first).
        min_videos: how many input videos it needs.
        needs_calibration: whether camera calibration is required.
    """

    name: str
    detector: str
    stage: Stage
    services: tuple[str, ...]
    min_videos: int
    needs_calibration: bool

    @property
    def frame(self) -> str:
        """Coordinate frame of its output, in words."""
        return self.stage.frame

    @property
    def description(self) -> str:
        return f"{self.stage.description} ({self.stage.frame})"


def _build() -> dict[str, PipelineSpec]:
    """Every pipeline of `names`: its 3D stage, input videos and calibration need here, its
    services from `names.pipeline_services` (one rule for the catalog and the CLI)."""
    stages = {  # "<detector>+" stage -> (Stage, videos, needs calibration)
        "videopose3d": (Lift(), 1, False),
        "videopose3d-causal": (Lift(causal=True), 1, False),
        "videopose3d-adapted": (AdaptedLift(), 1, True),
        "stereo": (Triangulate(cameras=2), 2, True),
        "multiview": (Triangulate(), 2, True),
    }
    out: dict[str, PipelineSpec] = {}

    def add(name: str, detector: str, stage: Stage, videos: int, calib: bool) -> None:
        services = pipeline_services(name)
        assert services is not None, name  # names.STAGES and `stages` list the same stages
        out[name] = PipelineSpec(name, detector, stage, services, videos, calib)

    for det in DETECTORS:
        for key, (stage, videos, calib) in stages.items():
            add(f"{det}+{key}", det, stage, videos, calib)
    add(WORLD, "blazepose", World(), 1, False)
    return out


PIPELINES: dict[str, PipelineSpec] = _build()


def parse_pipelines(text: str | None) -> list[PipelineSpec]:
    """Comma-separated pipeline names (None/"" = the defaults) -> specs, order kept.

    Raises:
        InvalidInputError: an unknown name (the message lists the known ones).
    """
    names = [n.strip() for n in (text or ",".join(DEFAULT_PIPELINES)).split(",") if n.strip()]
    unknown = [n for n in names if n not in PIPELINES]
    if unknown:
        raise InvalidInputError("--pipelines", ",".join(unknown), f"names from {sorted(PIPELINES)}")
    return [PIPELINES[n] for n in dict.fromkeys(names)]

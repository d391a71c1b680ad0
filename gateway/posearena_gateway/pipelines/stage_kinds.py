"""What a pipeline's 3D stage is, as objects: the views it reads, the frame of its output, its
description, and how it runs. The runner asks the stage; it dispatches on no name.

Kinds:
    Lift            one camera's 2D lifted by VideoPose3D (plain or causal)
    AdaptedLift     the lifter fine-tuned on every calibrated view's 2D, then lift the first
    World           BlazePose's own metric 3D of one camera
    Triangulate     two cameras (stereo) or every camera (multiview), triangulated

Inputs of `run`: the detections of the first `views(n_videos)` videos (T, P, J, 2) px, the
patient already chosen per view where a stage needs one; output: a `Sequence3D` in metres.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from posearena.calibration import Camera
from posearena.npzio import Detections
from posearena_gateway.pipelines.adapt_stage import adapted_lift_stage
from posearena_gateway.pipelines.stages import (
    lift_stage,
    patient_first,
    triangulate_stage,
    world_stage,
)
from posearena_gateway.references.sequence import Sequence3D


@dataclass(frozen=True)
class StageContext:
    """What a stage needs besides its detections.

    Attributes:
        target: service name -> "host:port" (None when it is not available).
        cameras: the calibrated cameras in video order, or None.
        person: the patient rule (auto|largest|central|longest|ID).
    """

    target: Callable[[str], str | None]
    cameras: Sequence[Camera] | None
    person: str


@dataclass(frozen=True)
class Lift:
    """One camera's 2D -> VideoPose3D (camera frame, root-relative)."""

    causal: bool = False
    frame: str = "camera frame, root-relative"
    world_frame: bool = False

    @property
    def description(self) -> str:
        causal = " (causal: frame t from frames <= t)" if self.causal else ""
        return f"2D detection on the first video, lifted to 3D by VideoPose3D{causal}"

    def views(self, n_videos: int) -> int:
        return 1

    def run(self, ctx: StageContext, dets: list[Detections], name: str) -> Sequence3D:
        first = patient_first(dets[0], ctx.person)
        camera = ctx.cameras[0] if ctx.cameras else None
        seq = lift_stage(ctx.target("videopose3d"), first, name, camera, causal=self.causal)
        seq.extra["person_choice"] = str(first.extra.get("person_choice", ""))
        return seq


@dataclass(frozen=True)
class AdaptedLift:
    """The lifter fine-tuned on every calibrated view's 2D (no 3D labels), then lift."""

    frame: str = "camera frame, root-relative"
    world_frame: bool = False
    description: str = ("2D detection on the first video, lifted to 3D by VideoPose3D adapted "
                        "to the recording's own 2D of every calibrated video (no 3D labels)")

    def views(self, n_videos: int) -> int:
        return n_videos

    def run(self, ctx: StageContext, dets: list[Detections], name: str) -> Sequence3D:
        cams = list(ctx.cameras or [])[:len(dets)]
        return adapted_lift_stage(ctx.target("videopose3d"),
                                  [patient_first(d, ctx.person) for d in dets], cams, name)


@dataclass(frozen=True)
class World:
    """BlazePose's own metric 3D landmarks of one camera (hip-centred)."""

    frame: str = "hip-centred, camera-aligned axes"
    world_frame: bool = False
    description: str = "BlazePose's own metric 3D landmarks from the first video"

    def views(self, n_videos: int) -> int:
        return 1

    def run(self, ctx: StageContext, dets: list[Detections], name: str) -> Sequence3D:
        first = patient_first(dets[0], ctx.person)
        seq = world_stage(first, name)
        seq.extra["person_choice"] = str(first.extra.get("person_choice", ""))
        return seq


@dataclass(frozen=True)
class Triangulate:
    """Two cameras (`cameras=2`) or every camera (`cameras=0`), triangulated (candidate
    preset) in the calibration's world frame."""

    cameras: int = 0
    frame: str = "world frame"
    world_frame: bool = True

    @property
    def description(self) -> str:
        if self.cameras:
            count = {2: "two", 3: "three"}.get(self.cameras, str(self.cameras))
            return f"2D detection on the first {count} videos, triangulated"
        return "2D detection on every video, triangulated over all cameras"

    def views(self, n_videos: int) -> int:
        return min(self.cameras, n_videos) if self.cameras else n_videos

    def run(self, ctx: StageContext, dets: list[Detections], name: str) -> Sequence3D:
        seq, _ = triangulate_stage(ctx.target("stereo"), dets, list(ctx.cameras or [])[:len(dets)],
                                   name, person=ctx.person)
        return seq


Stage = Lift | AdaptedLift | World | Triangulate

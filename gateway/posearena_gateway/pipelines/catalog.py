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

DETECTORS = ("blazepose", "openpose", "detectron")


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline.

    Attributes:
        name: e.g. "blazepose+videopose3d".
        detector: 2D service name.
        stage: "lift", "stereo", "multiview" or "world".
        services: every service it needs (detector first).
        min_videos: how many input videos it needs.
        needs_calibration: whether camera calibration is required.
        frame: coordinate frame of its output, in words.
        variant: "" or, for lifting, "causal" (the causal model and causal pre-processing)
            or "adapted" (the lifter fine-tuned on the recording's own 2D, every view).
    """

    name: str
    detector: str
    stage: str
    services: tuple[str, ...]
    min_videos: int
    needs_calibration: bool
    frame: str
    variant: str = ""

    @property
    def description(self) -> str:
        what = {
            "lift": "2D detection on the first video, lifted to 3D by VideoPose3D"
                    + {"causal": " (causal: frame t from frames <= t)",
                       "adapted": " adapted to the recording's own 2D of every calibrated "
                                  "video (no 3D labels)"}.get(self.variant, ""),
            "stereo": "2D detection on the first two videos, triangulated",
            "multiview": "2D detection on every video, triangulated over all cameras",
            "world": "BlazePose's own metric 3D landmarks from the first video",
        }[self.stage]
        return f"{what} ({self.frame})"


def _build() -> dict[str, PipelineSpec]:
    out: dict[str, PipelineSpec] = {}
    for det in DETECTORS:
        out[f"{det}+videopose3d"] = PipelineSpec(
            f"{det}+videopose3d", det, "lift", (det, "videopose3d"), 1, False,
            "camera frame, root-relative")
        out[f"{det}+videopose3d-causal"] = PipelineSpec(
            f"{det}+videopose3d-causal", det, "lift", (det, "videopose3d"), 1, False,
            "camera frame, root-relative", "causal")
        out[f"{det}+videopose3d-adapted"] = PipelineSpec(
            f"{det}+videopose3d-adapted", det, "lift", (det, "videopose3d"), 1, True,
            "camera frame, root-relative", "adapted")
        out[f"{det}+stereo"] = PipelineSpec(
            f"{det}+stereo", det, "stereo", (det, "stereo"), 2, True, "world frame")
        out[f"{det}+multiview"] = PipelineSpec(
            f"{det}+multiview", det, "multiview", (det, "stereo"), 2, True, "world frame")
    out["blazepose-world"] = PipelineSpec(
        "blazepose-world", "blazepose", "world", ("blazepose",), 1, False,
        "hip-centred, camera-aligned axes")
    return out


PIPELINES: dict[str, PipelineSpec] = _build()
DEFAULT_PIPELINES = ("blazepose-world", "blazepose+videopose3d", "blazepose+stereo")


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

"""Check a comparison's inputs before any work: videos, calibration, cameras, output dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posearena.calibration import Camera, load_calibration
from posearena.errors import InvalidInputError
from posearena_gateway.pipelines.catalog import PipelineSpec
from posearena_gateway.video import VideoInfo, probe_video


@dataclass
class CompareInputs:
    """Validated inputs: videos with camera names (and cameras when calibrated).

    Attributes:
        videos: one VideoInfo per input video, in the order given.
        camera_ids: a name per video (calibration camera names, or cam1, cam2, ...).
        cameras: the calibrated Camera of each video, or None without calibration.
        frames: frames used from every video (the shortest one's count).
        fps: their common frame rate in Hz.
        notes: what was adjusted (e.g. trimming), for the report.
    """

    videos: list[VideoInfo]
    camera_ids: list[str]
    cameras: list[Camera] | None
    frames: int
    fps: float
    notes: list[str]


def check_inputs(
    videos: list[str | Path], calib: str | Path | None, camera_names: list[str] | None,
) -> CompareInputs:
    """Validate videos (readable, same fps), calibration and camera assignment.

    Cameras are matched to videos by explicit `camera_names`, else by the calibration camera
    whose name appears in the video's file name (cam01.mp4 -> "cam01"), else in order.
    Videos of different lengths are trimmed to the shortest (documented in `notes`).

    Raises:
        InvalidInputError: no video, unreadable video, different frame rates, a calibration
            that misses a camera, or a camera count that does not match the videos.
    """
    if not videos:
        raise InvalidInputError("--video", videos, "at least one video file")
    infos = [probe_video(v) for v in videos]
    fps = {round(v.fps, 3) for v in infos}
    if len(fps) > 1:
        raise InvalidInputError(
            "--video", {str(v.path.name): v.fps for v in infos},
            "videos with the same frame rate (synchronised cameras)",
        )
    counts = [v.frame_count for v in infos]
    notes = []
    if len(set(counts)) > 1:
        notes.append(f"videos have {counts} frames; all trimmed to the shortest, {min(counts)}")
    cams = load_calibration(calib) if calib else None
    ids = _camera_ids(infos, cams, camera_names)
    cameras = [cams[i] for i in ids] if cams else None
    return CompareInputs(infos, ids, cameras, min(counts), infos[0].fps, notes)


def _camera_ids(
    infos: list[VideoInfo], cams: dict[str, Camera] | None, names: list[str] | None,
) -> list[str]:
    if names:
        if len(names) != len(infos):
            raise InvalidInputError("--cameras", names, f"{len(infos)} names, one per video")
        ids = list(names)
    elif cams:
        ids = []
        for v in infos:
            hits = [c for c in cams if c.lower() in v.path.stem.lower()]
            ids.append(max(hits, key=len) if hits else "")
        if "" in ids:
            if len(infos) > len(cams):
                raise InvalidInputError("--calib", sorted(cams), f"{len(infos)} cameras")
            ids = list(cams)[: len(infos)]
    else:
        ids = [f"cam{i + 1}" for i in range(len(infos))]
    if cams:
        missing = [i for i in ids if i not in cams]
        if missing:
            raise InvalidInputError("--cameras", missing, f"camera names from {sorted(cams)}")
    if len(set(ids)) != len(ids):
        raise InvalidInputError("--cameras", ids, "a different camera for every video")
    return ids


def unmet_requirement(spec: PipelineSpec, inputs: CompareInputs) -> str | None:
    """Why `spec` cannot run on these inputs (None if it can)."""
    if len(inputs.videos) < spec.min_videos:
        return f"needs {spec.min_videos} videos, got {len(inputs.videos)}"
    if spec.needs_calibration and inputs.cameras is None:
        return "needs a camera calibration (--calib)"
    return None

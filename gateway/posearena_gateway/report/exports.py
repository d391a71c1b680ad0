"""Exports of a run's poses through `posearena_gateway.exporters`.

For each 3D sequence (every pipeline's result and the reference), in `exports/`:
    <name>.npz          points (T, J, 3) m, skeleton, fps, frame, up_axis, timestamps (s)
    <name>.csv          frame, time_s, <joint>_x/_y/_z (m)
    <name>.trc          OpenSim markers = registry joint names, m
    <name>.kinect.txt   Kinect v2 skeleton text, timestamps = frame index / fps
and for each 2D detection set, OpenPose JSON files in `exports/openpose_json/<name>/`.
"""

from __future__ import annotations

from pathlib import Path

from posearena.npzio import Detections
from posearena_gateway.exporters import (
    write_csv,
    write_kinect_skeleton_text,
    write_npz,
    write_openpose_json,
    write_trc,
)
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.report.figures import safe_name

#: Suffixes of the files `export_sequence` writes, in order.
POSE_SUFFIXES = (".npz", ".csv", ".trc", ".kinect.txt")


def export_sequence(out_dir: Path, name: str, seq: Sequence3D) -> list[Path]:
    """Write one 3D sequence in every pose format (see the module docstring).

    Timestamps are frame index / fps (the sequence's own timestamps are not used, so that
    every export of a run shares one clock per rate).

    Args:
        out_dir: the exports folder (created if needed).
        name: pipeline name or "reference" (made file-name safe).
        seq: the sequence, points (T, J, 3) m.

    Returns:
        The written paths, in the order of `POSE_SUFFIXES`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = safe_name(name)
    paths = [out_dir / f"{stem}{s}" for s in POSE_SUFFIXES]
    write_npz(paths[0], seq.points, seq.skeleton, seq.fps, frame=seq.frame, up_axis=seq.up_axis)
    write_csv(paths[1], seq.points, seq.skeleton, seq.fps)
    write_trc(paths[2], seq.points, seq.skeleton, seq.fps)
    write_kinect_skeleton_text(paths[3], seq.points, seq.skeleton, seq.fps, version="v2",
                               frame=seq.frame, up_axis=seq.up_axis)
    return paths


def export_detections(out_dir: Path, name: str, dets: Detections) -> Path:
    """Write 2D detections as OpenPose BODY_25 JSON files (one per frame).

    Args:
        out_dir: the exports folder; files go to `out_dir/openpose_json/<name>/`.
        name: detection set name (e.g. "blazepose cam01").
        dets: Detections, keypoints (T, P, J, 2) px.

    Returns:
        The folder holding the T files.
    """
    folder = out_dir / "openpose_json" / safe_name(name)
    write_openpose_json(folder, dets, prefix=safe_name(name))
    return folder

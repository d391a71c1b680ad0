"""Exports of a run's poses through `posearena_gateway.exporters`.

For each 3D sequence (every pipeline's result and the reference), in `exports/`:
    <name>.npz          points (T, J, 3) m, skeleton, fps, frame, up_axis, timestamps (s)
    <name>.csv          frame, time_s, <joint>_x/_y/_z (m)
    <name>.trc          OpenSim markers = registry joint names, m
    <name>.kinect.txt   Kinect v2 skeleton text, timestamps = frame index / fps
and for each 2D detection set, OpenPose JSON files in `exports/openpose_json/<name>/`.
Joint angles after alignment, on the reference's clock (`export_angles`, degrees):
    <name>.angles.mot   OpenSim motion file per pipeline, and reference.angles.mot
    angles.csv          subject,trial,frame,time_s,measure,pred,ref,pipeline (long, paired)
    angle_cycles.csv    repetitions time-normalised to 0-100 % (exporters.cycles)
    repetitions.csv     each repetition's frames, peak, trough and range
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.npzio import Detections
from posearena_gateway.comparison import Comparison
from posearena_gateway.comparison.repetition_metrics import angle_cycles
from posearena_gateway.exporters import (
    write_csv,
    write_kinect_skeleton_text,
    write_npz,
    write_openpose_json,
    write_trc,
)
from posearena_gateway.exporters.angles import angle_rows, write_angle_csv, write_mot
from posearena_gateway.exporters.cycles import cycle_rows, repetition_rows, write_cycle_csvs
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


def reference_angles(comparisons: dict[str, Comparison]) -> dict[str, np.ndarray]:
    """The reference's angles, (T,) degrees each, from every comparison together.

    Each comparison holds the reference's angles on the frames it was compared on (the same
    values where they overlap); per angle the longest is kept, and all are NaN-padded to the
    longest length so that they fit one `.mot` file.
    """
    best: dict[str, np.ndarray] = {}
    for c in comparisons.values():
        for k in c.metrics.get("angles") or {}:
            if k in c.ref_angles and len(c.ref_angles[k]) > len(best.get(k, ())):
                best[k] = np.asarray(c.ref_angles[k], dtype=np.float64)
    t = max((len(v) for v in best.values()), default=0)
    return {k: np.concatenate([v, np.full(t - len(v), np.nan)]) for k, v in sorted(best.items())}


def export_angles(out_dir: Path, comparisons: dict[str, Comparison], subject: str,
                  trial: str) -> list[tuple[str, Path]]:
    """Write per-frame and per-repetition angles of every comparison (module docstring).

    Args:
        out_dir: the exports folder (created if needed).
        comparisons: pipeline -> Comparison (ref_angles / cand_angles (T,) degrees, fps Hz);
            only the angles with an agreement entry in its metrics are written.
        subject, trial: labels of every CSV row (e.g. "s01", "m07_e01").

    Returns:
        (description, path) of every written file; [] without comparisons.
    """
    if not comparisons:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, Path]] = []
    ref = reference_angles(comparisons)
    fps = next(iter(comparisons.values())).fps
    if ref:
        path = out_dir / "reference.angles.mot"
        write_mot(path, ref, fps, name="reference")
        files.append(("reference angles (OpenSim .mot)", path))
    rows, crows, rrows = [], [], []
    for name, c in comparisons.items():
        keys = [k for k in c.metrics.get("angles") or {} if k in c.cand_angles]
        if not keys:
            continue
        path = out_dir / f"{safe_name(name)}.angles.mot"
        write_mot(path, {k: c.cand_angles[k] for k in sorted(keys)}, c.fps, name=name)
        files.append((f"{name} angles (OpenSim .mot)", path))
        cand = {k: c.cand_angles[k] for k in keys}
        rows += angle_rows(subject, trial, name, c.fps, cand, c.ref_angles)
        cycles = angle_cycles(c.ref_angles, c.cand_angles, c.fps, keys)
        crows += cycle_rows(subject, trial, name, cycles)
        rrows += repetition_rows(subject, trial, name, c.fps, cycles)
    path = out_dir / "angles.csv"
    write_angle_csv(path, rows)
    files.append(("per-frame angles, every pipeline against the reference (CSV)", path))
    a, b = write_cycle_csvs(out_dir, crows, rrows)
    files += [("repetitions time-normalised to 0-100 % (CSV)", a),
              ("each repetition's peak, trough and range (CSV)", b)]
    return files

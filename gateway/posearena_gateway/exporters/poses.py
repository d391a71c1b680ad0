"""Write (and read back) a 3D pose sequence: npz, CSV, OpenSim .trc, Kinect skeleton text.

Every writer takes points (T, J, 3) in metres (NaN = missing), a registry skeleton name and
the frame rate; frame i is at time i / fps.
- npz: keys points (T, J, 3) float64 m, skeleton, fps, frame, up_axis (3,), timestamps (T,) s
  (the layout of the run directory's pose files).
- CSV: header "frame,time_s,<joint>_x,<joint>_y,<joint>_z,..." (joint names from the
  registry), one row per frame, missing values as empty fields.
- .trc: posearena.mocap.write_trc with the registry joint names as marker names, units m.
- Kinect text: `references.kinect_text` format, converted to kinect_v2_25 (or v1_20) joints.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.mocap import write_trc as _mocap_write_trc
from posearena.npzio import atomic_save_npz
from posearena.skeletons import SKELETON_NAMES, convert, get_skeleton
from posearena_gateway.references.kinect_text import write_kinect_text
from posearena_gateway.references.sequence import Y_UP, Sequence3D
from posearena_gateway.references.textio import existing_file


def _checked(points: np.ndarray, skeleton: str, fps: float) -> Sequence3D:
    """Validate writer arguments through Sequence3D (shape, skeleton, fps)."""
    return Sequence3D(points, skeleton, fps, frame="", up_axis=np.array(Y_UP))


def write_npz(
    path: str | Path,
    points: np.ndarray,
    skeleton: str,
    fps: float,
    frame: str = "",
    up_axis: np.ndarray | None = None,
    timestamps: np.ndarray | None = None,
) -> None:
    """Write a pose sequence as an .npz (atomic).

    Args:
        path: output .npz.
        points: (T, J, 3) joint positions in m.
        skeleton: registry name of the joint order.
        fps: frame rate in Hz.
        frame: coordinate frame in words.
        up_axis: optional (3,) up direction.
        timestamps: optional (T,) times in s (default i / fps).
    """
    up = np.array(Y_UP) if up_axis is None else np.asarray(up_axis)
    seq = Sequence3D(points, skeleton, fps, frame, up, timestamps=timestamps)
    arrays: dict[str, np.ndarray] = {
        "points": seq.points,
        "skeleton": np.array(skeleton),
        "fps": np.array(seq.fps),
        "frame": np.array(frame),
        "timestamps": seq.times(),
    }
    if up_axis is not None:
        arrays["up_axis"] = seq.up_axis
    atomic_save_npz(path, **arrays)


def csv_header(skeleton: str) -> list[str]:
    """CSV column names: frame, time_s, then <joint>_x, <joint>_y, <joint>_z per joint."""
    return ["frame", "time_s"] + [f"{j}_{a}" for j in get_skeleton(skeleton).joints for a in "xyz"]


def write_csv(path: str | Path, points: np.ndarray, skeleton: str, fps: float) -> None:
    """Write a pose sequence as CSV, one row per frame (missing values as empty fields).

    Args:
        path: output .csv.
        points: (T, J, 3) joint positions in m.
        skeleton: registry name (column names come from its joints).
        fps: frame rate in Hz; time_s = frame / fps.
    """
    seq = _checked(points, skeleton, fps)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(csv_header(skeleton))
        for t, (time, row) in enumerate(
            zip(seq.times(), seq.points.reshape(seq.num_frames, -1), strict=True)
        ):
            w.writerow([t, f"{time:.9f}", *(f"{v:.6f}" if np.isfinite(v) else "" for v in row)])


def read_csv(path: str | Path) -> Sequence3D:
    """Read a CSV written by `write_csv`; the skeleton is recognised from the column names.

    Args:
        path: .csv file.

    Returns:
        Sequence3D (m, fps from the time_s column, frame unknown, up axis Y by default).
    """
    p = existing_file(path, "a pose CSV")
    with open(p, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0] if rows else []
    skeleton = next((s for s in SKELETON_NAMES if csv_header(s) == header), None)
    if skeleton is None:
        raise InvalidInputError(
            f"{p} line 1",
            header[:5],
            "frame,time_s,<joint>_x,... of a registry skeleton (as written by write_csv)",
        )
    n = len(header)
    data = np.full((len(rows) - 1, n), np.nan)
    for i, row in enumerate(rows[1:]):
        if len(row) != n:
            raise InvalidInputError(f"{p} line {i + 2}", f"{len(row)} columns", f"{n} columns")
        try:
            data[i] = [float(v) if v.strip() else np.nan for v in row]
        except ValueError as exc:
            raise InvalidInputError(f"{p} line {i + 2}", row[:3], f"numbers ({exc})") from exc
    if len(data) < 2:
        raise InvalidInputError(str(p), f"{len(data)} rows", "at least 2 frames (fps from time_s)")
    fps = 1.0 / float(np.median(np.diff(data[:, 1])))
    return Sequence3D(
        data[:, 2:].reshape(len(data), -1, 3), skeleton, fps, "", np.array(Y_UP), str(p)
    )


def write_trc(path: str | Path, points: np.ndarray, skeleton: str, fps: float) -> None:
    """Write a pose sequence as an OpenSim .trc (marker names = registry joint names, m).

    Uses posearena.mocap.write_trc. Read it back with
    `posearena_gateway.references.read_trc_reference`.

    Args:
        path: output .trc.
        points: (T, J, 3) joint positions in m.
        skeleton: registry name.
        fps: frame rate in Hz.
    """
    seq = _checked(points, skeleton, fps)
    _mocap_write_trc(path, seq.points, list(seq.joints), seq.fps, units="m")


def write_kinect_skeleton_text(
    path: str | Path,
    points: np.ndarray,
    skeleton: str,
    fps: float,
    version: str = "v2",
    frame: str = "",
    up_axis: np.ndarray | None = None,
) -> None:
    """Export poses as Kinect skeleton text (timestamps = frame index / fps), converting the
    joints to the Kinect v2 (25) or v1 (20) skeleton; joints without counterpart are "nan".

    Args:
        path: output text file.
        points: (T, J, 3) joint positions in m.
        skeleton: registry name of `points`' joint order (e.g. "h36m17").
        fps: frame rate in Hz.
        version: "v2" (kinect_v2_25) or "v1" (kinect_v1_20).
        frame: coordinate frame in words (header); default "<skeleton> output frame".
        up_axis: optional (3,) up direction (header); None leaves it out (readers then
            assume Kinect's Y up)
    """
    target = {"v1": "kinect_v1_20", "v2": "kinect_v2_25"}.get(version)
    if target is None:
        raise InvalidInputError("version", version, "'v1' (20 joints) or 'v2' (25 joints)")
    seq = _checked(points, skeleton, fps)
    kin = convert(seq.points, skeleton, target)
    write_kinect_text(
        path, kin, target, seq.fps, frame=frame or f"{skeleton} output frame", up_axis=up_axis
    )


#: File suffix -> export format of `write_sequence`.
SEQUENCE_FORMATS = {".npz": "npz", ".csv": "csv", ".trc": "trc", ".txt": "kinect_text"}


def write_sequence(path: str | Path, seq: Sequence3D, fmt: str | None = None) -> None:
    """Write a Sequence3D in one of the export formats.

    Args:
        path: output file.
        seq: the sequence (points (T, J, 3) m, skeleton, fps, frame, up axis, timestamps).
        fmt: "npz", "csv", "trc" or "kinect_text"; from the suffix of `path` if None
            (.npz, .csv, .trc, .txt).
    """
    fmt = fmt or SEQUENCE_FORMATS.get(Path(path).suffix.lower())
    if fmt == "npz":
        write_npz(path, seq.points, seq.skeleton, seq.fps, seq.frame, seq.up_axis, seq.timestamps)
    elif fmt == "csv":
        write_csv(path, seq.points, seq.skeleton, seq.fps)
    elif fmt == "trc":
        write_trc(path, seq.points, seq.skeleton, seq.fps)
    elif fmt == "kinect_text":
        write_kinect_skeleton_text(
            path, seq.points, seq.skeleton, seq.fps, frame=seq.frame, up_axis=seq.up_axis
        )
    else:
        known = sorted(set(SEQUENCE_FORMATS.values()))
        raise InvalidInputError(
            "fmt", fmt or str(path), f"one of {known} or a path ending in {list(SEQUENCE_FORMATS)}"
        )

"""Marker-based mocap references: UI-PRMD Vicon files and OpenSim .trc files.

Plug-in-Gait markers become joint centres through `posearena.mocap` (Harrington hips,
chord-function knees/ankles/elbows; see that package): the reference is `h36m17` in metres,
with COCO-17 and the raw markers kept in `extra`. A .trc whose marker names are the joints of
a registry skeleton (or posearena.mocap's H36M-17 / COCO-17 names) is read as that skeleton.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.mocap import (
    COCO17_JOINTS,
    H36M17_JOINTS,
    PIG39_MARKERS,
    VICON_FPS,
    read_trc,
    read_vicon_positions,
    to_coco17,
    to_h36m17,
)
from posearena.skeletons import SKELETON_NAMES, convert, get_skeleton
from posearena_gateway.references.sequence import VICON_FRAME, Z_UP, Sequence3D
from posearena_gateway.references.textio import existing_file

_UNIT_SCALE = {"m": 1.0, "mm": 1e-3, "cm": 1e-2}
#: posearena.mocap's own joint names -> registry skeleton with the same joint order.
_MOCAP_NAMES = {"h36m17": tuple(H36M17_JOINTS), "coco17": tuple(COCO17_JOINTS)}


def _marker_sequence(
    markers_mm: np.ndarray,
    fps: float,
    frame: str,
    up: np.ndarray,
    source: str,
    timestamps: np.ndarray | None = None,
) -> Sequence3D:
    """Plug-in-Gait markers (T, 39, 3) mm -> h36m17 joint centres Sequence3D (m)."""
    return Sequence3D(
        points=to_h36m17(markers_mm),
        skeleton="h36m17",
        fps=fps,
        frame=frame,
        up_axis=up,
        source=source,
        timestamps=timestamps,
        extra={"coco17": to_coco17(markers_mm), "pig39_markers": markers_mm / 1000.0},
    )


def read_vicon(path: str | Path) -> Sequence3D:
    """Read a UI-PRMD Vicon positions file as H36M-17 joint centres.

    Args:
        path: mXX_sYY_eZZ_positions.txt[.gz] with 117 comma-separated columns (39 Plug-in-Gait
            markers, mm, 100 Hz, Z up).

    Returns:
        Sequence3D: points (T, 17, 3) m "h36m17", 100 Hz, "vicon world (Z up)"; extra holds
        "coco17" (T, 17, 3) m and "pig39_markers" (T, 39, 3) m (NaN = occluded).
    """
    p = existing_file(path, "a UI-PRMD Vicon positions file")
    markers = read_vicon_positions(p)
    return _marker_sequence(markers, VICON_FPS, VICON_FRAME, np.array(Z_UP), str(p))


def infer_up_axis(points: np.ndarray, skeleton: str) -> np.ndarray:
    """Guess the up axis of a standing-person recording: the coordinate axis closest to the
    mean ankles-to-head direction (pelvis-to-thorax if those are missing).

    Args:
        points: (T, J, 3) joints, any length unit.
        skeleton: registry name of the joint order.

    Returns:
        (3,) signed unit coordinate axis, e.g. (0, 0, 1).

    Raises:
        InvalidInputError: the skeleton has none of these joints or they are all missing.
    """
    h = convert(np.asarray(points, dtype=np.float64), skeleton, "h36m17")
    with warnings.catch_warnings():  # nanmean of all-NaN columns warns; checked below
        warnings.simplefilter("ignore", RuntimeWarning)
        v = np.nanmean(h[:, 10] - 0.5 * (h[:, 3] + h[:, 6]), axis=0)
        if not np.all(np.isfinite(v)):
            v = np.nanmean(h[:, 8] - h[:, 0], axis=0)
    if not np.all(np.isfinite(v)) or not np.any(v):
        raise InvalidInputError(
            "up_axis", None, f"an explicit up axis (none inferable from {skeleton} joints)"
        )
    axis = int(np.argmax(np.abs(v)))
    up = np.zeros(3)
    up[axis] = np.sign(v[axis])
    return up


def _match_skeleton(names: list[str]) -> tuple[str, list[int]] | None:
    """Registry skeleton whose joints are all among `names` (largest first) and their columns."""
    candidates: list[tuple[str, tuple[str, ...]]] = [
        (s, get_skeleton(s).joints) for s in SKELETON_NAMES if s != "pig39"
    ]
    candidates += list(_MOCAP_NAMES.items())
    best = None
    for skel, joints in candidates:
        if all(j in names for j in joints) and (best is None or len(joints) > len(best[1])):
            best = (skel, joints)
    if best is None:
        return None
    return best[0], [names.index(j) for j in best[1]]


def read_trc_reference(path: str | Path, up_axis: np.ndarray | None = None) -> Sequence3D:
    """Read an OpenSim .trc file as a reference sequence.

    If the marker names include every joint of a registry skeleton (or posearena.mocap's
    H36M-17/COCO-17 names), those columns are taken as that skeleton; otherwise the 39
    Plug-in-Gait markers must be present and are turned into H36M-17 joint centres.

    Args:
        path: .trc file (units m, cm or mm).
        up_axis: (3,) up direction of the file's frame; inferred from the data if None.

    Returns:
        Sequence3D in metres in the file's frame; timestamps from the Time column.

    Raises:
        InvalidInputError: unreadable trc, unknown units, or neither joint names nor the
            Plug-in-Gait marker set.
    """
    p = existing_file(path, "a .trc file")
    trc = read_trc(p)
    scale = _UNIT_SCALE.get(trc.units.lower())
    if scale is None:
        raise InvalidInputError(f"{p} Units", trc.units, f"one of {sorted(_UNIT_SCALE)}")
    ts = np.asarray(trc.times, dtype=np.float64)
    if ts.size < 2 or not np.all(np.isfinite(ts)) or np.any(np.diff(ts) <= 0):
        ts = None
    matched = _match_skeleton(trc.names)
    if matched is not None:
        skel, cols = matched
        pts = trc.markers[:, cols] * scale
        up = np.asarray(up_axis) if up_axis is not None else infer_up_axis(pts, skel)
        return Sequence3D(pts, skel, trc.fps, _frame_name(up, up_axis is None), up, str(p), ts)
    missing = [m for m in PIG39_MARKERS if m not in trc.names]
    if missing:
        raise InvalidInputError(
            f"{p} marker names",
            trc.names[:8],
            "the joints of a registry skeleton or the 39 Plug-in-Gait markers "
            f"(missing {missing[:6]}{'...' if len(missing) > 6 else ''})",
        )
    markers_mm = trc.markers[:, [trc.names.index(m) for m in PIG39_MARKERS]] * scale * 1000.0
    joints = to_h36m17(markers_mm)
    up = np.asarray(up_axis) if up_axis is not None else infer_up_axis(joints, "h36m17")
    return _marker_sequence(markers_mm, trc.fps, _frame_name(up, up_axis is None), up, str(p), ts)


def _frame_name(up: np.ndarray, inferred: bool) -> str:
    u = np.asarray(up, dtype=np.float64)
    axis = "XYZ"[int(np.argmax(np.abs(u)))]
    sign = "-" if u[int(np.argmax(np.abs(u)))] < 0 else ""
    return f"trc file frame ({sign}{axis} up{', inferred' if inferred else ''})"

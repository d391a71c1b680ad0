"""Plug-in-Gait marker set and the UI-PRMD Vicon positions file reader (pure numpy)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton

#: The 39 Plug-in-Gait full-body markers in UI-PRMD Vicon column order (the registry's "pig39").
PIG39_MARKERS: tuple[str, ...] = tuple(get_skeleton("pig39").joints)
MARKER_INDEX: dict[str, int] = {name: i for i, name in enumerate(PIG39_MARKERS)}
#: UI-PRMD Vicon frame rate (Hz).
VICON_FPS: float = 100.0


def check_markers(markers: np.ndarray, field: str = "markers") -> np.ndarray:
    """Validate a Plug-in-Gait marker array.

    Args:
        markers: (T, 39, 3) or (39, 3) marker positions (any length unit), NaN = missing.
        field: argument name used in error messages.

    Returns:
        (T, 39, 3) float64 array (a single frame gets a leading time axis).
    """
    arr = np.asarray(markers, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (39, 3) or arr.shape[0] < 1:
        raise InvalidInputError(field, getattr(markers, "shape", markers), "shape (T, 39, 3)")
    return arr


def read_vicon_positions(path: str | Path) -> np.ndarray:
    """Read a UI-PRMD Vicon positions file (.txt or .txt.gz, 117 comma-separated columns).

    Markers that the file stores as (0, 0, 0) are missing and become NaN (the dataset writes
    occluded markers as exact zeros).

    Args:
        path: file path; gzip-compressed if the name ends in ".gz".

    Returns:
        (T, 39, 3) marker positions in mm, file frame (Z up), Plug-in-Gait order (PIG39_MARKERS).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError("path", str(path), "an existing UI-PRMD Vicon positions file")
    opener = gzip.open if p.name.endswith(".gz") else open
    with opener(p, "rt") as fh:
        rows = [line.strip() for line in fh if line.strip()]
    if not rows:
        raise InvalidInputError("path", str(path), "a file with at least one row of 117 values")
    try:
        data = np.array([[float(v) for v in r.split(",")] for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise InvalidInputError("path", str(path), f"comma-separated numbers ({exc})") from exc
    if data.ndim != 2 or data.shape[1] != 117:
        raise InvalidInputError("path", str(path), "117 comma-separated columns per row")
    markers = data.reshape(len(data), 39, 3)
    markers[np.all(markers == 0.0, axis=2)] = np.nan
    return markers

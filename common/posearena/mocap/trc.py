"""OpenSim .trc marker files (tab-separated; header of 5 lines; missing values empty)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError


@dataclass
class TrcData:
    """Contents of a .trc file.

    Attributes:
        markers: (T, M, 3) positions in `units`, NaN = missing.
        names: M marker names.
        fps: data rate (Hz).
        units: "mm" or "m".
        times: (T,) time of each frame in s.
    """

    markers: np.ndarray
    names: list[str]
    fps: float
    units: str
    times: np.ndarray


def write_trc(
    path: str | Path, markers: np.ndarray, names: list[str] | tuple[str, ...], fps: float,
    units: str = "m",
) -> None:
    """Write markers as an OpenSim .trc file (NaN written as empty fields).

    Args:
        path: output file.
        markers: (T, M, 3) positions in `units`.
        names: M marker names (no tabs or whitespace-only names).
        fps: frame rate in Hz (> 0).
        units: "m" or "mm".
    """
    arr = np.asarray(markers, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1:
        raise InvalidInputError("markers", getattr(arr, "shape", None), "shape (T, M, 3), T >= 1")
    names = list(names)
    if len(names) != arr.shape[1] or any(not n.strip() or "\t" in n for n in names):
        raise InvalidInputError("names", names, f"{arr.shape[1]} non-empty names without tabs")
    if not np.isfinite(fps) or fps <= 0:
        raise InvalidInputError("fps", fps, "a frame rate > 0 Hz")
    if units not in ("m", "mm"):
        raise InvalidInputError("units", units, "'m' or 'mm'")
    T, M = arr.shape[:2]
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{Path(path).name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame"
        "\tOrigNumFrames",
        f"{fps:g}\t{fps:g}\t{T}\t{M}\t{units}\t{fps:g}\t1\t{T}",
        "Frame#\tTime\t" + "\t".join(f"{n}\t\t" for n in names).rstrip("\t"),
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(M)),
        "",
    ]
    for t in range(T):
        vals = ["" if not np.isfinite(v) else f"{v:.6f}" for v in arr[t].ravel()]
        lines.append(f"{t + 1}\t{t / fps:.6f}\t" + "\t".join(vals))
    Path(path).write_text("\n".join(lines) + "\n")


def read_trc(path: str | Path) -> TrcData:
    """Read an OpenSim .trc file.

    Args:
        path: .trc file.

    Returns:
        TrcData with markers (T, M, 3) in the file's units (NaN for empty fields).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError("path", str(path), "an existing .trc file")
    lines = p.read_text().splitlines()
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise InvalidInputError("path", str(path), "a .trc file starting with 'PathFileType'")
    keys = lines[1].split("\t")
    vals = lines[2].split("\t")
    header = dict(zip(keys, vals, strict=False))
    try:
        fps = float(header.get("DataRate", "nan"))
        n_markers = int(header["NumMarkers"])
    except (KeyError, ValueError) as exc:
        raise InvalidInputError("path", str(path), f"a valid .trc header ({exc})") from exc
    units = header.get("Units", "mm").strip()
    names = [n.strip() for n in lines[3].split("\t")[2:] if n.strip()]
    if len(names) != n_markers:
        raise InvalidInputError("path", str(path), f"{n_markers} marker names in line 4")
    rows, times = [], []
    for line in lines[5:]:
        if not line.strip():
            continue
        fields = line.split("\t")
        fields += [""] * (2 + 3 * n_markers - len(fields))
        try:
            times.append(float(fields[1]))
            rows.append([float(f) if f.strip() else np.nan for f in fields[2 : 2 + 3 * n_markers]])
        except ValueError as exc:
            raise InvalidInputError("path", str(path), f"numeric .trc data ({exc})") from exc
    markers = np.array(rows, dtype=np.float64).reshape(len(rows), n_markers, 3)
    return TrcData(markers=markers, names=names, fps=fps, units=units, times=np.array(times))

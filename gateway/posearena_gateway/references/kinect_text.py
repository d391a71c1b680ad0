"""Kinect v1 (20 joints) / v2 (25 joints) skeleton text: a plain, documented exchange format.

Format ("posearena Kinect skeleton text"):
- One line per frame: the timestamp in seconds, then J x (x y z) joint positions in metres,
  in the Kinect SDK joint order (`kinect_v1_20`: 20 joints -> 61 columns; `kinect_v2_25`:
  25 joints -> 76 columns). Fields are separated by whitespace and/or commas.
- Missing joints are written "nan" (a frame is never dropped: its line stays).
- Lines starting with '#' are comments. Comments of the form "# key: value" before the data
  form an optional header; known keys: skeleton (registry name), fps (Hz), frame (words),
  up (three numbers), units (must be "m"), columns (names, ignored by the reader).
- The version is detected from the column count; a header skeleton must agree with it.
- Timestamps must increase strictly. Without an "fps" header the rate is 1 / the median
  timestamp step.

Example:
    # posearena kinect skeleton text
    # skeleton: kinect_v2_25
    # fps: 30
    # frame: kinect camera (Y up)
    # units: m
    0.000000 0.01 0.12 2.31 ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton
from posearena_gateway.references.sequence import KINECT_FRAME, Y_UP, Sequence3D
from posearena_gateway.references.textio import existing_file, read_table

#: Column count (timestamp + 3 J) -> skeleton registry name.
KINECT_TEXT_COLUMNS: dict[int, str] = {61: "kinect_v1_20", 76: "kinect_v2_25"}
_WHAT = "61 columns (timestamp + 20 joints x 3, Kinect v1) or 76 (timestamp + 25 x 3, Kinect v2)"


def _header(comments: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in comments:
        key, sep, value = c.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out.setdefault(key.strip().lower(), value.strip())
    return out


def read_kinect_text(path: str | Path) -> Sequence3D:
    """Read a Kinect v1/v2 skeleton text file (format in the module docstring).

    Args:
        path: text file (plain or .gz).

    Returns:
        Sequence3D: points (T, 20 or 25, 3) m, skeleton "kinect_v1_20"/"kinect_v2_25",
        timestamps (T,) s, fps from the header or the median step, frame and up axis from the
        header (default Kinect camera frame, Y up).

    Raises:
        InvalidInputError: wrong column counts (file, line and expected count named),
            non-numbers, a header contradicting the columns, bad fps/units, non-increasing
            timestamps.
    """
    p = existing_file(path, "a Kinect skeleton text file")
    data, comments = read_table(p, tuple(KINECT_TEXT_COLUMNS), _WHAT)
    skeleton = KINECT_TEXT_COLUMNS[data.shape[1]]
    head = _header(comments)
    if head.get("skeleton", skeleton) != skeleton:
        raise InvalidInputError(
            f"{p} header skeleton",
            head["skeleton"],
            f"{skeleton} (the data lines have {data.shape[1]} columns)",
        )
    if head.get("units", "m").lower() not in ("m", "metres", "meters"):
        raise InvalidInputError(f"{p} header units", head["units"], "'m' (metres)")
    ts = data[:, 0]
    if not np.all(np.isfinite(ts)) or (len(ts) > 1 and np.any(np.diff(ts) <= 0)):
        bad = int(np.argmax(~np.isfinite(ts))) if not np.all(np.isfinite(ts)) else None
        if bad is None:
            bad = int(np.argmax(np.diff(ts) <= 0)) + 1
        raise InvalidInputError(
            f"{p} frame {bad}", float(ts[bad]), "finite, strictly increasing timestamps (s)"
        )
    if "fps" in head:
        try:
            fps = float(head["fps"])
        except ValueError:
            fps = float("nan")
        if not np.isfinite(fps) or fps <= 0:
            raise InvalidInputError(f"{p} header fps", head["fps"], "a frame rate > 0 Hz")
    elif len(ts) > 1:
        fps = 1.0 / float(np.median(np.diff(ts)))
    else:
        raise InvalidInputError(str(p), "1 frame, no fps header", "an '# fps:' header or 2+ frames")
    up = np.array(Y_UP)
    if "up" in head:
        try:
            up = np.array([float(v) for v in head["up"].replace(",", " ").split()])
        except ValueError:
            up = np.zeros(0)
        if up.shape != (3,):
            raise InvalidInputError(f"{p} header up", head["up"], "three numbers, e.g. '0 1 0'")
    return Sequence3D(
        points=data[:, 1:].reshape(len(data), -1, 3),
        skeleton=skeleton,
        fps=fps,
        frame=head.get("frame", KINECT_FRAME),
        up_axis=up,
        source=str(p),
        timestamps=ts,
    )


def write_kinect_text(
    path: str | Path,
    points: np.ndarray,
    skeleton: str,
    fps: float,
    timestamps: np.ndarray | None = None,
    frame: str = KINECT_FRAME,
    up_axis: np.ndarray | tuple[float, float, float] | None = Y_UP,
) -> None:
    """Write poses as Kinect skeleton text (format in the module docstring).

    Args:
        path: output file (written as plain text).
        points: (T, J, 3) joint positions in metres, J = 20 (kinect_v1_20) or 25 (kinect_v2_25).
            Convert other skeletons first with posearena.skeletons.convert.
        skeleton: "kinect_v1_20" or "kinect_v2_25".
        fps: frame rate in Hz (> 0), written in the header.
        timestamps: optional (T,) increasing times in s; default frame index / fps.
        frame: coordinate frame in words (header).
        up_axis: (3,) up direction in that frame (header "up"); None leaves it out (readers
            then assume the Kinect camera's Y up).
    """
    if skeleton not in KINECT_TEXT_COLUMNS.values():
        known = sorted(KINECT_TEXT_COLUMNS.values())
        raise InvalidInputError("skeleton", skeleton, f"one of {known}")
    up_arr = np.array(Y_UP) if up_axis is None else np.asarray(up_axis)
    seq = Sequence3D(points, skeleton, fps, frame, up_arr, timestamps=timestamps)
    if "\n" in frame:
        raise InvalidInputError("frame", frame, "a one-line description")
    names = get_skeleton(skeleton).joints
    lines = [
        "# posearena kinect skeleton text",
        f"# skeleton: {skeleton}",
        f"# fps: {seq.fps:.10g}",
        f"# frame: {frame}",
        *([] if up_axis is None else ["# up: " + " ".join(f"{v:.9g}" for v in seq.up_axis)]),
        "# units: m",
        "# columns: timestamp_s " + " ".join(f"{n}_{a}" for n in names for a in "xyz"),
    ]
    flat = seq.points.reshape(seq.num_frames, -1)
    for t, row in zip(seq.times(), flat, strict=True):
        lines.append(f"{t:.6f} " + " ".join(f"{v:.6f}" if np.isfinite(v) else "nan" for v in row))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

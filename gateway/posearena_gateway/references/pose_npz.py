"""Reading a 3D pose .npz (`exporters.write_npz`, or a run directory's pose file) as a
`Sequence3D`: points (T, J, 3) m, skeleton, fps, frame, up axis, timestamps."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena_gateway.references.sequence import Y_UP, Sequence3D
from posearena_gateway.references.textio import existing_file


def read_npz(path: str | Path) -> Sequence3D:
    """Read a pose .npz written by `write_npz` (or a run directory's pose file).

    Args:
        path: .npz with at least points (T, J, 3) m, skeleton and fps.

    Returns:
        Sequence3D (up axis Y if the file has none; timestamps if stored).
    """
    p = existing_file(path, "a pose .npz")
    try:
        with np.load(p, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InvalidInputError("path", str(p), f"a readable .npz file ({exc})") from exc
    missing = [k for k in ("points", "skeleton", "fps") if k not in data]
    if missing:
        raise InvalidInputError(f"{p} keys", sorted(data), f"also {missing}")
    return Sequence3D(
        points=data["points"],
        skeleton=str(data["skeleton"]),
        fps=float(data["fps"]),
        frame=str(data.get("frame", "")),
        up_axis=data.get("up_axis", np.array(Y_UP)),
        source=str(p),
        timestamps=data.get("timestamps"),
    )

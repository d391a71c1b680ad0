"""The run directory: where every stage's output lands as soon as it is computed.

Layout of `--out DIR`:
    detections/<det>_<cam>.npz    2D detections (posearena.npzio format)
    poses/<name>.npz              3D result of each pipeline and of the reference, with the
                                  details its stage reported (`save_sequence`)
    metrics.json, report.html, figures/*.png, exports/<name>.{csv,trc,kinect.txt}
All writes are atomic (temporary file + rename), so an interrupted run leaves only complete
files, and `--resume` reuses every one of them: detections, each pipeline's 3D and the
reference; the comparison, metrics.json and report are recomputed from them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import atomic_save_npz

EXTRA_PREFIX = "extra__"


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def to_json(data: Any) -> str:
    """JSON text with numpy scalars/arrays converted and NaN written as null."""
    def clean(x: Any) -> Any:
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if isinstance(x, float | np.floating) and not np.isfinite(x):
            return None
        return x
    return json.dumps(clean(json.loads(json.dumps(data, default=_json_default))), indent=2)


#: Free space a run needs before it starts (MiB): the demo's run dir takes ~40 MiB (overlay
#: videos, figures, exports); a disk this full fails at once instead of mid-run.
MIN_FREE_MIB = 100


class RunDir:
    """Paths and atomic writers of one run directory.

    Args:
        root: the directory; created if absent. Fails before any work when it cannot be
            written or its disk has less than MIN_FREE_MIB free (InvalidInputError naming
            the path).
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise InvalidInputError(
                "--out", str(self.root), f"a writable directory ({exc.strerror or exc})"
            ) from exc
        free_mib = shutil.disk_usage(self.root).free / 2**20
        if free_mib < MIN_FREE_MIB:
            raise InvalidInputError(
                "--out", str(self.root),
                f"a disk with at least {MIN_FREE_MIB} MiB free (it has {free_mib:.0f} MiB)")

    def detections(self, detector: str, camera: str) -> Path:
        return self.root / "detections" / f"{detector}_{camera}.npz"

    def poses(self, name: str) -> Path:
        return self.root / "poses" / f"{name.replace('+', '_')}.npz"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def write_json(self, name: str, data: Any) -> Path:
        path = self.root / name
        atomic_write_text(path, to_json(data))
        return path

    def read_json(self, name: str) -> dict | None:
        path = self.root / name
        return json.loads(path.read_text()) if path.exists() else None

    def save_sequence(self, name: str, seq: Any) -> Path:
        """Save a pipeline's (or the reference's) Sequence3D so `--resume` can reuse it whole.

        The npz holds points (T, J, 3) m, skeleton, fps, frame, up_axis (3,), source, the
        array entries of `seq.extra` as `extra__<key>` and its other entries as JSON in
        `extra_json`.
        """
        arr_extra = {f"{EXTRA_PREFIX}{k}": np.asarray(v) for k, v in seq.extra.items()
                     if isinstance(v, np.ndarray)}
        other = {k: v for k, v in seq.extra.items() if not isinstance(v, np.ndarray)}
        path = self.poses(name)
        atomic_save_npz(path, points=np.asarray(seq.points, np.float64),
                        skeleton=np.array(seq.skeleton), fps=np.array(float(seq.fps)),
                        frame=np.array(seq.frame), up_axis=np.asarray(seq.up_axis),
                        source=np.array(seq.source), extra_json=np.array(to_json(other)),
                        **arr_extra)
        return path

    def load_sequence(self, name: str) -> Any | None:
        """The Sequence3D `save_sequence` wrote for `name`, or None (absent, or written by an
        older version without its details: then it is computed again)."""
        from posearena_gateway.references.sequence import Sequence3D  # references import us

        path = self.poses(name)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            if "extra_json" not in z.files:
                return None
            extra = json.loads(str(z["extra_json"]))
            extra.update({k[len(EXTRA_PREFIX):]: z[k] for k in z.files
                          if k.startswith(EXTRA_PREFIX)})
            return Sequence3D(z["points"], str(z["skeleton"]), float(z["fps"]), str(z["frame"]),
                              z["up_axis"], source=str(z["source"]), extra=extra)

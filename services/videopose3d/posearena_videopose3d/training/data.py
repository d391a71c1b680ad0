"""Training data: UI-PRMD Vicon files -> COCO-17 / H36M-17 world sequences (metres, Z up)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.mocap import read_vicon_positions, to_coco17, to_h36m17

_NAME = re.compile(r"m(\d\d)_s(\d\d)_e(\d\d)_positions\.txt(\.gz)?$")


@dataclass
class Sequence3D:
    """One contiguous, fully valid stretch of a recording.

    Attributes:
        coco: (T, 17, 3) COCO-17 joints, m, world frame (Z up).
        h36m: (T, 17, 3) H36M-17 joints, m, world frame.
        fps: frame rate (Hz).
        subject: e.g. "s01"; name: source file stem plus stretch/subsampling suffix.
    """

    coco: np.ndarray
    h36m: np.ndarray
    fps: float
    subject: str
    name: str


@dataclass
class LoadReport:
    """Which files were used, dropped, or partly used (frames with missing markers cut)."""

    used: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    trimmed: list[str] = field(default_factory=list)


def _valid_runs(valid: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, ok in enumerate(np.append(valid, False)):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= min_len:
                runs.append((start, i))
            start = None
    return runs


def load_uiprmd_vicon(
    data_dir: str | Path, subjects: list[str], subsample: tuple[int, ...] = (3,),
    max_missing: float = 0.5, min_len: int = 30,
) -> tuple[list[Sequence3D], LoadReport]:
    """Load UI-PRMD Vicon positions files of some subjects as joint sequences.

    Args:
        data_dir: folder with mMM_sSS_eEE_positions.txt.gz files (or its parent holding
            Vicon/Positions/).
        subjects: subject ids like ["s01", "s02"].
        subsample: frame strides applied to the 100 Hz data (3 -> 33.3 Hz); every offset of
            each stride is kept as a separate sequence.
        max_missing: drop a file when more than this fraction of frames lacks a joint.
        min_len: shortest valid stretch kept (frames at 100 Hz).

    Returns:
        (sequences, report).
    """
    root = Path(data_dir)
    if (root / "Vicon" / "Positions").is_dir():
        root = root / "Vicon" / "Positions"
    if not root.is_dir():
        raise InvalidInputError("data_dir", str(data_dir), "a folder of UI-PRMD Vicon files")
    wanted = {s.strip() for s in subjects if s.strip()}
    if not wanted or any(not re.fullmatch(r"s\d\d", s) for s in wanted):
        raise InvalidInputError("subjects", subjects, "ids like 's01'")
    seqs: list[Sequence3D] = []
    report = LoadReport()
    for path in sorted(root.iterdir()):
        m = _NAME.search(path.name)
        if not m or f"s{m.group(2)}" not in wanted:
            continue
        markers = read_vicon_positions(path)
        coco, h36m = to_coco17(markers), to_h36m17(markers)
        valid = np.isfinite(coco).all(axis=(1, 2)) & np.isfinite(h36m).all(axis=(1, 2))
        stem = path.name.split("_positions")[0]
        if valid.mean() < 1.0 - max_missing:
            report.dropped.append(stem)
            continue
        (report.trimmed if not valid.all() else report.used).append(stem)
        for k, (a, b) in enumerate(_valid_runs(valid, min_len)):
            for step in subsample:
                for off in range(step):
                    seqs.append(Sequence3D(
                        coco=coco[a + off:b:step].astype(np.float32),
                        h36m=h36m[a + off:b:step].astype(np.float32),
                        fps=100.0 / step, subject=f"s{m.group(2)}",
                        name=f"{stem}#{k}/{step}+{off}",
                    ))
    if not seqs:
        raise InvalidInputError("subjects", sorted(wanted), f"subjects with files in {root}")
    return seqs, report


def subset_sequences(seqs: list[Sequence3D], fraction: float) -> list[Sequence3D]:
    """Keep a contiguous `fraction` of each recording stretch, as VideoPose3D's `--subset`
    (scarce labels at the full frame rate).

    The chunk's start is a fixed function of the stretch's name (CRC32), so every stride and
    offset of one stretch keeps the same stretch of time and a run is reproducible.

    Args:
        seqs: sequences from `load_uiprmd_vicon`. fraction: in (0, 1]; 1 keeps everything.

    Returns:
        The shortened sequences (at least 2 frames each).
    """
    if not 0.0 < fraction <= 1.0:
        raise InvalidInputError("subset", fraction, "a fraction in (0, 1]")
    if fraction == 1.0:
        return seqs
    out = []
    for s in seqs:
        stretch = s.name.split("/")[0]  # "mMM_sSS_eEE#k": one valid stretch of one file
        n = len(s.h36m)
        keep = max(2, round(n * fraction))
        u = zlib.crc32(stretch.encode()) / 2**32  # same start fraction for every stride
        a = int(u * (n - keep + 1))
        out.append(Sequence3D(coco=s.coco[a:a + keep], h36m=s.h36m[a:a + keep], fps=s.fps,
                              subject=s.subject, name=f"{s.name}[{a}:{a + keep}]"))
    return out

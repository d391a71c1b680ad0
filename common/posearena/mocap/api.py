"""Command-line level helpers: a Vicon file -> H36M-17 / COCO-17 joints, saved as npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.mocap.joint_centres import JointCentreParams
from posearena.mocap.markers import VICON_FPS, read_vicon_positions
from posearena.mocap.skeletons import to_coco17, to_h36m17
from posearena.mocap.trc import read_trc


def mocap_joints(
    input_path: str | Path, params: JointCentreParams | None = None
) -> dict[str, np.ndarray | float]:
    """Joint sequences from a marker file.

    Args:
        input_path: UI-PRMD Vicon positions file (.txt/.txt.gz, 39 Plug-in-Gait markers, mm,
            100 Hz) or a .trc file holding the 39 Plug-in-Gait markers by name.
        params: joint-centre offsets.

    Returns:
        dict with "h36m17" (T, 17, 3) m, "coco17" (T, 17, 3) m (file frame, Z up for Vicon)
        and "fps" (Hz).
    """
    p = Path(input_path)
    if p.suffix.lower() == ".trc":
        from posearena.mocap.markers import PIG39_MARKERS

        trc = read_trc(p)
        missing = [n for n in PIG39_MARKERS if n not in trc.names]
        if missing:
            raise InvalidInputError("input_path", str(p), f"a .trc with markers {missing}")
        scale = 1000.0 if trc.units == "m" else 1.0
        idx = [trc.names.index(n) for n in PIG39_MARKERS]
        markers, fps = trc.markers[:, idx] * scale, trc.fps
    else:
        markers, fps = read_vicon_positions(p), VICON_FPS
    return {"h36m17": to_h36m17(markers, params), "coco17": to_coco17(markers, params), "fps": fps}


def save(path: str | Path, joints: dict[str, np.ndarray | float]) -> None:
    """Save the output of `mocap_joints` as an npz (keys h36m17, coco17, fps; metres).

    Args:
        path: output .npz file.
        joints: dict with h36m17 (T, 17, 3) m, coco17 (T, 17, 3) m and fps (Hz).
    """
    for key in ("h36m17", "coco17", "fps"):
        if key not in joints:
            raise InvalidInputError("joints", sorted(joints), f"a dict with key {key!r}")
    try:
        from posearena.npzio import atomic_save_npz
    except ImportError:  # npzio not available yet: plain save
        atomic_save_npz = None
    arrays = {
        "h36m17": np.asarray(joints["h36m17"], dtype=np.float32),
        "coco17": np.asarray(joints["coco17"], dtype=np.float32),
        "fps": np.asarray(float(joints["fps"])),
        "frame": np.asarray("file frame (Vicon: Z up), metres"),
    }
    if atomic_save_npz is not None:
        atomic_save_npz(path, **arrays)
    else:
        np.savez(path, **arrays)

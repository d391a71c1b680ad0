"""UI-PRMD Kinect v2 reader: positions + Euler angles -> absolute joints by forward kinematics.

The dataset (Vakanski et al., Data 2018) stores per frame 22 joints x 3 values in two files:
- positions: the Waist row is absolute (cm); every other joint is an offset (cm) from its
  parent, expressed in the parent's rotated frame;
- angles: Euler angles (x, y, z) in degrees per joint, composed as R = Rz(z) Ry(y) Rx(x).

Forward kinematics down the tree (`uiprmd_kinect22` parents): a joint's world position is
its parent's position plus the parent's world rotation applied to the joint's offset, and its
world rotation is the parent's world rotation times its own R. Quirk of the dataset's own
code, reproduced here: the parent rotation used for the two collars is R(Chest angles) alone
and for the two upper legs R(Waist angles) alone, not the accumulated chain.
Output: metres, Kinect camera frame (Y up), 30 Hz.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton
from posearena_gateway.references.sequence import KINECT_FRAME, Y_UP, Sequence3D
from posearena_gateway.references.textio import existing_file, read_table

SKELETON = "uiprmd_kinect22"
UIPRMD_KINECT_FPS = 30.0
NUM_JOINTS = 22
#: Joints whose parent rotation is the parent's OWN angles (not the accumulated chain).
_LOCAL_PARENT_ROTATION = ("LeftCollar", "RightCollar", "LeftUpperLeg", "RightUpperLeg")


def euler_to_matrix(angles_deg: np.ndarray) -> np.ndarray:
    """Rotation matrices R = Rz(z) Ry(y) Rx(x) from Euler angles.

    Args:
        angles_deg: (..., 3) angles (x, y, z) in degrees.

    Returns:
        (..., 3, 3) rotation matrices.
    """
    a = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    cx, cy, cz = np.cos(a[..., 0]), np.cos(a[..., 1]), np.cos(a[..., 2])
    sx, sy, sz = np.sin(a[..., 0]), np.sin(a[..., 1]), np.sin(a[..., 2])
    R = np.empty((*a.shape[:-1], 3, 3))
    R[..., 0, 0] = cz * cy
    R[..., 0, 1] = cz * sy * sx - sz * cx
    R[..., 0, 2] = cz * sy * cx + sz * sx
    R[..., 1, 0] = sz * cy
    R[..., 1, 1] = sz * sy * sx + cz * cx
    R[..., 1, 2] = sz * sy * cx - cz * sx
    R[..., 2, 0] = -sy
    R[..., 2, 1] = cy * sx
    R[..., 2, 2] = cy * cx
    return R


def forward_kinematics(offsets_cm: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Absolute UI-PRMD Kinect joints from parent-relative offsets and Euler angles.

    Args:
        offsets_cm: (T, 22, 3) positions file content: Waist absolute, others parent-relative, cm.
        angles_deg: (T, 22, 3) angles file content (x, y, z) in degrees.

    Returns:
        (T, 22, 3) absolute joint positions in cm, `uiprmd_kinect22` order, Kinect frame.
    """
    off = np.asarray(offsets_cm, dtype=np.float64)
    ang = np.asarray(angles_deg, dtype=np.float64)
    if off.ndim != 3 or off.shape[1:] != (NUM_JOINTS, 3):
        raise InvalidInputError("offsets_cm", off.shape, "shape (T, 22, 3)")
    if ang.shape != off.shape:
        raise InvalidInputError("angles_deg", ang.shape, f"the offsets' shape {off.shape}")
    skel = get_skeleton(SKELETON)
    local = euler_to_matrix(ang)  # (T, 22, 3, 3)
    world = np.empty_like(local)
    pos = np.empty_like(off)
    quirk = {skel.index(n) for n in _LOCAL_PARENT_ROTATION}
    for j, p in enumerate(skel.parents):  # parents precede children in this order
        if p < 0:
            pos[:, j], world[:, j] = off[:, j], local[:, j]
            continue
        parent_rot = local[:, p] if j in quirk else world[:, p]
        pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", parent_rot, off[:, j])
        world[:, j] = parent_rot @ local[:, j]
    return pos


def _swap(name: str) -> str:
    """Replace the last "positions" in a name by "angles", keeping its capitalisation."""
    found = list(re.finditer("positions", name, flags=re.IGNORECASE))
    if not found:
        return name
    m = found[-1]
    word = m.group(0)
    new = "ANGLES" if word.isupper() else "Angles" if word[0].isupper() else "angles"
    return name[: m.start()] + new + name[m.end() :]


def angles_path_for(positions_path: str | Path) -> list[Path]:
    """Candidate angles files for a UI-PRMD positions file, most likely first.

    .../Positions/mXX_sYY_eZZ_positions.txt[.gz] -> .../Angles/mXX_sYY_eZZ_angles.txt[.gz]
    (also the same folder, and the other compression).

    Args:
        positions_path: the positions file.

    Returns:
        candidate paths (the first is the one named in "missing" errors).
    """
    p = Path(positions_path)
    name = _swap(p.name)
    if name == p.name:
        return []
    folder = p.parent
    dirs = [folder.with_name(_swap(folder.name))] if _swap(folder.name) != folder.name else []
    dirs.append(folder)
    other = name[:-3] if name.lower().endswith(".gz") else name + ".gz"
    return [d / n for d in dirs for n in (name, other)]


def read_uiprmd_kinect(
    positions_path: str | Path, angles_path: str | Path | None = None
) -> Sequence3D:
    """Read a UI-PRMD Kinect episode as absolute joints in metres.

    Args:
        positions_path: mXX_sYY_eZZ_positions.txt or .txt.gz (66 comma-separated columns).
        angles_path: the matching angles file; found beside the positions file if None
            (.../Angles/mXX_sYY_eZZ_angles.txt[.gz]).

    Returns:
        Sequence3D: points (T, 22, 3) m, skeleton "uiprmd_kinect22", 30 Hz, Kinect frame (Y up),
        extra {"angles_deg": (T, 22, 3) degrees, "angles_path": str}.

    Raises:
        InvalidInputError: missing files (the angles path looked for is named), wrong column
            counts (file and line named), or positions/angles with different frame counts.
    """
    pos_path = existing_file(positions_path, "a UI-PRMD Kinect positions file")
    if angles_path is None:
        candidates = angles_path_for(pos_path)
        found = [c for c in candidates if c.is_file()]
        if not found:
            looked = str(candidates[0]) if candidates else f"<no 'positions' in {pos_path.name}>"
            raise InvalidInputError(
                "angles_path",
                looked,
                "the UI-PRMD angles file beside the positions file "
                f"(looked for {[str(c) for c in candidates]})",
            )
        ang_path = found[0]
    else:
        ang_path = Path(angles_path)
        if not ang_path.is_file():
            raise InvalidInputError("angles_path", str(ang_path), "an existing UI-PRMD angles file")
    what = "66 comma-separated columns (22 joints x 3)"
    offsets, _ = read_table(pos_path, (66,), what, comma_only=True)
    angles, _ = read_table(ang_path, (66,), what, comma_only=True)
    if len(offsets) != len(angles):
        raise InvalidInputError(
            "angles_path",
            str(ang_path),
            f"{len(offsets)} rows like the positions file {pos_path} (got {len(angles)})",
        )
    offsets = offsets.reshape(-1, NUM_JOINTS, 3)
    angles = angles.reshape(-1, NUM_JOINTS, 3)
    points_m = forward_kinematics(offsets, angles) / 100.0
    return Sequence3D(
        points=points_m,
        skeleton=SKELETON,
        fps=UIPRMD_KINECT_FPS,
        frame=KINECT_FRAME,
        up_axis=np.array(Y_UP),
        source=str(pos_path),
        extra={"angles_deg": angles, "angles_path": str(ang_path)},
    )

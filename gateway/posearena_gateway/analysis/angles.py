"""Clinical joint angles (degrees) from 3D joint positions.

Joints are addressed by canonical names ``l_/r_`` + shoulder, elbow, wrist, hip, knee, ankle
(as in `posearena.mocap`); "left_knee", "LKnee", "LeftKnee", "KneeLeft" are accepted too.
Positions are (T, 3) per joint in any length unit and any right-handed frame.

Body-fixed axes (per frame), so that the angles do not depend on the global frame:
- trunk axis ``up`` = unit(mid-shoulder − mid-hip);
- lateral axis ``left`` = the right→left joint direction, made orthogonal to ``up``: the
  shoulder line for the thorax frame (shoulder angles), the hip line for the pelvis frame
  (hip angles);
- ``forward`` = left × up (anterior). Sagittal plane = span(forward, up); frontal plane =
  span(left, up).

Definitions (0° in the anatomical standing posture):
- knee flexion: angle between thigh (hip→knee) and shank (knee→ankle); 0 = straight.
- elbow flexion: angle between upper arm (shoulder→elbow) and forearm (elbow→wrist).
- hip flexion: thigh (hip→knee) projected on the pelvis sagittal plane, angle from −up
  towards forward; 90 = thigh horizontal in front, negative = extension.
- shoulder flexion: upper arm projected on the thorax sagittal plane, from −up towards
  forward; 90 = arm horizontal in front, 180 = overhead, negative = extension.
- shoulder abduction: upper arm projected on the thorax frontal plane, from −up towards the
  arm's own side (left for the left arm); 90 = horizontal sideways, 180 = overhead.
- trunk inclination: angle between the trunk axis and the given `vertical` direction
  (Z up for mocap: (0, 0, 1); OpenCV camera frames: (0, −1, 0)); 0 = upright, unsigned.
Planar angles lie in [−90°, 270°). They are ill-conditioned when the segment is nearly
normal to the plane (e.g. shoulder flexion with the arm abducted sideways, abduction with the
arm pointing forward), so they are NaN where the segment leaves the plane by more than
`max_out_of_plane_deg` (default 60°). Any NaN input, or a zero-length segment, gives NaN for
that frame.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array, non_negative

_BASES = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")

#: Names of the angles `joint_angles` can return.
_ANGLE_KINDS = (
    "knee_flexion", "hip_flexion", "elbow_flexion", "shoulder_abduction", "shoulder_flexion",
)  # fmt: skip
ANGLE_NAMES: tuple[str, ...] = (
    *(f"{s}_{a}" for a in _ANGLE_KINDS for s in ("l", "r")),
    "trunk_inclination",
)


def canonical_joint_name(name: str) -> str | None:
    """Map a joint name to its canonical form ("l_knee", ...) or None if not a limb joint.

    Accepts e.g. "l_knee", "left_knee", "LKnee", "LeftKnee", "KneeLeft", "knee_l".
    """
    s = re.sub(r"[^a-z]", "", str(name).lower())
    for side, tokens in (("l", ("left", "l")), ("r", ("right", "r"))):
        for tok in tokens:
            if s.startswith(tok) and s[len(tok) :] in _BASES:
                return f"{side}_{s[len(tok) :]}"
            if s.endswith(tok) and s[: -len(tok)] in _BASES:
                return f"{side}_{s[: -len(tok)]}"
    return None


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, v / np.where(n > 0, n, 1.0), np.nan)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def vector_angle(u: ArrayLike, v: ArrayLike) -> np.ndarray:
    """Unsigned angle between vectors, degrees in [0, 180] (atan2 form, exact near 0°).

    Args:
        u: (..., 3) vectors.
        v: (..., 3) vectors (broadcast with u).

    Returns:
        (...) angles in degrees; NaN for NaN or zero-length vectors.
    """
    a = as_array(u, "u", last_dim=3)
    b = as_array(v, "v", last_dim=3)
    ang = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), _dot(a, b)))
    zero = (np.linalg.norm(a, axis=-1) == 0) | (np.linalg.norm(b, axis=-1) == 0)
    return np.where(zero, np.nan, ang)


@dataclass(frozen=True)
class BodyFrame:
    """Per-frame body-fixed unit axes, each (T, 3): up (trunk), left (lateral), forward."""

    up: np.ndarray
    left: np.ndarray
    forward: np.ndarray


def body_frame(
    mid_hip: ArrayLike, mid_shoulder: ArrayLike, left_point: ArrayLike, right_point: ArrayLike
) -> BodyFrame:
    """Body-fixed axes from the trunk axis and a left/right joint pair.

    Args:
        mid_hip: (T, 3) mid-point of the hips.
        mid_shoulder: (T, 3) mid-point of the shoulders.
        left_point: (T, 3) left joint of the lateral pair (shoulder or hip).
        right_point: (T, 3) right joint of the pair.

    Returns:
        `BodyFrame` with up = unit(mid_shoulder − mid_hip), left = the right→left direction
        orthogonalised against up, forward = left × up.
    """
    up = _unit(as_array(mid_shoulder, "mid_shoulder", last_dim=3) - as_array(mid_hip, "mid_hip"))
    lat = as_array(left_point, "left_point", last_dim=3) - as_array(right_point, "right_point")
    left = _unit(lat - _dot(lat, up)[..., None] * up)
    return BodyFrame(up=up, left=left, forward=np.cross(left, up))


def planar_angle(
    segment: ArrayLike, toward: ArrayLike, up: ArrayLike, max_out_of_plane_deg: float = 60.0
) -> np.ndarray:
    """Angle of a segment in the plane span(toward, up), from −up towards `toward`.

    Args:
        segment: (T, 3) proximal→distal segment vector.
        toward: (T, 3) unit axis of positive rotation (e.g. forward for flexion),
            orthogonal to `up`.
        up: (T, 3) unit trunk axis; the segment along −up gives 0.
        max_out_of_plane_deg: NaN where the segment makes a larger angle with the plane
            (90 keeps every frame with a non-zero projection).

    Returns:
        (T,) degrees in [−90, 270); NaN where undefined.
    """
    d = as_array(segment, "segment", last_dim=3)
    limit = non_negative(max_out_of_plane_deg, "max_out_of_plane_deg")
    if limit > 90.0:
        raise InvalidInputError("max_out_of_plane_deg", max_out_of_plane_deg, "0 <= deg <= 90")
    x, y = _dot(d, np.asarray(toward)), -_dot(d, np.asarray(up))
    ang = np.degrees(np.arctan2(x, y))
    ang = np.where(ang < -90.0, ang + 360.0, ang)
    in_plane = np.hypot(x, y)
    length = np.linalg.norm(d, axis=-1)
    with np.errstate(invalid="ignore"):
        ok = (in_plane > 0) & (in_plane >= np.cos(np.radians(limit)) * length)
    return np.where(ok, ang, np.nan)


def _collect(
    joints: Mapping[str, ArrayLike] | ArrayLike, joint_names: Sequence[str] | None
) -> dict[str, np.ndarray]:
    if isinstance(joints, Mapping):
        items = list(joints.items())
    else:
        arr = as_array(joints, "joints", ndim=3, last_dim=3)
        if joint_names is None or len(joint_names) != arr.shape[1]:
            got = None if joint_names is None else len(joint_names)
            raise InvalidInputError("joint_names", got, f"{arr.shape[1]} names (one per joint)")
        items = [(n, arr[:, j]) for j, n in enumerate(joint_names)]
    out: dict[str, np.ndarray] = {}
    shape = None
    for name, value in items:
        key = canonical_joint_name(name)
        if key is None:
            continue
        v = as_array(value, f"joints[{name!r}]", ndim=2, last_dim=3)
        if shape is not None and v.shape != shape:
            raise InvalidInputError(f"joints[{name!r}]", f"shape {v.shape}", f"shape {shape}")
        if key in out:
            raise InvalidInputError("joint_names", name, f"one joint per canonical name {key}")
        shape = v.shape
        out[key] = v
    return out


def joint_angles(
    joints: Mapping[str, ArrayLike] | ArrayLike,
    joint_names: Sequence[str] | None = None,
    vertical: ArrayLike = (0.0, 0.0, 1.0),
    max_out_of_plane_deg: float = 60.0,
) -> dict[str, np.ndarray]:
    """Compute every angle of `ANGLE_NAMES` whose joints are available.

    Args:
        joints: dict name -> (T, 3) positions, or a (T, J, 3) array with `joint_names`.
        joint_names: (J,) names of the array's joints (e.g. `get_skeleton(...).joints`).
        vertical: (3,) upward vertical direction of the joints' frame (for trunk
            inclination only): (0, 0, 1) for Z-up mocap, (0, −1, 0) for OpenCV cameras.
        max_out_of_plane_deg: planar angles (hip flexion, shoulder flexion/abduction) are
            NaN where the segment leaves their plane by more than this (see `planar_angle`).

    Returns:
        dict angle name -> (T,) degrees (see the module docstring for each definition).
        Angles whose joints are missing from the input are left out; frames with a NaN
        input joint are NaN.
    """
    j = _collect(joints, joint_names)
    up_v = _unit(as_array(vertical, "vertical", ndim=1, last_dim=3))
    if not np.isfinite(up_v).all():
        raise InvalidInputError("vertical", vertical, "a non-zero (3,) direction")
    lim = float(max_out_of_plane_deg)
    out: dict[str, np.ndarray] = {}
    for s in ("l", "r"):
        hip, knee, ankle = j.get(f"{s}_hip"), j.get(f"{s}_knee"), j.get(f"{s}_ankle")
        sho, elb, wri = j.get(f"{s}_shoulder"), j.get(f"{s}_elbow"), j.get(f"{s}_wrist")
        if hip is not None and knee is not None and ankle is not None:
            out[f"{s}_knee_flexion"] = vector_angle(knee - hip, ankle - knee)
        if sho is not None and elb is not None and wri is not None:
            out[f"{s}_elbow_flexion"] = vector_angle(elb - sho, wri - elb)
    trunk = ("l_hip", "r_hip", "l_shoulder", "r_shoulder")
    if all(k in j for k in trunk):
        mid_hip = 0.5 * (j["l_hip"] + j["r_hip"])
        mid_sho = 0.5 * (j["l_shoulder"] + j["r_shoulder"])
        pelvis = body_frame(mid_hip, mid_sho, j["l_hip"], j["r_hip"])
        thorax = body_frame(mid_hip, mid_sho, j["l_shoulder"], j["r_shoulder"])
        for s, sign in (("l", 1.0), ("r", -1.0)):
            if f"{s}_knee" in j:
                thigh = j[f"{s}_knee"] - j[f"{s}_hip"]
                out[f"{s}_hip_flexion"] = planar_angle(thigh, pelvis.forward, pelvis.up, lim)
            if f"{s}_elbow" in j:
                arm, side = j[f"{s}_elbow"] - j[f"{s}_shoulder"], sign * thorax.left
                out[f"{s}_shoulder_abduction"] = planar_angle(arm, side, thorax.up, lim)
                out[f"{s}_shoulder_flexion"] = planar_angle(arm, thorax.forward, thorax.up, lim)
        out["trunk_inclination"] = vector_angle(thorax.up, np.broadcast_to(up_v, thorax.up.shape))
    return {name: out[name] for name in ANGLE_NAMES if name in out}

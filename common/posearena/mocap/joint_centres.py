"""Joint centres from Plug-in-Gait skin markers (pure numpy, mm in, mm out).

Methods:
- hip: Harrington et al. 2007 regression (J Biomech 40:595-602) in the pelvis frame whose
  origin is mid-ASIS (x anterior, y superior, z right): x = -0.24 PD - 9.9,
  y = -0.30 PW - 10.9, z = +-(0.33 PW + 7.3) mm, with PW the inter-ASIS distance and PD the
  mid-ASIS to mid-PSIS distance.
- knee, ankle, elbow: the Plug-in-Gait chord function. The centre J lies in the plane of the
  proximal centre P, the lateral marker M and the wand marker W, at distance `half_width`
  from M, with the angle P-J-M a right angle, on the side of line P-M away from W.
  Without a static trial the wand's rotation about the segment axis is unknown (Plug-in-Gait's
  thigh/tibia rotation offsets); with `calibrate_rotation` an offset angle is estimated per
  recording: the one that makes the distal bone length (knee-ankle, elbow-wrist) most
  constant, since only points on the flexion axis keep a constant distance to the distal
  segment. A small penalty (`rotation_penalty` mm per degree) keeps 0 when motion is too
  small to tell.
- shoulder: `shoulder_drop` mm below SHO along the trunk axis (mid-pelvis -> mid C7/CLAV).
- wrist: midway between WRA and WRB.
Any needed marker missing (NaN) gives NaN for that joint in that frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena.mocap.markers import MARKER_INDEX, check_markers


@dataclass(frozen=True)
class JointCentreParams:
    """Offsets of the marker-based model (mm).

    Attributes:
        knee_half_width: knee marker to knee centre (half knee width + marker radius), mm.
        ankle_half_width: ankle marker to ankle centre, mm.
        elbow_half_width: elbow marker to elbow centre, mm.
        shoulder_drop: SHO marker to shoulder centre along the trunk axis, mm.
        calibrate_rotation: estimate wand rotation offsets per recording (see module doc).
        max_rotation_deg: search range of the offsets, +- degrees (5 degree grid).
        rotation_penalty: mm of bone-length std added per degree of offset.
    """

    knee_half_width: float = 60.0
    ankle_half_width: float = 45.0
    elbow_half_width: float = 45.0
    shoulder_drop: float = 60.0
    calibrate_rotation: bool = True
    max_rotation_deg: float = 60.0
    rotation_penalty: float = 0.05

    def __post_init__(self) -> None:
        for name in ("knee_half_width", "ankle_half_width", "elbow_half_width", "shoulder_drop"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0 or value > 300:
                raise InvalidInputError(name, value, "a distance in mm within [0, 300]")


def _unit(v: np.ndarray) -> np.ndarray:
    """Normalise vectors along the last axis (zero-length -> NaN)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-9, v / np.where(n > 1e-9, n, 1.0), np.nan)


def _m(markers: np.ndarray, name: str) -> np.ndarray:
    return markers[:, MARKER_INDEX[name]]


def pelvis_frame(markers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pelvis anatomical frame from ASIS/PSIS markers.

    Args:
        markers: (T, 39, 3) Plug-in-Gait markers, mm.

    Returns:
        origin (T, 3) mid-ASIS in mm, and unit axes x anterior, y superior, z right, each (T, 3).
    """
    lasi, rasi = _m(markers, "LASI"), _m(markers, "RASI")
    mid_psis = 0.5 * (_m(markers, "LPSI") + _m(markers, "RPSI"))
    origin = 0.5 * (lasi + rasi)
    z = _unit(rasi - lasi)
    fwd = origin - mid_psis
    x = _unit(fwd - np.sum(fwd * z, axis=-1, keepdims=True) * z)
    y = np.cross(z, x)
    return origin, x, y, z


def hip_centres(markers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hip joint centres by the Harrington et al. 2007 regression.

    Args:
        markers: (T, 39, 3) Plug-in-Gait markers, mm.

    Returns:
        (left, right) hip centres, each (T, 3) mm.
    """
    origin, x, y, z = pelvis_frame(markers)
    pw = np.linalg.norm(_m(markers, "RASI") - _m(markers, "LASI"), axis=-1, keepdims=True)
    mid_psis = 0.5 * (_m(markers, "LPSI") + _m(markers, "RPSI"))
    pd = np.linalg.norm(origin - mid_psis, axis=-1, keepdims=True)
    base = origin + (-0.24 * pd - 9.9) * x + (-0.30 * pw - 10.9) * y
    lateral = (0.33 * pw + 7.3) * z
    return base - lateral, base + lateral


def chord_centre(
    proximal: np.ndarray, lateral: np.ndarray, wand: np.ndarray, half_width: float,
    rotation_deg: float = 0.0,
) -> np.ndarray:
    """Plug-in-Gait chord function.

    Args:
        proximal: (T, 3) proximal joint centre P, mm.
        lateral: (T, 3) lateral marker M (e.g. KNE), mm.
        wand: (T, 3) wand marker W (e.g. THI) defining the plane, mm.
        half_width: |J - M| in mm.
        rotation_deg: offset rotating the wand plane about the line M -> P, degrees.

    Returns:
        (T, 3) joint centre J in mm (NaN where an input is NaN or degenerate).
    """
    d = lateral - proximal
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    u = _unit(proximal - lateral)
    w = wand - lateral
    perp = w - np.sum(w * u, axis=-1, keepdims=True) * u
    v = -_unit(perp)
    if rotation_deg:
        a = np.deg2rad(rotation_deg)
        v = np.cos(a) * v + np.sin(a) * np.cross(u, v)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_t = np.clip(half_width / length, -1.0, 1.0)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return lateral + half_width * (cos_t * u + sin_t * v)


def _calibrated_chord(
    proximal: np.ndarray, lateral: np.ndarray, wand: np.ndarray, half_width: float,
    distal: np.ndarray, p: JointCentreParams,
) -> np.ndarray:
    """Chord centre with the rotation offset that keeps |centre - distal| most constant."""
    if not p.calibrate_rotation:
        return chord_centre(proximal, lateral, wand, half_width)
    best, best_cost = None, np.inf
    for deg in np.arange(-p.max_rotation_deg, p.max_rotation_deg + 1e-9, 5.0):
        c = chord_centre(proximal, lateral, wand, half_width, float(deg))
        length = np.linalg.norm(c - distal, axis=-1)
        ok = np.isfinite(length)
        if ok.sum() < 2:
            return chord_centre(proximal, lateral, wand, half_width)
        cost = float(np.std(length[ok])) + p.rotation_penalty * abs(deg)
        if cost < best_cost:
            best, best_cost = c, cost
    return best


def trunk_up(markers: np.ndarray) -> np.ndarray:
    """Unit trunk axis from the mid-pelvis (mean of ASIS/PSIS) to mid C7/CLAV, (T, 3)."""
    pel = np.mean(markers[:, [MARKER_INDEX[n] for n in ("LASI", "RASI", "LPSI", "RPSI")]], axis=1)
    top = 0.5 * (_m(markers, "C7") + _m(markers, "CLAV"))
    return _unit(top - pel)


def joint_centres(
    markers: np.ndarray, params: JointCentreParams | None = None
) -> dict[str, np.ndarray]:
    """Estimate joint centres from Plug-in-Gait markers.

    Args:
        markers: (T, 39, 3) markers in mm (NaN = missing), PIG39_MARKERS order.
        params: offsets (defaults: knee 60, ankle 45, elbow 45, shoulder drop 60 mm).

    Returns:
        dict of (T, 3) arrays in mm, same frame as the input, keys: l_hip, r_hip, l_knee,
        r_knee, l_ankle, r_ankle, l_shoulder, r_shoulder, l_elbow, r_elbow, l_wrist, r_wrist.
    """
    mk = check_markers(markers)
    p = params or JointCentreParams()
    out: dict[str, np.ndarray] = {}
    out["l_hip"], out["r_hip"] = hip_centres(mk)
    up = trunk_up(mk)
    for s in ("l", "r"):
        S = s.upper()
        ankle0 = chord_centre(
            chord_centre(out[f"{s}_hip"], _m(mk, f"{S}KNE"), _m(mk, f"{S}THI"), p.knee_half_width),
            _m(mk, f"{S}ANK"), _m(mk, f"{S}TIB"), p.ankle_half_width,
        )
        out[f"{s}_knee"] = _calibrated_chord(
            out[f"{s}_hip"], _m(mk, f"{S}KNE"), _m(mk, f"{S}THI"), p.knee_half_width, ankle0, p
        )
        out[f"{s}_ankle"] = chord_centre(
            out[f"{s}_knee"], _m(mk, f"{S}ANK"), _m(mk, f"{S}TIB"), p.ankle_half_width
        )
        out[f"{s}_shoulder"] = _m(mk, f"{S}SHO") - p.shoulder_drop * up
        out[f"{s}_wrist"] = 0.5 * (_m(mk, f"{S}WRA") + _m(mk, f"{S}WRB"))
        out[f"{s}_elbow"] = _calibrated_chord(
            out[f"{s}_shoulder"], _m(mk, f"{S}ELB"), _m(mk, f"{S}UPA"), p.elbow_half_width,
            out[f"{s}_wrist"], p,
        )
    return out

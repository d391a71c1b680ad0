"""Bring a candidate onto the reference's clock: resampling and offset estimation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.angles import joint_angles
from posearena_gateway.analysis.timing import find_time_offset, sample_at

#: Angles used as synchronisation signals (body-fixed, so independent of the frames).
SYNC_ANGLES = ("l_knee_flexion", "r_knee_flexion", "l_elbow_flexion", "r_elbow_flexion",
               "l_shoulder_abduction", "r_shoulder_abduction", "l_hip_flexion", "r_hip_flexion")

#: Candidate/reference duration ratios searched (a fit at either end may be cut short).
CLOCK_SCALES = tuple(float(x) for x in np.round(np.geomspace(0.6, 1.6, 41), 3))


@dataclass
class TimeAlignment:
    """How the candidate was put on the reference clock.

    Attributes:
        offset_s: candidate time = reference time + offset_s.
        correlation: mean normalised correlation at the chosen offset (1 if synchronised).
        method: "synchronised" (same frames) or "cross-correlation of joint angles".
        signals: angle names used.
        scale: candidate duration / reference duration of the same motion (1 = same speed).
    """

    offset_s: float
    correlation: float
    method: str
    signals: tuple[str, ...] = ()
    scale: float = 1.0


def _signals(points: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {k: v for k, v in joint_angles(points, names).items() if k in SYNC_ANGLES}


def _moving_signals(rs: dict[str, np.ndarray], cs: dict[str, np.ndarray],
                    min_std_deg: float = 5.0) -> tuple[str, ...]:
    """Angles that move in both recordings (std >= min_std_deg), largest motion first.

    Angles that barely change carry only noise and would dilute the correlation; when none
    moves that much, the three with the largest motion are used. Angles present in fewer
    than half of either recording's frames are left out while others remain.
    """
    common = [k for k in SYNC_ANGLES if k in rs and k in cs
              and np.isfinite(rs[k]).sum() > 3 and np.isfinite(cs[k]).sum() > 3]
    # a signal missing in most frames of either recording (a planar angle whose segment
    # leaves the plane, markers lost) leaves too few frames with every signal to compare
    covered = [k for k in common
               if min(np.isfinite(rs[k]).mean(), np.isfinite(cs[k]).mean()) >= 0.5]
    common = covered or common
    spread = {k: min(np.nanstd(rs[k]), np.nanstd(cs[k])) for k in common}
    ranked = sorted(common, key=lambda k: -spread[k])
    moving = [k for k in ranked if spread[k] >= min_std_deg]
    return tuple(moving or ranked[:3])


def synchronise(
    ref: np.ndarray, ref_fps: float, cand: np.ndarray, cand_fps: float,
    names: tuple[str, ...], max_lag_s: float = 10.0,
    scales: tuple[float, ...] = CLOCK_SCALES,
    min_gain: float = 0.10,
) -> tuple[np.ndarray, TimeAlignment]:
    """Resample the candidate at the reference's frame times after estimating offset and rate.

    Recordings segmented separately (e.g. UI-PRMD Kinect and Vicon episodes) can differ in
    start and in duration; the candidate clock is modelled as t_c = scale · (t_r + offset).
    For each scale in `scales` the offset maximises the angle cross-correlation; the scale
    kept is the one whose angle signals then differ least (standard deviation of the
    difference, degrees, over at least half of the reference), and a scale other than 1 only
    when it lowers that spread by more than `min_gain` (a fraction).

    Args:
        ref: (T_r, K, 3) m reference; cand: (T_c, K, 3) m candidate; same joint order `names`.
        ref_fps, cand_fps: their rates in Hz.
        max_lag_s: largest offset searched, s.

    Returns:
        cand on the reference clock (T_r, K, 3) (NaN outside the candidate's time span),
        and the TimeAlignment.
    """
    rs, cs = _signals(ref, names), _signals(cand, names)
    keys = _moving_signals(rs, cs)
    a = np.stack([rs[k] for k in keys], axis=1)
    span_c = (len(cand) - 1) / cand_fps
    max_lag = min(max_lag_s, len(ref) / ref_fps)
    fits: dict[float, tuple[float, float, float]] = {}  # scale -> (spread, corr, lag)
    t_ref = np.arange(len(ref)) / ref_fps
    for scale in sorted(set(scales) | {1.0}):
        # candidate signals on the reference clock if the candidate ran `scale` times as long
        times = np.arange(int(np.floor(span_c / scale * ref_fps)) + 1) / ref_fps * scale
        b = np.stack([sample_at(cs[k], cand_fps, times) for k in keys], axis=1)
        try:
            off = find_time_offset(a, b, ref_fps, max_lag_s=max_lag)
        except InvalidInputError:
            continue
        moved = np.stack([sample_at(cs[k], cand_fps, scale * (t_ref + off.lag_s))
                          for k in keys], axis=1)
        diff = moved - a
        ok = np.isfinite(diff).all(axis=1)
        if ok.sum() >= max(3, len(ref) // 2):
            fits[scale] = (float(np.std(diff[ok] - diff[ok].mean(axis=0))), off.correlation,
                           off.lag_s)
    if not fits:
        raise InvalidInputError("candidate", "no joint-angle signal in common",
                                "moving joints in both recordings to synchronise them")
    scale = min(fits, key=lambda k: fits[k][0])
    if 1.0 in fits and fits[scale][0] > (1 - min_gain) * fits[1.0][0]:
        scale = 1.0
    _, corr, lag = fits[scale]
    # b(t) ~ a(t - lag): reference time t matches candidate time scale * (t + lag)
    moved = sample_at(cand, cand_fps, scale * (np.arange(len(ref)) / ref_fps + lag))
    method = "cross-correlation of joint angles"
    if scale != 1.0:
        method += f", candidate clock scaled by {scale:g}"
    return moved, TimeAlignment(lag, corr, method, keys, scale)

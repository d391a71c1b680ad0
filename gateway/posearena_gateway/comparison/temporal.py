"""Bring a candidate onto the reference's clock: resampling and offset estimation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena_gateway.analysis.angles import joint_angles
from posearena_gateway.analysis.timing import find_time_offset, sample_at

#: Angles used as synchronisation signals (body-fixed, so independent of the frames).
SYNC_ANGLES = ("l_knee_flexion", "r_knee_flexion", "l_elbow_flexion", "r_elbow_flexion",
               "l_shoulder_abduction", "r_shoulder_abduction", "l_hip_flexion", "r_hip_flexion")


@dataclass
class TimeAlignment:
    """How the candidate was put on the reference clock.

    Attributes:
        offset_s: candidate time = reference time + offset_s.
        correlation: mean normalised correlation at the chosen offset (1 if synchronised).
        method: "synchronised" (same frames) or "cross-correlation of joint angles".
        signals: angle names used.
    """

    offset_s: float
    correlation: float
    method: str
    signals: tuple[str, ...] = ()


def _signals(points: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {k: v for k, v in joint_angles(points, names).items() if k in SYNC_ANGLES}


def _moving_signals(rs: dict[str, np.ndarray], cs: dict[str, np.ndarray],
                    min_std_deg: float = 5.0) -> tuple[str, ...]:
    """Angles that move in both recordings (std >= min_std_deg), largest motion first.

    Angles that barely change carry only noise and would dilute the correlation; when none
    moves that much, the three with the largest motion are used.
    """
    common = [k for k in SYNC_ANGLES if k in rs and k in cs
              and np.isfinite(rs[k]).sum() > 3 and np.isfinite(cs[k]).sum() > 3]
    spread = {k: min(np.nanstd(rs[k]), np.nanstd(cs[k])) for k in common}
    ranked = sorted(common, key=lambda k: -spread[k])
    moving = [k for k in ranked if spread[k] >= min_std_deg]
    return tuple(moving or ranked[:3])


def synchronise(
    ref: np.ndarray, ref_fps: float, cand: np.ndarray, cand_fps: float,
    names: tuple[str, ...], max_lag_s: float = 10.0,
) -> tuple[np.ndarray, TimeAlignment]:
    """Resample the candidate at the reference's frame times after estimating the offset.

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
    # the candidate's angle signals resampled to the reference rate
    c_times = np.arange(int(np.floor((len(cand) - 1) * ref_fps / cand_fps)) + 1) / ref_fps
    a = np.stack([rs[k] for k in keys], axis=1)
    b = np.stack([sample_at(cs[k], cand_fps, c_times) for k in keys], axis=1)
    lag = find_time_offset(a, b, ref_fps, max_lag_s=min(max_lag_s, len(ref) / ref_fps))
    # b(t) ~ a(t - lag): reference time t corresponds to candidate time t + lag
    times = np.arange(len(ref)) / ref_fps + lag.lag_s
    moved = sample_at(cand, cand_fps, times)
    return moved, TimeAlignment(lag.lag_s, lag.correlation, "cross-correlation of joint angles",
                                keys)

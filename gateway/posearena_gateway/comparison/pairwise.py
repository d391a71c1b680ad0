"""Pipelines against each other: is one really closer to the reference than another?

Inputs: the `Comparison` of every pipeline that was compared with the same reference.
For each pair (a, b) measured on the same reference frames, on the joints both have:
MPJPE and P-MPJPE of each, and the RMSE of each clinical joint angle (what a physiotherapist
reads), their difference a − b and its 95 % interval from a paired circular block bootstrap
(`analysis.uncertainty.paired_difference_ci`).
Output: a JSON-ready list for metrics.json `pairwise`; a verdict says which pipeline is
closer when the interval excludes 0, "no clear difference" otherwise.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from posearena_gateway.analysis.metrics import joint_errors
from posearena_gateway.analysis.uncertainty import paired_difference_ci
from posearena_gateway.comparison.compare import Comparison

MIN_SHARED_JOINTS = 4  # P-MPJPE's per-frame similarity fit needs a few joints


def _val(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


def _shared(a: Comparison, b: Comparison) -> tuple[list[int], list[int]] | None:
    """Joint indices of a and b (same order) where both were measured against the same
    reference frames, or None when the two comparisons do not share their reference."""
    if len(a.ref) != len(b.ref):
        return None
    names = [n for n in a.joints if n in b.joints]
    ia = [a.joints.index(n) for n in names]
    ib = [b.joints.index(n) for n in names]
    if len(names) < MIN_SHARED_JOINTS:
        return None
    if not np.allclose(a.ref[:, ia], b.ref[:, ib], atol=1e-9, equal_nan=True):
        return None
    return ia, ib


def _verdict(low: float, high: float, name_a: str, name_b: str) -> str:
    if not np.isfinite(low):
        return "too few frames"
    if high < 0:
        return f"{name_a} closer"
    if low > 0:
        return f"{name_b} closer"
    return "no clear difference"


def _metric(ea: np.ndarray, eb: np.ndarray, name_a: str, name_b: str) -> dict:
    d = paired_difference_ci(ea, eb)
    ci = d.interval
    return {"a": _val(d.a), "b": _val(d.b),
            "difference": _val(d.difference), "ci95": [_val(ci.low), _val(ci.high)],
            "block_frames": ci.block, "verdict": _verdict(ci.low, ci.high, name_a, name_b)}


def _angles(a: Comparison, b: Comparison, name_a: str, name_b: str) -> dict:
    """Per angle both have: RMSE of each against the reference (deg), a − b, interval."""
    out = {}
    for angle in sorted(set(a.cand_angles) & set(b.cand_angles) & set(a.ref_angles)):
        ref = a.ref_angles[angle]
        if angle not in b.ref_angles or not np.allclose(ref, b.ref_angles[angle],
                                                         atol=1e-6, equal_nan=True):
            continue
        sq_a = ((a.cand_angles[angle] - ref) ** 2)[:, None]
        sq_b = ((b.cand_angles[angle] - ref) ** 2)[:, None]
        ok = np.isfinite(sq_a) & np.isfinite(sq_b)
        if ok.sum() < 3:
            continue
        d = paired_difference_ci(sq_a, sq_b, transform=np.sqrt)
        ci = d.interval
        out[angle] = {"a_rmse_deg": _val(d.a), "b_rmse_deg": _val(d.b),
                      "difference_deg": _val(d.difference),
                      "ci95_deg": [_val(ci.low), _val(ci.high)],
                      "verdict": _verdict(ci.low, ci.high, name_a, name_b)}
    return out


def pairwise_differences(comparisons: dict[str, Comparison]) -> list[dict]:
    """Every pair of pipelines compared against the same reference frames.

    Args:
        comparisons: pipeline name -> its Comparison (ref, cand (T, K, 3) m; joints K).

    Returns:
        [{"a", "b", "joints": [...], "frames": T, "mpjpe_mm": {"a", "b", "difference",
        "ci95": [low, high], "block_frames", "verdict"}, "p_mpjpe_mm": {...}, "angles":
        {angle: {"a_rmse_deg", "b_rmse_deg", "difference_deg", "ci95_deg", "verdict"}}}], in
        the order of `comparisons`; pairs without a shared reference are left out.
    """
    out = []
    for (na, a), (nb, b) in combinations(comparisons.items(), 2):
        shared = _shared(a, b)
        if shared is None:
            continue
        ia, ib = shared
        ref, ca, cb = a.ref[:, ia], a.cand[:, ia], b.cand[:, ib]
        out.append({
            "a": na, "b": nb, "joints": [a.joints[i] for i in ia], "frames": len(ref),
            "mpjpe_mm": _metric(joint_errors(ca, ref), joint_errors(cb, ref), na, nb),
            "p_mpjpe_mm": _metric(joint_errors(ca, ref, "procrustes"),
                                  joint_errors(cb, ref, "procrustes"), na, nb),
            "angles": _angles(a, b, na, nb),
        })
    return out

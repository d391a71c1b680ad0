"""`compare_sequences`: every metric of one candidate 3D sequence against the reference.

Inputs: two `Sequence3D` (any registry skeletons, any frames and rates). Steps:
1. common joints through the registry (exact correspondences only);
2. time: same clock when `synchronised`, else resampling + angle cross-correlation offset;
3. space: when both are in the same world frame, none (absolute MPJPE); otherwise
   root-centring (mid-hip) and one rigid rotation for the whole sequence (Kabsch), so that
   the error is not hidden by per-frame fitting; P-MPJPE adds per-frame Procrustes;
4. metrics (mm), joint angles (deg) with RMSE/bias/Bland–Altman and ICC(A,1) over frames,
   range of motion;
5. 95 % confidence intervals of MPJPE, P-MPJPE, PCK and each angle's RMSE and bias by
   circular block bootstrap over frames (`analysis.uncertainty`);
6. per angle, the share of frames with an error >= `big_error_deg` (with its interval) and
   the repetitions found on the reference, time-normalised (`repetition_metrics`).
Output: a JSON-ready dict in the `metrics.json` layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posearena_gateway.analysis.agreement import bland_altman, icc_agreement
from posearena_gateway.analysis.alignment import align_sequence
from posearena_gateway.analysis.angles import joint_angles
from posearena_gateway.analysis.metrics import (
    MetricResult,
    mpjpe,
    mpjve,
    n_mpjpe,
    p_mpjpe,
    pck,
    per_joint_errors,
)
from posearena_gateway.analysis.uncertainty import Interval, difference_cis, error_ci
from posearena_gateway.comparison.joints import (
    common_arrays,
    root_centred,
    root_index,
    root_position,
)
from posearena_gateway.comparison.repetition_metrics import (
    BIG_ERROR_DEG,
    large_error,
    repetition_metrics,
    repetition_roms,
)
from posearena_gateway.comparison.temporal import TimeAlignment, synchronise
from posearena_gateway.references.sequence import Sequence3D


@dataclass
class Comparison:
    """Result of one comparison: the metrics dict and the aligned arrays for plots.

    Attributes:
        metrics: JSON-ready dict (mpjpe_mm, p_mpjpe_mm, ..., angles, rom, alignment).
        ref: (T, K, 3) m reference on the common joints; cand: (T, K, 3) m aligned candidate.
        joints: K joint names; fps: rate of both arrays.
        ref_angles / cand_angles: angle name -> (T,) degrees.
    """

    metrics: dict
    ref: np.ndarray
    cand: np.ndarray
    joints: tuple[str, ...]
    fps: float
    ref_angles: dict[str, np.ndarray] = field(default_factory=dict)
    cand_angles: dict[str, np.ndarray] = field(default_factory=dict)


def _val(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


# ICC needs the angle to vary between frames: below this reference range of motion (deg) it
# says nothing about the estimator (a still joint gives ICC ~ 0 however close the values)
MIN_ICC_ROM_DEG = 10.0

CI_METHOD = ("95 % percentile interval, circular block bootstrap over frames "
             "(Politis-White block length), 1000 resamples")


def _ci(interval: Interval) -> list[float | None]:
    return [_val(interval.low), _val(interval.high)]


def _intervals(results: dict[str, MetricResult]) -> dict:
    """{"<metric>": [low, high], "block_frames": {...}, "method": ...} for metrics.json."""
    out: dict = {"method": CI_METHOD, "block_frames": {}}
    for name, result in results.items():
        interval = error_ci(result.samples)
        out[name] = _ci(interval)
        out["block_frames"][name] = interval.block
    return out


def compare_sequences(
    ref: Sequence3D, cand: Sequence3D, synchronised: bool, same_frame: bool,
    big_error_deg: float = BIG_ERROR_DEG,
) -> Comparison:
    """Compare `cand` against `ref`; see the module docstring for the steps.

    Args:
        ref: the reference sequence.
        cand: the candidate sequence.
        synchronised: True when both come from the same frames (same videos).
        same_frame: True when both are in the same world frame (no spatial fit).
        big_error_deg: threshold of a large angle error, degrees.
    """
    r, c, names = common_arrays(ref, cand)
    if synchronised:
        t = min(len(r), len(c))
        r, c = r[:t], c[:t]
        timing = TimeAlignment(0.0, 1.0, "synchronised")
    else:
        c, timing = synchronise(r, ref.fps, c, cand.fps, names)
    root = root_index(names)
    if same_frame:
        aligned, how = c, "none (same world frame)"
    else:
        rc, cc = root_centred(r, root), root_centred(c, root)
        rotated, _ = align_sequence(cc, rc, mode="rigid")
        aligned = rotated + root_position(r, root)
        how = "root-centred (mid-hip), one rigid rotation for the sequence"
    m, pm, hits = mpjpe(aligned, r), p_mpjpe(c, r), pck(aligned, r, 150.0)
    metrics = {
        "status": "ok",
        "frames": len(r),
        "frames_compared": m.n_frames,
        "joints": list(names),
        "alignment": {"spatial": how, "temporal": timing.method,
                      "offset_s": _val(timing.offset_s), "time_scale": _val(timing.scale),
                      "correlation": _val(timing.correlation),
                      "signals": list(timing.signals)},
        "mpjpe_mm": _val(m.value),
        "p_mpjpe_mm": _val(pm.value),
        "n_mpjpe_mm": _val(n_mpjpe(root_centred(aligned, root), root_centred(r, root)).value),
        "mpjve_mm_s": _val(mpjve(aligned, r, ref.fps).value) if len(r) > 1 else None,
        "pck150": _val(hits.value),
        "per_joint_mm": {n: _val(v) for n, v in zip(names, per_joint_errors(aligned, r)[0],
                                                      strict=True)},
        "ci95": _intervals({"mpjpe_mm": m, "p_mpjpe_mm": pm, "pck150": hits}),
    }
    ra = joint_angles(r, names, vertical=ref.up_axis)
    ca = joint_angles(aligned, names, vertical=ref.up_axis)
    angles, rom = {}, {}
    for k in sorted(set(ra) & set(ca)):
        ok = np.isfinite(ra[k]) & np.isfinite(ca[k])
        if ok.sum() < 3:
            continue
        ba = bland_altman(ca[k], ra[k])
        rmse_ci, bias_ci = difference_cis(ca[k], ra[k])
        angles[k] = {"rmse_deg": _val(ba.rmse), "bias_deg": _val(ba.bias),
                     "loa_deg": [_val(ba.lower), _val(ba.upper)], "n": ba.n,
                     "rmse_ci95_deg": _ci(rmse_ci), "bias_ci95_deg": _ci(bias_ci),
                     "icc_a1": None}
        ref_rom = np.nanmax(ra[k]) - np.nanmin(ra[k])
        rom[k] = {"reference_deg": _val(ref_rom),
                  "candidate_deg": _val(np.nanmax(ca[k]) - np.nanmin(ca[k])),
                  "reference_repetitions_deg": repetition_roms(ra[k], ref.fps),
                  "candidate_repetitions_deg": repetition_roms(ca[k], ref.fps)}
        if ref_rom >= MIN_ICC_ROM_DEG:
            angles[k]["icc_a1"] = _val(icc_agreement(np.stack([ca[k], ra[k]], axis=1)))
        angles[k].update(large_error(ca[k], ra[k], big_error_deg))
    metrics["angles"] = angles
    metrics["rom"] = rom
    metrics["large_error_threshold_deg"] = float(big_error_deg)
    metrics["repetitions"] = repetition_metrics(ra, ca, ref.fps, list(angles))
    return Comparison(metrics, r, aligned, names, ref.fps, ra, ca)

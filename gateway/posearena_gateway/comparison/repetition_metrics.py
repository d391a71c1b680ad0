"""Per-repetition agreement and the large-error rate of joint angles, for metrics.json.

Repetitions are found on the reference's angle signal (`analysis.repetitions` with its
defaults, as the report counts them) and both signals are cut at the same frames, so each
candidate cycle is paired with the reference's (`analysis.cycles`). The large-error rate is
the share of frames with |candidate − reference| >= a threshold (degrees), with a 95 %
circular block-bootstrap interval over frames (`analysis.uncertainty`).
"""

from __future__ import annotations

import argparse

import numpy as np

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.cycles import CYCLE_POINTS, CycleSet, cut_cycles, mean_sd
from posearena_gateway.analysis.repetitions import detect_repetitions
from posearena_gateway.analysis.uncertainty import bootstrap_ci

#: Default threshold of a large angle error, degrees (`--big-error`).
BIG_ERROR_DEG = 10.0


def big_error_arg(text: str) -> float:
    """argparse type of `--big-error`: a threshold > 0 degrees."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a threshold > 0 degrees")
    return value


def add_big_error_option(parser: argparse.ArgumentParser) -> None:
    """Add `--big-error DEG` (default `BIG_ERROR_DEG`) to a command's parser."""
    parser.add_argument("--big-error", type=big_error_arg, default=BIG_ERROR_DEG,
                        metavar="DEG", help="an angle error at least this large counts as "
                        f"large (share of frames in metrics.json; default {BIG_ERROR_DEG:g})")


def _r(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None


def _curve(x: np.ndarray) -> list[float | None]:
    return [_r(v, 2) for v in x]


def large_error(cand: np.ndarray, ref: np.ndarray, threshold_deg: float) -> dict:
    """Share of frames whose |cand − ref| >= threshold_deg, and its 95 % interval.

    Args:
        cand, ref: (T,) angles in degrees on the same clock (NaN = missing; such frames are
            left out).
        threshold_deg: the large-error threshold, degrees (> 0).

    Returns:
        {"large_error_rate": fraction in [0, 1] or None, "large_error_ci95": [low, high]}.
    """
    if not threshold_deg > 0:
        raise InvalidInputError("big_error", threshold_deg, "a threshold > 0 degrees")
    d = np.asarray(cand, dtype=np.float64) - np.asarray(ref, dtype=np.float64)
    ok = np.isfinite(d)
    if not ok.any():
        return {"large_error_rate": None, "large_error_ci95": [None, None]}
    hits = np.where(ok, np.abs(np.where(ok, d, 0.0)) >= threshold_deg, False).astype(float)
    ci = bootstrap_ci(hits, ok.astype(float))
    return {"large_error_rate": _r(hits.sum() / ok.sum(), 4),
            "large_error_ci95": [_r(ci.low, 4), _r(ci.high, 4)]}


def repetition_roms(angle: np.ndarray, fps: float) -> list[float] | None:
    """Range of motion (degrees) of each repetition found in a (T,) angle signal at fps Hz
    (`analysis.repetitions`, peaks at maxima); None when it has < 3 finite samples."""
    if int(np.isfinite(np.asarray(angle, dtype=np.float64)).sum()) < 3:
        return None
    return [_r(r.rom_deg, 1) for r in detect_repetitions(angle, fps)]


def reference_cycles(ref: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """(start, end) frames of the repetitions of a reference angle (degrees) at fps Hz."""
    if int(np.isfinite(ref).sum()) < 3:
        return []
    return [(r.start, r.end) for r in detect_repetitions(ref, fps) if r.end > r.start]


def _summary(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return {"mean": _r(v.mean()) if v.size else None,
            "sd": _r(v.std(ddof=1)) if v.size > 1 else None}


def cycles_entry(cs: CycleSet, fps: float) -> dict:
    """The metrics.json entry of one angle's cycles (layout in docs/metrics.md)."""
    ref_m, ref_sd = mean_sd(cs.ref)
    cand_m, cand_sd = mean_sd(cs.cand)
    err_m, err_sd = mean_sd(cs.error)
    cycles = []
    for e in cs.extremes:
        pe, te, re = e.errors
        cycles.append({"start_frame": e.start, "end_frame": e.end,
                       "start_s": _r(e.start / fps), "end_s": _r(e.end / fps),
                       "peak_ref_deg": _r(e.peak_ref), "peak_candidate_deg": _r(e.peak_cand),
                       "peak_error_deg": _r(pe),
                       "trough_ref_deg": _r(e.trough_ref),
                       "trough_candidate_deg": _r(e.trough_cand), "trough_error_deg": _r(te),
                       "range_ref_deg": _r(e.range_ref), "range_candidate_deg": _r(e.range_cand),
                       "range_error_deg": _r(re)})
    return {"count": len(cs.extremes), "found_on": "reference", "points": cs.ref.shape[1],
            "reference_mean_deg": _curve(ref_m), "reference_sd_deg": _curve(ref_sd),
            "candidate_mean_deg": _curve(cand_m), "candidate_sd_deg": _curve(cand_sd),
            "error_mean_deg": _curve(err_m), "error_sd_deg": _curve(err_sd),
            "cycles": cycles,
            "peak_error_deg": _summary([e.errors[0] for e in cs.extremes]),
            "trough_error_deg": _summary([e.errors[1] for e in cs.extremes]),
            "range_error_deg": _summary([e.errors[2] for e in cs.extremes])}


def angle_cycles(ref_angles: dict[str, np.ndarray], cand_angles: dict[str, np.ndarray],
                 fps: float, angles: list[str]) -> dict[str, CycleSet]:
    """Cycles of every angle in `angles` whose reference signal holds repetitions.

    Args:
        ref_angles, cand_angles: angle -> (T,) degrees on the reference's clock.
        fps: reference rate, Hz.
        angles: the angles to look at (those with an agreement entry).

    Returns:
        angle -> `CycleSet` (angles without a repetition are left out).
    """
    out = {}
    for k in angles:
        bounds = reference_cycles(ref_angles[k], fps)
        if bounds:
            out[k] = cut_cycles(ref_angles[k], cand_angles[k], bounds, CYCLE_POINTS)
    return out


def repetition_metrics(ref_angles: dict[str, np.ndarray], cand_angles: dict[str, np.ndarray],
                       fps: float, angles: list[str]) -> dict[str, dict]:
    """metrics.json `repetitions`: angle -> `cycles_entry` (see `angle_cycles`)."""
    return {k: cycles_entry(cs, fps)
            for k, cs in angle_cycles(ref_angles, cand_angles, fps, angles).items()}

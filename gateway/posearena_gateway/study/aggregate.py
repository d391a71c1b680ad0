"""The study's table: per pipeline × angle × exercise, pooled agreement over subjects with
subject-clustered intervals (`analysis.cluster_bootstrap`).

Input: each finished session's `exports/angles.csv` (per-frame pipeline and reference angles
on the reference's clock, degrees) and its labels (subject, exercise). All frames of all
sessions of one exercise are pooled: bias (pipeline − reference), Bland–Altman limits (bias ±
1.96 SD of the pooled differences), RMSE, ICC(A,1) over the pooled frames and the
large-error rate; intervals resample subjects, then frame blocks within each session.
ICC is left out (null) when the reference angle moves less than 10° in most sessions (median
per-session range), as in a single run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posearena_gateway.analysis.cluster_bootstrap import (
    cluster_bootstrap,
    percentile_interval,
    session_moments,
    stats_from_moments,
)
from posearena_gateway.comparison.compare import MIN_ICC_ROM_DEG
from posearena_gateway.exporters.angles import read_angle_csv
from posearena_gateway.study.run import SessionOutcome

CLUSTER_METHOD = ("95 % percentile interval, two-stage bootstrap: subjects resampled with "
                  "replacement, then each of their sessions in circular blocks of frames "
                  "(Politis-White block length); 1000 resamples")


@dataclass
class Group:
    """The pooled data of one pipeline × angle × exercise.

    Attributes:
        sessions: (subject, trial, pred (T,) deg, ref (T,) deg) of every session.
    """

    sessions: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)


def collect(outcomes: list[SessionOutcome]) -> dict[tuple[str, str, str], Group]:
    """(pipeline, exercise, angle) -> its Group, from every ok or cached session's CSV."""
    groups: dict[tuple[str, str, str], Group] = defaultdict(Group)
    for o in outcomes:
        if o.status not in ("ok", "cached"):
            continue
        path = Path(o.run_dir) / "exports" / "angles.csv"
        if not path.is_file():
            continue
        cols = read_angle_csv(path)
        pipe, meas = np.array(cols["pipeline"]), np.array(cols["measure"])
        pred, ref = np.array(cols["pred"]), np.array(cols["ref"])
        for key in sorted(set(zip(cols["pipeline"], cols["measure"], strict=True))):
            rows = (pipe == key[0]) & (meas == key[1])
            groups[(key[0], o.session.exercise, key[1])].sessions.append(
                (o.session.subject, o.session.trial, pred[rows], ref[rows]))
    return dict(groups)


def _r(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None


def _ci(pair: tuple[float, float], digits: int = 3) -> list[float | None]:
    return [_r(pair[0], digits), _r(pair[1], digits)]


def group_result(group: Group, big_error_deg: float, resamples: int = 1000,
                 seed: int = 0) -> dict:
    """Pooled statistics of one group and their subject-clustered 95 % intervals.

    Returns:
        {"n_subjects", "n_sessions", "frames", "bias_deg", "bias_ci95_deg", "sd_deg",
        "loa_deg", "loa_low_ci95_deg", "loa_high_ci95_deg", "rmse_deg", "rmse_ci95_deg",
        "icc_a1", "icc_ci95", "large_error_rate", "large_error_ci95"} (null = not computable).
    """
    refs = np.concatenate([r for *_, r in group.sessions])
    shift = float(np.nanmean(refs)) if np.isfinite(refs).any() else 0.0
    sm = [session_moments(s, p, r, big_error_deg, shift) for s, _, p, r in group.sessions]
    sm = [m for m in sm if m.moments[:, 0].sum() >= 3]
    subjects = sorted({m.subject for m in sm})
    out: dict = {"n_subjects": len(subjects), "n_sessions": len(sm),
                 "frames": int(sum(m.moments[:, 0].sum() for m in sm))}
    if not sm:
        return out | {"bias_deg": None, "rmse_deg": None, "icc_a1": None}
    point = stats_from_moments(np.sum([m.moments.sum(axis=0) for m in sm], axis=0))
    boot = stats_from_moments(cluster_bootstrap(sm, resamples=resamples, seed=seed))
    roms = [np.nanmax(r) - np.nanmin(r) for *_, r in group.sessions if np.isfinite(r).any()]
    icc_ok = bool(roms) and float(np.median(roms)) >= MIN_ICC_ROM_DEG
    out |= {
        "bias_deg": _r(point["bias"]), "bias_ci95_deg": _ci(percentile_interval(boot["bias"])),
        "sd_deg": _r(point["sd"]),
        "loa_deg": [_r(point["loa_low"]), _r(point["loa_high"])],
        "loa_low_ci95_deg": _ci(percentile_interval(boot["loa_low"])),
        "loa_high_ci95_deg": _ci(percentile_interval(boot["loa_high"])),
        "rmse_deg": _r(point["rmse"]), "rmse_ci95_deg": _ci(percentile_interval(boot["rmse"])),
        "icc_a1": _r(point["icc"]) if icc_ok else None,
        "icc_ci95": _ci(percentile_interval(boot["icc"])) if icc_ok else [None, None],
        "reference_range_median_deg": _r(float(np.median(roms))) if roms else None,
        "large_error_rate": _r(point["large_rate"], 4),
        "large_error_ci95": _ci(percentile_interval(boot["large_rate"]), 4),
    }
    return out


def study_table(outcomes: list[SessionOutcome], big_error_deg: float,
                resamples: int = 1000) -> list[dict]:
    """One row per pipeline × angle × exercise (sorted), each `group_result` plus its keys."""
    rows = []
    for (pipeline, exercise, angle), group in sorted(collect(outcomes).items()):
        rows.append({"pipeline": pipeline, "exercise": exercise, "angle": angle}
                    | group_result(group, big_error_deg, resamples))
    return rows

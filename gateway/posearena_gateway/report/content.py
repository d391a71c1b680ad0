"""Per-angle rows of the report: agreement (RMSE, bias, LoA), range of motion, repetitions."""

from __future__ import annotations

from dataclasses import dataclass

from posearena_gateway.comparison import Comparison
from posearena_gateway.report.tables import interval


@dataclass(frozen=True)
class AngleRow:
    """One angle of one pipeline against the reference (degrees; None = not available).

    Attributes:
        angle: angle name, e.g. "l_knee_flexion".
        n: number of frames where both angles are finite.
        rmse_deg, bias_deg: agreement (candidate − reference).
        loa_deg: (lower, upper) 95 % limits of agreement, or None.
        rmse_ci_deg, bias_ci_deg: (low, high) 95 % confidence intervals, or None.
        icc: ICC(A,1) of the two angle signals over frames, or None.
        rom_ref_deg, rom_cand_deg: range of motion (max − min) over the sequence.
        reps_ref, reps_cand: range of motion (degrees) of each repetition found, from
            metrics.json's `rom` (computed by the comparison), None when the signal has too
            few samples.
    """

    angle: str
    n: int
    rmse_deg: float | None
    bias_deg: float | None
    loa_deg: tuple[float | None, float | None] | None
    rmse_ci_deg: tuple[float, float] | None
    bias_ci_deg: tuple[float, float] | None
    icc: float | None
    rom_ref_deg: float | None
    rom_cand_deg: float | None
    reps_ref: list[float] | None
    reps_cand: list[float] | None


def angle_rows(c: Comparison) -> list[AngleRow]:
    """Rows for every angle of `c.metrics["angles"]`, sorted by angle name."""
    rows = []
    agreement = c.metrics.get("angles") or {}
    rom = c.metrics.get("rom") or {}
    for name in sorted(agreement):
        a, r = agreement[name], rom.get(name, {})
        loa = a.get("loa_deg")
        rows.append(AngleRow(
            angle=name, n=int(a.get("n", 0)), rmse_deg=a.get("rmse_deg"),
            bias_deg=a.get("bias_deg"),
            loa_deg=(loa[0], loa[1]) if isinstance(loa, list | tuple) and len(loa) == 2 else None,
            rmse_ci_deg=interval(a.get("rmse_ci95_deg")),
            bias_ci_deg=interval(a.get("bias_ci95_deg")),
            icc=a.get("icc_a1"),
            rom_ref_deg=r.get("reference_deg"), rom_cand_deg=r.get("candidate_deg"),
            reps_ref=r.get("reference_repetitions_deg"),
            reps_cand=r.get("candidate_repetitions_deg"),
        ))
    return rows


def reps_text(reps: list[float] | None) -> str:
    """"3: 45, 47, 44°" (count, then ROM of each repetition in degrees), "-" for None."""
    if reps is None:
        return "-"
    if not reps:
        return "0"
    return f"{len(reps)}: " + ", ".join(f"{r:.0f}" for r in reps) + "°"

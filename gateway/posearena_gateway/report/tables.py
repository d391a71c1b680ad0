"""Summary rows of a run's metrics, and the plain-text table printed in the terminal.

Input: the `metrics.json` dict written by the runner: {"reference": {...}, "frames", "fps",
"notes", "pipelines": {name: {"status", "reason", "mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm",
"pck150", "angles": {angle: {"rmse_deg", ...}}, ...}}}. Missing or null values show as "-".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posearena.errors import InvalidInputError

MISSING = "-"


@dataclass(frozen=True)
class SummaryRow:
    """One pipeline's headline numbers (None where not computed).

    Attributes:
        name: pipeline name; status: "ok", "failed", "skipped", ...; reason: why not ok.
        mpjpe_mm, p_mpjpe_mm, n_mpjpe_mm: errors in mm.
        pck150: fraction of joints within 150 mm, in [0, 1].
        angle_rmse_deg: mean over angles of the per-angle RMSE, degrees.
        n_angles: number of angles that mean is taken over.
        ci95: metric name ("mpjpe_mm", "p_mpjpe_mm", "pck150") -> (low, high) 95 %
            confidence interval in the metric's unit, where metrics.json has one.
    """

    name: str
    status: str
    reason: str
    mpjpe_mm: float | None
    p_mpjpe_mm: float | None
    n_mpjpe_mm: float | None
    pck150: float | None
    angle_rmse_deg: float | None
    n_angles: int
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        return None
    return float(x) if np.isfinite(x) else None


def interval(x: Any) -> tuple[float, float] | None:
    """A metrics.json [low, high] pair as floats, None when absent or not finite."""
    if not isinstance(x, list | tuple) or len(x) != 2:
        return None
    low, high = _num(x[0]), _num(x[1])
    return None if low is None or high is None else (low, high)


def fmt_ci(ci: tuple[float, float] | None, digits: int = 1, scale: float = 1.0) -> str:
    """"[52.1, 66.0]" for a confidence interval, "" for None."""
    return "" if ci is None else f"[{fmt(ci[0], digits, scale)}, {fmt(ci[1], digits, scale)}]"


def pipelines_of(metrics: dict) -> dict[str, dict]:
    """The `metrics["pipelines"]` mapping, checked.

    Raises:
        InvalidInputError: `metrics` is not a dict with a "pipelines" dict of dicts.
    """
    pipes = metrics.get("pipelines") if isinstance(metrics, dict) else None
    if not isinstance(pipes, dict) or not all(isinstance(v, dict) for v in pipes.values()):
        got = type(pipes).__name__ if isinstance(metrics, dict) else type(metrics).__name__
        raise InvalidInputError("metrics.pipelines", got,
                                "a dict pipeline name -> dict of metrics (metrics.json layout)")
    return pipes


def summary_rows(metrics: dict) -> list[SummaryRow]:
    """One `SummaryRow` per pipeline of `metrics` (metrics.json layout), in its order."""
    rows = []
    for name, m in pipelines_of(metrics).items():
        angles = m.get("angles") or {}
        rmses = [v for a in angles.values() if isinstance(a, dict)
                 if (v := _num(a.get("rmse_deg"))) is not None]
        rows.append(SummaryRow(
            name=str(name), status=str(m.get("status", "unknown")), reason=str(m.get("reason", "")),
            mpjpe_mm=_num(m.get("mpjpe_mm")), p_mpjpe_mm=_num(m.get("p_mpjpe_mm")),
            n_mpjpe_mm=_num(m.get("n_mpjpe_mm")), pck150=_num(m.get("pck150")),
            angle_rmse_deg=float(np.mean(rmses)) if rmses else None, n_angles=len(rmses),
            ci95={k: ci for k in ("mpjpe_mm", "p_mpjpe_mm", "pck150")
                  if (ci := interval((m.get("ci95") or {}).get(k))) is not None},
        ))
    return rows


def fmt(x: float | None, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    """A number with `digits` decimals (times `scale`, followed by `unit`), "-" for None."""
    if x is None:
        return MISSING
    text = f"{x * scale:.{digits}f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]  # -0.0 reads as a sign that is not there
    return f"{text}{unit}"


def print_summary(metrics: dict) -> str:
    """Plain-text table of every pipeline for the terminal.

    Columns: pipeline, status, MPJPE (mm), P-MPJPE (mm), PCK150 (%), mean angle RMSE
    (degrees), reason (for failed/skipped pipelines). The reference's status heads it when the
    reference was not available; one line per pair of pipelines follows (MPJPE difference,
    95 % interval, verdict) where metrics has `pairwise`.

    Args:
        metrics: the metrics.json dict (see the module docstring).

    Returns:
        The table as text (lines joined by newlines, no trailing newline); the caller prints it.
    """
    rows = summary_rows(metrics)
    header = ["pipeline", "status", "MPJPE mm", "P-MPJPE mm", "PCK150 %", "angle RMSE deg",
              "reason"]
    table = [header] + [
        [r.name, r.status, fmt(r.mpjpe_mm), fmt(r.p_mpjpe_mm), fmt(r.pck150, 1, 100.0),
         fmt(r.angle_rmse_deg), " ".join(r.reason.split())]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    numeric = {2, 3, 4, 5}
    lines = []
    for row in table:
        cells = [c.rjust(w) if i in numeric else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=False))]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ------")
    ref = metrics.get("reference") or {}
    if ref and ref.get("status") not in (None, "ok"):
        lines.insert(0, f"reference {ref.get('kind', '')}: {ref.get('status')}"
                        f" ({' '.join(str(ref.get('reason', '')).split())})")
    if not rows:
        lines.append("(no pipelines)")
    for p in metrics.get("pairwise") or []:
        m = p.get("mpjpe_mm") or {}
        ci = interval(m.get("ci95"))
        if ci is not None and m.get("difference") is not None:
            lines.append(f"{p.get('a')} - {p.get('b')}: MPJPE {m['difference']:+.1f} mm "
                         f"{fmt_ci(ci)} ({m.get('verdict', '-')})")
    return "\n".join(lines)

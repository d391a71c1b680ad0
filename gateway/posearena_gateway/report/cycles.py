"""Report parts of the repetitions: one cycle figure per angle and the repetition table.

Both read the `repetitions` and `angles` entries of each pipeline in metrics.json (curves of
101 samples over 0–100 % of the cycle, degrees; see docs/metrics.md), so they show exactly
what metrics.json holds.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np

from posearena_gateway.report.figures import (
    REF_COLOUR,
    Layouts,
    _colours,
    _new,
    _panels,
    _save,
    safe_name,
)
from posearena_gateway.report.tables import fmt, fmt_ci, interval, pipelines_of


def _arr(x: list | None) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in (x or [])], dtype=np.float64)


def _band(ax, pct: np.ndarray, mean: np.ndarray, sd: np.ndarray, colour: str, label: str,
          lw: float) -> None:
    ax.plot(pct, mean, color=colour, lw=lw, label=label)
    if np.isfinite(sd).any():
        ax.fill_between(pct, mean - sd, mean + sd, color=colour, alpha=0.18, lw=0)


def cycle_figures(metrics: dict, out_dir: Path,
                  colours: dict[str, str] | None = None) -> dict[str, Path]:
    """One PNG per angle: mean ± SD cycles of reference and pipelines, and the error curve.

    Top panel: the reference's mean cycle (black, ± SD band) and each pipeline's, over 0–100 %
    of the repetition. Bottom: each pipeline's error (pipeline − reference) mean ± SD, with
    ± the large-error threshold dashed.

    Args:
        metrics: the metrics.json dict.
        out_dir: folder; files are "cycle_<angle>.png".
        colours: optional pipeline -> colour.

    Returns:
        angle name -> PNG path (angles without repetitions are left out).
    """
    pipes = {n: m for n, m in pipelines_of(metrics).items() if m.get("repetitions")}
    cols = _colours(list(pipes), colours)
    angles = sorted({a for m in pipes.values() for a in m["repetitions"]})
    paths = {}
    layouts = Layouts()
    for angle in angles:
        fig, (top, bottom) = layouts.get("cycle", lambda: _panels(
            _new(6.4, 4.6, bottom=0.1, top=0.92, hspace=0.35), 2, 1, 2))
        ref_drawn, threshold = False, None
        for name, m in pipes.items():
            r = m["repetitions"].get(angle)
            if not r:
                continue
            pct = np.linspace(0.0, 100.0, int(r["points"]))
            if not ref_drawn:
                _band(top, pct, _arr(r["reference_mean_deg"]), _arr(r["reference_sd_deg"]),
                      REF_COLOUR, f"reference ({r['count']} reps)", 2.0)
                ref_drawn = True
            _band(top, pct, _arr(r["candidate_mean_deg"]), _arr(r["candidate_sd_deg"]),
                  cols[name], name, 1.2)
            _band(bottom, pct, _arr(r["error_mean_deg"]), _arr(r["error_sd_deg"]),
                  cols[name], name, 1.2)
            threshold = threshold or m.get("large_error_threshold_deg")
        bottom.axhline(0.0, color="k", lw=0.8)
        if threshold:
            for y in (-threshold, threshold):
                bottom.axhline(y, color="k", lw=0.8, ls="--")
        top.set_title(f"{angle.replace('_', ' ')}: mean ± SD over repetitions", y=1.0)
        top.set_ylabel("angle (deg)")
        bottom.set_ylabel("error (deg)")
        bottom.set_xlabel("% of repetition")
        top.legend(fontsize=7, loc="best")
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
            ax.set_xlim(0, 100)
        paths[angle] = _save(fig, out_dir / f"cycle_{safe_name(angle)}.png")
    return paths


def _mean_sd(d: dict | None) -> str:
    if not isinstance(d, dict) or d.get("mean") is None:
        return "-"
    return fmt(d["mean"]) + (f" ± {fmt(d['sd'])}" if d.get("sd") is not None else "")


def repetitions_section(metrics: dict) -> str:
    """HTML: per pipeline and angle, repetitions, errors of their extremes, large-error rate."""
    rows = []
    for name, m in pipelines_of(metrics).items():
        thr = m.get("large_error_threshold_deg")
        for angle, a in sorted((m.get("angles") or {}).items()):
            r = (m.get("repetitions") or {}).get(angle) or {}
            rate = a.get("large_error_rate")
            ci = interval(a.get("large_error_ci95"))
            rows.append([escape(name), escape(angle), str(r.get("count", 0)),
                         _mean_sd(r.get("peak_error_deg")), _mean_sd(r.get("trough_error_deg")),
                         _mean_sd(r.get("range_error_deg")),
                         fmt(rate, 1, 100.0) + (f'<br><span class="meta ci">'
                                                f"{fmt_ci(ci, 1, 100.0)}</span>" if ci else ""),
                         fmt(thr, 0)])
    if not rows:
        return ""
    header = ["pipeline", "angle", "repetitions", "peak error (deg)", "trough error (deg)",
              "range error (deg)", "frames with |error| ≥ threshold (%)", "threshold (deg)"]
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i >= 2 else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return ("<h2>Repetitions and large errors</h2><p>Repetitions are found on the reference's "
            "angle and both signals are cut at the same frames; peak, trough and range errors "
            "are pipeline − reference, mean ± SD over repetitions (figures: cycles stretched "
            "to 0–100 %). Large-error rate: share of frames with |error| at or above the "
            "threshold, 95 % block-bootstrap interval below.</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

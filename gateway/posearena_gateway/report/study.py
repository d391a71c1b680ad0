"""The study's report: forest plots per angle and study.html from the study.json document.

Input: the study.json dict (`commands.study`): {"design", "sessions", "summary",
"results": [{"pipeline", "exercise", "angle", "n_subjects", "bias_deg", "bias_ci95_deg",
"loa_deg", "rmse_deg", "rmse_ci95_deg", "icc_a1", "icc_ci95", ...}]} (degrees).
Output: `<out>/figures/forest_<angle>.png` and `<out>/report.html` (self-contained).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np

from posearena_gateway.analysis.agreement import icc_band
from posearena_gateway.report.figures import _new, _save, colour_map, safe_name
from posearena_gateway.report.html import CSS, _figure, _rel, _table
from posearena_gateway.report.tables import fmt, fmt_ci, interval
from posearena_gateway.rundir import atomic_write_text


def _num(x: float | None) -> float:
    return np.nan if x is None else float(x)


def forest_figure(rows: list[dict], angle: str, exercises: dict[str, str],
                  path: Path) -> Path | None:
    """Forest plot of one angle: per exercise (and pipeline) bias [CI] with the limits of
    agreement (thin line), and RMSE [CI], degrees; None when no row has a bias."""
    rows = [r for r in rows if r["angle"] == angle and r.get("bias_deg") is not None]
    if not rows:
        return None
    pipes = sorted({r["pipeline"] for r in rows})
    cols = colour_map(pipes)
    height = 1.1 + 0.34 * len(rows)
    fig = _new(10.0, height, left=0.3, right=0.98, bottom=0.62 / height,
               top=1 - 0.4 / height, wspace=0.06)
    ax_b, ax_r = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    y = np.arange(len(rows))[::-1]
    labels = []
    for yi, r in zip(y, rows, strict=True):
        c = cols[r["pipeline"]]
        lo, hi = (_num(v) for v in (r.get("loa_deg") or [None, None]))
        ax_b.plot([lo, hi], [yi, yi], color=c, lw=0.8, alpha=0.4)
        for ax, key, ci in ((ax_b, "bias_deg", "bias_ci95_deg"), (ax_r, "rmse_deg",
                                                                    "rmse_ci95_deg")):
            a, b = (_num(v) for v in (r.get(ci) or [None, None]))
            ax.plot([a, b], [yi, yi], color=c, lw=2.2)
            ax.plot([_num(r[key])], [yi], "s", color=c, ms=5)
        name = exercises.get(r["exercise"], "")
        labels.append(f"{r['exercise']} {name[:30]} (n={r['n_subjects']})"
                      + (f" {r['pipeline']}" if len(pipes) > 1 else ""))
    ax_b.axvline(0.0, color="k", lw=0.8)
    ax_b.set_yticks(y, labels, fontsize=8)
    ax_r.set_yticks(y, [""] * len(y))
    ax_b.set_xlabel("bias [95 % CI], LoA thin (deg)", fontsize=8)
    ax_r.set_xlabel("RMSE [95 % CI] (deg)", fontsize=8)
    ax_r.set_xlim(left=0)
    for ax in (ax_b, ax_r):
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.set_ylim(-0.7, len(rows) - 0.3)
    fig.suptitle(f"{angle.replace('_', ' ')}: pipeline − reference, subjects clustered",
                 fontsize=9)
    return _save(fig, path)


def _ci_cell(ci: object, digits: int = 1, scale: float = 1.0) -> str:
    pair = interval(ci)
    return f'<br><span class="meta ci">{fmt_ci(pair, digits, scale)}</span>' if pair else ""


def results_table(rows: list[dict], exercises: dict[str, str]) -> str:
    """HTML table of every pipeline × angle × exercise row."""
    body = []
    for r in sorted(rows, key=lambda r: (r["angle"], r["exercise"], r["pipeline"])):
        loa = r.get("loa_deg") or [None, None]
        icc = r.get("icc_a1")
        body.append([
            escape(r["angle"]),
            escape(r["exercise"]) + (f'<br><span class="meta">{escape(exercises[r["exercise"]])}'
                                     "</span>" if exercises.get(r["exercise"]) else ""),
            escape(r["pipeline"]), str(r.get("n_subjects", 0)), str(r.get("n_sessions", 0)),
            str(r.get("frames", 0)),
            fmt(r.get("bias_deg")) + _ci_cell(r.get("bias_ci95_deg")),
            f'<span class="ci">{fmt(loa[0])} … {fmt(loa[1])}</span>',
            fmt(r.get("rmse_deg")) + _ci_cell(r.get("rmse_ci95_deg")),
            (f"{fmt(icc, 2)} {icc_band(icc)}" + _ci_cell(r.get("icc_ci95"), 2)
             if icc is not None else "-"),
            fmt(r.get("large_error_rate"), 1, 100.0) + _ci_cell(r.get("large_error_ci95"), 1,
                                                                 100.0)])
    header = ["angle", "exercise", "pipeline", "subjects", "sessions", "frames", "bias (deg)",
              "LoA (deg)", "RMSE (deg)", "ICC(A,1)", "large errors (%)"]
    return ('<div style="font-size:.85em">' + _table(header, body, {3, 4, 5, 6, 7, 8, 9, 10})
            + "</div>")


def sessions_table(sessions: list[dict], root: Path) -> str:
    """HTML table of the sessions: status, reason, seconds and a link to each report."""
    body = []
    for s in sessions:
        link = Path(s["run_dir"]) / "report.html"
        cell = (f'<a href="{escape(_rel(link, root))}">report</a>' if link.is_file() else "-")
        status = escape(s["status"])
        cls = "ok" if s["status"] in ("ok", "cached") else "failed"
        sync = "; ".join(
            f"{fmt(a.get('time_scale'), 2)}, {fmt(a.get('correlation'), 2)}"
            + (' <span class="skipped">at limit</span>' if a.get("at_scale_limit") else "")
            for a in (s.get("alignment") or {}).values()) or "-"
        body.append([escape(s["subject"]), escape(s["exercise"]), escape(s["trial"]),
                     f'<span class="{cls}">{status}</span>', escape(s.get("reason") or ""),
                     sync, fmt(s.get("seconds"), 1), cell])
    return _table(["subject", "exercise", "trial", "status", "reason",
                   "clock scale, correlation", "seconds", "run"], body, {6})


def write_study_report(out: Path, doc: dict, title: str = "posearena study") -> Path:
    """Write the forest plots and report.html of a study into `out`; returns the page."""
    design, rows = doc.get("design", {}), doc.get("results", [])
    exercises = design.get("exercises") or {}
    figures = []
    for angle in sorted({r["angle"] for r in rows}):
        path = out / "figures" / f"forest_{safe_name(angle)}.png"
        p = forest_figure(rows, angle, exercises, path)
        if p is not None:
            figures.append((f"{angle.replace('_', ' ')}: forest plot", p))
    summ = doc.get("summary", {})
    meta = (f"{design.get('n_sessions', 0)} sessions, {len(design.get('subjects', []))} "
            f"subjects, reference: {design.get('reference', '-')}; ok {summ.get('ok', 0)}, "
            f"reused {summ.get('cached', 0)}, failed {summ.get('failed', 0)}")
    failed = [s for s in doc.get("sessions", []) if s["status"] == "failed"]
    limit = summ.get("at_scale_limit")
    if limit:
        meta += (f"; {limit} session(s) aligned with the candidate's clock scale at the end of "
                 "the searched range (0.6 or 1.6): check their alignment")
    body = [f"<h1>{escape(title)}</h1>", f'<p class="meta">{escape(meta)}</p>',
            "<h2>Agreement per angle and exercise</h2>",
            f"<p>{escape(design.get('pooling', ''))} [low, high]: "
            f"{escape(design.get('method', ''))}. Large errors: share of frames with "
            f"|error| ≥ {fmt(design.get('big_error_deg'), 0)}°. With one subject, intervals "
            "hold the frames' uncertainty only, not how subjects differ.</p>",
            results_table(rows, exercises)]
    if failed:
        body.append("<h2>Failed sessions</h2>" + sessions_table(failed, out))
    if figures:
        body.append("<h2>Forest plots</h2>" + "".join(_figure(c, p, out) for c, p in figures))
    body.append("<h2>Sessions</h2>" + sessions_table(doc.get("sessions", []), out))
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    path = out / "report.html"
    atomic_write_text(path, page)
    return path

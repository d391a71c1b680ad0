"""report.html: one self-contained page (inline CSS, figures as base64 data URIs).

Every piece of text that comes from data (names, reasons, paths, notes) goes through
`html.escape`. Files that are too big to embed (overlay videos, exports) are listed with
links relative to the run directory; nothing is loaded from elsewhere.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from posearena_gateway.analysis.agreement import icc_band
from posearena_gateway.comparison import Comparison
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.report.content import angle_rows, reps_text
from posearena_gateway.report.tables import fmt, fmt_ci, interval, summary_rows

#: Largest image embedded as a data URI (bytes); larger ones are linked.
MAX_EMBED_BYTES = 8 * 1024 * 1024
_MIME = {".png": "image/png", ".gif": "image/gif"}
_STATUS = ("ok", "failed", "skipped")

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17702d;font-weight:600}.failed{color:#b00020;font-weight:600}
.skipped{color:#a06000;font-weight:600}.meta{color:#666}.ci{white-space:nowrap}
figure{display:inline-block;margin:.5em;vertical-align:top}figure img{max-width:100%}
figcaption{font-size:.85em;color:#555}code{background:#f5f5f5;padding:0 .2em}
"""


@dataclass
class ReportParts:
    """What the page shows besides the metrics.

    Attributes:
        figures: (caption, PNG path) in display order.
        animation: the 3D animation file (GIF embedded, MP4 linked), or None.
        files: (description, path) of exports and overlay videos, linked.
        notes: extra notes (text).
        sections: extra HTML sections (already escaped), shown after the joint angles.
    """

    figures: list[tuple[str, Path]] = field(default_factory=list)
    animation: Path | None = None
    files: list[tuple[str, Path]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def data_uri(path: Path) -> str:
    """`data:<mime>;base64,...` of a PNG or GIF file."""
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _table(header: list[str], rows: list[list[str]],
           numeric: set[int] | frozenset[int] = frozenset()) -> str:
    """Table of already escaped cells."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(s: str) -> str:
    cls = s if s in _STATUS else ""
    return f'<span class="{cls}">{escape(s)}</span>'


def summary_section(metrics: dict) -> str:
    """The summary table: one row per pipeline."""
    rows = [[escape(r.name), _status(r.status), escape(r.reason) or "",
             fmt(r.mpjpe_mm) + _ci_cell(r.ci95.get("mpjpe_mm")),
             fmt(r.p_mpjpe_mm) + _ci_cell(r.ci95.get("p_mpjpe_mm")), fmt(r.n_mpjpe_mm),
             fmt(r.pck150, 1, 100.0) + _ci_cell(r.ci95.get("pck150"), 100.0),
             fmt(r.angle_rmse_deg) + (f" ({r.n_angles})" if r.n_angles else "")]
            for r in summary_rows(metrics)]
    header = ["pipeline", "status", "reason", "MPJPE (mm)", "P-MPJPE (mm)", "N-MPJPE (mm)",
              "PCK@150 mm (%)", "angle RMSE (deg, mean of n angles)"]
    note = ('<p class="meta">[low, high]: 95 % confidence interval by circular block '
            "bootstrap over frames (blocks as long as the errors stay correlated). Short "
            "clips hold few independent blocks; their intervals are then too narrow.</p>")
    return "<h2>Summary</h2>" + _table(header, rows, {3, 4, 5, 6, 7}) + note


def _ci_cell(ci: tuple[float, float] | None, scale: float = 1.0) -> str:
    """A confidence interval under a table value, "" when there is none."""
    return f'<br><span class="meta ci">{fmt_ci(ci, 1, scale)}</span>' if ci else ""


def reference_section(metrics: dict, reference: Sequence3D | None) -> str:
    """What the reference is: kind, status, skeleton, frame, rate, duration, source."""
    ref = dict(metrics.get("reference") or {})
    items = [(k, ref.get(k)) for k in ("kind", "status", "reason", "method", "person_choice",
                                       "skeleton", "frame", "fps", "source")
             if ref.get(k) not in (None, "")]
    if reference is not None:
        items += [("frames", reference.num_frames),
                  ("duration (s)", f"{reference.num_frames / reference.fps:.2f}"),
                  ("joints", f"{len(reference.joints)} ({reference.skeleton})"),
                  ("up axis", ", ".join(f"{v:g}" for v in reference.up_axis))]
        if not ref.get("frame"):
            items.append(("frame", reference.frame))
    if not items:
        return "<h2>Reference</h2><p>No reference.</p>"
    rows = [[escape(str(k)), escape(str(v))] for k, v in items]
    return "<h2>Reference</h2>" + _table(["", ""], rows)


def reprojection_section(metrics: dict) -> str:
    """Cross-view reprojection error of the world-frame pipelines, per camera ("" if none)."""
    rows = []
    for name, m in (metrics.get("pipelines") or {}).items():
        rep = m.get("reprojection")
        if not isinstance(rep, dict) or not rep.get("views"):
            continue
        for cam, v in rep["views"].items():
            rows.append([escape(name), escape(cam), "used" if v.get("used") else "held out",
                         fmt(v.get("median_px"), 1), fmt(v.get("p90_px"), 1),
                         str(v.get("points", "-"))])
    if not rows:
        return ""
    header = ["pipeline", "camera", "view", "median (px)", "p90 (px)", "joints x frames"]
    return ("<h2>Cross-view reprojection</h2><p>The pipeline's 3D joints (BODY12) projected "
            "into every calibrated camera against that camera's own 2D detections; held-out "
            "views were not used to build the 3D. No reference needed.</p>"
            + _table(header, rows, {3, 4, 5}))


def pairwise_section(metrics: dict) -> str:
    """Pipelines against each other: differences of MPJPE and P-MPJPE with intervals."""
    rows = []
    pairs = metrics.get("pairwise") or []
    for p in pairs:
        cells = [escape(str(p.get("a"))), escape(str(p.get("b"))), str(len(p.get("joints", [])))]
        for key in ("mpjpe_mm", "p_mpjpe_mm"):
            m = p.get(key) or {}
            cells += [fmt(m.get("difference")) + _ci_cell(interval(m.get("ci95"))),
                      escape(str(m.get("verdict", "-")))]
        rows.append(cells)
    if not rows:
        return ""
    header = ["a", "b", "joints", "MPJPE a − b (mm)", "MPJPE verdict", "P-MPJPE a − b (mm)",
              "P-MPJPE verdict"]
    angle_rows = [[escape(str(p.get("a"))), escape(str(p.get("b"))), escape(str(angle)),
                   fmt(v.get("a_rmse_deg")), fmt(v.get("b_rmse_deg")),
                   fmt(v.get("difference_deg")) + _ci_cell(interval(v.get("ci95_deg"))),
                   escape(str(v.get("verdict", "-")))]
                  for p in pairs for angle, v in sorted((p.get("angles") or {}).items())]
    angle_header = ["a", "b", "angle", "RMSE a (deg)", "RMSE b (deg)", "a − b (deg)", "verdict"]
    return ("<h2>Pipelines against each other</h2><p>Each pair on the joints and frames both "
            "were compared on, with a 95 % interval from a paired block bootstrap (both "
            "pipelines resampled on the same frames, so what the clip makes hard for both "
            "cancels). A verdict needs the interval to exclude 0.</p>"
            + _table(header, rows, {2, 3, 5})
            + ("<h3>Joint angles: which pipeline measures each angle closer to the "
               "reference</h3>" + _angle_pairs(pairs, angle_header, angle_rows)
               if angle_rows else ""))


def _angle_pairs(pairs: list[dict], header: list[str], rows: list[list[str]]) -> str:
    """The angle-by-angle pairwise table; folded (one line of verdicts per pair shown) when
    there are more than three pairs, so it does not bury the sections after it."""
    table = _table(header, rows, {3, 4, 5})
    if len(pairs) <= 3:
        return table
    closer = sum(1 for p in pairs for v in (p.get("angles") or {}).values()
                 if "closer" in str(v.get("verdict", "")))
    return (f"<details><summary>{len(pairs)} pairs × angles ({closer} verdicts with a "
            f"clear difference): show the table</summary>{table}</details>")


def _input_view(m: dict) -> str:
    """How a single-view pipeline saw its 2D: virtual camera, left/right relabelling."""
    parts = [str(m["input_view"])] if m.get("input_view") else []
    if m.get("left_right_relabelled_frames"):
        parts.append(f"left/right labels undone in {m['left_right_relabelled_frames']} frames")
    return "; ".join(parts) or "-"


def alignment_section(metrics: dict) -> str:
    """How each compared pipeline was aligned to the reference (space and time)."""
    rows = []
    for name, m in (metrics.get("pipelines") or {}).items():
        al = m.get("alignment")
        if not isinstance(al, dict):
            continue
        rows.append([escape(name), escape(str(al.get("spatial", "-"))),
                     escape(str(al.get("temporal", "-"))), fmt(al.get("offset_s"), 3),
                     fmt(al.get("correlation"), 2),
                     escape(", ".join(map(str, al.get("signals") or [])) or "-"),
                     escape(f"{m.get('frames_compared', '-')} / {m.get('frames', '-')}"),
                     escape(_input_view(m))])
    if not rows:
        return "<h2>Alignment</h2><p>No pipeline was compared to a reference.</p>"
    header = ["pipeline", "spatial", "temporal", "offset (s)", "correlation", "signals",
              "frames compared / total", "2D seen through"]
    return "<h2>Alignment</h2>" + _table(header, rows, {3, 4})


def angles_section(comparisons: dict[str, Comparison]) -> str:
    """Per pipeline: agreement, range of motion and repetitions of each joint angle."""
    parts = ["<h2>Joint angles</h2>",
             '<p class="meta">Differences are pipeline − reference, in degrees; [low, high] '
             "under RMSE and bias: 95 % confidence interval; LoA = bias ± "
             "1.96 SD; ICC(A,1): two-way absolute-agreement intraclass correlation over frames "
             "(Koo &amp; Li: &lt; 0.5 poor, &lt; 0.75 moderate, &lt; 0.9 good, else excellent). "
             "Repetitions: count, then range of motion of each repetition.</p>"]
    for name, c in comparisons.items():
        rows = [[escape(r.angle), str(r.n), fmt(r.rmse_deg) + _ci_cell(r.rmse_ci_deg),
                 fmt(r.bias_deg) + _ci_cell(r.bias_ci_deg),
                 (f"{fmt(r.loa_deg[0])} … {fmt(r.loa_deg[1])}" if r.loa_deg else "-"),
                 (f"{fmt(r.icc, 2)} {icc_band(r.icc)}" if r.icc is not None else "-"),
                 fmt(r.rom_ref_deg), fmt(r.rom_cand_deg), escape(reps_text(r.reps_ref)),
                 escape(reps_text(r.reps_cand))] for r in angle_rows(c)]
        parts.append(f"<h3>{escape(name)}</h3>")
        if not rows:
            parts.append("<p>No angle could be computed on the common joints.</p>")
            continue
        header = ["angle", "n", "RMSE", "bias", "LoA", "ICC(A,1)", "ROM ref", "ROM pipeline",
                  "reps ref", "reps pipeline"]
        parts.append(_table(header, rows, {1, 2, 3, 6, 7}))
    return "".join(parts) if comparisons else ""


def _figure(caption: str, path: Path, root: Path) -> str:
    if path.stat().st_size > MAX_EMBED_BYTES:
        return (f'<p><a href="{escape(_rel(path, root))}">{escape(caption)}</a> '
                "(too large to embed)</p>")
    return (f'<figure><img src="{data_uri(path)}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def render_html(title: str, metrics: dict, comparisons: dict[str, Comparison],
                reference: Sequence3D | None, parts: ReportParts, root: Path) -> str:
    """The whole page as text.

    Args:
        title: page title; metrics: metrics.json dict; comparisons: pipeline -> Comparison;
        reference: the reference sequence or None; parts: figures, animation, files, notes;
        root: the run directory (links are relative to it).
    """
    meta = [f"frames: {metrics.get('frames', '-')}", f"fps: {fmt(metrics.get('fps'), 2)}"]
    if metrics.get("cameras"):
        meta.append("cameras: " + ", ".join(map(str, metrics["cameras"])))
    body = [f"<h1>{escape(title)}</h1>", f'<p class="meta">{escape(" · ".join(meta))}</p>',
            summary_section(metrics), reference_section(metrics, reference),
            pairwise_section(metrics), alignment_section(metrics),
            reprojection_section(metrics), angles_section(comparisons), *parts.sections]
    notes = [str(n) for n in (metrics.get("notes") or [])] + parts.notes
    body.append("<h2>Notes</h2>" + ("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                                    + "</ul>" if notes else "<p>None.</p>"))
    if parts.figures:
        body.append("<h2>Figures</h2>" + "".join(_figure(c, p, root) for c, p in parts.figures))
    if parts.animation is not None:
        a = parts.animation
        body.append("<h2>3D animation</h2>" + (
            _figure("reference and pipelines (grey: reference behind each pipeline)", a, root)
            if a.suffix.lower() in _MIME else
            f'<p><a href="{escape(_rel(a, root))}">{escape(a.name)}</a></p>'))
    if parts.files:
        items = "".join(f'<li>{escape(d)}: <a href="{escape(_rel(p, root))}">'
                        f"{escape(_rel(p, root))}</a></li>" for d, p in parts.files)
        body.append(f"<h2>Files</h2><ul>{items}</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")

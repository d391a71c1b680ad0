"""PNG figures of a comparison report (matplotlib, Agg canvas, no pyplot state).

Each function takes `Comparison`s (aligned arrays in m, angles in degrees, fps in Hz) and
writes PNG files, returning their paths. Figures are small (dpi `DPI`) to keep reports fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from posearena_gateway.analysis.agreement import bland_altman
from posearena_gateway.analysis.metrics import mpjpe
from posearena_gateway.comparison import Comparison

DPI = 80
PNG_COMPRESS_LEVEL = 1
REF_COLOUR = "black"
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
           "tab:pink", "tab:olive", "tab:cyan", "tab:gray")


def safe_name(name: str) -> str:
    """A file-name-safe form of a pipeline/angle name ("a+b c" -> "a_b_c")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "unnamed"


def colour(i: int) -> str:
    """Colour of the i-th pipeline."""
    return COLOURS[i % len(COLOURS)]


def colour_map(names: list[str]) -> dict[str, str]:
    """Pipeline name -> colour, by position in `names` (the same in every figure)."""
    return {n: colour(i) for i, n in enumerate(names)}


def _colours(names: list[str], colours: dict[str, str] | None) -> dict[str, str]:
    base = colour_map(names)
    return base | {k: v for k, v in (colours or {}).items() if k in base}


def _new(w: float, h: float, **margins: float) -> Figure:
    """A figure with fixed margins (inches-independent fractions; no layout engine: fast)."""
    fig = Figure(figsize=(w, h), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**({"left": 0.1, "right": 0.97, "bottom": 0.17, "top": 0.88} | margins))
    return fig


def _clear(axes: list[Axes]) -> None:
    """Empty reused Axes for the next figure of the same layout: their lines, collections,
    patches and legend go; ticks, labels, grid, locators and autoscaling settings stay.

    A new Axes costs ~15 ms and each of its ticks ~1.5 ms to build; a figure type drawn many
    times (one per angle, one per pipeline) builds them once. Data and view limits are reset
    to a new Axes' (view 0-1, which autoscaling treats as never set), so the next figure is
    scaled to its own data alone, or like a new Axes when it has none (all NaN).
    """
    for ax in axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches]:
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
        ax.relim()
        ax.set_xlim(0.0, 1.0, auto=None)
        ax.set_ylim(0.0, 1.0, auto=None)


class Layouts:
    """Figures of one layout drawn many times (one per angle, one per pipeline): each layout
    is built once, by `make`, and its Axes emptied (`_clear`) before every later figure."""

    def __init__(self) -> None:
        self._made: dict[object, tuple[Figure, list[Axes]]] = {}

    def get(self, key: object, make: Callable[..., tuple[Figure, list[Axes]]],
            *args: object) -> tuple[Figure, list[Axes]]:
        """The figure and Axes of layout `key`: made now by make(*args), or emptied for
        reuse."""
        if key in self._made:
            fig, axes = self._made[key]
            _clear(axes)
            return fig, axes
        self._made[key] = made = make(*args)
        return made


def _panels(fig: Figure, nrow: int, ncol: int, n: int) -> tuple[Figure, list[Axes]]:
    """`fig` with its first `n` subplots of an nrow x ncol grid, in reading order."""
    return fig, [fig.add_subplot(nrow, ncol, k + 1) for k in range(n)]


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 1: a fraction of the default's time for a few % larger files
    fig.savefig(path, dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return path


def per_joint_figure(per_joint: dict[str, dict[str, float | None]], path: Path,
                     colours: dict[str, str] | None = None) -> Path | None:
    """Grouped bars of the mean error of every joint, all pipelines side by side.

    Args:
        per_joint: pipeline -> {joint name: mean error in mm (None = not computed)}.
        path: output PNG.
        colours: optional pipeline -> colour (default: `colour_map` of the keys).

    Returns:
        `path`, or None when no pipeline has a per-joint error.
    """
    joints: list[str] = []
    for d in per_joint.values():
        joints += [j for j in d if j not in joints]
    if not joints:
        return None
    fig = _new(max(6.0, 0.45 * len(joints) + 2), 3.9, bottom=0.28, left=0.08, top=0.76)
    ax = fig.add_subplot()
    n = len(per_joint)
    width = 0.8 / max(n, 1)
    x = np.arange(len(joints))
    cols = _colours(list(per_joint), colours)
    for i, (name, d) in enumerate(per_joint.items()):
        vals = [np.nan if d.get(j) is None else float(d[j]) for j in joints]
        ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=name, color=cols[name])
    ax.set_xticks(x, joints, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("mean error (mm)")
    fig.suptitle("Per-joint position error (after alignment)", y=0.98)
    top = np.nanmax([v for d in per_joint.values() for v in d.values() if v is not None] or [1])
    ax.set_ylim(0, 1.05 * top)
    # above the bars, not over them
    ax.legend(fontsize=8, ncols=min(n, 3), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def angle_names(comparisons: dict[str, Comparison]) -> list[str]:
    """Angles present in at least one comparison's agreement table, sorted."""
    return sorted({a for c in comparisons.values() for a in (c.metrics.get("angles") or {})})


def angle_figures(comparisons: dict[str, Comparison], out_dir: Path,
                  colours: dict[str, str] | None = None) -> dict[str, Path]:
    """One figure per angle: the reference's and every pipeline's angle over time (s).

    Args:
        comparisons: pipeline -> Comparison (ref_angles / cand_angles (T,) degrees).
        out_dir: folder; files are "angle_<angle>.png".
        colours: optional pipeline -> colour.

    Returns:
        angle name -> PNG path.
    """
    paths = {}
    names = list(comparisons)
    cols = _colours(names, colours)
    layouts = Layouts()
    for angle in angle_names(comparisons):
        fig, (ax,) = layouts.get("angle", lambda: _panels(_new(6.4, 2.8), 1, 1, 1))
        ref_drawn = False
        for name in names:
            c = comparisons[name]
            if angle not in c.cand_angles or angle not in c.ref_angles:
                continue
            t = np.arange(len(c.cand_angles[angle])) / c.fps
            if not ref_drawn:
                ax.plot(np.arange(len(c.ref_angles[angle])) / c.fps, c.ref_angles[angle],
                        color=REF_COLOUR, lw=2, label="reference")
                ref_drawn = True
            ax.plot(t, c.cand_angles[angle], color=cols[name], lw=1.2, label=name)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("angle (deg)")
        ax.set_title(angle.replace("_", " "), y=1.0)
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
        paths[angle] = _save(fig, out_dir / f"angle_{safe_name(angle)}.png")
    return paths


def _bland_altman_layout(n: int) -> tuple[Figure, list[Axes]]:
    """A Bland–Altman figure of n panels, at most 4 per row."""
    ncol = min(4, n)
    nrow = -(-n // ncol)
    fig = _new(2.6 * ncol + 0.4, 2.2 * nrow + 0.5, left=0.06, right=0.98, bottom=0.08,
               top=1 - 0.65 / (2.2 * nrow + 0.5), wspace=0.35, hspace=0.55)
    return _panels(fig, nrow, ncol, n)


def bland_altman_figures(comparisons: dict[str, Comparison], out_dir: Path,
                         colours: dict[str, str] | None = None) -> dict[str, Path]:
    """Bland–Altman plots, one panel per angle, one PNG per pipeline.

    Each panel: mean of candidate and reference (deg) against their difference
    candidate − reference (deg), with the bias and the 95 % limits of agreement
    (`analysis.agreement.bland_altman`). Angles with < 3 valid pairs are left out.

    Args:
        comparisons: pipeline -> Comparison.
        out_dir: folder; files are "bland_altman_<pipeline>.png".
        colours: optional pipeline -> colour.

    Returns:
        pipeline name -> PNG path (pipelines without a usable angle are left out).
    """
    paths = {}
    cols = _colours(list(comparisons), colours)
    layouts = Layouts()  # one per panel count
    for name, c in comparisons.items():
        angles = [a for a in sorted(c.metrics.get("angles") or {})
                  if a in c.cand_angles and a in c.ref_angles]
        results = {}
        for a in angles:
            if (np.isfinite(c.cand_angles[a]) & np.isfinite(c.ref_angles[a])).sum() >= 3:
                results[a] = bland_altman(c.cand_angles[a], c.ref_angles[a])
        if not results:
            continue
        fig, axes = layouts.get(len(results), _bland_altman_layout, len(results))
        fig.suptitle(f"Bland–Altman: {name} − reference (deg)")
        for ax, (a, ba) in zip(axes, results.items(), strict=True):
            ax.scatter(ba.means, ba.diffs, s=4, color=cols[name], alpha=0.6)
            ax.axhline(ba.bias, color="k", lw=1)
            for lim in (ba.lower, ba.upper):
                ax.axhline(lim, color="k", lw=0.8, ls="--")
            ax.set_title(f"{a.replace('_', ' ')} (bias {ba.bias:.1f})", fontsize=8, y=1.0)
            ax.locator_params(nbins=4)  # ticks are most of a small panel's drawing time
            ax.tick_params(labelsize=7)
            ax.set_xlabel("mean (deg)", fontsize=7)
            ax.set_ylabel("difference (deg)", fontsize=7)
        paths[name] = _save(fig, out_dir / f"bland_altman_{safe_name(name)}.png")
    return paths


def mpjpe_time_figure(comparisons: dict[str, Comparison], path: Path,
                      colours: dict[str, str] | None = None) -> Path | None:
    """MPJPE (mm) of every frame against time (s), one line per pipeline.

    Args:
        comparisons: pipeline -> Comparison (ref, cand (T, K, 3) m).
        path: output PNG; colours: optional pipeline -> colour.

    Returns:
        `path`, or None without comparisons.
    """
    if not comparisons:
        return None
    fig = _new(6.4, 2.8)
    ax = fig.add_subplot()
    cols = _colours(list(comparisons), colours)
    for name, c in comparisons.items():
        per_frame = mpjpe(c.cand, c.ref).per_frame
        ax.plot(np.arange(len(per_frame)) / c.fps, per_frame, color=cols[name], lw=1.2, label=name)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MPJPE (mm)")
    ax.set_title("MPJPE per frame", y=1.0)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)

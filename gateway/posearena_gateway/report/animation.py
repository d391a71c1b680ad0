"""3D skeleton animation of the reference and each pipeline (GIF, or MP4 without Pillow).

One panel per sequence, the vertical (the sequence's up axis) drawn upwards. A pipeline
compared to the reference is drawn on the common joints after the comparison's alignment
(reference frame), with the reference in light grey behind it; a pipeline without a
comparison is drawn alone in its own frame. Each panel follows the body: every frame is
shifted horizontally by the mean of its joints (the reference's, behind a pipeline), so that
a walker stays in view. At most `max_frames` frames, evenly subsampled, played at the
recording's speed.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from posearena.errors import InvalidInputError
from posearena.skeletons import canonical_names, get_skeleton
from posearena_gateway.comparison import Comparison
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.report.figures import REF_COLOUR, colour


@dataclass
class Panel:
    """One animated skeleton: points (T, K, 3) m (z up), bones as index pairs into K."""

    title: str
    points: np.ndarray
    bones: list[tuple[int, int]]
    colour: str
    ghost: np.ndarray | None = None


def bones_between(skeleton: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """Bones of `skeleton` restricted to the joints `names` (a subset of its joints).

    `names` may be the skeleton's own joint names or registry canonical names (as
    comparisons report them). A joint whose parent is not in the subset is linked to its
    nearest ancestor that is.

    Returns:
        (child, parent) index pairs into `names`.
    """
    skel = get_skeleton(skeleton)
    lookup = {c: i for i, c in enumerate(canonical_names(skeleton))}
    lookup.update({n: i for i, n in enumerate(skel.joints)})
    where = {}
    for k, name in enumerate(names):
        if name not in lookup:
            raise InvalidInputError("joints", name, f"joint names of skeleton {skeleton}")
        where[lookup[name]] = k
    bones = []
    for j, k in where.items():
        p = skel.parents[j]
        while p >= 0 and p not in where:
            p = skel.parents[p]
        if p >= 0:
            bones.append((k, where[p]))
    return bones


def z_up(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Rotate (..., 3) points so that the unit vector `up` (3,) becomes +z (right-handed)."""
    u = np.asarray(up, dtype=np.float64)
    u = u / np.linalg.norm(u)
    helper = np.eye(3)[int(np.argmin(np.abs(u)))]
    x = helper - (helper @ u) * u
    x /= np.linalg.norm(x)
    y = np.cross(u, x)
    return points @ np.stack([x, y, u], axis=1)


def build_panels(
    reference: Sequence3D | None, results: dict[str, Sequence3D],
    comparisons: dict[str, Comparison], colours: dict[str, str] | None = None,
) -> list[Panel]:
    """Panels for the reference and every result (see the module docstring).

    Args:
        reference: the reference (points (T, J, 3) m) or None.
        results: pipeline -> its 3D result; comparisons: pipeline -> Comparison.
        colours: optional pipeline -> colour (default by position in `results`).
    """
    panels = []
    cols = {n: colour(i) for i, n in enumerate(results)} | (colours or {})
    if reference is not None:
        panels.append(Panel("reference", z_up(reference.points, reference.up_axis),
                            bones_between(reference.skeleton, reference.joints), REF_COLOUR))
    for name, seq in results.items():
        c = comparisons.get(name)
        if c is not None and reference is not None:
            panels.append(Panel(name, z_up(c.cand, reference.up_axis),
                                bones_between(reference.skeleton, c.joints), cols[name],
                                ghost=z_up(c.ref, reference.up_axis)))
        else:
            panels.append(Panel(name, z_up(seq.points, seq.up_axis),
                                bones_between(seq.skeleton, seq.joints), cols[name]))
    return panels


def _segments(points: np.ndarray, bones: list[tuple[int, int]]) -> np.ndarray:
    """(T, 3 * B, 3) polyline with a NaN break after every bone."""
    t = points.shape[0]
    out = np.full((t, 3 * len(bones), 3), np.nan)
    for b, (i, j) in enumerate(bones):
        out[:, 3 * b] = points[:, i]
        out[:, 3 * b + 1] = points[:, j]
    return out


def _follow(points: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """(T, K, 3) z-up points minus the per-frame horizontal mean of `anchor` (T, K', 3)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        shift = np.nanmean(anchor, axis=1, keepdims=True)
    shift[..., 2] = 0.0
    return points - np.nan_to_num(shift)


def _limits(arrs: list[np.ndarray]) -> tuple[np.ndarray, float]:
    pts = np.concatenate([a.reshape(-1, 3) for a in arrs])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return np.zeros(3), 1.0
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2, max(float((hi - lo).max()) / 2, 0.1)


def pillow_available() -> bool:
    """Whether Pillow can be imported (GIF output)."""
    return importlib.util.find_spec("PIL") is not None


def write_animation(
    panels: list[Panel], fps: float, out_stem: Path, max_frames: int = 100,
    panel_size_in: float = 2.2, dpi: int = 70,
) -> Path | None:
    """Animate `panels` side by side; GIF (PillowWriter) or, without Pillow, MP4 ('mp4v').

    Args:
        panels: from `build_panels`, all with the same number of frames T.
        fps: frame rate of the panels' frames, Hz.
        out_stem: output path without suffix (".gif" or ".mp4" is added).
        max_frames: most frames drawn (evenly subsampled).
        panel_size_in: width and height of one panel, inches; dpi: resolution.

    Returns:
        The written file, or None when there is nothing to draw.
    """
    if not panels:
        return None
    if fps <= 0 or max_frames < 1:
        raise InvalidInputError("fps/max_frames", (fps, max_frames), "fps > 0 and >= 1 frame")
    t = min(p.points.shape[0] for p in panels)
    idx = np.unique(np.linspace(0, t - 1, min(t, max_frames)).round().astype(int))
    fig = Figure(figsize=(panel_size_in * len(panels), panel_size_in + 0.2), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.9, wspace=0)
    lines = []
    for k, p in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1, projection="3d")
        anchor = (p.points if p.ghost is None else p.ghost)[idx]
        seg = _segments(_follow(p.points[idx], anchor), p.bones)
        ghost = None if p.ghost is None else _segments(_follow(p.ghost[idx], anchor), p.bones)
        centre, half = _limits([seg] + ([ghost] if ghost is not None else []))
        for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre, strict=True):
            setter(c - half, c + half)
        ax.set_box_aspect((1, 1, 1))
        ax.set_axis_off()  # axes and ticks cost most of a 3D frame's drawing time
        floor = centre[2] - half
        ax.plot([centre[0] - half, centre[0] + half], [centre[1]] * 2, [floor] * 2, color="0.8")
        ax.plot([centre[0]] * 2, [centre[1] - half, centre[1] + half], [floor] * 2, color="0.8")
        ax.set_title(p.title, fontsize=8)
        g = ax.plot([], [], [], color="0.75", lw=1.5)[0] if ghost is not None else None
        m = ax.plot([], [], [], color=p.colour, lw=2, marker="o", ms=2)[0]
        lines.append((m, seg, g, ghost))

    def update(f: int) -> None:
        for m, seg, g, ghost in lines:
            m.set_data_3d(seg[f, :, 0], seg[f, :, 1], seg[f, :, 2])
            if g is not None:
                g.set_data_3d(ghost[f, :, 0], ghost[f, :, 1], ghost[f, :, 2])

    step_s = (idx[-1] - idx[0]) / fps / max(len(idx) - 1, 1) if len(idx) > 1 else 1.0 / fps
    play_fps = max(1.0, 1.0 / max(step_s, 1e-6))
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    if pillow_available():
        path = out_stem.with_suffix(".gif")
        # FuncAnimation.save would draw every frame twice (draw_idle, then grab_frame): the
        # PillowWriter is driven directly, one draw per frame (half the time).
        writer = PillowWriter(fps=play_fps)
        with writer.saving(fig, str(path), dpi):
            for f in range(len(idx)):
                update(f)
                writer.grab_frame()
        return path
    path = out_stem.with_suffix(".mp4")
    w, h = canvas.get_width_height()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), play_fps, (w, h))
    try:
        for f in range(len(idx)):
            update(f)
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba())
            writer.write(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR))
    finally:
        writer.release()
    return path

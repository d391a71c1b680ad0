"""3D skeleton animation of the reference and each pipeline (GIF, or MP4 without Pillow).

One panel per sequence, the vertical (the sequence's up axis) drawn upwards. A pipeline
compared to the reference is drawn on the common joints after the comparison's alignment
(reference frame), with the reference in light grey behind it; a pipeline without a
comparison is drawn alone in its own frame. Each panel follows the body: every frame is
shifted horizontally by the mean of its joints (the reference's, behind a pipeline), so that
a walker stays in view. At most `max_frames` frames (and 50 per second of recording),
evenly subsampled, played at the recording's speed. Drawn with OpenCV in an orthographic view
(`view_axes`, matplotlib's default 3D view): matplotlib's 3D axes took ~0.1 s per frame.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from matplotlib.colors import to_rgb

from posearena.errors import InvalidInputError
from posearena.skeletons import canonical_names, get_skeleton
from posearena_gateway.comparison import Comparison
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.report.figures import REF_COLOUR, colour

#: Width and height of one animated panel, px; the title strip at its top, px.
PANEL_PX = 180
TITLE_PX = 18
GHOST_RGB = (191, 191, 191)
FLOOR_RGB = (204, 204, 204)
#: Most GIF frames per second of recording (delays of 2/100 s play as written everywhere).
GIF_MAX_FPS = 50.0


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
    # 1st-99th percentile: a few wild frames (a lost joint) must not shrink the body to a dot
    lo, hi = np.percentile(pts, [1.0, 99.0], axis=0)
    return (lo + hi) / 2, max(float((hi - lo).max()) / 2 * 1.1, 0.1)


#: View of every panel: azimuth and elevation of the viewer, degrees (matplotlib's 3D default).
VIEW_AZIM_DEG = -60.0
VIEW_ELEV_DEG = 30.0


def view_axes(azim_deg: float = VIEW_AZIM_DEG,
              elev_deg: float = VIEW_ELEV_DEG) -> tuple[np.ndarray, np.ndarray]:
    """Screen axes of an orthographic view of z-up space from (azimuth, elevation) degrees.

    Returns:
        (right, up): unit (3,) vectors; a point p (m) is drawn at (p @ right, p @ up).
    """
    a, e = np.radians(azim_deg), np.radians(elev_deg)
    right = np.array([-np.sin(a), np.cos(a), 0.0])
    up = np.array([-np.sin(e) * np.cos(a), -np.sin(e) * np.sin(a), np.cos(e)])
    return right, up


def project_panel(points: np.ndarray, centre: np.ndarray, half: float,
                  size_px: int) -> np.ndarray:
    """Pixel positions of z-up points (..., 3) m in a square panel of `size_px` px.

    The cube `centre` ± `half` (m) fills the panel below its title strip; x right, y down.

    Returns:
        (..., 2) float px (NaN where the point is NaN).
    """
    right, up = view_axes()
    rel = np.asarray(points, dtype=np.float64) - centre
    scale = (size_px - TITLE_PX) / (2.0 * half * np.sqrt(2.0))
    u = size_px / 2.0 + scale * (rel @ right)
    v = TITLE_PX + (size_px - TITLE_PX) / 2.0 - scale * (rel @ up)
    return np.stack([u, v], axis=-1)


def _rgb(c: str | tuple) -> tuple[int, int, int]:
    r, g, b = to_rgb(c)
    return round(255 * r), round(255 * g), round(255 * b)


def _draw_skeleton(img: np.ndarray, px: np.ndarray, bones: list[tuple[int, int]],
                   rgb: tuple[int, int, int], width: int, dots: bool) -> None:
    """Draw bones (and joint dots) of one frame's (K, 2) px points onto an RGB image."""
    ok = np.isfinite(px).all(axis=1)
    if not ok.any():
        return
    q = np.zeros(px.shape, np.int64)  # 1/16 px fixed point (cv2 shift=4); NaN rows stay 0
    q[ok] = np.round(px[ok] * 16)
    for i, j in bones:
        if ok[i] and ok[j]:
            cv2.line(img, tuple(q[i]), tuple(q[j]), rgb, width, cv2.LINE_AA, shift=4)
    if dots:
        for k in np.flatnonzero(ok):
            cv2.circle(img, tuple(q[k]), 2 * 16, rgb, -1, cv2.LINE_AA, shift=4)


def _title(img: np.ndarray, text: str, x0: int, width: int) -> None:
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.45
    (tw, _), _ = cv2.getTextSize(text, font, scale, 1)
    if tw > width - 4:
        scale *= (width - 4) / tw
        (tw, _), _ = cv2.getTextSize(text, font, scale, 1)
    cv2.putText(img, text, (x0 + (width - tw) // 2, TITLE_PX - 6), font, scale, (0, 0, 0), 1,
                cv2.LINE_AA)


class _PanelFrames:
    """One panel's subsampled, body-following points projected to px, ready to draw."""

    def __init__(self, p: Panel, idx: np.ndarray, size_px: int) -> None:
        anchor = (p.points if p.ghost is None else p.ghost)[idx]
        pts = _follow(p.points[idx], anchor)
        ghost = None if p.ghost is None else _follow(p.ghost[idx], anchor)
        centre, half = _limits([pts] + ([ghost] if ghost is not None else []))
        self.px = project_panel(pts, centre, half, size_px)
        self.ghost_px = None if ghost is None else project_panel(ghost, centre, half, size_px)
        floor = centre[2] - half
        cx, cy = centre[0], centre[1]
        cross = np.array([[cx - half, cy, floor], [cx + half, cy, floor],
                          [cx, cy - half, floor], [cx, cy + half, floor]])
        self.floor_px = project_panel(cross, centre, half, size_px)
        self.panel = p

    def draw(self, img: np.ndarray, f: int) -> None:
        _draw_skeleton(img, self.floor_px, [(0, 1), (2, 3)], FLOOR_RGB, 1, dots=False)
        if self.ghost_px is not None:
            _draw_skeleton(img, self.ghost_px[f], self.panel.bones, GHOST_RGB, 2, dots=False)
        _draw_skeleton(img, self.px[f], self.panel.bones, _rgb(self.panel.colour), 2, dots=True)


def render_frames(panels: list[Panel], idx: np.ndarray, size_px: int = PANEL_PX) -> np.ndarray:
    """Draw the panels side by side for the frames `idx`.

    Args:
        panels: from `build_panels`; idx: (F,) frame indices into every panel.
        size_px: width and height of one panel, px.

    Returns:
        (F, size_px, size_px * len(panels), 3) uint8 RGB frames, white background.
    """
    prepared = [_PanelFrames(p, idx, size_px) for p in panels]
    base = np.full((size_px, size_px * len(panels), 3), 255, np.uint8)
    for k, p in enumerate(panels):
        _title(base, p.title, k * size_px, size_px)
    out = np.empty((len(idx), *base.shape), np.uint8)
    for f in range(len(idx)):
        img = base.copy()
        for k, prep in enumerate(prepared):
            view = img[:, k * size_px:(k + 1) * size_px]  # a view: drawing writes into img
            prep.draw(view, f)
        out[f] = img
    return out


def pillow_available() -> bool:
    """Whether Pillow can be imported (GIF output)."""
    return importlib.util.find_spec("PIL") is not None


def write_animation(
    panels: list[Panel], fps: float, out_stem: Path, max_frames: int = 100,
    size_px: int = PANEL_PX,
) -> Path | None:
    """Animate `panels` side by side; GIF (Pillow) or, without Pillow, MP4 ('mp4v').

    Drawn with OpenCV in an orthographic view (`view_axes`), not matplotlib's 3D axes: the
    same picture at a small fraction of the time (measured in bench/bench_report.py).

    Args:
        panels: from `build_panels`, all with the same number of frames T.
        fps: frame rate of the panels' frames, Hz.
        out_stem: output path without suffix (".gif" or ".mp4" is added).
        max_frames: most frames drawn (evenly subsampled).
        size_px: width and height of one panel, px.

    Returns:
        The written file, or None when there is nothing to draw.
    """
    if not panels:
        return None
    if fps <= 0 or max_frames < 1:
        raise InvalidInputError("fps/max_frames", (fps, max_frames), "fps > 0 and >= 1 frame")
    t = min(p.points.shape[0] for p in panels)
    # GIF delays are whole 1/100 s and browsers slow delays under 2/100 s down to 1/10 s:
    # never more frames than 50 per second of recording, so it plays at the recording's speed
    n = min(t, max_frames, int((t - 1) / fps * GIF_MAX_FPS) + 1)
    idx = np.unique(np.linspace(0, t - 1, n).round().astype(int))
    frames = render_frames(panels, idx, size_px)
    step_s = (idx[-1] - idx[0]) / fps / max(len(idx) - 1, 1) if len(idx) > 1 else 1.0 / fps
    play_fps = max(1.0, 1.0 / max(step_s, 1e-6))
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    if pillow_available():
        from PIL import Image

        path = out_stem.with_suffix(".gif")
        # one palette for every frame (no colour flicker), taken from all frames at once
        strip = Image.fromarray(frames.reshape(-1, frames.shape[2], 3)[::4])
        palette = strip.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
                  for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], loop=0,
                       duration=10 * round(100.0 / play_fps), optimize=False)
        return path
    path = out_stem.with_suffix(".mp4")
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), play_fps, (w, h))
    try:
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path

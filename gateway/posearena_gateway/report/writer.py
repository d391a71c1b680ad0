"""`write_report`: figures, exports, overlay videos, 3D animation and report.html of a run.

Layout written into the run directory:
    figures/per_joint_error.png, figures/mpjpe_per_frame.png, figures/angle_<angle>.png,
    figures/bland_altman_<pipeline>.png, figures/skeletons_3d.gif (or .mp4 without Pillow),
    figures/cycle_<angle>.png (repetitions, 0-100 %)
    exports/<name>.{npz,csv,trc,kinect.txt}, exports/openpose_json/<detections>/
    exports/<name>.angles.mot, exports/angles.csv, angle_cycles.csv, repetitions.csv
    overlays/<detections>.mp4
    report.html
An overlay or animation that cannot be made (e.g. an unreadable video) becomes a note in
the report instead of stopping it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena_gateway.comparison import Comparison
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.report.animation import build_panels, write_animation
from posearena_gateway.report.cycles import cycle_figures, repetitions_section
from posearena_gateway.report.exports import (
    export_angles,
    export_detections,
    export_sequence,
)
from posearena_gateway.report.figures import (
    angle_figures,
    bland_altman_figures,
    colour_map,
    mpjpe_time_figure,
    per_joint_figure,
    safe_name,
)
from posearena_gateway.report.html import ReportParts, render_html
from posearena_gateway.report.overlay import write_overlay
from posearena_gateway.report.tables import pipelines_of
from posearena_gateway.report.thumbnails import first_frames, write_track_thumbnails
from posearena_gateway.rundir import RunDir, atomic_write_text

#: Most frames of the 3D animation.
ANIMATION_FRAMES = 100
#: Threads drawing overlay videos and thumbnails beside the figures.
MEDIA_THREADS = 2


def _video_media(video: str, dets: Detections, thumbs: Path,
                 overlay: Path) -> tuple[Path | None, Path | Exception]:
    """Track thumbnails and overlay video of one input video, from one decoding pass.

    The overlay hands the thumbnails the frames they are cut from (`first_frames`) as it
    decodes them; if it fails, the thumbnails read those frames themselves, as they would
    alone.

    Returns:
        (thumbnail strip or None, overlay path or the exception that stopped it).
    """
    wanted = first_frames(dets)
    kept: dict[int, np.ndarray] = {}

    def keep(t: int, frame: np.ndarray) -> None:
        if t in wanted:
            kept[t] = frame.copy()  # the overlay draws on its frames afterwards

    try:
        made: Path | Exception = write_overlay(video, dets, overlay, tap=keep)
    except Exception as exc:  # an overlay is a convenience; its failure is reported
        made = exc
    return write_track_thumbnails(video, dets, thumbs,
                                  frames=kept if isinstance(made, Path) else None), made


def _check(rd: RunDir, comparisons: dict, results: dict, reference: object,
           videos: dict | None) -> None:
    if not isinstance(rd, RunDir):
        raise InvalidInputError("rd", type(rd).__name__, "a RunDir")
    bad = [k for k, v in comparisons.items() if not isinstance(v, Comparison)]
    if bad:
        raise InvalidInputError("comparisons", bad, "values of type Comparison")
    bad = [k for k, v in results.items() if not isinstance(v, Sequence3D)]
    if bad:
        raise InvalidInputError("results", bad, "values of type Sequence3D")
    if reference is not None and not isinstance(reference, Sequence3D):
        raise InvalidInputError("reference", type(reference).__name__, "a Sequence3D or None")
    for k, v in (videos or {}).items():
        if not (isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], Detections)):
            raise InvalidInputError(f"videos[{k!r}]", type(v).__name__,
                                    "a tuple (video path, Detections)")


def _figures(rd: RunDir, metrics: dict, comparisons: dict[str, Comparison],
             colours: dict[str, str]) -> tuple[list[tuple[str, Path]], list[str]]:
    """Every figure of the report, and a note for each group of figures that could not be
    drawn (a figure only shows numbers metrics.json and the exports already hold: its failure
    is reported on the page, the rest of the report is still written)."""
    pipes = pipelines_of(metrics)
    per_joint = {n: m["per_joint_mm"] for n, m in pipes.items()
                 if m.get("status") == "ok" and isinstance(m.get("per_joint_mm"), dict)}
    figs: list[tuple[str, Path]] = []
    notes: list[str] = []

    def group(what: str, draw: Callable[[], list[tuple[str, Path | None]]]) -> None:
        try:
            figs.extend((caption, p) for caption, p in draw() if p is not None)
        except Exception as exc:  # reported on the page, never fatal
            notes.append(f"{what} not drawn: {type(exc).__name__}: {exc}")

    group("per-joint error figure", lambda: [(
        "Per-joint error of every compared pipeline (mm)",
        per_joint_figure(per_joint, rd.figures / "per_joint_error.png", colours))])
    group("MPJPE-per-frame figure", lambda: [(
        "MPJPE per frame over time",
        mpjpe_time_figure(comparisons, rd.figures / "mpjpe_per_frame.png", colours))])
    group("angle figures", lambda: [
        (f"{a.replace('_', ' ')} over time (deg)", p)
        for a, p in angle_figures(comparisons, rd.figures, colours).items()])
    group("Bland–Altman figures", lambda: [
        (f"Bland–Altman, {n} − reference (deg)", p)
        for n, p in bland_altman_figures(comparisons, rd.figures, colours).items()])
    group("repetition figures", lambda: [
        (f"{a.replace('_', ' ')}: repetitions, 0–100 % (mean ± SD) and error (deg)", p)
        for a, p in cycle_figures(metrics, rd.figures, colours).items()])
    return figs, notes


def _animate(rd: RunDir, reference: Sequence3D | None, results: dict[str, Sequence3D],
             ordered: dict[str, Comparison], colours: dict[str, str],
             ) -> tuple[Path | None, str | None]:
    """The 3D animation: (its file or None, a note saying why it was not written or None)."""
    panels = build_panels(reference, results, ordered, colours)
    fps = reference.fps if reference is not None else next(
        (s.fps for s in results.values()), 1.0)
    try:
        return write_animation(panels, fps, rd.figures / "skeletons_3d",
                               max_frames=ANIMATION_FRAMES), None
    except Exception as exc:  # as above: reported, never fatal
        return None, f"3D animation not written: {type(exc).__name__}: {exc}"


def write_report(
    rd: RunDir,
    metrics: dict,
    comparisons: dict[str, Comparison],
    reference: Sequence3D | None,
    results: dict[str, Sequence3D],
    videos: dict[str, tuple[str, Detections]] | None = None,
    title: str = "posearena comparison",
    subject: str | None = None,
    trial: str | None = None,
    animation: bool = True,
) -> Path:
    """Write the report of a run into its run directory (layout in the module docstring).

    Args:
        rd: the run directory.
        metrics: the metrics.json dict ({"reference", "frames", "fps", "notes",
            "pipelines": {name: {"status", "reason", "mpjpe_mm", ..., "alignment"}}}).
        comparisons: pipeline -> Comparison (ref/cand (T, K, 3) m, angles (T,) degrees).
        reference: the reference sequence (points (T, J, 3) m) or None.
        results: pipeline -> its 3D result (points (T, J, 3) m), exported and animated.
        videos: detection set name -> (input video path, its 2D Detections (T, P, J, 2) px),
            drawn as overlay videos and exported as OpenPose JSON.
        title: page title.
        subject, trial: labels of the rows of the angle CSVs (default: the run directory's
            name for both).
        animation: write the 3D animation (False: a note says it was left out).

    Returns:
        The path of report.html.

    Raises:
        InvalidInputError: arguments of the wrong kind (the field is named).
    """
    t0 = time.perf_counter()
    _check(rd, comparisons, results, reference, videos)
    order = list(pipelines_of(metrics)) + [n for n in results if n not in metrics["pipelines"]]
    colours = colour_map(order)
    videos = videos or {}
    ordered = {n: comparisons[n] for n in order if n in comparisons}
    ordered |= comparisons
    # Overlays and thumbnails (OpenCV: decoding and encoding release the GIL) are drawn in
    # threads while matplotlib draws the figures here: they overlap on a 2-core machine.
    with ThreadPoolExecutor(MEDIA_THREADS, thread_name_prefix="report-media") as pool:
        media = {name: pool.submit(_video_media, video, dets,
                                   rd.figures / f"tracks_{safe_name(name)}.png",
                                   rd.root / "overlays" / f"{safe_name(name)}.mp4")
                 for name, (video, dets) in videos.items()}
        figures, figure_notes = _figures(rd, metrics, ordered, colours)
        parts = ReportParts(figures=figures)
        parts.notes += figure_notes
        parts.sections.append(repetitions_section(metrics))
        if ordered:
            parts.notes.append(
                "Angles and errors are on the reference's clock (time 0 = its first frame), "
                "after the alignment above; Bland–Altman panels need >= 3 frames with both "
                "angles.")
        sequences = ({"reference": reference} if reference is not None else {}) | results
        for name, seq in sequences.items():
            for p in export_sequence(rd.exports, name, seq):
                parts.files.append((f"{name} poses", p))
        parts.files += export_angles(rd.exports, ordered, subject or rd.root.name,
                                     trial or rd.root.name)
        # the animation and the JSON exports are made here while the last overlays are still
        # being drawn; the page lists everything in the same order as before
        shown = (_animate(rd, reference, results, ordered, colours) if animation else
                 (None, "3D animation left out (e.g. a session of a study)"))
        json_dirs = {name: export_detections(rd.exports, name, videos[name][1])
                     for name in media}
        for name, done in media.items():
            parts.files.append((f"{name} 2D (OpenPose JSON)", json_dirs[name]))
            thumbnail, overlay = done.result()
            if thumbnail is not None:
                parts.figures.append((f"who was tracked: {name}", thumbnail))
            if isinstance(overlay, Path):
                parts.files.append((f"{name} overlay video", overlay))
            else:
                parts.notes.append(f"overlay of {name} not written: "
                                   f"{type(overlay).__name__}: {overlay}")
    parts.animation, note = shown
    if note is not None:
        parts.notes.append(note)
    parts.notes.append(f"report written in {time.perf_counter() - t0:.1f} s")
    path = rd.root / "report.html"
    atomic_write_text(path, render_html(title, metrics, ordered, reference, parts, rd.root))
    return path

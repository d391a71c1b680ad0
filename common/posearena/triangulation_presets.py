"""Named triangulation settings, defined once: every caller and the method text read them.

Presets:
    candidate   the stereo and multi-view pipelines compared against a reference, and
                `posearena triangulate` by default: robust DLT dropping views over 15 px,
                left/right swaps tried, refined, 2D under confidence 0.3 ignored, gaps up to
                10 frames filled, no low-pass (a candidate is measured as it comes).
    reference   the multi-view reference: `candidate` plus a 6 Hz zero-phase Butterworth
                low-pass (as biomechanics filters marker data).
    raw         plain weighted DLT of every view: no dropping, swaps, refinement, filling or
                filtering (to see what the cameras alone give).

The stereo service fills an unset `max_reprojection_error_px` from `candidate`
(`SERVICE_DEFAULT`); its `GetInfo` details name that preset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posearena.errors import InvalidInputError
from posearena.v1 import pose_pb2


@dataclass(frozen=True)
class TriangulationPreset:
    """One named set of triangulation options.

    Attributes:
        name: registry key.
        max_reprojection_error_px: views whose reprojection error exceeds this are dropped
            (px); inf = keep every view (0 on the wire means "the service's default").
        min_views: views a joint needs (>= 2).
        refine: Gauss-Newton refinement after the DLT.
        try_swap_left_right: try each view's left/right labels swapped.
        min_confidence: 2D points under this confidence in [0, 1] are ignored.
        max_gap_frames: gaps up to this many frames are filled (0 = off).
        filter_cutoff_hz: zero-phase Butterworth low-pass cut-off in Hz (0 = off); skipped
            when the frame rate is not above twice the cut-off.
    """

    name: str
    max_reprojection_error_px: float
    min_views: int
    refine: bool
    try_swap_left_right: bool
    min_confidence: float
    max_gap_frames: int
    filter_cutoff_hz: float

    def options(self, fps: float) -> pose_pb2.TriangulationOptions:
        """The Pose API options of this preset for a sequence at `fps` Hz."""
        cutoff = self.filter_cutoff_hz if fps > 2 * self.filter_cutoff_hz else 0.0
        return pose_pb2.TriangulationOptions(
            max_reprojection_error_px=self.max_reprojection_error_px, min_views=self.min_views,
            refine=self.refine, try_swap_left_right=self.try_swap_left_right,
            min_confidence=self.min_confidence, max_gap_frames=self.max_gap_frames,
            filter_cutoff_hz=cutoff, fps=fps)

    def method(self) -> str:
        """The preset in words, for metrics.json and the report."""
        drops = math.isfinite(self.max_reprojection_error_px)
        parts = ["robust DLT" if drops else "DLT of every view"]
        if drops:
            parts[0] += f" (views over {self.max_reprojection_error_px:g} px dropped"
            parts[0] += ", L/R swaps tried)" if self.try_swap_left_right else ")"
        elif self.try_swap_left_right:
            parts.append("L/R swaps tried")
        if self.refine:
            parts.append("refined")
        if self.min_confidence:
            parts.append(f"2D under confidence {self.min_confidence:g} ignored")
        if self.max_gap_frames:
            parts.append(f"gaps <= {self.max_gap_frames} frames filled")
        if self.filter_cutoff_hz:
            parts.append(f"Butterworth {self.filter_cutoff_hz:g} Hz low-pass")
        return ", ".join(parts)


PRESETS: dict[str, TriangulationPreset] = {
    p.name: p for p in (
        TriangulationPreset("candidate", 15.0, 2, True, True, 0.3, 10, 0.0),
        TriangulationPreset("reference", 15.0, 2, True, True, 0.3, 10, 6.0),
        TriangulationPreset("raw", math.inf, 2, False, False, 0.0, 0, 0.0),
    )
}
SERVICE_DEFAULT = PRESETS["candidate"]


def get_preset(name: str) -> TriangulationPreset:
    """The preset called `name`; InvalidInputError listing the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidInputError("preset", name, f"one of {sorted(PRESETS)}") from None

"""Several people: associate per-view tracks across cameras, then triangulate each person.

Inputs: per view c, keypoints (T, K_c, J, 2) px of its K_c person tracks (NaN where absent)
and confidences (T, K_c, J). Output: (T, P, J, 3) m for the P people seen in >= 2 views,
with per-person reprojection error, views used, flags, and the (P, C) track of each person in
each view (-1: not seen there). A view is used for a person only in the frames where the
association kept it (a view that disagrees in a frame is left out of that frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena.calibration import Camera
from posearena.errors import InvalidInputError
from posearena_stereo.association import associate_tracks
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views


@dataclass
class PeopleResult:
    """points_3d (T, P, J, 3) m, reprojection_error (T, P, J) px, views_used (T, P, J),
    flags (T, P, J) uint8, person_tracks (P, C) int."""

    points_3d: np.ndarray
    reprojection_error: np.ndarray
    views_used: np.ndarray
    flags: np.ndarray
    person_tracks: np.ndarray


def triangulate_people(
    keypoints: Sequence[np.ndarray], confidence: Sequence[np.ndarray],
    cameras: Sequence[Camera], options: TriangulationOptions,
) -> PeopleResult:
    """Associate tracks across views, then triangulate every person (see module docstring).

    Raises:
        InvalidInputError: views with different T or J, or fewer than 2 views.
    """
    if len(keypoints) < 2:
        raise InvalidInputError("views", len(keypoints), "at least 2 views")
    T, _, J, _ = keypoints[0].shape
    for c, k in enumerate(keypoints):
        if k.shape[0] != T or k.shape[2] != J:
            raise InvalidInputError(f"views[{c}].keypoints", k.shape,
                                    f"(T={T}, K, J={J}, 2) like views[0]")
    people, per_frame = associate_tracks(list(keypoints), list(confidence), list(cameras),
                                         max_error_px=max(40.0, options.max_reprojection_error_px))
    P, C = len(people), len(cameras)
    pts = np.full((T, P, J, 3), np.nan)
    err = np.full((T, P, J), np.nan, np.float32)
    used = np.zeros((T, P, J), np.int32)
    flags = np.zeros((T, P, J), np.uint8)
    for p in range(P):
        views = [c for c in range(C) if people[p, c] >= 0]
        if len(views) < 2:  # association never returns these; kept NaN if it did
            continue
        kp = np.full((len(views), T, J, 2), np.nan)
        cf = np.zeros((len(views), T, J))
        for i, c in enumerate(views):
            keep = per_frame[:, p, c] == people[p, c]  # frames where the association kept it
            kp[i, keep] = keypoints[c][keep, people[p, c]]
            cf[i, keep] = confidence[c][keep, people[p, c]]
        r = triangulate_views(kp, [cameras[c] for c in views], cf, options)
        pts[:, p], err[:, p] = r.points_3d, r.reprojection_error
        used[:, p], flags[:, p] = r.views_used, r.flags
    return PeopleResult(pts, err, used, flags, people.astype(np.int32))

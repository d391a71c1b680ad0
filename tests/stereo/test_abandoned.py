"""A triangulation nobody waits for stops between blocks of frames (posearena.cancellation)."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.cancellation import CallAbandonedError, abandon_when
from posearena_stereo import triangulate as tri
from posearena_stereo.triangulate import CHUNK_POINTS, TriangulationOptions, triangulate_views
from tests.conformance.pose_requests import points, ring_cameras


@pytest.mark.parametrize("threads", [1, 2])
def test_triangulation_stops_once_the_client_is_gone(threads, monkeypatch):
    cams = ring_cameras()
    T = 20 * CHUNK_POINTS // 17  # ~20 blocks
    X = points(T, 17)
    kp = np.stack([c.project(X) for c in cams])
    opts = TriangulationOptions(threads=threads)
    asked, computed = [], []
    block = tri._triangulate_block

    def counted(*args, **kwargs):
        computed.append(1)
        return block(*args, **kwargs)

    monkeypatch.setattr(tri, "_triangulate_block", counted)

    def gone() -> bool:
        asked.append(1)
        return len(asked) > 1

    with abandon_when(gone), pytest.raises(CallAbandonedError):
        triangulate_views(kp, cams, options=opts)
    assert len(computed) <= threads  # of ~20 blocks: it stopped at the next one
    out = triangulate_views(kp[:, :50], cams, options=opts)  # outside a call: no check
    assert np.nanmax(np.abs(out.points_3d - X[:50])) < 1e-6

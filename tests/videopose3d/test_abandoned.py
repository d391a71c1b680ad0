"""A lift nobody waits for stops between chunks (posearena.cancellation), output unchanged
when the client stays."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.cancellation import CallAbandonedError, abandon_when
from posearena_videopose3d.inference import Lifter


def test_lifter_stops_at_the_next_chunk_once_the_client_is_gone(make_model):
    lifter = Lifter(make_model([3, 3]), chunk_frames=64)
    padded = np.random.default_rng(0).standard_normal((640 + 8, 17, 2)).astype(np.float32)
    asked = []

    def gone() -> bool:  # the client leaves after the second chunk
        asked.append(1)
        return len(asked) > 2

    with abandon_when(gone), pytest.raises(CallAbandonedError):
        lifter.predict(padded)
    assert len(asked) == 3  # not one check per each of the 10 chunks: it stopped
    with abandon_when(lambda: False):
        kept = lifter.predict(padded)
    np.testing.assert_array_equal(kept, lifter.predict(padded))  # no check outside a call

"""Shared fixtures of the OpenPose tests (the helper module `openpose_testkit` sits here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from openpose_testkit import STANDING_BODY25


@pytest.fixture
def standing() -> np.ndarray:
    """(25, 2) BODY_25 template in grid cells, about 27 cells tall."""
    return STANDING_BODY25.copy()


@pytest.fixture
def stamp_offsets() -> np.ndarray:
    """(25, 2) person offsets (cells) from the stamp block, within the 12-cell template."""
    return STANDING_BODY25 * 0.7 + np.array([0.3, 0.45])

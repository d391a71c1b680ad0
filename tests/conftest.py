"""Root of the test folders: puts tests/ on sys.path so test modules import `_helpers`."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

"""posearena.allocator: freed blocks stay in the heap for reuse instead of being
unmapped (glibc's mallinfo2 says where a block lives)."""

from __future__ import annotations

import sys

import pytest
from _helpers.fresh_python import fresh_python

# A 20 MB array (above glibc's initial mmap threshold) while it lives and after it is freed:
# prints bytes in mmapped blocks (hblkhd) while it lives, free bytes kept in the heap
# (fordblks) after it is freed.
_PROBE = """
import ctypes, sys
import numpy as np
from posearena.allocator import reuse_freed_memory

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
if sys.argv[1] == "on":
    assert reuse_freed_memory()
a = np.ones(20 << 17)
mapped = libc.mallinfo2().hblkhd
del a
print(mapped, libc.mallinfo2().fordblks)
"""


def _probe(mode: str) -> tuple[int, int]:
    mapped, kept = fresh_python(_PROBE, mode).split()
    return int(mapped), int(kept)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt, mallinfo2")
def test_large_blocks_come_from_the_heap_and_stay_there_when_freed():
    mb = 1 << 20
    mapped, kept = _probe("off")  # glibc's defaults: mapped alone, unmapped when freed
    assert mapped >= 20 * mb and kept < 20 * mb, (mapped, kept)
    mapped, kept = _probe("on")
    assert mapped < 20 * mb and kept >= 20 * mb, (mapped, kept)

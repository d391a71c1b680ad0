"""Allocator settings for processes that work on large arrays: the stereo and videopose3d
services, and `posearena triangulate` (its inputs and outputs are tens of MB).

A request of 40,000 frames × 17 joints × 4 views allocates and frees ~100 arrays of 0.2-40 MB.
With glibc's defaults every thread gets its own arena, blocks above the (moving) mmap
threshold are unmapped when freed and trimmed heap tops go back to the kernel: the next array
of the same size is fresh memory again, and on a virtual machine a first touch costs about
1 ms per MB. Keeping freed blocks for reuse made `posearena triangulate`'s marginal time on
that request 0.64 -> 0.56 s (median of 5 interleaved pairs, `bench/bench_triangulation.py`
data), and `posearena lift`'s on 40,000 frames (RF 243, 1024 channels, flip TTA) 7.5 -> 6.9 s
(median of 3 pairs, `bench/bench_lifting.py`'s model); in the triangulate command's own
process, 0.60 -> 0.55 s more (4 pairs). The price: the process keeps its
peak heap (a few hundred MB after such a request) until it exits.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

# mallopt(3) parameters (glibc <malloc.h>) and the values set
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
ARENAS = 1  # numpy's few large allocations per step do not contend for one arena's lock
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest allowed value: blocks below it are reused
TRIM_THRESHOLD_BYTES = 1 << 30  # a freed heap top up to 1 GiB stays mapped


def reuse_freed_memory() -> bool:
    """Make the process allocator keep freed blocks for reuse (see the module text).

    Call it first (a service's ``main()``, a command's ``run()``), before threads start:
    arenas are per thread.

    Returns:
        True when all three settings were taken; False where the C library has no
        ``mallopt`` (musl, macOS) or refused one, leaving the allocator as it was for that
        setting (a log line says so; the service works the same, only slower).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        log.info("no glibc mallopt here: allocator left at its defaults")
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    refused = [name for name, param, value in (
        ("M_ARENA_MAX", M_ARENA_MAX, ARENAS),
        ("M_MMAP_THRESHOLD", M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        ("M_TRIM_THRESHOLD", M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
    ) if mallopt(param, value) != 1]
    if refused:
        log.info("mallopt refused %s: those stay at their defaults", ", ".join(refused))
    return not refused

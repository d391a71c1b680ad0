"""Allocator settings for services that work on large arrays (stereo, videopose3d).

A request of 40,000 frames × 17 joints × 4 views allocates and frees ~100 arrays of 0.2-40 MB.
With glibc's defaults every thread gets its own arena, blocks above the (moving) mmap
threshold are unmapped when freed and trimmed heap tops go back to the kernel: the next array
of the same size is fresh memory again, and on a virtual machine a first touch costs about
1 ms per MB. Keeping freed blocks for reuse, measured with the services' setting on and off
(interleaved pairs, same data, 2-core VM):
- `posearena triangulate`, 40,000 frames x 17 joints x 4 views (`bench/bench_triangulation.py`
  data): the stereo service's first request faults in 60 MB instead of 120 MB; marginal time
  0.605 -> 0.571 s (median of 8 pairs). In the command's own process it made no difference
  (0.583 vs 0.582 s, 6 pairs), so the gateway keeps glibc's defaults.
- `posearena lift`, 40,000 frames, RF 243, 1024 channels, flip TTA: 6.89 -> 6.77 s (median of
  3 pairs, within the noise); its service's peak RSS 1,010 -> 900 MB.
The price: a process keeps its peak heap until it exits (`posearena services up` services
included).
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

    Call it first in a service's ``main()``, before threads start (arenas are per thread).

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

"""Matrix products of a few rows by many columns, kept on the calling thread.

OpenBLAS splits a product over its own threads once rows × inner × columns passes a size
threshold (about 10⁶); for the thin products here ((9, 32) @ (32, 8192) per block of points)
those threads mostly wait on each other: measured 20× the CPU time and 25× the wall time of
the same product in column chunks on the loaded 2-core machine. The work is already split
over blocks of points on the service's own threads, so every product stays on the caller's.
"""

from __future__ import annotations

import numpy as np

# rows × inner × columns per call kept under OpenBLAS's threading threshold
_MAX_MNK = 1 << 19


def thin_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (m, k) @ b (k, n) as float64 (m, n), in column chunks small enough for OpenBLAS to
    compute each on the calling thread."""
    m, k = a.shape
    n = b.shape[1]
    cols = max(1, _MAX_MNK // max(1, m * k))
    if n <= cols:
        return a @ b
    out = np.empty((m, n), np.result_type(a, b))
    for c0 in range(0, n, cols):
        np.matmul(a, b[:, c0:c0 + cols], out=out[:, c0:c0 + cols])
    return out

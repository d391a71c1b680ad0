"""Minimum-cost state paths over time (Viterbi), shared by every left/right label resolver:
the stereo service's multi-view one and the gateway's single-view one.

Inputs: unary (B, T, K) and pairwise (B, T-1, K, K) costs. Output: (B, T) state indices.
"""

from __future__ import annotations

import numpy as np


def viterbi(unary: np.ndarray, pairwise: np.ndarray) -> np.ndarray:
    """Minimum-cost state paths, batched.

    Args:
        unary: (B, T, K) cost of state k at frame t.
        pairwise: (B, T-1, K, K) cost of going from state i at t to state j at t+1.

    Returns:
        (B, T) int state indices.
    """
    B, T, K = unary.shape
    back = np.zeros((B, T, K), np.int32)
    acc = unary[:, 0].copy()
    rows = np.arange(B)[:, None]
    for t in range(1, T):
        total = acc[:, :, None] + pairwise[:, t - 1]
        back[:, t] = total.argmin(axis=1)
        acc = total[rows, back[:, t], np.arange(K)[None]] + unary[:, t]
    path = np.empty((B, T), np.int32)
    path[:, -1] = acc.argmin(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[np.arange(B), t, path[:, t]]
    return path

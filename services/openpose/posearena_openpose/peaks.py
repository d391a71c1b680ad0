"""Heatmap peaks: 3x3 non-maximum suppression above a threshold, then sub-cell refinement.

OpenPose finds peaks on heatmaps upsampled to the network input and refines them with a
score-weighted centroid. Here peaks are found on the grid given (the network output, or an
upsampled copy, see `parsing.upsample_maps`) and refined by fitting a parabola to the log of
the 3x3 neighbourhood along x and y: exact for Gaussian peaks (OpenPose's training targets)
at any sub-cell offset, so coarse grids lose no accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError


@dataclass
class Peaks:
    """Candidate keypoints of one part.

    Attributes:
        xy: (n, 2) float64 position in grid cells (x, y; cell centres at integers).
        score: (n,) float64 heatmap value at the refined peak, in [0, 1].
    """

    xy: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return int(self.score.shape[0])


def _refine(lo: np.ndarray, c: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-cell offset (in [-0.5, 0.5]) and log-peak correction along one axis."""
    offset = np.zeros_like(c)
    log_gain = np.zeros_like(c)
    ok_log = (lo > 0) & (hi > 0) & (c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b, d = np.log(np.where(ok_log, lo, 1)), np.log(np.where(ok_log, c, 1)), np.log(
            np.where(ok_log, hi, 1)
        )
        denom = a - 2 * b + d
        use = ok_log & (denom < 0)
        offset = np.where(use, 0.5 * (a - d) / np.where(use, denom, -1), offset)
        log_gain = np.where(use, -((a - d) ** 2) / (8 * np.where(use, denom, -1)), log_gain)
        raw_denom = lo - 2 * c + hi
        raw = ~use & np.isfinite(lo) & np.isfinite(hi) & (raw_denom < 0)
        offset = np.where(raw, 0.5 * (lo - hi) / np.where(raw, raw_denom, -1), offset)
    return np.clip(offset, -0.5, 0.5), np.where(np.isfinite(log_gain), log_gain, 0.0)


def find_peaks(heatmaps: np.ndarray, threshold: float = 0.05, max_peaks: int = 127) -> list[Peaks]:
    """Find the keypoint candidates of every part.

    A cell is a peak when its value exceeds `threshold` and is a maximum of its 3x3
    neighbourhood (strictly above the neighbours before it in raster order, at least equal
    to those after, so a two-cell plateau gives one peak).

    Args:
        heatmaps: (J, h, w) part heatmaps (no background channel), values ~[0, 1].
        threshold: minimum heatmap value of a peak (OpenPose's NMS threshold, 0.05).
        max_peaks: keep at most this many peaks per part, highest scores first.

    Returns:
        J `Peaks`, positions in grid cells, scores clipped to [0, 1].
    """
    hm = np.asarray(heatmaps, dtype=np.float32)
    if hm.ndim != 3 or min(hm.shape) < 1:
        raise InvalidInputError("heatmaps.shape", hm.shape, "(J, h, w) with J, h, w >= 1")
    J, h, w = hm.shape
    p = np.pad(hm, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    c = p[:, 1:-1, 1:-1]
    mask = c > threshold

    def nb(dy: int, dx: int) -> np.ndarray:
        return p[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    for dy, dx in ((-1, -1), (-1, 0), (-1, 1), (0, -1)):
        mask &= c > nb(dy, dx)
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
        mask &= c >= nb(dy, dx)
    j, y, x = np.nonzero(mask)
    centre = hm[j, y, x].astype(np.float64)

    def at(dy: int, dx: int) -> np.ndarray:
        return p[j, y + 1 + dy, x + 1 + dx].astype(np.float64)

    off_x, gain_x = _refine(at(0, -1), centre, at(0, 1))
    off_y, gain_y = _refine(at(-1, 0), centre, at(1, 0))
    score = np.clip(centre * np.exp(gain_x + gain_y), 0.0, 1.0)
    xy = np.stack([x + off_x, y + off_y], axis=1)
    out = []
    for part in range(J):
        sel = np.nonzero(j == part)[0]
        if sel.size > max_peaks:
            sel = sel[np.argsort(-score[sel], kind="stable")[:max_peaks]]
        out.append(Peaks(xy[sel], score[sel]))
    return out

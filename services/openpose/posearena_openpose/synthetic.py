"""Render OpenPose-style network outputs from known skeletons (for tests and benchmarks).

Heatmaps are Gaussians around each keypoint (max over people, background = 1 - max over
parts), PAFs are unit vectors along each limb within `paf_width` cells of the segment (also
`paf_width` beyond its ends, like OpenPose's label boxes), averaged where limbs of several
people overlap, as OpenPose's training labels are made.
Coordinates are in output-grid cells (cell centres at integers).
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena_openpose.spec import ModelSpec

DEFAULT_SIGMA_CELLS = 7.0 / 8.0  # OpenPose trains with sigma 7 px at stride 8


def render_maps(
    keypoints: np.ndarray,
    spec: ModelSpec,
    grid_hw: tuple[int, int],
    sigma: float = DEFAULT_SIGMA_CELLS,
    paf_width: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Render heatmaps and PAFs of people at known positions.

    Args:
        keypoints: (P, J, 2) keypoints in grid cells (x, y), NaN for absent parts.
        spec: the model (part count, limbs, PAF channel order).
        grid_hw: (h, w) of the output grid.
        sigma: Gaussian sigma in cells.
        paf_width: half-width of a limb's PAF band in cells.

    Returns:
        heatmaps (J + 1, h, w) float32 in [0, 1] (background last) and
        pafs (2K, h, w) float32 in OpenPose's PAF channel order.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (spec.num_parts, 2):
        raise InvalidInputError("keypoints.shape", kp.shape, f"(P, {spec.num_parts}, 2)")
    h, w = grid_hw
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    heat = np.zeros((spec.num_heatmaps, h, w), dtype=np.float64)
    for person in kp:
        for j, (x, y) in enumerate(person):
            if np.isfinite(x) and np.isfinite(y):
                g = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2.0 * sigma**2))
                np.maximum(heat[j], g, out=heat[j])
    heat[-1] = 1.0 - heat[:-1].max(axis=0)
    pafs = np.zeros((spec.num_pafs, h, w), dtype=np.float64)
    for k, (a, b) in enumerate(spec.pairs):
        acc = np.zeros((2, h, w))
        count = np.zeros((h, w))
        for person in kp:
            pa, pb = person[a], person[b]
            if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
                continue
            d = pb - pa
            length = float(np.hypot(*d))
            if length < 1e-9:
                continue
            u = d / length
            rx, ry = xs - pa[0], ys - pa[1]
            along = rx * u[0] + ry * u[1]
            across = np.abs(rx * -u[1] + ry * u[0])
            mask = (along >= -paf_width) & (along <= length + paf_width) & (across <= paf_width)
            acc[0][mask] += u[0]
            acc[1][mask] += u[1]
            count += mask
        nz = count > 0
        cx, cy = spec.paf_index[k]
        pafs[cx][nz] = acc[0][nz] / count[nz]
        pafs[cy][nz] = acc[1][nz] / count[nz]
    return heat.astype(np.float32), pafs.astype(np.float32)


def image_to_grid(xy_px: np.ndarray, scale: float, stride: int = 8) -> np.ndarray:
    """Image px -> output-grid cells for a network input resized by `scale` (OpenPose's
    corner-aligned resize, x_net = scale * x_img) with output stride `stride`.

    Args:
        xy_px: (..., 2) image px.
        scale: network input px per image px.
        stride: output stride in network input px.

    Returns:
        (..., 2) grid cells: u = (scale * x - (stride - 1) / 2) / stride.
    """
    return (np.asarray(xy_px, dtype=np.float64) * scale - (stride - 1) / 2.0) / stride

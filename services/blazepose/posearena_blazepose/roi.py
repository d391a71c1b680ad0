"""Rotated square regions of interest around a person: from two alignment points, cropped to
the landmark model's input, and landmarks projected back (MediaPipe's pose ROI rules).

Coordinates here are *continuous* image px (pixel i spans [i, i + 1), MediaPipe's convention);
subtract 0.5 for posearena px (origin at the top-left pixel centre).

Rules (MediaPipe `pose_detection_to_roi` / `pose_landmarks_to_roi` graphs): the ROI is centred
on the first alignment point (hip centre), its side is twice the distance to the second point
(full-body scale point) times 1.25, and it is rotated so that the vector from the first to the
second point points up in the crop (rotation = 90 deg - atan2(-(y1 - y0), x1 - x0)).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ROI_SCALE = 1.25
TARGET_ANGLE = np.pi / 2


@dataclass(frozen=True)
class Roi:
    """A rotated square in continuous image px.

    Attributes:
        cx, cy: centre (px).
        size: side length (px).
        angle: rotation in radians (0: upright person; positive turns the crop clockwise
            on screen, MediaPipe's sign).
    """

    cx: float
    cy: float
    size: float
    angle: float

    def corners(self) -> np.ndarray:
        """(4, 2) corners in continuous px (crop order: top-left, top-right, bottom-right,
        bottom-left)."""
        unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64)
        return self.to_image(unit)

    def to_image(self, norm: np.ndarray) -> np.ndarray:
        """Crop-normalised points (..., 2) in [0, 1] -> continuous image px (..., 2)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        d = (np.asarray(norm, np.float64) - 0.5) * self.size
        x = c * d[..., 0] - s * d[..., 1] + self.cx
        y = s * d[..., 0] + c * d[..., 1] + self.cy
        return np.stack([x, y], axis=-1)


def roi_from_points(p0: np.ndarray, p1: np.ndarray, scale: float = ROI_SCALE) -> Roi:
    """ROI from a centre point and a scale/rotation point.

    Args:
        p0: (2,) continuous px, centre (hip centre).
        p1: (2,) continuous px, end of the body-radius vector.
        scale: enlargement of the side 2 * |p1 - p0|.

    Returns:
        The Roi.
    """
    dx, dy = float(p1[0] - p0[0]), float(p1[1] - p0[1])
    angle = TARGET_ANGLE - np.arctan2(-dy, dx)
    angle = float(angle - 2 * np.pi * np.floor((angle + np.pi) / (2 * np.pi)))
    size = 2.0 * float(np.hypot(dx, dy)) * scale
    return Roi(cx=float(p0[0]), cy=float(p0[1]), size=size, angle=angle)


def crop(image: np.ndarray, roi: Roi, side: int) -> np.ndarray:
    """Resample the ROI into a side x side image (bilinear, zero border).

    Args:
        image: (H, W, C) image.
        roi: the region (continuous px).
        side: output size in px.

    Returns:
        (side, side, C) image of the same dtype; crop pixel u covers crop-normalised
        coordinates [u / side, (u + 1) / side).
    """
    c, s = np.cos(roi.angle), np.sin(roi.angle)
    k = roi.size / side
    # Source pixel-centre coordinates of destination pixel centre u:
    # to_image((u + 0.5) / side) - 0.5 = A u + b.
    a = np.array([[c * k, -s * k], [s * k, c * k]])
    b = roi.to_image(np.array([0.5 / side, 0.5 / side])) - 0.5
    m = np.hstack([a, b[:, None]])
    return cv2.warpAffine(
        image,
        m,
        (side, side),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def rotate_world(world: np.ndarray, angle: float) -> np.ndarray:
    """Rotate (N, 3) crop-aligned world landmarks (m) about z by the ROI angle (radians)."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.array(world, dtype=np.float64)
    x, y = out[:, 0].copy(), out[:, 1].copy()
    out[:, 0] = c * x - s * y
    out[:, 1] = s * x + c * y
    return out

"""Pinhole camera with OpenCV's Brown-Conrady distortion (k1, k2, p1, p2[, k3]).

Axes are OpenCV's: camera x right, y down, z forward; X_cam = R · X_world + t (metres);
pixels with the origin at the top-left pixel centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from posearena.errors import InvalidInputError

_ORTHO_TOL = 1e-5
_UNDISTORT_ITERS = 30
_UNDISTORT_TOL = 1e-13  # normalised units (~1e-10 px)


def _as_matrix(value: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, value, f"numbers of shape {shape}") from exc
    if arr.shape != shape:
        if arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise InvalidInputError(name, arr.shape, f"shape {shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(name, arr.tolist(), "finite numbers")
    return arr


@dataclass
class Camera:
    """One calibrated camera.

    Attributes:
        name: camera id (matches a view's camera_id).
        width, height: image size in px.
        K: (3, 3) intrinsic matrix in px, [[fx, s, cx], [0, fy, cy], [0, 0, 1]].
        dist: (4,) or (5,) distortion k1, k2, p1, p2[, k3] (OpenCV order), unitless.
        R: (3, 3) rotation world -> camera (orthonormal, det +1).
        t: (3,) translation in m: X_cam = R · X_world + t.
    """

    name: str
    width: int
    height: int
    K: np.ndarray
    dist: np.ndarray = field(default_factory=lambda: np.zeros(5))
    R: np.ndarray = field(default_factory=lambda: np.eye(3))
    t: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        prefix = f"camera[{self.name!r}]"
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInputError("camera.name", self.name, "a non-empty string")
        for attr in ("width", "height"):
            v = getattr(self, attr)
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise InvalidInputError(f"{prefix}.{attr}", v, "a non-negative integer (px)")
            setattr(self, attr, int(v))
        self.K = _as_matrix(self.K, f"{prefix}.K", (3, 3))
        if self.K[0, 0] <= 0 or self.K[1, 1] <= 0 or not np.allclose(self.K[2], [0, 0, 1]):
            raise InvalidInputError(
                f"{prefix}.K", self.K.tolist(), "fx > 0, fy > 0 and last row (0, 0, 1)"
            )
        if abs(self.K[1, 0]) > 0 or abs(self.K[2, 0]) > 0:
            raise InvalidInputError(f"{prefix}.K", self.K.tolist(), "upper triangular")
        dist = np.array(self.dist, dtype=np.float64).ravel()
        if dist.size == 0:
            dist = np.zeros(5)
        if dist.size not in (4, 5) or not np.all(np.isfinite(dist)):
            raise InvalidInputError(
                f"{prefix}.dist", dist.tolist(), "4 or 5 finite numbers k1 k2 p1 p2 [k3]"
            )
        self.dist = dist
        self.R = _as_matrix(self.R, f"{prefix}.R", (3, 3))
        if (
            not np.allclose(self.R @ self.R.T, np.eye(3), atol=_ORTHO_TOL)
            or np.linalg.det(self.R) < 0
        ):
            raise InvalidInputError(
                f"{prefix}.R", self.R.tolist(), "a rotation matrix (R·Rᵀ = I, det +1)"
            )
        self.t = _as_matrix(self.t, f"{prefix}.t", (3,))

    # ---------------------------------------------------------------- geometry
    @property
    def projection_matrix(self) -> np.ndarray:
        """(3, 4) P = K · [R | t], mapping homogeneous world points (m) to px (no distortion)."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    @property
    def extrinsic_matrix(self) -> np.ndarray:
        """(3, 4) [R | t], mapping homogeneous world points (m) to camera coordinates (m)."""
        return np.hstack([self.R, self.t[:, None]])

    @property
    def center(self) -> np.ndarray:
        """(3,) camera centre in world coordinates (m): C = -Rᵀ · t."""
        return -self.R.T @ self.t

    @property
    def focal_px(self) -> float:
        """Mean focal length (fx + fy) / 2 in px."""
        return float(0.5 * (self.K[0, 0] + self.K[1, 1]))

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) m -> camera-frame points (..., 3) m."""
        p = np.asarray(points, dtype=np.float64)
        return p @ self.R.T + self.t

    def _distort(self, xn: np.ndarray, yn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2 = self.dist[:4]
        k3 = self.dist[4] if self.dist.size > 4 else 0.0
        r2 = xn * xn + yn * yn
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = xn * radial + 2.0 * p1 * xn * yn + p2 * (r2 + 2.0 * xn * xn)
        yd = yn * radial + p1 * (r2 + 2.0 * yn * yn) + 2.0 * p2 * xn * yn
        return xd, yd

    def _apply_K(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        K = self.K
        u = K[0, 0] * x + K[0, 1] * y + K[0, 2]
        v = K[1, 1] * y + K[1, 2]
        return np.stack([u, v], axis=-1)

    def project(self, points: np.ndarray, distort: bool = True) -> np.ndarray:
        """Project world points into the image.

        Args:
            points: (..., 3) world coordinates in m (NaN allowed).
            distort: apply the lens distortion (default True).

        Returns:
            (..., 2) px; NaN for NaN input and for points at or behind the camera (z <= 0).
        """
        pc = self.to_camera(points)
        z = pc[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            z_safe = np.where(z > 0, z, np.nan)
            xn = pc[..., 0] / z_safe
            yn = pc[..., 1] / z_safe
        if distort and np.any(self.dist):
            xn, yn = self._distort(xn, yn)
        return self._apply_K(xn, yn)

    def normalize_points(self, pixels: np.ndarray) -> np.ndarray:
        """Distorted pixels -> undistorted normalised image coordinates (x/z, y/z).

        Args:
            pixels: (..., 2) px (NaN allowed).

        Returns:
            (..., 2) unitless undistorted coordinates on the z = 1 plane, found by the same
            fixed-point iteration as OpenCV's undistortPoints (until the step is below
            1e-13, at most 30 iterations).
        """
        p = np.asarray(pixels, dtype=np.float64)
        x, y = normalize_views([self], p.reshape(1, -1, 2))
        return np.stack([x[0], y[0]], axis=-1).reshape(p.shape)

    def undistort_points(self, pixels: np.ndarray) -> np.ndarray:
        """Remove lens distortion from pixel coordinates.

        Args:
            pixels: (..., 2) observed (distorted) px.

        Returns:
            (..., 2) px where an ideal pinhole camera with the same K would have seen them.
        """
        n = self.normalize_points(pixels)
        return self._apply_K(n[..., 0], n[..., 1])

    def with_name(self, name: str) -> Camera:
        """A copy of this camera under another name."""
        return Camera(name, self.width, self.height, self.K.copy(), self.dist.copy(),
                      self.R.copy(), self.t.copy())


def _less_tangential(d: np.ndarray, xy: np.ndarray, sq: np.ndarray, r2: np.ndarray,
                     cross2: np.ndarray, radial: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d - (cross2 x y + radial (r2 + 2 sq)): one coordinate of the distorted point without
    its tangential term (x: cross2 = 2 p1, radial = p2, sq = x²; y: 2 p2, p1, y²); `t` is
    scratch of the same shape. Returns a new array."""
    out = xy * cross2
    np.multiply(sq, 2.0, out=t)
    t += r2
    t *= radial
    out += t
    np.subtract(d, out, out=out)
    return out


def normalize_views(cameras: Sequence[Camera], pixels: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Camera.normalize_points` of several views at once, as coordinate planes.

    Args:
        cameras: C cameras; view c was seen by cameras[c].
        pixels: (C, n, 2) distorted px (NaN allowed).

    Returns:
        x, y: (C, n) undistorted normalised coordinates (NaN where the pixel is), by OpenCV's
        fixed-point iteration until every view's step is below 1e-13 (at most 30 iterations).
    """
    p = np.asarray(pixels, dtype=np.float64)
    C = len(cameras)
    K = np.empty((C, 3, 3))
    dist = np.zeros((C, 5))
    for c, cam in enumerate(cameras):
        K[c] = cam.K
        dist[c, :cam.dist.size] = cam.dist
    fx, skew, cx = (K[:, 0, i, None] for i in range(3))
    fy, cy = K[:, 1, 1, None], K[:, 1, 2, None]
    yd = (p[..., 1] - cy) * (1.0 / fy)
    xd = (p[..., 0] - cx - skew * yd) * (1.0 / fx)
    if not np.any(dist):
        return xd, yd
    k1, k2, p1, p2, k3 = (dist[:, i, None] for i in range(5))
    missing = ~(np.isfinite(xd) & np.isfinite(yd))
    any_missing = bool(missing.any())
    if any_missing:
        xd[missing] = 0.0
        yd[missing] = 0.0
    tangential = bool(np.any(dist[:, 2:4]))
    p1x2, p2x2 = 2.0 * p1, 2.0 * p2
    x, y = xd.copy(), yd.copy()
    xx, yy, r2, s, t, xy = (np.empty_like(x) for _ in range(6))
    for _ in range(_UNDISTORT_ITERS):
        np.multiply(x, x, out=xx)
        np.multiply(y, y, out=yy)
        np.add(xx, yy, out=r2)
        # s = 1 / (1 + r2 (k1 + r2 (k2 + r2 k3)))
        np.multiply(r2, k3, out=s)
        s += k2
        s *= r2
        s += k1
        s *= r2
        s += 1.0
        np.reciprocal(s, out=s)
        if tangential:
            # x' = (xd - 2 p1 x y - p2 (r2 + 2 x²)) s, y' = (yd - p1 (r2 + 2 y²) - 2 p2 x y) s
            np.multiply(x, y, out=xy)
            x_new = _less_tangential(xd, xy, xx, r2, p1x2, p2, t)
            y_new = _less_tangential(yd, xy, yy, r2, p2x2, p1, t)
            x_new *= s
            y_new *= s
        else:
            x_new = xd * s
            y_new = yd * s
        np.subtract(x_new, x, out=t)
        step = np.max(np.abs(t, out=t), initial=0.0)
        np.subtract(y_new, y, out=t)
        step = max(step, np.max(np.abs(t, out=t), initial=0.0))
        x, y = x_new, y_new
        if step < _UNDISTORT_TOL:
            break
    if any_missing:
        x[missing] = np.nan
        y[missing] = np.nan
    return x, y

"""Renders checkerboard images seen by a known, distorted stereo rig (for the calibration tests).

Every output pixel is the mean of ss x ss sub-pixel samples (anti-aliasing); each sample's ray
is undistorted through the camera's own model (Camera.normalize_points), intersected with the
board plane, and the analytic checkerboard is evaluated there. Independent of OpenCV's
calibration code, which the tests check against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from posearena.calibration import Camera, rodrigues_to_matrix

BLACK, WHITE, BACKGROUND = 35.0, 215.0, 120.0
W, H = 640, 480
BOARD = (9, 6)  # inner corners (cols, rows)
SQUARE_M = 0.03
K_LEFT = np.array([[600.0, 0.0, 322.0], [0.0, 602.0, 238.0], [0.0, 0.0, 1.0]])
K_RIGHT = np.array([[606.0, 0.0, 316.0], [0.0, 607.0, 244.0], [0.0, 0.0, 1.0]])
DIST_LEFT = np.array([-0.22, 0.06, 0.0008, -0.0005, 0.0])
DIST_RIGHT = np.array([-0.18, 0.04, -0.0006, 0.0004, 0.0])
R_RIGHT = rodrigues_to_matrix([0.01, -0.08, 0.005])
T_RIGHT = np.array([-0.12, 0.002, 0.004])  # left -> right, m: the right camera sits at +x


def known_rig() -> tuple[Camera, Camera]:
    """The rig the tests recover: left at the origin, right 12 cm to its right, toed in 4.6 deg."""
    left = Camera("left", W, H, K_LEFT, DIST_LEFT, np.eye(3), np.zeros(3))
    right = Camera("right", W, H, K_RIGHT, DIST_RIGHT, R_RIGHT, T_RIGHT)
    return left, right


class ViewRenderer:
    """Renders the board for one camera; the sample rays are computed once.

    Args:
        cam: the camera (intrinsics, distortion, pose in the world).
        ss: sub-pixel samples per axis.
    """

    def __init__(self, cam: Camera, ss: int = 3) -> None:
        self.cam, self.ss = cam, ss
        import cv2

        # exact at pixel centres, bilinear in between (the map is smooth: < 1e-3 px off)
        px = np.stack(np.meshgrid(np.arange(cam.width), np.arange(cam.height)), axis=-1)
        n = cam.normalize_points(px.astype(np.float64)).astype(np.float32)  # (H, W, 2)
        off = (np.arange(ss) + 0.5) / ss - 0.5
        ys = (np.arange(cam.height)[:, None] + off[None, :]).ravel().astype(np.float32)
        xs = (np.arange(cam.width)[:, None] + off[None, :]).ravel().astype(np.float32)
        mx, my = np.meshgrid(xs, ys)  # (H*ss, W*ss) sample positions, px
        rays = cv2.remap(n, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self.rays = rays.reshape(-1, 1, 2)  # (H*ss*W*ss, 1, 2) normalised (x/z, y/z)

    def render(self, R_board: np.ndarray, t_board: np.ndarray, board: tuple[int, int],
               square_m: float, noise: float = 1.0, rng: np.random.Generator | None = None,
               ) -> np.ndarray:
        """(H, W) uint8 image of the board.

        Args:
            R_board, t_board: board -> world pose; the first inner corner is the board origin,
                x along a row of corners, y down the columns, board plane z = 0; m.
            board: inner corners (cols, rows); the printed squares are (cols+1) x (rows+1),
                with a white border one square wide around them.
            square_m: square side, m.
            noise: sigma of the added Gaussian noise, grey levels.
            rng: noise source.
        """
        import cv2

        Rc = self.cam.R @ R_board
        tc = self.cam.R @ t_board + self.cam.t
        # normalised ray (x, y, 1) -> board point in squares (homogeneous)
        Hinv = np.diag([1 / square_m, 1 / square_m, 1.0]) @ np.linalg.inv(
            np.column_stack([Rc[:, 0], Rc[:, 1], tc]))
        ab = cv2.perspectiveTransform(self.rays, Hinv).reshape(-1, 2)
        r = self.rays.reshape(-1, 2)
        hw = Hinv[2].astype(np.float32)
        in_front = r[:, 0] * hw[0] + r[:, 1] * hw[1] + hw[2] > 0
        a, b = ab[:, 0], ab[:, 1]
        cols, rows = board
        squares = in_front & (a >= -1) & (a < cols) & (b >= -1) & (b < rows)
        paper = in_front & (a >= -2) & (a < cols + 1) & (b >= -2) & (b < rows + 1)
        black = (np.floor(a) + np.floor(b)) % 2 == 0
        value = np.where(paper, np.float32(WHITE), np.float32(BACKGROUND))
        value[squares & black] = BLACK
        h, w, ss = self.cam.height, self.cam.width, self.ss
        img = cv2.resize(value.reshape(h * ss, w * ss), (w, h), interpolation=cv2.INTER_AREA)
        if noise > 0:
            rng = rng if rng is not None else np.random.default_rng(0)
            img = img + rng.normal(0.0, noise, img.shape)
        return np.clip(np.round(img), 0, 255).astype(np.uint8)


@dataclass
class RenderedPair:
    """One synchronised pair: images (H, W) uint8 and the board pose (board -> world)."""

    left: np.ndarray
    right: np.ndarray
    R_board: np.ndarray
    t_board: np.ndarray


def _visible(cam: Camera, R_board: np.ndarray, t_board: np.ndarray, board: tuple[int, int],
             square_m: float, margin_px: float) -> bool:
    """Whether the whole board, with its white border, lies inside the image."""
    cols, rows = board
    outline = np.array([[-2, -2, 0], [cols + 1, -2, 0], [cols + 1, rows + 1, 0],
                        [-2, rows + 1, 0]], float) * square_m
    px = cam.project(outline @ R_board.T + t_board)
    return bool(np.all(np.isfinite(px)) and px[:, 0].min() > margin_px
                and px[:, 1].min() > margin_px and px[:, 0].max() < cam.width - margin_px
                and px[:, 1].max() < cam.height - margin_px)


def board_poses(left: Camera, right: Camera, n: int, board: tuple[int, int] = BOARD,
                square_m: float = SQUARE_M, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """n board poses visible whole in both views, spread over the left image and tilted.

    Board centres aim at a 4 x 3 grid of left-image positions in turn (then random ones), at
    0.55-0.95 m (a random aim after 200 misses), tilted up to +-0.7 rad about x and y and
    rolled up to +-0.3 rad.
    """
    rng = np.random.default_rng(seed)
    centre = np.array([(board[0] - 1) * square_m / 2, (board[1] - 1) * square_m / 2, 0.0])
    aims = [(x, y) for y in (0.3, 0.5, 0.7) for x in (0.3, 0.43, 0.57, 0.7)]
    poses: list[tuple[np.ndarray, np.ndarray]] = []
    tries = 0
    while len(poses) < n:
        tries += 1
        k = len(poses)
        fx, fy = aims[k] if k < len(aims) and tries < 200 else rng.uniform(0.3, 0.7, 2)
        z = rng.uniform(0.55, 0.95)
        ray = left.normalize_points(np.array([fx * left.width, fy * left.height]))
        target = np.array([ray[0] * z, ray[1] * z, z])
        R_board = rodrigues_to_matrix(rng.uniform([-0.7, -0.7, -0.3], [0.7, 0.7, 0.3]))
        t_board = target - R_board @ centre
        if all(_visible(c, R_board, t_board, board, square_m, 4.0) for c in (left, right)):
            poses.append((R_board, t_board))
            tries = 0
    return poses


@lru_cache(maxsize=1)
def renderers() -> tuple[ViewRenderer, ViewRenderer]:
    """Renderers of the known rig's left and right cameras (built once: their rays)."""
    left, right = known_rig()
    return ViewRenderer(left), ViewRenderer(right)


@lru_cache(maxsize=2)
def render_pairs(n: int, seed: int = 0, board: tuple[int, int] = BOARD,
                 square_m: float = SQUARE_M) -> tuple[Camera, Camera, list[RenderedPair]]:
    """The known rig and n rendered pairs of it (noise sigma 1 grey level).

    Cached: every test module of a run shares the images; do not modify them.
    """
    left, right = known_rig()
    rng = np.random.default_rng(seed + 1)
    pairs = []
    for R_board, t_board in board_poses(left, right, n, board, square_m, seed):
        imgs = [r.render(R_board, t_board, board, square_m, rng=rng) for r in renderers()]
        pairs.append(RenderedPair(imgs[0], imgs[1], R_board, t_board))
    return left, right, pairs


def with_bad_pairs(pairs: list[RenderedPair]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Left and right images: the pairs, then three bad ones appended.

    Pair n: the right view blurred (Gaussian sigma 3 px); n+1: unsynchronised, the board
    moved 1 cm along its rows between the left and the right exposure; n+2: no board in the
    right view.
    """
    import cv2

    a, b, c = pairs[2], pairs[0], pairs[3]
    moved = renderers()[1].render(b.R_board, b.t_board + 0.01 * b.R_board[:, 0], BOARD,
                                  SQUARE_M)
    left = [p.left for p in pairs] + [a.left, b.left, c.left]
    right = [p.right for p in pairs] + [cv2.GaussianBlur(a.right, (0, 0), 3.0), moved,
                                        np.full_like(c.right, 128)]
    return left, right

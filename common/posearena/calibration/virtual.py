"""A virtual camera that looks straight at the subject, for single-view 3D lifting.

Lifters such as VideoPose3D learn from cameras aimed at the person with little roll; a real
camera is often tilted (phones held at an angle) and the person off the image centre. A
rotation of the camera about its own centre changes the image by a homography and nothing
else, so the 2D keypoints can be mapped exactly into a virtual camera with the same focal
length that looks along the person's mean viewing ray, with its x axis horizontal when the
world's up direction is known (Yu et al., "PCLs: Geometry-aware neural reconstruction of 3D
pose with perspective crop layers", CVPR 2021, for the per-crop version). Lifting there and
rotating the 3D result back gives poses in the real camera frame.

Inputs: a calibrated `Camera` (px, lens distortion removed here) and keypoints (T, J, 2) px.
Outputs: R_v (3, 3) with X_virtual = R_v · X_camera, keypoints (T, J, 2) px in the virtual
camera (principal point at the image centre, no distortion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.calibration.camera import Camera
from posearena.errors import InvalidInputError


@dataclass
class VirtualView:
    """Keypoints seen by the virtual camera.

    Attributes:
        keypoints: (T, J, 2) px in the virtual image (same size as the real one).
        rotation: (3, 3) R_v, X_virtual = R_v · X_camera (rows: the virtual axes in camera
            coordinates).
        up_camera: (3,) unit up direction in the real camera frame (the world's, or -y).
        roll_levelled: True when the world's up direction set the virtual x axis.
    """

    keypoints: np.ndarray
    rotation: np.ndarray
    up_camera: np.ndarray
    roll_levelled: bool


def look_at_rotation(mean_ray: np.ndarray, up_camera: np.ndarray) -> np.ndarray:
    """R_v whose z axis is `mean_ray` and whose y axis points down along -`up_camera`.

    Args:
        mean_ray: (3,) direction in camera coordinates (any length, z > 0).
        up_camera: (3,) up direction in camera coordinates (not parallel to the ray).

    Returns:
        (3, 3) rotation (det +1), rows x_v, y_v, z_v in camera coordinates.
    """
    z = np.asarray(mean_ray, np.float64)
    z = z / np.linalg.norm(z)
    down = -np.asarray(up_camera, np.float64)
    y = down - (down @ z) * z
    norm = np.linalg.norm(y)
    if not np.isfinite(norm) or norm < 1e-6:
        raise InvalidInputError("up direction", up_camera.tolist(),
                                "a direction not along the camera's view of the subject")
    y /= norm
    return np.stack([np.cross(y, z), y, z])


def virtual_view(
    camera: Camera, keypoints: np.ndarray, world_up: np.ndarray | None = (0.0, 0.0, 1.0),
    image_size: tuple[int, int] | None = None, aim: str = "all",
) -> VirtualView:
    """Map keypoints into a virtual camera aimed at their mean ray, roll levelled.

    Args:
        camera: the calibrated camera that saw them (intrinsics, distortion; R for the up).
        keypoints: (T, J, 2) px (NaN allowed; at least one finite point).
        world_up: (3,) up direction of the calibration's world frame (Z up for Qualisys,
            Vicon, Pose2Sim), or None to keep the camera's roll (up = camera -y).
        image_size: (width, height) px of the virtual image (its centre is the principal
            point): the video's, which may differ from the calibration's by a few px (the
            Pose2Sim demo: 1080 wide videos, 1088 in the calibration); default the camera's.
        aim: "all" aims at the mean ray of every frame; "first" at the first frame with a
            finite keypoint only, so that each frame's mapping depends on no later frame
            (causal lifting).

    Returns:
        VirtualView (keypoints (T, J, 2) px, rotation (3, 3), up_camera (3,)).

    Raises:
        InvalidInputError: no finite keypoint, or keypoints of the wrong shape.
    """
    kp = np.asarray(keypoints, np.float64)
    if kp.ndim != 3 or kp.shape[-1] != 2:
        raise InvalidInputError("keypoints.shape", kp.shape, "(T, J, 2) px")
    xn = camera.normalize_points(kp)
    rays = np.concatenate([xn, np.ones((*xn.shape[:-1], 1))], axis=-1)
    finite = np.isfinite(rays).all(axis=-1)
    if not finite.any():
        raise InvalidInputError("keypoints", "all NaN", "at least one detected joint")
    if aim not in ("all", "first"):
        raise InvalidInputError("aim", aim, "'all' or 'first'")
    if aim == "first":
        t0 = int(np.argmax(finite.reshape(len(finite), -1).any(axis=1)))
        mean_ray = rays[t0][finite[t0]].mean(axis=0)
    else:
        mean_ray = rays[finite].mean(axis=0)
    if world_up is None:
        up = np.array([0.0, -1.0, 0.0])
    else:
        up = camera.R @ np.asarray(world_up, np.float64)
        up /= np.linalg.norm(up)
    R_v = look_at_rotation(mean_ray, up)
    v = rays @ R_v.T
    w, h = image_size or (camera.width, camera.height)
    centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(v[..., 2:3] > 0, v[..., 2:3], np.nan)
        uv = camera.focal_px * v[..., :2] / z + centre
    return VirtualView(keypoints=uv, rotation=R_v, up_camera=up,
                       roll_levelled=world_up is not None)


def to_camera_frame(points_virtual: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """3D points (..., 3) in the virtual camera frame -> the real camera frame (same unit)."""
    return np.asarray(points_virtual) @ np.asarray(rotation)

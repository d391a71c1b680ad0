"""What a single-view lifter is given, and how its 3D comes back: one place for the lift
stage and `posearena lift`.

Before lifting: left/right label swaps of the 2D track are undone (`tracking.leftright`),
then, with a calibrated camera, the 2D is mapped into a virtual camera aimed at the person
with its roll levelled (`posearena.calibration.virtual`). After lifting: the 3D is rotated
back into the real camera frame, whose up direction the result carries.

Causal mode (`causal=True`) uses only frames <= t for frame t at every step: the label fix
decides each frame from the past (forward pass), and the virtual camera is aimed at the first
frame where the person is seen and never moves afterwards.

Inputs: COCO-17 keypoints (T, 17, 2) px, the image size, optionally the Camera.
Outputs: `LiftInput` (keypoints to send (T, 17, 2) px; `to_camera` for the returned 3D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.calibration import Camera, VirtualView, to_camera_frame, virtual_view
from posearena_gateway.tracking.leftright import resolve_left_right_2d

#: Vertical of OpenCV camera frames (y down) and of BlazePose world landmarks (same axes).
CAMERA_UP = (0.0, -1.0, 0.0)
#: Up axis of calibration worlds (Qualisys, Vicon, Pose2Sim).
WORLD_UP_Z = (0.0, 0.0, 1.0)


@dataclass
class LiftInput:
    """The 2D to lift and how to read the lifted 3D.

    Attributes:
        keypoints: (T, 17, 2) px to send to the lifter (relabelled, virtual image if `view`).
        view: the virtual camera, or None (image as recorded).
        camera_name: the real camera's name ("" without one).
        relabelled: frames whose left/right labels were undone.
        causal: every step used only frames <= t for frame t.
    """

    keypoints: np.ndarray
    view: VirtualView | None
    camera_name: str
    relabelled: int
    causal: bool = False

    @property
    def up(self) -> np.ndarray:
        """(3,) up direction in the real camera frame (the calibration's, else camera -y)."""
        return np.array(CAMERA_UP) if self.view is None else self.view.up_camera

    @property
    def how(self) -> str:
        """How the lifter saw the 2D, in words (metrics.json `input_view`)."""
        if self.view is None:
            return "image as recorded (camera -y taken as up)"
        aim = "the person's first detected frame" if self.causal else "the person"
        return (f"virtual camera of {self.camera_name}: aimed at {aim}, roll levelled "
                "(calibration); 3D rotated back to the camera frame")

    @property
    def causal_steps(self) -> str:
        """What each step before and after the network did in causal mode, in words."""
        if not self.causal:
            return ""
        view = ("virtual camera aimed at the first frame with the person, fixed afterwards"
                if self.view is not None else "no virtual camera")
        return ("causal: left/right labels decided from frames <= t (forward pass); gaps "
                f"held at the last seen 2D, frames before every joint was seen are NaN; {view}"
                "; flip TTA on the causal model's past window only")

    def to_camera(self, poses_3d: np.ndarray) -> np.ndarray:
        """Lifted (T, J, 3) m in the lifter's camera -> the real camera frame, float32."""
        poses = poses_3d if self.view is None else to_camera_frame(poses_3d, self.view.rotation)
        return np.asarray(poses, np.float32)


def prepare_lift_input(
    keypoints: np.ndarray, width: int, height: int, camera: Camera | None = None,
    fix_labels: bool = True, causal: bool = False,
) -> LiftInput:
    """The lifter's 2D for one person's COCO-17 track.

    Args:
        keypoints: (T, 17, 2) px, NaN where missing.
        width, height: the video's size, px (the virtual image has the same size).
        camera: the video's calibrated camera (None: lift the image as recorded).
        fix_labels: undo left/right label swaps first.
        causal: frame t's 2D depends on frames <= t only (labels decided forward, virtual
            camera aimed at the first frame with the person).

    Raises:
        InvalidInputError: with a camera, no finite keypoint.
    """
    k, relabelled = keypoints, 0
    if fix_labels:
        fix = resolve_left_right_2d(k, "coco17", causal=causal)
        k, relabelled = fix.keypoints, fix.frames_relabelled
    view = (virtual_view(camera, k, WORLD_UP_Z, image_size=(width, height),
                         aim="first" if causal else "all")
            if camera is not None else None)
    return LiftInput(k if view is None else view.keypoints, view,
                     camera.name if camera is not None else "", relabelled, causal)

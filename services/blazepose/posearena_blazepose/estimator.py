"""BlazePose (MediaPipe legacy `solutions.pose`, full model) on BGR frames; no gRPC here.

Pixel convention. MediaPipe normalises landmark x, y by the image extent: 0 is the left/top
*edge* of the image and 1 the right/bottom edge (a rectangle covering the whole image has
centre 0.5 and size 1; `drawing_utils` maps x to the pixel index floor(x * W)). Pixel i thus
spans [i, i + 1) in x * W and its centre lies at i + 0.5, so in posearena's convention (origin
at the centre of the top-left pixel) a landmark is at u = x * W - 0.5, v = y * H - 0.5.
Measured check (cam01 of the Pose2Sim demo, 100 frames, video mode, no smoothing): running the
horizontally mirrored video and swapping left/right landmarks, u + u_mirrored - (W - 1) has a
median of +2.6 px over the body joints (IQR -1.3 .. 6.9 px), i.e. a residual bias of about
+1.3 px in x. That is consistent with MediaPipe's CPU crop (cv::warpPerspective of the ROI
corners, OpenCV pixel-centre coordinates) adding about half a crop pixel (ROI size / 512 px);
it is below the model's frame-to-frame noise and is not corrected here.

World landmarks are MediaPipe's `pose_world_landmarks`: metres, origin midway between the hips,
axes roughly aligned with the camera (x right, y down, z away from the camera).

Person score. The legacy pipeline does not expose the landmark model's own person-presence
flag (landmarks are only returned while it exceeds `min_tracking_confidence`); the score
reported is the mean landmark *presence* (probability that each landmark lies in the frame),
which `Pose.process` would discard, so `SolutionBase.process` is called directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from posearena.errors import InvalidInputError, ModelNotLoadedError

NUM_LANDMARKS = 33
MODEL_COMPLEXITY = 1  # the only landmark model shipped in the mediapipe wheel
MODEL_RELPATH = os.path.join("modules", "pose_landmark", "pose_landmark_full.tflite")
DETECTOR_RELPATH = os.path.join("modules", "pose_detection", "pose_detection.tflite")
_MP_FRAME_STEP_US = 33333  # SolutionBase.process advances its timestamp by this per call


@dataclass
class PoseResult:
    """One detected person.

    Attributes:
        keypoints: (33, 2) float32 px, blazepose33 order, origin at the top-left pixel centre.
        confidence: (33,) float32 landmark visibility in [0, 1].
        score: person score in [0, 1] (mean landmark presence, see module docstring).
        box: (4,) float32 px x0, y0, x1, y1 around the landmarks, clipped to the image.
        world: (33, 3) float32 m, hip-centred, camera-aligned axes.
        track_id: the estimator's own person track (-1: not tracked, the legacy path).
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    score: float
    box: np.ndarray
    world: np.ndarray
    track_id: int = -1


def keypoint_box(kp: np.ndarray, width: int, height: int) -> np.ndarray:
    """Box around keypoints, clipped to the image.

    Args:
        kp: (J, 2) keypoints px.
        width: image width px.
        height: image height px.

    Returns:
        (4,) float32 x0, y0, x1, y1 px, within [-0.5, width - 0.5] x [-0.5, height - 0.5].
    """
    return np.array(
        [
            max(kp[:, 0].min(), -0.5),
            max(kp[:, 1].min(), -0.5),
            min(kp[:, 0].max(), width - 0.5),
            min(kp[:, 1].max(), height - 0.5),
        ],
        dtype=np.float32,
    )


def mediapipe_version() -> str:
    """Installed mediapipe version, or "" when it cannot be imported."""
    try:
        import mediapipe as mp
    except Exception:
        return ""
    return str(getattr(mp, "__version__", "unknown"))


def model_paths() -> tuple[str, str]:
    """Absolute paths of the wheel's landmark model and person detector (.tflite)."""
    import mediapipe as mp

    root = os.path.dirname(mp.__file__)
    return os.path.join(root, MODEL_RELPATH), os.path.join(root, DETECTOR_RELPATH)


def check_model() -> tuple[bool, str]:
    """Load mediapipe and the full pose model once; return (ok, status message).

    The message names the missing file (or the import/graph error) when not ok.
    """
    try:
        landmark, detector = model_paths()
    except Exception as exc:
        return False, f"cannot import mediapipe: {type(exc).__name__}: {exc}"
    for path in (landmark, detector):
        if not os.path.isfile(path):
            return False, f"model file missing: {path} (reinstall mediapipe==0.10.21)"
    try:
        est = BlazePoseEstimator(image_mode=True)
        est.process(np.zeros((64, 64, 3), dtype=np.uint8))
        est.close()
    except Exception as exc:
        return False, f"mediapipe pose graph failed to load: {type(exc).__name__}: {exc}"
    return True, f"ready: {landmark}"


def _check_confidence(name: str, value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(name, value, "a confidence in [0, 1]")
    return float(value)


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise InvalidInputError("image", f"{image.dtype}{image.shape}", "(H, W, 3) uint8, H, W > 0")


class BlazePoseEstimator:
    """One MediaPipe Pose graph: tracking over a video (default) or independent images.

    Args:
        image_mode: True to treat every frame independently (static_image_mode); False for
            a video stream (the detector runs only until the person is tracked).
        min_detection_confidence: person-detector score threshold in [0, 1].
        min_tracking_confidence: landmark-model presence threshold in [0, 1] below which
            tracking is lost and the detector runs again.
        smooth_landmarks: temporal filtering of landmarks (video mode only).

    Raises:
        InvalidInputError: a confidence outside [0, 1].
        ModelNotLoadedError: mediapipe or the model cannot be loaded.
    """

    def __init__(
        self,
        image_mode: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
    ) -> None:
        det = _check_confidence("min_detection_confidence", min_detection_confidence)
        trk = _check_confidence("min_tracking_confidence", min_tracking_confidence)
        try:
            from mediapipe.python.solutions.pose import Pose
        except Exception as exc:
            raise ModelNotLoadedError(f"cannot import mediapipe: {exc}") from exc
        self.image_mode = bool(image_mode)
        self._pose = Pose(
            static_image_mode=self.image_mode,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=bool(smooth_landmarks),
            enable_segmentation=False,
            min_detection_confidence=det,
            min_tracking_confidence=trk,
        )
        self._ts_offset: int | None = None

    def close(self) -> None:
        """Release the MediaPipe graph."""
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> BlazePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, bgr: np.ndarray, timestamp_s: float | None = None) -> list[PoseResult]:
        """Detect the most prominent person in one frame.

        Args:
            bgr: (H, W, 3) uint8 image, BGR channel order.
            timestamp_s: time of the frame in s (video mode: drives the landmark smoothing
                filter; None or non-increasing values fall back to MediaPipe's fixed 1/30 s
                step).

        Returns:
            [] when nobody is found, else one PoseResult.

        Raises:
            InvalidInputError: not an (H, W, 3) uint8 array.
        """
        _check_image(bgr)
        return self.process_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), timestamp_s)

    def process_rgb(self, rgb: np.ndarray, timestamp_s: float | None = None) -> list[PoseResult]:
        """Like `process` for an (H, W, 3) uint8 RGB image (already converted)."""
        from mediapipe.python.solution_base import SolutionBase

        if self._pose is None:
            raise ModelNotLoadedError("BlazePoseEstimator is closed")
        _check_image(rgb)
        self._set_timestamp(timestamp_s)
        # Pose.process would clear `presence`, which the person score is made of.
        res = SolutionBase.process(self._pose, {"image": rgb})
        if not res.pose_landmarks:
            return []
        h, w = rgb.shape[:2]
        lm = np.array(
            [(p.x, p.y, p.visibility, p.presence) for p in res.pose_landmarks.landmark],
            dtype=np.float64,
        )
        kp = np.empty((NUM_LANDMARKS, 2), dtype=np.float32)
        kp[:, 0] = lm[:, 0] * w - 0.5
        kp[:, 1] = lm[:, 1] * h - 0.5
        world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        if res.pose_world_landmarks:
            world[:] = [(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark]
        box = keypoint_box(kp, w, h)
        return [
            PoseResult(
                keypoints=kp,
                confidence=np.clip(lm[:, 2], 0.0, 1.0).astype(np.float32),
                score=float(np.clip(lm[:, 3].mean(), 0.0, 1.0)),
                box=box,
                world=world,
            )
        ]

    def _set_timestamp(self, timestamp_s: float | None) -> None:
        # SolutionBase adds a fixed 33333 us to a counter before stamping each packet; moving
        # the counter first makes packets carry the frames' real spacing (offset so that the
        # first frame keeps MediaPipe's own stamp; stamps stay strictly increasing).
        if self.image_mode or timestamp_s is None or not np.isfinite(timestamp_s):
            return
        current = getattr(self._pose, "_simulated_timestamp", None)
        if not isinstance(current, int):
            return
        target = round(timestamp_s * 1e6)
        if self._ts_offset is None:
            self._ts_offset = current + _MP_FRAME_STEP_US - target
        stamp = target + self._ts_offset
        if stamp > current:
            self._pose._simulated_timestamp = stamp - _MP_FRAME_STEP_US

"""Multi-person BlazePose: the wheel's detector and full landmark model run directly with
LiteRT (`ai-edge-litert`), no MediaPipe graph; no gRPC here.

Per frame: every tracked person's ROI (from their previous landmarks 33/34, MediaPipe's
auxiliary alignment points) goes through the landmark model; a person whose pose flag drops
below `min_tracking_confidence`, or who duplicates another tracked person, is dropped. While
fewer people are tracked than `max_people` (always in image mode; on every
`REDETECT_FRAMES`-th frame unless a track just ended), the detector runs on
overlapping square tiles of the frame plus the whole frame letterboxed (a portrait 1088x1920
frame squeezed into the detector's 224x224 input loses people), detections already covered by
a tracked person are skipped and the others start new tracks. Track ids are the estimator's
own (0, 1, 2, ... in order of appearance).

Outputs follow `estimator.PoseResult` (posearena px: origin at the top-left pixel centre; the
landmark model's crop coordinates are projected back through the ROI). Differences from the
legacy graph: no landmark smoothing filter and no heatmap refinement.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError, ModelNotLoadedError
from posearena.filecache import cache_root, cached_derivation
from posearena_blazepose.estimator import (
    NUM_LANDMARKS,
    PoseResult,
    _check_confidence,
    keypoint_box,
)
from posearena_blazepose.roi import Roi, crop, roi_from_points, rotate_world
from posearena_blazepose.ssd import (
    INPUT_SIZE,
    PersonDetection,
    decode_detections,
    ssd_anchors,
    weighted_nms,
)
from posearena_blazepose.tflite_prune import prune_outputs

LANDMARK_INPUT = 256
NUM_MODEL_LANDMARKS = 39  # 33 body + 2 alignment (hip centre, body scale point) + 4 unused
DUPLICATE_DIST = 0.05  # median landmark distance / body extent under which two people are one
RETRY_SCALE = 1.25  # a lost track is retried with its ROI this much larger
MAX_RETRY_MOTION = 0.1  # a retried ROI's landmarks may move at most this * ROI side
COVERED_DIST = 0.2  # detection hip centre within this * ROI side of a tracked hip: covered
# The landmark model's outputs read here: landmarks (39 x 5), pose flag, world landmarks
# (39 x 3); its segmentation mask and heatmaps are pruned away (see tflite_prune).
LANDMARK_OUTPUTS = ("Identity", "Identity_1", "Identity_4")
# LiteRT threads per model. One: a second thread only adds CPU (2-core machine, CPU ms per
# person in the estimator, crop included: 11.3 with 1 thread, 12.1 with 2; the bare unpruned
# model, best of 5 x 20 runs: 14.2 vs 17.2), and the other core decodes and sends frames.
NUM_THREADS = 1
# While fewer than max_people are tracked and no track ended in this frame, the detector
# (4 views of a portrait 1088x1920 frame, ~42 ms CPU) runs on every REDETECT_FRAMES-th frame
# only: a person entering is found up to REDETECT_FRAMES - 1 frames late (50 ms at 60
# frames/s), one whose track just ended is looked for at once, in image mode every frame.
REDETECT_FRAMES = 4
#: Version of the pruning (`tflite_prune`): a new one makes new cached models.
PRUNE_VERSION = 1


@functools.lru_cache(maxsize=2)
def landmark_model(path: str) -> bytes:
    """The landmark model at `path` (.tflite) computing only `LANDMARK_OUTPUTS`: pruned once
    (0.3-0.7 s) and kept in the cache folder (`posearena.filecache`), so a service's first
    multi-person stream does not pay it again."""
    with open(path, "rb") as f:
        source = f.read()
    digest = hashlib.sha256(source).hexdigest()[:16]
    name = f"{Path(path).stem}-{digest}-p{PRUNE_VERSION}.tflite"
    model, _ = cached_derivation(cache_root() / "blazepose" / name,
                                 lambda: prune_outputs(source, LANDMARK_OUTPUTS), verb="pruned")
    return model


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


@dataclass
class _Track:
    track_id: int
    roi: Roi  # for the next frame, from this frame's alignment landmarks
    landmarks: np.ndarray  # (33, 2) continuous px of the last frame
    motion: float = 0.0  # median landmark displacement since the previous frame / ROI side


def _height(landmarks: np.ndarray) -> float:
    """Larger side (px) of the box around (33, 2) landmarks, at least 1."""
    return float(max(np.ptp(landmarks[:, 0]), np.ptp(landmarks[:, 1]), 1.0))


def _motion(landmarks: np.ndarray, track: _Track) -> float:
    d = np.median(np.linalg.norm(landmarks - track.landmarks, axis=1))
    return float(d / max(track.roi.size, 1.0))


def detector_views(width: int, height: int) -> list[Roi]:
    """Square detector views of a frame: overlapping tiles along the long side, plus the
    whole frame (letterboxed) when it is not square.

    Args:
        width, height: frame size in px.

    Returns:
        Axis-aligned Rois in continuous px (the whole-frame view extends past the short
        side; the crop pads it with zeros).
    """
    short, long_ = min(width, height), max(width, height)
    n = 1 if long_ == short else math.ceil(long_ / short) + 1
    views = []
    for i in range(n):
        start = 0.0 if n == 1 else i * (long_ - short) / (n - 1)
        c_long, c_short = start + short / 2, short / 2
        cx, cy = (c_long, c_short) if width >= height else (c_short, c_long)
        views.append(Roi(cx=cx, cy=cy, size=float(short), angle=0.0))
    if long_ != short:
        views.append(Roi(cx=width / 2, cy=height / 2, size=float(long_), angle=0.0))
    return views


def _fallbacks(roi: Roi) -> tuple[Roi, ...]:
    """The tracked ROI, then 1.25x larger, then with half its rotation."""
    return (
        roi,
        Roi(roi.cx, roi.cy, roi.size * RETRY_SCALE, roi.angle),
        Roi(roi.cx, roi.cy, roi.size, roi.angle / 2),
    )


class MultiPoseEstimator:
    """Several people per frame, each tracked by their own ROI.

    Args:
        max_people: most people tracked at once (>= 1).
        image_mode: True: every frame independent (detector on every frame, no tracking).
        min_detection_confidence: detector score threshold in [0, 1].
        min_tracking_confidence: landmark-model pose flag threshold in [0, 1].
        num_threads: LiteRT CPU threads per model.

    Raises:
        InvalidInputError: bad max_people or confidence.
        ModelNotLoadedError: ai-edge-litert or the model files are missing.
    """

    def __init__(
        self,
        max_people: int,
        image_mode: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_threads: int = NUM_THREADS,
    ) -> None:
        if max_people < 1:
            raise InvalidInputError("max_people", max_people, ">= 1")
        self.max_people = int(max_people)
        self.image_mode = bool(image_mode)
        self.min_det = _check_confidence("min_detection_confidence", min_detection_confidence)
        self.min_trk = _check_confidence("min_tracking_confidence", min_tracking_confidence)
        from posearena_blazepose.estimator import model_paths

        try:
            from ai_edge_litert.interpreter import Interpreter

            landmark_path, detector_path = model_paths()
            self._det = Interpreter(model_path=detector_path, num_threads=num_threads)
            self._lmk = Interpreter(model_content=landmark_model(landmark_path),
                                    num_threads=num_threads)
        except Exception as exc:
            raise ModelNotLoadedError(f"cannot load the BlazePose tflite models: {exc}") from exc
        self._det.allocate_tensors()
        self._lmk.allocate_tensors()
        self._det_in = self._det.get_input_details()[0]["index"]
        outs = {d["name"]: d["index"] for d in self._det.get_output_details()}
        self._det_boxes, self._det_scores = outs["Identity"], outs["Identity_1"]
        self._lmk_in = self._lmk.get_input_details()[0]["index"]
        outs = {d["name"]: d["index"] for d in self._lmk.get_output_details()}
        self._lmk_out = tuple(outs[name] for name in LANDMARK_OUTPUTS)
        self._anchors = ssd_anchors(INPUT_SIZE)
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._since_detect: int | None = None  # frames since the detector ran (None: never)
        self._bgr = False  # the frame being processed is BGR: crops are reversed to RGB

    def close(self) -> None:
        """Forget the tracks (the interpreters are freed with the object)."""
        self._tracks = []
        self._since_detect = None

    def _patch(self, image: np.ndarray, roi: Roi, side: int) -> np.ndarray:
        """(side, side, 3) uint8 RGB crop of the ROI (from a BGR frame: channels reversed in
        the crop, so the full frame is never converted)."""
        patch = crop(image, roi, side)
        return patch[..., ::-1] if self._bgr else patch

    def detect_people(self, rgb: np.ndarray) -> list[PersonDetection]:
        """Run the person detector on every view of the frame.

        Args:
            rgb: (H, W, 3) uint8 RGB image (BGR while `process_bgr` runs).

        Returns:
            Detections after weighted NMS (continuous image px), best score first.
        """
        h, w = rgb.shape[:2]
        boxes, kps, scores = [], [], []
        for view in detector_views(w, h):
            patch = self._patch(rgb, view, INPUT_SIZE).astype(np.float32) * (2.0 / 255.0) - 1.0
            self._det.set_tensor(self._det_in, patch[None])
            self._det.invoke()
            b, k, s = decode_detections(
                self._det.get_tensor(self._det_boxes)[0],
                self._det.get_tensor(self._det_scores)[0],
                self._anchors,
                self.min_det,
            )
            x0, y0 = view.cx - view.size / 2, view.cy - view.size / 2
            offset = np.array([x0, y0, x0, y0])
            boxes.append(b * view.size + offset)
            kps.append(k * view.size + offset[:2])
            scores.append(s)
        return weighted_nms(np.concatenate(boxes), np.concatenate(kps), np.concatenate(scores))

    def _landmarks(self, rgb: np.ndarray, roi: Roi) -> tuple[float, np.ndarray, np.ndarray]:
        """Landmark model on one ROI -> (pose flag, (39, 5) x y z vis pres with x, y in
        continuous image px and vis/pres in [0, 1], (39, 3) world m)."""
        patch = self._patch(rgb, roi, LANDMARK_INPUT).astype(np.float32) * (1.0 / 255.0)
        self._lmk.set_tensor(self._lmk_in, patch[None])
        self._lmk.invoke()
        raw = self._lmk.get_tensor(self._lmk_out[0]).reshape(NUM_MODEL_LANDMARKS, 5)
        flag = float(self._lmk.get_tensor(self._lmk_out[1]).reshape(-1)[0])
        world = self._lmk.get_tensor(self._lmk_out[2]).reshape(NUM_MODEL_LANDMARKS, 3)
        lm = np.array(raw, dtype=np.float64)
        lm[:, :2] = roi.to_image(lm[:, :2] / LANDMARK_INPUT)
        lm[:, 3:5] = _sigmoid(lm[:, 3:5])
        return flag, lm, rotate_world(world, roi.angle)

    def process_rgb(self, rgb: np.ndarray, timestamp_s: float | None = None) -> list[PoseResult]:
        """Track and detect the people of one frame.

        Args:
            rgb: (H, W, 3) uint8 RGB image.
            timestamp_s: frame time in s (unused: no smoothing filter; kept for the
                BlazePoseEstimator interface).

        Returns:
            One PoseResult per person (track_id set), at most max_people.
        """
        self._bgr = False
        return self._process(rgb)

    def process_bgr(self, bgr: np.ndarray, timestamp_s: float | None = None) -> list[PoseResult]:
        """`process_rgb` on a (H, W, 3) uint8 BGR frame: only the model crops are converted
        (a 1088x1920 frame's full conversion costs more than all its crops)."""
        self._bgr = True
        try:
            return self._process(bgr)
        finally:
            self._bgr = False

    def _process(self, rgb: np.ndarray) -> list[PoseResult]:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or rgb.size == 0:
            raise InvalidInputError("image", f"{rgb.dtype}{rgb.shape}", "(H, W, 3) uint8")
        if self.image_mode:
            self._tracks = []
        results: list[tuple[_Track, PoseResult]] = []
        for track in self._tracks:
            found = self._run(rgb, track.roi, track)
            if found is not None:
                results.append(found)
        results = self._dedupe(results)
        since = None if self._since_detect is None else self._since_detect + 1
        self._since_detect = since
        lost = len(results) < len(self._tracks)
        if len(results) < self.max_people and (
            self.image_mode or lost or since is None or since >= REDETECT_FRAMES
        ):
            self._since_detect = 0
            for det in self.detect_people(rgb):
                if len(results) >= self.max_people:
                    break
                if self._covered(det, [t for t, _ in results]):
                    continue
                roi = roi_from_points(det.keypoints[0], det.keypoints[1])
                found = self._run(rgb, roi, None)
                if found is not None and not self._duplicate(found[0], [t for t, _ in results]):
                    results.append(found)
        self._tracks = [t for t, _ in results]
        return [r for _, r in results]

    def _run(
        self, rgb: np.ndarray, roi: Roi, track: _Track | None
    ) -> tuple[_Track, PoseResult] | None:
        if roi.size < 4:
            return None
        # A tracked ROI that loses the person (fast limbs, strong lean) is retried larger and
        # less rotated before the track is given up (measured on cam03 of the two-person
        # clip: the pose flag of one ROI dips below 0.5 for a frame while a 1.25x larger one
        # stays above 0.98).
        attempts = _fallbacks(roi) if track is not None else (roi,)
        for k, attempt in enumerate(attempts):
            flag, lm, world = self._landmarks(rgb, attempt)
            motion = 0.0 if track is None else _motion(lm[:NUM_LANDMARKS, :2], track)
            # a retry must stay on the same person (a larger ROI may reach a neighbour)
            if flag >= self.min_trk and (k == 0 or motion < MAX_RETRY_MOTION):
                break
        else:
            return None
        if track is None:
            track = _Track(self._next_id, roi, lm[:NUM_LANDMARKS, :2])
            self._next_id += 1
        track.motion = motion
        track.roi = roi_from_points(lm[33, :2], lm[34, :2])
        track.landmarks = lm[:NUM_LANDMARKS, :2]
        h, w = rgb.shape[:2]
        kp = (lm[:NUM_LANDMARKS, :2] - 0.5).astype(np.float32)
        box = keypoint_box(kp, w, h)
        result = PoseResult(
            keypoints=kp,
            confidence=np.clip(lm[:NUM_LANDMARKS, 3], 0, 1).astype(np.float32),
            score=float(np.clip(flag, 0.0, 1.0)),
            box=box,
            world=world[:NUM_LANDMARKS].astype(np.float32),
            track_id=track.track_id,
        )
        return track, result

    @staticmethod
    def _duplicate(track: _Track, others: list[_Track]) -> bool:
        for other in others:
            d = np.median(np.linalg.norm(track.landmarks - other.landmarks, axis=1))
            if d < DUPLICATE_DIST * min(_height(track.landmarks), _height(other.landmarks)):
                return True
        return False

    def _dedupe(self, results: list[tuple[_Track, PoseResult]]) -> list[tuple[_Track, PoseResult]]:
        """Two tracks that converged onto one person: keep the one that moved least (the
        other jumped onto this person)."""
        kept: list[tuple[_Track, PoseResult]] = []
        for item in sorted(results, key=lambda r: (r[0].motion, r[0].track_id)):
            if not self._duplicate(item[0], [t for t, _ in kept]):
                kept.append(item)
        return kept

    @staticmethod
    def _covered(det: PersonDetection, tracks: list[_Track]) -> bool:
        for t in tracks:
            hip = t.landmarks[[23, 24]].mean(axis=0)
            if np.linalg.norm(det.keypoints[0] - hip) < COVERED_DIST * max(t.roi.size, 1.0):
                return True
        return False

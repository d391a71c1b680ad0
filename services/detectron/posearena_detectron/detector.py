"""Keypoint R-CNN inference on RGB frames, and VideoPose3D-style main-person selection.

Keypoint confidences: torchvision (like Detectron and Detectron2) returns, per joint, the
heatmap logit at the argmax (the heatmap is trained with a softmax over its 56x56 cells, so
the value is an unnormalised score, typically -2..15). posearena maps it to [0, 1] with the
logistic function, `sigmoid(logit)`: monotonic, so rankings and thresholds carry over
(Detectron's visualiser threshold, logit 2, is confidence 0.881). Person scores are the box
classifier's softmax probability, already in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_detectron.model import ModelSpec

DEFAULT_MIN_PERSON_SCORE = 0.5
DEFAULT_MIN_IOU = 0.3


@dataclass
class PersonDetection:
    """One detected person.

    Attributes:
        keypoints: (17, 2) float32 px, COCO-17 order, posearena pixel convention.
        confidence: (17,) float32 in [0, 1] (sigmoid of the heatmap logit).
        logits: (17,) float32 raw keypoint heatmap logits as the model returns them.
        score: person (box) score in [0, 1].
        box: (4,) float32 x0, y0, x1, y1 px.
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    logits: np.ndarray
    score: float
    box: np.ndarray


def logit_to_confidence(logits: np.ndarray) -> np.ndarray:
    """Map keypoint heatmap logits (any shape) to [0, 1] with the logistic function."""
    x = np.asarray(logits, dtype=np.float64)
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)  # overflow-free sigmoid


def pick_device(requested: str = "auto") -> torch.device:
    """"auto": CUDA when available, else CPU; otherwise the named device ("cpu", "cuda:0")."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


class KeypointDetector:
    """Runs a loaded Keypoint R-CNN on one RGB frame at a time."""

    def __init__(self, model: torch.nn.Module, spec: ModelSpec,
                 device: torch.device | str = "cpu") -> None:
        """Args: model (eval-mode KeypointRCNN), spec (its conventions), device."""
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.spec = spec

    @torch.inference_mode()
    def detect(self, rgb: np.ndarray, min_score: float = 0.0) -> list[PersonDetection]:
        """Detect people in one frame.

        Args:
            rgb: (H, W, 3) uint8 RGB image, H, W >= 1.
            min_score: drop people whose person score is below this (in [0, 1]).

        Returns:
            People sorted by person score, highest first (possibly empty).

        Raises:
            InvalidInputError: not an (H, W, 3) uint8 array of non-zero size.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or rgb.size == 0:
            raise InvalidInputError("image", f"{rgb.dtype} {rgb.shape}", "(H, W, 3) uint8 RGB")
        x = torch.from_numpy(np.ascontiguousarray(rgb)).to(self.device)
        x = x.permute(2, 0, 1).float().div_(255.0)
        out = self.model([x])[0]
        scores = out["scores"].float().cpu().numpy()
        order = np.argsort(-scores, kind="stable")
        kps = out["keypoints"].float().cpu().numpy()[:, :, :2]
        logits = out["keypoints_scores"].float().cpu().numpy()
        boxes = out["boxes"].float().cpu().numpy()
        shift = np.float32(self.spec.keypoint_offset_px)
        people = []
        for i in order:
            if scores[i] < min_score:
                continue
            people.append(PersonDetection(
                keypoints=(kps[i] + shift).astype(np.float32),
                confidence=logit_to_confidence(logits[i]),
                logits=logits[i].astype(np.float32),
                score=float(scores[i]),
                box=(boxes[i] + shift).astype(np.float32),
            ))
        return people


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) x0, y0, x1, y1 boxes (px); 0 for empty boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class MainPersonSelector:
    """Chooses one person per frame, as VideoPose3D's in-the-wild pipeline does.

    Per frame: the highest-scoring person whose score is >= `min_score`. With `track=True` a
    stable main person is followed instead: among the people above the threshold, the one
    whose box overlaps the previously selected box most (IoU >= `min_iou`); only when none
    overlaps enough does the highest score win (and becomes the new main person). A frame
    without a qualifying person selects nobody and keeps the previous box for the next one.
    """

    def __init__(self, min_score: float = DEFAULT_MIN_PERSON_SCORE, track: bool = True,
                 min_iou: float = DEFAULT_MIN_IOU) -> None:
        """Args: min_score in [0, 1], track (follow by IoU), min_iou in (0, 1]."""
        if not 0.0 <= min_score <= 1.0:
            raise InvalidInputError("min_score", min_score, "a value in [0, 1]")
        if not 0.0 < min_iou <= 1.0:
            raise InvalidInputError("min_iou", min_iou, "a value in (0, 1]")
        self.min_score = min_score
        self.track = track
        self.min_iou = min_iou
        self.previous_box: np.ndarray | None = None

    def select(self, people: list[PersonDetection]) -> int | None:
        """Index into `people` of the main person of this frame, or None.

        Args:
            people: this frame's detections (any order).
        """
        ok = [i for i, p in enumerate(people) if p.score >= self.min_score]
        if not ok:
            return None
        best = max(ok, key=lambda i: people[i].score)
        if self.track and self.previous_box is not None:
            ious = {i: box_iou(people[i].box, self.previous_box) for i in ok}
            follow = max(ok, key=lambda i: (ious[i], people[i].score))
            if ious[follow] >= self.min_iou:
                best = follow
        if self.track:
            self.previous_box = people[best].box.copy()
        return best

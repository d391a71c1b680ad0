"""BlazePose person detector post-processing: SSD anchors, box decoding, weighted NMS (numpy).

Parameters are those of MediaPipe's `pose_detection` graph (modules/pose_detection/
pose_detection_cpu.pbtxt, read through the search tool): SsdAnchorsCalculator with 5 layers,
strides 8, 16, 32, 32, 32, scales 0.1484375 .. 0.75, aspect ratio 1, anchor offset 0.5, fixed
anchor size (2254 anchors for a 224x224 input); TensorsToDetectionsCalculator with 12 values
per anchor (box centre x, y, width, height, then 4 keypoints x, y, in input px, x first),
sigmoid scores clipped to +-100 and a 0.5 threshold; weighted non-maximum suppression with an
IoU threshold of 0.3. Keypoint 0 is the hip centre, keypoint 1 the end of the vector whose
length is the radius of a circle around the whole body (keypoints 2, 3: the same for the upper
body).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
NUM_KEYPOINTS = 4
SCORE_CLIP = 100.0
MIN_SCORE = 0.5
NMS_IOU = 0.3


@dataclass
class PersonDetection:
    """One detector hit in image coordinates.

    Attributes:
        box: (4,) float64 x0, y0, x1, y1 in continuous image px (pixel i spans [i, i + 1)).
        keypoints: (4, 2) float64 continuous image px (hip centre, full-body scale point,
            shoulder centre, upper-body scale point).
        score: detector score in [0, 1].
    """

    box: np.ndarray
    keypoints: np.ndarray
    score: float


def ssd_anchors(input_size: int = INPUT_SIZE) -> np.ndarray:
    """Anchor centres of the pose detector.

    Args:
        input_size: square model input side in px (224 for the wheel's model).

    Returns:
        (N, 2) float64 anchor centres (x, y) normalised to [0, 1]; anchors have a fixed unit
        size, so only their centres matter. N = 2254 for 224 px.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(STRIDES):
        stride = STRIDES[layer]
        per_cell = 0
        # Consecutive layers with the same stride share one feature map; each layer adds an
        # anchor of aspect ratio 1 and one interpolated-scale anchor.
        while layer < len(STRIDES) and STRIDES[layer] == stride:
            per_cell += 2
            layer += 1
        fm = int(np.ceil(input_size / stride))
        ys, xs = np.meshgrid(np.arange(fm), np.arange(fm), indexing="ij")
        grid = np.stack([(xs + 0.5) / fm, (ys + 0.5) / fm], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres, axis=0)


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    min_score: float = MIN_SCORE,
    input_size: int = INPUT_SIZE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the detector's raw outputs above a score threshold.

    Args:
        raw_boxes: (N, 12) float32 regressors in input px relative to the anchors.
        raw_scores: (N,) or (N, 1) float32 logits.
        anchors: (N, 2) anchor centres from `ssd_anchors`.
        min_score: keep scores >= this, in [0, 1].
        input_size: model input side in px.

    Returns:
        boxes (K, 4) x0, y0, x1, y1, keypoints (K, 4, 2) and scores (K,), coordinates
        normalised to the model input ([0, 1] inside it).
    """
    logits = np.clip(np.asarray(raw_scores, np.float64).reshape(-1), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.nonzero(scores >= min_score)[0]
    raw = np.asarray(raw_boxes, np.float64)[keep] / input_size
    a = anchors[keep]
    cx, cy = raw[:, 0] + a[:, 0], raw[:, 1] + a[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4 : 4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) + a[:, None, :]
    return boxes, kps, scores[keep]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between boxes a (4,) and boxes b (M, 4), x0 y0 x1 y1 in any one unit; (M,)."""
    ix = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = ix * iy
    area_a = max((a[2] - a[0]) * (a[3] - a[1]), 0.0)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU
) -> list[PersonDetection]:
    """MediaPipe's weighted non-maximum suppression.

    Boxes are taken best score first; every remaining box overlapping it by more than `iou`
    joins its cluster, whose box and keypoints are the score-weighted mean of the cluster
    and whose score is the best one.

    Args:
        boxes: (K, 4) x0, y0, x1, y1 (image px).
        keypoints: (K, 4, 2) image px.
        scores: (K,) in [0, 1].
        iou: overlap threshold in [0, 1].

    Returns:
        Detections, best score first.
    """
    order = np.argsort(-scores)
    remaining = order.tolist()
    out: list[PersonDetection] = []
    while remaining:
        best = remaining[0]
        cand = np.array(remaining)
        overlap = box_iou(boxes[best], boxes[cand]) > iou
        overlap[0] = True
        members = cand[overlap]
        wts = scores[members][:, None]
        box = (boxes[members] * wts).sum(0) / wts.sum()
        kp = (keypoints[members] * wts[:, :, None]).sum(0) / wts.sum()
        out.append(PersonDetection(box=box, keypoints=kp, score=float(scores[best])))
        remaining = cand[~overlap].tolist()
    return out

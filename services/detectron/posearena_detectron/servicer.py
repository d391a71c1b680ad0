"""Keypoint R-CNN Pose API servicer: a thin adapter from the Detect stream to the detector.

Kind DETECTOR_2D, native skeleton coco17 (px, image frame). max_people 0 or 1: the main
person per frame (`MainPersonSelector`: highest score above the threshold, followed by IoU
unless image_mode); max_people N > 1: up to N people by score. A frame without a person is
answered with an empty people list (the client turns it into a NaN row).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import grpc
import numpy as np
import torch
import torchvision

from posearena.service import EstimatorService, grpc_errors
from posearena.service.detect import (
    add_person,
    check_detect_options,
    detect_stream,
    frame_poses,
    skeleton_message,
)
from posearena.v1 import pose_pb2
from posearena_detectron.detector import (
    DEFAULT_MIN_IOU,
    DEFAULT_MIN_PERSON_SCORE,
    KeypointDetector,
    MainPersonSelector,
    PersonDetection,
)
from posearena_detectron.frames import ACCEPTED_INPUTS, decode_frame_rgb
from posearena_detectron.weights import LoadedModel

NATIVE = "coco17"
CONVERTIBLE = ("body25", "coco18", "h36m17")


@dataclass
class DetectorSettings:
    """Server-wide settings (flags of `server.py`)."""

    min_person_score: float = DEFAULT_MIN_PERSON_SCORE
    min_iou: float = DEFAULT_MIN_IOU


def _options(opts: pose_pb2.DetectOptions) -> pose_pb2.DetectOptions:
    """Validate DetectOptions (named errors); empty output_skeleton -> coco17."""
    return check_detect_options(opts, NATIVE, CONVERTIBLE)


class DetectronService(EstimatorService):
    """EstimatorService for Keypoint R-CNN (torchvision / Detectron2 / Detectron weights)."""

    name = "detectron"

    def __init__(self, loaded: LoadedModel | None, status: str,
                 settings: DetectorSettings | None = None) -> None:
        """Args: loaded model (None when loading failed), status message, settings."""
        self.loaded = loaded
        self.status = status
        self.settings = settings or DetectorSettings()
        self.detector = (KeypointDetector(loaded.model, loaded.spec, next(
            loaded.model.parameters()).device) if loaded else None)
        self._lock = threading.Lock()  # one forward pass at a time

    def ready(self) -> tuple[bool, str]:
        return self.loaded is not None, self.status

    def info(self) -> pose_pb2.EstimatorInfo:
        details = {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "confidence": "sigmoid of the keypoint heatmap logit",
            "person_score": "box classifier softmax",
            "person_selection": "max_people<=1: highest score >= min_person_score, followed "
                                "by IoU with the previous box unless image_mode",
            "min_person_score": str(self.settings.min_person_score),
            "min_iou": str(self.settings.min_iou),
        }
        version = "not loaded"
        if self.loaded is not None:
            spec = self.loaded.spec
            version = f"{spec.name} ({spec.source})"
            details.update({
                "variant": spec.name,
                "checkpoint": str(self.loaded.path),
                "arch": f"Keypoint R-CNN ResNet-{spec.depth} FPN",
                "device": str(self.detector.device) if self.detector else "",
                "conversion": self.loaded.report.summary(),
            })
        return pose_pb2.EstimatorInfo(
            name=self.name, version=version, kind=pose_pb2.DETECTOR_2D,
            output_skeleton=skeleton_message(NATIVE), convertible_to=list(CONVERTIBLE), units="px",
            coordinate_frame="image (px, origin at the top-left pixel centre)",
            accepted_inputs=list(ACCEPTED_INPUTS), receptive_field=1, details=details,
        )

    @grpc_errors
    def Detect(
        self, request_iterator: Iterable[pose_pb2.DetectRequest], context: grpc.ServicerContext
    ) -> Iterator[pose_pb2.FramePoses]:
        """Stream FramePoses, one per Frame, in order; see the Pose API for the messages."""
        self.require_ready()
        selector: MainPersonSelector | None = None
        for opts, f in detect_stream(request_iterator, _options):
            rgb = decode_frame_rgb(f)
            min_score = opts.min_person_score or self.settings.min_person_score
            if selector is None:
                selector = MainPersonSelector(min_score, not opts.image_mode,
                                              self.settings.min_iou)
            with self._lock:
                people = self.detector.detect(rgb, min_score)
            yield self._frame_poses(f, rgb, people, opts, selector)

    @staticmethod
    def _frame_poses(frame: pose_pb2.Frame, rgb: np.ndarray, people: list[PersonDetection],
                     opts: pose_pb2.DetectOptions,
                     selector: MainPersonSelector) -> pose_pb2.FramePoses:
        out = frame_poses(frame, rgb, opts.output_skeleton)
        if opts.max_people <= 1:
            main = selector.select(people)
            chosen = [] if main is None else [people[main]]
            track_id = -1 if opts.image_mode else 0
        else:
            chosen, track_id = people[: opts.max_people], -1
        for p in chosen:
            add_person(out, NATIVE, p.keypoints, p.confidence, p.score, p.box, track_id)
        return out

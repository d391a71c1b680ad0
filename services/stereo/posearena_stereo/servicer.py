"""Triangulation Pose API servicer: a thin adapter from `Triangulate` to the numerical code.

Kind TRIANGULATOR, no model (ready() is always True). Cameras are matched to views by name;
with `parallel` set, exactly two views (left then right) of a rectified rig are used instead.
"""

from __future__ import annotations

import os

import grpc
import numpy as np

from posearena.calibration import Camera, camera_from_proto
from posearena.errors import InvalidInputError
from posearena.service import EstimatorService, grpc_errors
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor, to_tensor
from posearena.triangulation_presets import SERVICE_DEFAULT
from posearena.v1 import pose_pb2
from posearena_stereo import __version__
from posearena_stereo.parallel import triangulate_parallel
from posearena_stereo.people import triangulate_people
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views

# an unset max_reprojection_error_px takes the candidate preset's threshold (one definition)
DEFAULT_MAX_ERROR_PX = SERVICE_DEFAULT.max_reprojection_error_px
DROP_CRITERION = "max"
# blocks of frames on every core this process may use (numpy releases the GIL), at most 4
THREADS = max(1, min(4, len(os.sched_getaffinity(0))))
WORLD_FRAME = "world (the calibration's frame), m"
LEFT_FRAME = "left camera (OpenCV axes: x right, y down, z forward), m"


def _people_views(request: pose_pb2.TriangulateRequest) -> tuple[list, list]:
    """Per view (T, K, J, 2) px tracks and (T, K, J) confidences (1 where not given)."""
    kps, confs = [], []
    for i, view in enumerate(request.views):
        kp = from_tensor(view.keypoints, f"views[{i}].keypoints", ndim=4, last_dim=2)
        conf = (from_tensor(view.confidence, f"views[{i}].confidence", ndim=3)
                if view.HasField("confidence") else np.ones(kp.shape[:3]))
        if conf.shape != kp.shape[:3]:
            raise InvalidInputError(f"views[{i}].confidence", conf.shape,
                                    f"shape {kp.shape[:3]} (T, K, J)")
        kps.append(kp.astype(np.float64))
        confs.append(conf.astype(np.float64))
    return kps, confs


def _views(request: pose_pb2.TriangulateRequest) -> tuple[np.ndarray, np.ndarray | None]:
    """(C, T, J, 2) keypoints px and (C, T, J) confidences (1 where a view has none; None
    when no view has any)."""
    if len(request.views) < 2:
        raise InvalidInputError("views", f"{len(request.views)} views", "at least 2 views")
    kps: np.ndarray | None = None
    confs: np.ndarray | None = None
    for i, view in enumerate(request.views):
        kp = from_tensor(view.keypoints, f"views[{i}].keypoints", ndim=3, last_dim=2,
                         copy=False)  # copied into kps below
        if kps is None:  # float32 px stay float32 (the numerical code computes in float64)
            single = all(v.keypoints.dtype == pose_pb2.Tensor.FLOAT32 for v in request.views)
            kps = np.empty((len(request.views), *kp.shape),
                           np.float32 if single else np.float64)
        elif kp.shape != kps.shape[1:]:
            raise InvalidInputError(f"views[{i}].keypoints", kp.shape,
                                    f"shape {kps.shape[1:]} like views[0] (same frames, joints)")
        kps[i] = kp
        if view.HasField("confidence"):
            conf = from_tensor(view.confidence, f"views[{i}].confidence", ndim=2)
            if conf.shape != kp.shape[:2]:
                raise InvalidInputError(f"views[{i}].confidence", conf.shape,
                                        f"shape {kp.shape[:2]} (T, J)")
            if confs is None:
                confs = np.ones(kps.shape[:3])
            confs[i] = conf
    assert kps is not None
    return kps, confs


def _cameras(request: pose_pb2.TriangulateRequest) -> list[Camera]:
    """Cameras in view order, matched by name."""
    by_name: dict[str, Camera] = {}
    for i, msg in enumerate(request.cameras):
        cam = camera_from_proto(msg, f"cameras[{i}]")
        if cam.name in by_name:
            raise InvalidInputError(f"cameras[{i}].name", cam.name, "unique camera names")
        by_name[cam.name] = cam
    out = []
    for i, view in enumerate(request.views):
        if view.camera_id not in by_name:
            raise InvalidInputError(f"views[{i}].camera_id", view.camera_id,
                                    f"one of the cameras {sorted(by_name)}")
        out.append(by_name[view.camera_id])
    return out


def _options(request: pose_pb2.TriangulateRequest, n_joints: int) -> TriangulationOptions:
    o = request.options
    if o.max_reprojection_error_px < 0:
        raise InvalidInputError("options.max_reprojection_error_px",
                                o.max_reprojection_error_px, ">= 0 (0 = service default)")
    if o.min_views < 0 or o.max_gap_frames < 0:
        bad = "min_views" if o.min_views < 0 else "max_gap_frames"
        raise InvalidInputError(f"options.{bad}", getattr(o, bad), ">= 0")
    if not 0.0 <= o.min_confidence <= 1.0:
        raise InvalidInputError("options.min_confidence", o.min_confidence, "a value in [0, 1]")
    if o.filter_cutoff_hz > 0 and not o.fps > 0:
        raise InvalidInputError("options.fps", o.fps, "> 0 when filter_cutoff_hz is set")
    left_right = None
    parents = None
    if request.skeleton:
        try:
            sk = get_skeleton(request.skeleton)
        except (KeyError, ValueError) as exc:
            raise InvalidInputError("skeleton", request.skeleton, "a registry name") from exc
        if sk.num_joints != n_joints:
            raise InvalidInputError("skeleton", request.skeleton,
                                    f"a skeleton of {n_joints} joints (the views' J)")
        left_right = (list(sk.left), list(sk.right))
        parents = list(sk.parents)
    if o.try_swap_left_right and left_right is None:
        raise InvalidInputError("skeleton", request.skeleton,
                                "a registry name (needed by try_swap_left_right)")
    return TriangulationOptions(
        max_reprojection_error_px=o.max_reprojection_error_px or DEFAULT_MAX_ERROR_PX,
        drop_criterion=DROP_CRITERION,
        min_views=o.min_views or 2,
        refine=o.refine,
        try_swap_left_right=o.try_swap_left_right,
        left_right=left_right,
        parents=parents,
        filter_cutoff_hz=o.filter_cutoff_hz,
        max_gap_frames=o.max_gap_frames,
        fps=o.fps,
        min_confidence=o.min_confidence,
        threads=THREADS,
    )


class StereoService(EstimatorService):
    """EstimatorService for stereo and multi-view triangulation (no model to load)."""

    name = "stereo"

    def __init__(self) -> None:
        super().__init__()
        self.requests_started = 0  # Triangulate calls so far (read by the idle warm-up)

    def info(self) -> pose_pb2.EstimatorInfo:
        """Describe the triangulator (kind TRIANGULATOR, output in m, world frame)."""
        return pose_pb2.EstimatorInfo(
            name=self.name,
            version=__version__,
            kind=pose_pb2.TRIANGULATOR,
            units="m",
            coordinate_frame=WORLD_FRAME,
            accepted_inputs=["keypoints/px"],
            receptive_field=1,
            details={
                "method": "confidence-weighted DLT (depth re-weighted), worst-view drop, "
                          "optional L/R swap (Viterbi over the sequence: reprojection, bone "
                          "symmetry, 3D continuity), Gauss-Newton refinement, gap fill, "
                          "Butterworth",
                "default_max_reprojection_error_px": str(DEFAULT_MAX_ERROR_PX),
                "default_preset": SERVICE_DEFAULT.name,
                "drop_criterion": DROP_CRITERION,
                "parallel_rig": "Z = f T / d, left camera frame",
            },
        )

    def ready(self) -> tuple[bool, str]:
        """Always ready: triangulation needs no model."""
        return True, "ready (no model needed)"

    def _people(self, request: pose_pb2.TriangulateRequest) -> pose_pb2.TriangulateResponse:
        """Several people per view: associate tracks across views, triangulate each person."""
        if request.HasField("parallel"):
            raise InvalidInputError("parallel", "set", "calibrated cameras for several people")
        if len(request.views) < 2:
            raise InvalidInputError("views", f"{len(request.views)} views", "at least 2 views")
        kps, conf = _people_views(request)
        cams = _cameras(request)
        r = triangulate_people(kps, conf, cams, _options(request, kps[0].shape[2]))
        return pose_pb2.TriangulateResponse(
            points_3d=to_tensor(r.points_3d),
            reprojection_error=to_tensor(r.reprojection_error),
            views_used=to_tensor(r.views_used),
            flags=to_tensor(r.flags),
            person_tracks=to_tensor(r.person_tracks),
            coordinate_frame=WORLD_FRAME,
            details={"mode": "multi-view, several people",
                     "cameras": ",".join(c.name for c in cams),
                     "people": str(len(r.person_tracks))},
        )

    @grpc_errors
    def Triangulate(self, request: pose_pb2.TriangulateRequest,
                    context: grpc.ServicerContext) -> pose_pb2.TriangulateResponse:
        """Triangulate N synchronised 2D views (see the Pose API comments)."""
        self.requests_started += 1
        if request.views and len(request.views[0].keypoints.shape) == 4:
            return self._people(request)
        kps, conf = _views(request)
        opts = _options(request, kps.shape[2])
        if request.HasField("parallel"):
            if len(request.views) != 2:
                raise InvalidInputError("views", f"{len(request.views)} views",
                                        "exactly 2 views (left, right) with parallel")
            rig = request.parallel
            points, error, flags = triangulate_parallel(
                kps[0], kps[1], rig.focal_px, rig.baseline_m, rig.cx, rig.cy,
                *((None, None) if conf is None else (conf[0], conf[1])), opts.min_confidence)
            views_used = np.where(np.isfinite(points).all(-1), 2, 0).astype(np.int32)
            frame = LEFT_FRAME
            details = {"mode": "parallel"}
        else:
            cams = _cameras(request)
            result = triangulate_views(kps, cams, conf, opts)
            points, error = result.points_3d, result.reprojection_error
            views_used, flags = result.views_used, result.flags
            frame = WORLD_FRAME
            details = {
                "mode": "multi-view",
                "cameras": ",".join(c.name for c in cams),
                "max_reprojection_error_px": str(opts.max_reprojection_error_px),
            }
        return pose_pb2.TriangulateResponse(
            points_3d=to_tensor(np.asarray(points, np.float64)),
            reprojection_error=to_tensor(np.asarray(error, np.float32)),
            views_used=to_tensor(np.asarray(views_used, np.int32)),
            flags=to_tensor(np.asarray(flags, np.uint8)),
            coordinate_frame=frame,
            details=details,
        )

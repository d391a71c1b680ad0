"""The stages a pipeline is made of, each one RPC away from a service, cached in the run dir.

Inputs and outputs:
    detect_stage      video file                       -> Detections (T, P, J, 2) px
    lift_stage        Detections (first person)        -> Sequence3D h36m17, camera frame
    triangulate_stage N Detections + N Cameras          -> Sequence3D + per-joint quality
    world_stage       Detections with extra["world"]   -> Sequence3D blazepose33, hip-centred
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from posearena.calibration import Camera
from posearena.npzio import Detections, load_detections, save_detections
from posearena.skeletons import convert, convert_confidence
from posearena.v1 import pose_pb2
from posearena_gateway.clients.lift import lift
from posearena_gateway.clients.triangulate import TriangulationOutput, triangulate
from posearena_gateway.detect_client import detect_video
from posearena_gateway.pipelines.rundir import RunDir
from posearena_gateway.references.sequence import Sequence3D

#: Vertical of OpenCV camera frames (y down) and of BlazePose world landmarks (same axes).
CAMERA_UP = (0.0, -1.0, 0.0)
WORLD_UP_Z = (0.0, 0.0, 1.0)


def detect_stage(
    target: str, video: str, camera: str, detector: str, rd: RunDir, resume: bool,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Detections, bool]:
    """2D detections of one video, from the run dir when resuming; returns (dets, cached)."""
    path = rd.detections(detector, camera)
    if resume and path.exists():
        return load_detections(path), True
    dets = detect_video(target, video, camera_id=camera, world_landmarks=True, progress=progress)
    save_detections(path, dets)
    return dets, False


def main_person(dets: Detections, skeleton: str) -> tuple[np.ndarray, np.ndarray]:
    """First person slot converted to `skeleton`: keypoints (T, J, 2) px, scores (T, J)."""
    k, s = dets.person(0)
    return convert(k, dets.skeleton, skeleton), convert_confidence(s, dets.skeleton, skeleton)


def lift_stage(target: str, dets: Detections, source: str) -> Sequence3D:
    """Lift the main person's COCO-17 keypoints to 3D (h36m17, m, root-relative camera frame)."""
    k, _ = main_person(dets, "coco17")
    out = lift(target, k, "coco17", dets.width, dets.height, dets.fps)
    return Sequence3D(out.poses_3d, out.skeleton, dets.fps, "camera (OpenCV), root-relative",
                      np.array(CAMERA_UP), source=source,
                      extra={"interpolated": out.interpolated, "details": out.details})


def triangulate_stage(
    target: str, dets: Sequence[Detections], cameras: Sequence[Camera], source: str,
    options: pose_pb2.TriangulationOptions | None = None,
) -> tuple[Sequence3D, TriangulationOutput]:
    """Triangulate the main person of N synchronised views in the calibration's world frame.

    Frames are cut to the shortest view. The world's up axis is taken as +Z (Qualisys,
    Vicon, Pose2Sim calibrations); the report says so.
    """
    t = min(d.num_frames for d in dets)
    skeleton = dets[0].skeleton
    ks, cs = zip(*(d.person(0) for d in dets), strict=True)
    out = triangulate(
        target, [k[:t] for k in ks], [c.name for c in cameras], skeleton,
        cameras=cameras, confidence=[c[:t] for c in cs],
        options=options or default_triangulation_options(dets[0].fps),
    )
    seq = Sequence3D(out.points_3d, skeleton, dets[0].fps, "calibration world (Z up)",
                     np.array(WORLD_UP_Z), source=source,
                     extra={"reprojection_error": out.reprojection_error,
                            "views_used": out.views_used})
    return seq, out


def default_triangulation_options(fps: float) -> pose_pb2.TriangulationOptions:
    """Robust multi-view settings: drop views over 15 px, refine, L/R swaps, 10-frame gaps."""
    return pose_pb2.TriangulationOptions(
        max_reprojection_error_px=15.0, min_views=2, refine=True, try_swap_left_right=True,
        max_gap_frames=10, fps=fps, min_confidence=0.3,
    )


def world_stage(dets: Detections, source: str) -> Sequence3D:
    """BlazePose's own metric 3D (hip-centred, image-aligned axes: y down) of the main person."""
    world = dets.extra.get("world")
    if world is None:
        raise ValueError("the detector returned no world landmarks")
    return Sequence3D(np.asarray(world)[:, 0], dets.skeleton, dets.fps,
                      "BlazePose world (hip-centred, y down)", np.array(CAMERA_UP), source=source)

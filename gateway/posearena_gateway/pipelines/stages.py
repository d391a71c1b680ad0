"""The stages a pipeline is made of, each one RPC away from a service, cached in the run dir.

Inputs and outputs:
    detect_stage      video file                       -> Detections (T, P, J, 2) px
    lift_stage        Detections (first person) [+ Camera] -> Sequence3D h36m17, camera frame
    triangulate_stage N Detections + N Cameras          -> Sequence3D + per-joint quality
    world_stage       Detections with extra["world"]   -> Sequence3D blazepose33, hip-centred
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from posearena.calibration import Camera
from posearena.npzio import Detections, load_detections, save_detections
from posearena.skeletons import convert, convert_confidence
from posearena.triangulation_presets import PRESETS
from posearena.v1 import pose_pb2
from posearena_gateway.clients.lift import lift, lift_causal
from posearena_gateway.clients.triangulate import TriangulationOutput, triangulate
from posearena_gateway.detection import detect_video
from posearena_gateway.pipelines.lift_input import CAMERA_UP, WORLD_UP_Z, prepare_lift_input
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.rundir import RunDir
from posearena_gateway.tracking.leftright import apply_relabelling, resolve_left_right_2d
from posearena_gateway.tracking.patient import choose_person, put_first


def detect_stage(
    target: str, video: str, camera: str, detector: str, rd: RunDir, resume: bool,
    progress: Callable[[int, int], None] | None = None, max_people: int = 1,
) -> tuple[Detections, bool]:
    """2D detections of one video, from the run dir when resuming; returns (dets, cached).

    With `max_people` > 1 every person is tracked (slots = tracks); the patient is chosen
    later (`patient_first`, or across views by `triangulate_stage`).
    """
    path = rd.detections(detector, camera)
    if resume and path.exists():
        return load_detections(path), True
    dets = detect_video(target, video, camera_id=camera, world_landmarks=True,
                        progress=progress, max_people=max_people)
    save_detections(path, dets)
    return dets, False


def patient_first(dets: Detections, person: str) -> Detections:
    """`dets` with the patient (rule auto|largest|central|longest|ID) in slot 0."""
    if dets.keypoints.shape[1] == 1:
        return dets
    slot, choice = choose_person(dets, person)
    return put_first(dets, slot, choice)


def main_person(dets: Detections, skeleton: str) -> tuple[np.ndarray, np.ndarray]:
    """First person slot converted to `skeleton`: keypoints (T, J, 2) px, scores (T, J)."""
    k, s = dets.person(0)
    return convert(k, dets.skeleton, skeleton), convert_confidence(s, dets.skeleton, skeleton)


def lift_stage(
    target: str, dets: Detections, source: str, camera: Camera | None = None,
    causal: bool = False,
) -> Sequence3D:
    """Lift the main person's COCO-17 keypoints to 3D (h36m17, m, root-relative camera frame).

    With the video's calibrated `camera`, the 2D goes first into a virtual camera aimed at the
    person with its roll levelled to the world's up (+Z), as the lifter was trained
    (`posearena.calibration.virtual`); the 3D comes back rotated into the real camera frame,
    whose up direction (from the calibration) the sequence then carries. Left/right label
    swaps of the 2D track are undone first (`tracking.leftright`, temporal continuity).
    `causal`: the service's causal model, frame by frame through `LiftStream`, and causal
    pre-processing (`lift_input`).
    """
    k, _ = main_person(dets, "coco17")
    # an all-NaN track has no person to aim at: lifted as recorded (the lifter says why not)
    cam = camera if np.isfinite(k).any() else None
    prep = prepare_lift_input(k, dets.width, dets.height, cam, causal=causal)
    lifter = lift_causal if causal else lift  # causal: frame by frame (LiftStream)
    out = lifter(target, prep.keypoints, "coco17", dets.width, dets.height, dets.fps)
    details = {**out.details, "input_view": prep.how,
               "left_right_relabelled_frames": int(prep.relabelled)}
    if causal:
        details["causal_steps"] = prep.causal_steps
    return Sequence3D(prep.to_camera(out.poses_3d), out.skeleton, dets.fps,
                      "camera (OpenCV), root-relative", prep.up, source=source,
                      extra={"interpolated": out.interpolated, "details": details})


def triangulate_stage(
    target: str, dets: Sequence[Detections], cameras: Sequence[Camera], source: str,
    options: pose_pb2.TriangulationOptions | None = None, person: str = "auto",
) -> tuple[Sequence3D, TriangulationOutput]:
    """Triangulate the patient of N synchronised views in the calibration's world frame.

    With one person slot per view, slot 0 is triangulated. With several tracks per view,
    every person is associated across views and triangulated, and the patient is the 3D
    person whose first-view track is the one `person` picks in the first view (else the
    person triangulated in most frames). Frames are cut to the shortest view. The world's
    up axis is taken as +Z (Qualisys, Vicon, Pose2Sim calibrations); the report says so.
    """
    t = min(d.num_frames for d in dets)
    skeleton = dets[0].skeleton
    opts = options or PRESETS["candidate"].options(dets[0].fps)
    names = [c.name for c in cameras]
    note = ""
    if all(d.keypoints.shape[1] == 1 for d in dets):
        ks, cs = zip(*(d.person(0) for d in dets), strict=True)
        out = triangulate(target, [k[:t] for k in ks], names, skeleton, cameras=cameras,
                          confidence=[c[:t] for c in cs], options=opts)
    else:
        out = triangulate(target, [d.keypoints[:t] for d in dets], names, skeleton,
                          cameras=cameras, confidence=[d.scores[:t] for d in dets],
                          options=opts)
        p, note = _patient_in_3d(dets[0], out, person)
        out.points_3d, out.reprojection_error = out.points_3d[:, p], out.reprojection_error[:, p]
        out.views_used, out.flags = out.views_used[:, p], out.flags[:, p]
    seq = Sequence3D(out.points_3d, skeleton, dets[0].fps, "calibration world (Z up)",
                     np.array(WORLD_UP_Z), source=source,
                     extra={"reprojection_error": out.reprojection_error,
                            "views_used": out.views_used, "person_choice": note})
    return seq, out


def _patient_in_3d(first: Detections, out: TriangulationOutput, person: str) -> tuple[int, str]:
    """Index of the patient among the triangulated people, and a sentence saying why."""
    tracks = out.person_tracks
    if tracks is None or len(tracks) == 0:
        raise ValueError("nobody could be associated across the views")
    slot, choice = choose_person(first, person)
    hits = [p for p in range(len(tracks)) if tracks[p, 0] == slot]
    if hits:
        return hits[0], f"{choice}; matched across views as 3D person {hits[0]}"
    frames = np.isfinite(out.points_3d).all(-1).any(-1).sum(axis=0)
    p = int(np.argmax(frames))
    return p, f"{choice}, not seen in 3D; took the person triangulated longest ({p})"


def world_stage(dets: Detections, source: str) -> Sequence3D:
    """BlazePose's own metric 3D (hip-centred, image-aligned axes: y down) of the main person."""
    world = dets.extra.get("world")
    if world is None:
        raise ValueError("the detector returned no world landmarks")
    # the world landmarks carry the 2D's labels: undo the same left/right swaps, decided on
    # the COCO-17 joints as for lifting (BlazePose's heel/toe points are too noisy to vote)
    fix = resolve_left_right_2d(convert(dets.keypoints[:, 0], dets.skeleton, "coco17"),
                                "coco17")
    points = apply_relabelling(np.asarray(world)[:, 0], fix, dets.skeleton)
    return Sequence3D(points, dets.skeleton, dets.fps,
                      "BlazePose world (hip-centred, y down)", np.array(CAMERA_UP), source=source,
                      extra={"details": {"left_right_relabelled_frames":
                                         int(fix.frames_relabelled)}})

"""The `<detector>+videopose3d-adapted` stage: the lifter fine-tuned on the recording's own 2D.

Every calibrated view's main person (COCO-17, left/right labels fixed, mapped into its levelled
virtual camera as for lifting, `lift_input`) goes to the lifter's `AdaptLift`: a copy of the
model learns from that 2D alone (back-projection, bone symmetry and constancy, and agreement
between views in the world frame), then lifts the first view. No reference is read; the first
view's own 2D is part of the adaptation, and metrics.json says so (`adaptation`).

Inputs: Detections of N synchronised views and their Cameras. Output: Sequence3D h36m17, m,
root-relative, the first camera's frame (up axis from the calibration).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from posearena.calibration import Camera
from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena_gateway.clients.lift import adapt_lift
from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_gateway.pipelines.stages import main_person
from posearena_gateway.references.sequence import Sequence3D


def adapted_lift_stage(
    target: str, dets: Sequence[Detections], cameras: Sequence[Camera], source: str,
) -> Sequence3D:
    """Adapt the lifter to this recording's 2D (every view), then lift the first view.

    Raises:
        InvalidInputError: no calibrated view, or the first view has no detected person.
    """
    if not dets or len(cameras) < len(dets):
        raise InvalidInputError("cameras", len(cameras), f"a calibration for each of the "
                                f"{len(dets)} videos")
    t = min(d.num_frames for d in dets)
    views, preps, names = [], [], []
    for d, cam in zip(dets, cameras, strict=False):
        k, _ = main_person(d, "coco17")
        if not np.isfinite(k[:t]).any():
            if not views:
                raise InvalidInputError("video 1", cam.name, "a person detected in some frame")
            continue  # a view that never saw the person adds nothing
        prep = prepare_lift_input(k[:t], d.width, d.height, cam)
        views.append((prep.keypoints, d.width, d.height, cam.focal_px,
                      prep.view.rotation @ cam.R))
        preps.append(prep)
        names.append(cam.name)
    out = adapt_lift(target, views, dets[0].fps)
    report = json.loads(out.details.get("adaptation", "{}"))
    report.update(cameras=names, lifted_camera=names[0],
                  lifted_camera_2d_used=True,
                  note="the lifted camera's own 2D is part of the adaptation; no reference "
                       "or 3D label is used")
    details = {**out.details, "input_view": preps[0].how,
               "left_right_relabelled_frames": int(preps[0].relabelled),
               "adaptation": report}
    first = dets[0]
    poses, interp = preps[0].to_camera(out.poses_3d), out.interpolated
    if len(poses) < first.num_frames:  # keep every frame of the source video
        pad = np.full((first.num_frames - len(poses), *poses.shape[1:]), np.nan, np.float32)
        poses = np.concatenate([poses, pad])
        interp = np.concatenate([interp, np.ones(len(pad), bool)])
    return Sequence3D(poses, out.skeleton, first.fps, "camera (OpenCV), root-relative",
                      preps[0].up, source=source,
                      extra={"interpolated": interp, "details": details})

"""The `<detector>+videopose3d-adapted` stage through a real lifter service: every calibrated
view's 2D adapts a copy of the lifter, the first view is lifted, metrics.json's `adaptation`
says what was used."""

from __future__ import annotations

import numpy as np
from _helpers.services import running_service

from posearena.calibration import load_calibration
from posearena.npzio import Detections
from posearena_gateway.pipelines.adapt_stage import adapted_lift_stage
from posearena_gateway.pipelines.catalog import PIPELINES
from posearena_gateway.pipelines.stage_kinds import AdaptedLift

from .conftest import DATA

FIXTURE = DATA.parent / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def test_adapted_stage_lifts_the_first_view_and_reports_the_adaptation(tmp_path,
                                                                       demo_calib) -> None:
    z = np.load(FIXTURE)
    cams = load_calibration(demo_calib)
    dets, views = [], []
    for c in (0, 1):
        dets.append(Detections(z["keypoints"][c][:, None], z["visibility"][c][:, None],
                               np.ones((100, 1)), "blazepose33", float(z["fps"]),
                               int(z["width"][c]), int(z["height"][c])))
        views.append(cams[str(z["camera_names"][c])])
    with running_service("videopose3d", tmp_path) as svc:
        seq = adapted_lift_stage(svc.target, dets, views, "blazepose+videopose3d-adapted")
    assert seq.points.shape == (100, 17, 3) and seq.skeleton == "h36m17"
    np.testing.assert_allclose(seq.up_axis, views[0].R @ [0.0, 0.0, 1.0], atol=1e-9)
    report = seq.extra["details"]["adaptation"]
    assert report["cameras"] == ["cam01", "cam02"] and report["lifted_camera"] == "cam01"
    assert report["lifted_camera_2d_used"] and report["multi_view_consistency"]
    assert report["views"] == 2 and report["seconds"] > 0 and report["settings"]["steps"] > 0
    # the views' poses agree better in the world frame after adapting
    assert report["loss_last"]["views"] < 0.5 * report["loss_first"]["views"]
    spec = PIPELINES["blazepose+videopose3d-adapted"]
    assert spec.needs_calibration and isinstance(spec.stage, AdaptedLift)
    assert spec.stage.views(4) == 4  # every calibrated video adapts the lifter

"""Adapting the lifter to one recording (`adapt.adapt_lifter`, the `AdaptLift` RPC) on the
bundled 4-camera Pose2Sim clip: judged against the 4-view triangulation of the same 2D,
which the adaptation never reads."""

from __future__ import annotations

from pathlib import Path

import grpc
import numpy as np
import pytest
import torch
from _helpers.grpc_server import serve_in_process

from posearena.calibration import load_calibration
from posearena.errors import InvalidInputError
from posearena.skeletons import convert
from posearena.tensors import from_tensor, to_tensor
from posearena.triangulation_presets import PRESETS
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.comparison.joints import body12_pairs
from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_stereo.options import preset_options
from posearena_stereo.triangulate import triangulate_views
from posearena_videopose3d.adapt import AdaptConfig, AdaptView, adapt_lifter
from posearena_videopose3d.inference import lift
from posearena_videopose3d.loader import load_service_model
from posearena_videopose3d.servicer import VideoPose3DService
from posearena_videopose3d.training.evaluate import p_mpjpe

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
CALIB = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"


def triangulate(cams: list, z) -> np.ndarray:
    """The 4-view reference as `posearena compare` makes it (stereo service code, preset
    "reference": robust DLT, left/right swaps tried, refined, gaps filled, 6 Hz low-pass):
    (T, 33, 3) m, blazepose33."""
    opts = preset_options(PRESETS["reference"], "blazepose33", float(z["fps"]))
    return triangulate_views(z["keypoints"], cams, z["visibility"], opts).points_3d


@pytest.fixture(scope="module")
def clip():
    """Per camera: virtual-view COCO-17 2D, sizes, focal, world -> virtual rotation; the
    lifted camera's virtual rotation; the 4-view triangulation (blazepose33, m)."""
    torch.set_num_threads(1)
    z = np.load(FIXTURE)
    cams = load_calibration(CALIB)
    names = [str(n) for n in z["camera_names"]]
    views, rv = [], []
    for c, name in enumerate(names):
        k = convert(z["keypoints"][c], "blazepose33", "coco17")
        w, h = int(z["width"][c]), int(z["height"][c])
        vv = prepare_lift_input(k, w, h, cams[name]).view  # labels fixed, levelled view
        views.append(AdaptView(vv.keypoints, w, h, cams[name].focal_px,
                               vv.rotation @ cams[name].R))
        rv.append(vv.rotation)
    ref = triangulate([cams[n] for n in names], z)
    return views, rv, ref


def _p_mpjpe_cam01(model, clip) -> float:
    views, _, ref = clip
    v = views[0]
    out = lift(v.keypoints, v.width, v.height, model).poses_3d.astype(np.float64)
    ir, ic = body12_pairs("blazepose33", "h36m17")
    return p_mpjpe(out[:, ic], ref[:, ir])  # per-frame similarity: frames do not matter


def test_adapting_to_the_recording_brings_the_lift_closer_to_the_triangulation(clip) -> None:
    model = load_service_model().lifter.model
    before = _p_mpjpe_cam01(model, clip)
    weights = [p.detach().clone() for p in model.parameters()]
    adapted, report = adapt_lifter(model, clip[0], AdaptConfig(steps=60))
    after = _p_mpjpe_cam01(adapted, clip)
    assert after < before - 8.0, (before, after)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters(), strict=True))
    assert report["multi_view_consistency"] and report["views"] == 4
    assert report["loss_last"]["views"] < report["loss_first"]["views"]
    assert report["settings"]["steps"] == 60 and report["seconds"] > 0


def test_single_view_adaptation_has_no_consistency_term(clip) -> None:
    v = clip[0][0]
    model = load_service_model().lifter.model
    _, report = adapt_lifter(model, [AdaptView(v.keypoints, v.width, v.height, v.focal_px)],
                             AdaptConfig(steps=3))
    assert not report["multi_view_consistency"] and "views" not in report["loss_last"]
    with pytest.raises(InvalidInputError, match="equally long"):
        adapt_lifter(model, [v, AdaptView(v.keypoints[:50], v.width, v.height, v.focal_px)])


def test_adapt_lift_rpc(clip) -> None:
    views = clip[0][:2]
    req = pose_pb2.AdaptLiftRequest(skeleton="coco17", fps=60, steps=2)
    for v in views:
        req.views.append(pose_pb2.AdaptView(
            keypoints=to_tensor(v.keypoints.astype(np.float32)), width=v.width,
            height=v.height, focal_px=v.focal_px, rotation=v.rotation.ravel().tolist()))
    with serve_in_process(VideoPose3DService(load_service_model())) as channel:
        stub = pose_pb2_grpc.PoseEstimatorStub(channel)
        resp = stub.AdaptLift(req, timeout=300)
        assert from_tensor(resp.poses_3d, "p").shape == (100, 17, 3)
        assert '"steps": 2' in resp.details["adaptation"]
        bad = pose_pb2.AdaptLiftRequest()
        bad.CopyFrom(req)
        bad.views[1].rotation[0] = 5.0
        for wrong, field in ((bad, "views[1].rotation"),
                             (pose_pb2.AdaptLiftRequest(skeleton="coco17"), "views")):
            with pytest.raises(grpc.RpcError) as err:
                stub.AdaptLift(wrong, timeout=60)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in err.value.details()

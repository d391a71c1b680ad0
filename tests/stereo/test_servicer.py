"""The stereo servicer through a real in-process gRPC server on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from posearena.calibration import camera_to_proto, load_calibration
from posearena.service import ServiceConfig, build_server
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_stereo.servicer import DEFAULT_MAX_ERROR_PX, StereoService
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stub() -> Iterator[pose_pb2_grpc.PoseEstimatorStub]:
    server, port = build_server(StereoService(), ServiceConfig(host="127.0.0.1", port=0))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield pose_pb2_grpc.PoseEstimatorStub(channel)
    finally:
        channel.close()
        server.stop(0).wait()


def _request(obs, cams, conf=None, **options) -> pose_pb2.TriangulateRequest:
    views = []
    for i, cam in enumerate(cams):
        v = pose_pb2.View(camera_id=cam.name, keypoints=to_tensor(obs[i].astype(np.float32)))
        if conf is not None:
            v.confidence.CopyFrom(to_tensor(conf[i].astype(np.float32)))
        views.append(v)
    return pose_pb2.TriangulateRequest(
        views=views, cameras=[camera_to_proto(c) for c in reversed(cams)],  # matched by name
        options=pose_pb2.TriangulationOptions(**options))


def _code(stub, request) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        stub.Triangulate(request, timeout=10)
    return info.value.code(), info.value.details()


def test_info(stub):
    info = stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
    assert info.kind == pose_pb2.TRIANGULATOR and info.model_loaded and info.units == "m"


def test_multi_view_and_parallel(stub, rig):
    cams = rig.ring(3, distorted=True)
    X = rig.body_points(10, 6)
    obs = rig.observe(cams, X)
    resp = stub.Triangulate(_request(obs, cams), timeout=10)
    pts = from_tensor(resp.points_3d, "points_3d", ndim=3, last_dim=3)
    assert pts.dtype == np.float64 and np.abs(pts - X).max() < 1e-4  # float32 px on the wire
    assert (from_tensor(resp.views_used, "v") == 3).all()
    assert (from_tensor(resp.flags, "f") == 0).all() and resp.coordinate_frame.startswith("world")
    left = np.array([[[400.0, 300.0]], [[410.0, 310.0]]])
    right = left - [[[20.0, 0.0]], [[-5.0, 0.0]]]
    req = pose_pb2.TriangulateRequest(
        views=[pose_pb2.View(camera_id="l", keypoints=to_tensor(left)),
               pose_pb2.View(camera_id="r", keypoints=to_tensor(right))],
        parallel=pose_pb2.ParallelRig(focal_px=800.0, baseline_m=0.1, cx=320.0, cy=240.0))
    resp = stub.Triangulate(req, timeout=10)
    pts = from_tensor(resp.points_3d, "p")
    assert np.allclose(pts[0, 0], [80 * 4 / 800, 60 * 4 / 800, 4.0])
    assert np.isnan(pts[1, 0]).all() and from_tensor(resp.flags, "f")[1, 0] == 2
    assert resp.coordinate_frame.startswith("left camera")


def test_confidence_on_some_views_only(stub, rig):
    """Views without confidences count 1: none given, all ones and one view's own low
    confidences (under the floor: that view is not used) give what triangulate_views does."""
    cams = rig.ring(3, distorted=True)
    X = rig.body_points(12, 5)
    obs = rig.observe(cams, X, noise_px=1.0)
    ones = np.ones(obs.shape[:3])
    none = from_tensor(stub.Triangulate(_request(obs, cams, min_confidence=0.3),
                                        timeout=10).points_3d, "p")
    req = _request(obs, cams, ones, min_confidence=0.3)
    assert np.array_equal(none, from_tensor(stub.Triangulate(req, timeout=10).points_3d, "p"))
    req = _request(obs, cams, min_confidence=0.3)
    low = np.full(obs.shape[1:3], 0.2, np.float32)
    low[:6] = 1.0
    req.views[1].confidence.CopyFrom(to_tensor(low))
    resp = stub.Triangulate(req, timeout=10)
    conf = ones.copy()
    conf[1] = low
    direct = triangulate_views(obs.astype(np.float32), cams, conf,
                               TriangulationOptions(max_reprojection_error_px=DEFAULT_MAX_ERROR_PX,
                                                    drop_criterion="max", min_confidence=0.3))
    assert np.array_equal(from_tensor(resp.points_3d, "p"), direct.points_3d)
    used = from_tensor(resp.views_used, "v")
    assert (used[:6] == 3).all() and (used[6:] == 2).all()


def test_invalid_argument(stub, rig):
    cams = rig.ring(2)
    obs = rig.observe(cams, rig.body_points(8, 4))
    req = _request(obs, cams)
    req.views[1].keypoints.CopyFrom(to_tensor(obs[1, :5].astype(np.float32)))
    code, details = _code(stub, req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "views[1].keypoints" in details
    req = _request(obs, cams)
    req.views[0].camera_id = "nope"
    code, details = _code(stub, req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "views[0].camera_id" in details
    code, details = _code(stub, _request(obs, cams, try_swap_left_right=True))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "skeleton" in details
    bad = obs.copy()
    bad[0] = np.nan
    code, details = _code(stub, _request(bad, cams))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "keypoints[0]" in details
    req = _request(obs, cams)
    del req.cameras[0].matrix[:]
    code, details = _code(stub, req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "cameras[0].matrix" in details


def test_real_data_through_the_service(stub):
    d = np.load(ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz")
    cams = load_calibration(ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt")
    cams = [cams[str(n)] for n in d["camera_names"]]
    req = _request(d["keypoints"], cams, d["visibility"], try_swap_left_right=True, refine=True)
    req.skeleton = "blazepose33"
    resp = stub.Triangulate(req, timeout=30)
    pts = from_tensor(resp.points_3d, "p", ndim=3)
    from posearena.skeletons import get_skeleton

    sk = get_skeleton("blazepose33")
    direct = triangulate_views(d["keypoints"], cams, d["visibility"], TriangulationOptions(
        max_reprojection_error_px=DEFAULT_MAX_ERROR_PX, drop_criterion="max",
        try_swap_left_right=True, left_right=(sk.left, sk.right), parents=sk.parents, refine=True))
    assert np.allclose(pts, direct.points_3d, equal_nan=True, atol=1e-9)
    assert (from_tensor(resp.flags, "f") & 8).any()  # cam02's left/right swaps were found


def test_server_entry_point_serves_then_ends_on_sigterm_with_its_log_flushed():
    """`python -m posearena_stereo.server` answers GetInfo, and SIGTERM ends it with status 0
    and its last log line written (it skips the interpreter's teardown: `exit_now`)."""
    proc = subprocess.Popen([sys.executable, "-m", "posearena_stereo.server", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("stereo listening on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[-1])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            info = pose_pb2_grpc.PoseEstimatorStub(ch).GetInfo(pose_pb2.GetInfoRequest(),
                                                               timeout=10)
        assert info.name == "stereo"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err.rstrip().endswith("stereo stopped"), err


@pytest.mark.parametrize("name", ["candidate", "reference", "raw"])
def test_in_process_preset_options_are_what_the_service_applies(name):
    """Benches and tests that triangulate in process with a preset get the service's options."""
    from dataclasses import replace

    from posearena.triangulation_presets import PRESETS
    from posearena_stereo.options import preset_options
    from posearena_stereo.servicer import _options

    request = pose_pb2.TriangulateRequest(skeleton="coco17",
                                          options=PRESETS[name].options(60.0))
    served = _options(request, 17)
    assert replace(served, threads=1) == preset_options(PRESETS[name], "coco17", 60.0)

"""`posearena triangulate`'s data path outside the numerical core: the request as sent, the
2D inputs as read. Each must equal, bit for bit, what the plain protobuf / convert path gives."""

from __future__ import annotations

from concurrent import futures

import grpc
import numpy as np
import pytest

from posearena.calibration import camera_to_proto, load_calibration
from posearena.skeletons import convert
from posearena.tensors import to_tensor
from posearena.triangulation_presets import PRESETS
from posearena.v1 import pose_pb2
from posearena_gateway.clients.triangulate import encode_request, triangulate
from posearena_gateway.commands._inputs import load_2d

from .conftest import DEMO


def _protobuf_request(head: pose_pb2.TriangulateRequest, ids, kps, confs=None):
    """The request built the plain way: a Tensor per array, copied into its View."""
    req = pose_pb2.TriangulateRequest()
    for i, (cam, k) in enumerate(zip(ids, kps, strict=True)):
        k = np.asarray(k)
        view = pose_pb2.View(camera_id=cam, keypoints=to_tensor(
            k if k.dtype in (np.float32, np.float64) else k.astype(np.float64)))
        if confs is not None:
            view.confidence.CopyFrom(to_tensor(np.asarray(confs[i], np.float32)))
        req.views.append(view)
    req.MergeFrom(head)
    return req


@pytest.fixture(scope="module")
def cameras():
    calib = load_calibration(DEMO / "Calib.qca.txt")
    return [calib[n] for n in sorted(calib)]


def test_encoded_request_is_the_serialized_request_byte_for_byte(cameras):
    rng = np.random.default_rng(0)
    kps = [rng.normal(500, 100, (50, 17, 2)).astype(np.float32) for _ in cameras]
    kps[1][3, 4] = np.nan
    confs = [rng.uniform(0, 1, (50, 17)) for _ in cameras]  # float64: sent as float32
    head = pose_pb2.TriangulateRequest(skeleton="coco17",
                                       options=PRESETS["candidate"].options(30.0))
    head.cameras.extend(camera_to_proto(c) for c in cameras)
    ids = [c.name for c in cameras]
    for k, c in ((kps, None), (kps, confs), ([k.astype(np.float64) for k in kps], None),
                 ([np.nan_to_num(k).astype(np.int16) for k in kps], confs)):  # ints: float64
        assert encode_request(head, ids, k, c) == _protobuf_request(head, ids, k, c) \
            .SerializeToString()
    rig = pose_pb2.TriangulateRequest(skeleton="coco17")
    rig.parallel.CopyFrom(pose_pb2.ParallelRig(focal_px=800, baseline_m=0.1, cx=320, cy=240))
    people = [rng.normal(0, 1, (7, 2, 17, 2)) for _ in range(2)]  # (T, K, J, 2) tracks
    assert encode_request(rig, ["left", "right"], people) == _protobuf_request(
        rig, ["left", "right"], people).SerializeToString()
    with pytest.raises(ValueError):
        encode_request(head, ids[:2], kps)


class _Recorder:
    """A Triangulate handler that keeps the raw request and answers a fixed response."""

    def __init__(self, response: pose_pb2.TriangulateResponse) -> None:
        self.response, self.requests = response, []

    def __call__(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.requests.append(request)
        return self.response.SerializeToString()


def test_the_call_sends_the_request_and_unpacks_the_response(cameras):
    points = np.arange(2 * 17 * 3, dtype=np.float64).reshape(2, 17, 3)
    response = pose_pb2.TriangulateResponse(
        points_3d=to_tensor(points), reprojection_error=to_tensor(np.ones((2, 17), np.float32)),
        views_used=to_tensor(np.full((2, 17), 4, np.int32)),
        flags=to_tensor(np.zeros((2, 17), np.uint8)), coordinate_frame="world", details={"a": "b"})
    rec = _Recorder(response)
    server = grpc.server(futures.ThreadPoolExecutor(1))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "posearena.v1.PoseEstimator", {"Triangulate": grpc.unary_unary_rpc_method_handler(rec)})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        kps = [np.full((2, 17, 2), float(i), np.float32) for i in range(len(cameras))]
        out = triangulate(f"127.0.0.1:{port}", kps, [c.name for c in cameras], "coco17",
                          cameras=cameras, options=PRESETS["candidate"].options(30.0))
    finally:
        server.stop(0).wait()
    head = pose_pb2.TriangulateRequest(skeleton="coco17",
                                       options=PRESETS["candidate"].options(30.0))
    head.cameras.extend(camera_to_proto(c) for c in cameras)
    assert rec.requests == [_protobuf_request(head, [c.name for c in cameras], kps)
                            .SerializeToString()]
    assert np.array_equal(out.points_3d, points) and out.points_3d.flags.writeable
    assert out.views_used.dtype == np.int32 and out.flags.dtype == np.uint8
    assert out.coordinate_frame == "world" and out.details == {"a": "b"}
    assert out.person_tracks is None


def _odd_values(dtype) -> np.ndarray:
    """(6, 17, 2) keypoints with -0.0, NaNs of both signs and a payload, inf and subnormals."""
    k = np.random.default_rng(1).normal(300, 200, (6, 17, 2)).astype(dtype)
    k[0, :4, 0] = [-0.0, np.nan, -np.nan, np.inf]
    k[0, :3, 1] = [-np.inf, np.finfo(dtype).smallest_subnormal, -0.0]
    bits = k.view(np.uint32 if dtype == np.float32 else np.uint64)
    bits[1, 0, 0] = 0x7FC00123 if dtype == np.float32 else 0x7FF8000000000123
    return k


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_npy_inputs_read_bit_for_bit_as_convert_gives(tmp_path, dtype):
    k = _odd_values(np.float64 if dtype == np.int16 else dtype)
    if dtype == np.int16:
        k = np.nan_to_num(k, nan=0, posinf=0, neginf=0).astype(np.int16)
    np.save(tmp_path / "k.npy", k)
    got, conf, dets = load_2d(str(tmp_path / "k.npy"), "coco17", default_skeleton="coco17")
    expected = convert(k.astype(np.float32), "coco17", "coco17")
    assert conf is None and dets is None and got.dtype == expected.dtype == np.float32
    assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
    if dtype != np.int16:
        assert got[0, 0, 0] == 0 and not np.signbit(got[0, 0, 0])  # -0.0 became +0.0


def test_npy_inputs_of_another_skeleton_are_converted(tmp_path):
    k = _odd_values(np.float32)
    np.save(tmp_path / "k.npy", k)
    got = load_2d(str(tmp_path / "k.npy"), "h36m17", default_skeleton="coco17")[0]
    expected = convert(k, "coco17", "h36m17")
    assert got.tobytes() == expected.tobytes()
    np.save(tmp_path / "k25.npy", np.zeros((3, 25, 2), np.float32))
    with pytest.raises(Exception, match="J = 17"):  # convert's own message on a wrong J
        load_2d(str(tmp_path / "k25.npy"), "coco17", default_skeleton="coco17")

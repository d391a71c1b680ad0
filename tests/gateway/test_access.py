"""The gateway service reads only under its data roots and writes only under its runs root:
one test per rule, then the rules at the wire (PERMISSION_DENIED before any work)."""

from __future__ import annotations

import os
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from posearena.v1 import gateway_pb2, gateway_pb2_grpc
from posearena_gateway.access import PathNotAllowedError, PathRoots
from posearena_gateway.server import GatewayService


@pytest.fixture
def roots(tmp_path: Path) -> PathRoots:
    """data/ with one video, runs/, and secret.txt outside both."""
    (tmp_path / "data").mkdir()
    (tmp_path / "runs").mkdir()
    (tmp_path / "data" / "v.mp4").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("no")
    return PathRoots.configured([str(tmp_path / "data")], str(tmp_path / "runs"))


def test_relative_paths_are_taken_under_the_roots(roots):
    assert roots.readable("videos[0]", "v.mp4") == roots.data[0] / "v.mp4"
    assert roots.writable("out_dir", "session1") == roots.runs / "session1"


def test_absolute_paths_inside_a_root_are_allowed(roots):
    path = str(roots.data[0] / "v.mp4")
    assert roots.readable("videos[0]", path) == Path(path)


def test_dot_dot_is_refused_even_when_it_stays_inside(roots):
    with pytest.raises(PathNotAllowedError, match=r"'\.\.'"):
        roots.readable("videos[0]", "sub/../v.mp4")
    with pytest.raises(PathNotAllowedError, match=r"'\.\.'"):
        roots.writable("out_dir", "../secret")


def test_absolute_paths_outside_the_roots_are_refused(roots):
    with pytest.raises(PathNotAllowedError, match="data roots"):
        roots.readable("calibration", str(roots.runs.parent / "secret.txt"))
    with pytest.raises(PathNotAllowedError, match="runs root"):
        roots.writable("out_dir", "/tmp")
    with pytest.raises(PathNotAllowedError, match="data roots"):  # a run folder is not input
        roots.readable("videos[0]", str(roots.runs / "x.mp4"))


def test_symlinks_leading_out_of_a_root_are_refused(roots):
    os.symlink(roots.runs.parent / "secret.txt", roots.data[0] / "link.mp4")
    os.symlink(roots.runs.parent, roots.runs / "escape")
    with pytest.raises(PathNotAllowedError, match="resolves to"):
        roots.readable("videos[0]", "link.mp4")
    with pytest.raises(PathNotAllowedError, match="resolves to"):
        roots.writable("out_dir", "escape/run")
    os.symlink(roots.data[0] / "v.mp4", roots.data[0] / "inside.mp4")
    assert roots.readable("videos[0]", "inside.mp4") == roots.data[0] / "v.mp4"


@pytest.mark.parametrize("field", ["videos", "calibration", "reference", "out_dir"])
def test_compare_refuses_each_path_field_outside_the_roots(roots, field):
    outside = str(roots.runs.parent / "secret.txt")
    req = gateway_pb2.CompareRequest(videos=["v.mp4"], out_dir="run", reference="none")
    if field == "videos":
        req.videos[0] = outside
    elif field == "calibration":
        req.calibration = outside
    elif field == "reference":
        req.reference = f"mocap:{outside}"
    else:
        req.out_dir = str(roots.runs.parent / "elsewhere")
    server = grpc.server(futures.ThreadPoolExecutor(2))
    gateway_pb2_grpc.add_GatewayServicer_to_server(GatewayService(roots), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch, \
                pytest.raises(grpc.RpcError) as err:
            list(gateway_pb2_grpc.GatewayStub(ch).Compare(req, timeout=30))
    finally:
        server.stop(0).wait()
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, err.value.details()
    assert field.split("[")[0] in err.value.details()
    assert not (roots.runs.parent / "elsewhere").exists()  # nothing written

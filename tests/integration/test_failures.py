"""Failure paths of the compose stack: wrong image tag, port in use, a container killed
mid-run, and swapping an estimator image with one variable. Each uses its own compose project
(stereo only, small and fast) on its own 127.0.0.1 ports."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import grpc
import numpy as np
import pytest

from posearena.tensors import to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from tests.integration.stack import Stack, StackError

pytestmark = pytest.mark.integration

PORT = 50262


def _parallel_request(T: int = 2000) -> pose_pb2.TriangulateRequest:
    rng = np.random.default_rng(1)
    left = (400 + 200 * rng.random((T, 17, 2))).astype(np.float32)
    right = left.copy()
    right[..., 0] -= 40.0  # positive disparity: a valid rectified pair
    return pose_pb2.TriangulateRequest(
        views=[pose_pb2.View(camera_id="left", keypoints=to_tensor(left)),
               pose_pb2.View(camera_id="right", keypoints=to_tensor(right))],
        parallel=pose_pb2.ParallelRig(focal_px=1000, baseline_m=0.1, cx=540, cy=960),
        skeleton="coco17")


def test_wrong_image_tag_fails_before_any_container(images):
    stack = Stack("pa-it-tag", {"POSEARENA_STEREO_IMAGE": "posearena/stereo:no-such-tag",
                                "POSEARENA_STEREO_PORT": str(PORT)})
    try:
        with pytest.raises(StackError) as err:
            stack.up(["stereo"])
        msg = str(err.value)
        assert "posearena/stereo:no-such-tag" in msg and "POSEARENA_STEREO_IMAGE" in msg
        assert stack.states() == {}  # nothing was created
    finally:
        stack.down()


def test_port_in_use_is_a_clear_error(images):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", PORT))
        busy.listen()
        stack = Stack("pa-it-port", {"POSEARENA_STEREO_PORT": str(PORT)})
        try:
            with pytest.raises(StackError) as err:
                stack.up(["stereo"])
            assert f"127.0.0.1:{PORT} already in use" in str(err.value)
            assert "POSEARENA_STEREO_PORT" in str(err.value)
            assert stack.states() == {}
        finally:
            stack.down()
        # the service itself, started on a taken port, exits with a message naming it
        run = subprocess.run(
            ["docker", "run", "--rm", "--network", "host", "-e", "POSEARENA_HOST=127.0.0.1",
             "-e", f"POSEARENA_PORT={PORT}", "posearena/stereo:latest"],
            capture_output=True, text=True, timeout=120)
        assert run.returncode == 3
        assert f"cannot bind 127.0.0.1:{PORT}" in run.stderr


def test_killed_container_is_reported(images):
    stack = Stack("pa-it-kill", {"POSEARENA_STEREO_PORT": str(PORT)})
    try:
        stack.up(["stereo"])
        stack.wait_healthy(["stereo"], timeout_s=120)
        stub = pose_pb2_grpc.PoseEstimatorStub(grpc.insecure_channel(f"127.0.0.1:{PORT}"))
        request = _parallel_request()
        codes: list[grpc.StatusCode] = []
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set():
                try:
                    stub.Triangulate(request, timeout=10)
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as exc:
                    codes.append(exc.code())
                    return

        worker = threading.Thread(target=client)
        worker.start()
        deadline = time.monotonic() + 30
        while grpc.StatusCode.OK not in codes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert grpc.StatusCode.OK in codes, f"no successful request before the kill: {codes}"
        stack.compose("kill", "-s", "SIGKILL", "stereo")
        worker.join(timeout=30)
        stop.set()
        assert codes[-1] == grpc.StatusCode.UNAVAILABLE, codes[-3:]
        failures = stack.failures(["stereo"])
        assert len(failures) == 1 and failures[0].startswith("stereo: exited (exit 137")
        with pytest.raises(StackError, match="stereo: exited"):
            stack.wait_healthy(["stereo"], timeout_s=10)
    finally:
        stack.down()


def test_swapping_an_image_is_one_variable(images):
    alt = "posearena/stereo:swap-test"
    subprocess.run(["docker", "tag", "posearena/stereo:latest", alt], check=True)
    stack = Stack("pa-it-swap", {"POSEARENA_STEREO_IMAGE": alt,
                                 "POSEARENA_STEREO_PORT": str(PORT)})
    try:
        stack.up(["stereo"])
        stack.wait_healthy(["stereo"], timeout_s=120)
        cid = stack.compose("ps", "-q", "stereo").stdout.strip()
        used = subprocess.run(["docker", "inspect", "--format", "{{.Config.Image}}", cid],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert used == alt
        stub = pose_pb2_grpc.PoseEstimatorStub(grpc.insecure_channel(f"127.0.0.1:{PORT}"))
        assert stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10).kind == pose_pb2.TRIANGULATOR
    finally:
        stack.down()
        subprocess.run(["docker", "rmi", alt], capture_output=True)


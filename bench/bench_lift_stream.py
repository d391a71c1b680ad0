"""Benchmark: per-frame latency of causal lifting over gRPC, streaming vs re-sending a window.

Source: cam01 of the committed BlazePose fixture (Pose2Sim demo, 100 frames, COCO-17),
played forwards and backwards to `--frames` frames. The videopose3d service runs as a local
process (as `posearena lift` starts it) with the shipped causal model (RF 81, 256 ch).
- stream: one `LiftStream` per run; each frame is sent only after the previous frame's 3D came
  back (a live camera's pace), latency = send to receive of that frame.
- re-send: what real-time use needed before: per new frame a unary `Lift` (model "causal")
  of the last RF frames, keeping the last output.
- in-process: `CausalStream.push` alone (the model's share of the latency).
Each with flip TTA (the service default) and without. p50 / p95 / max in ms; the machine's
load average is printed beside them (shared 2-core machines: compare within one run).

Usage: .venv/bin/python bench/bench_lift_stream.py [--frames 400]
"""

from __future__ import annotations

import argparse
import os
import queue
import time
from pathlib import Path

import numpy as np
import torch

from posearena.skeletons import convert
from posearena.tensors import to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.runtime import EmbeddedServices
from posearena_gateway.runtime.channels import shared_channel
from posearena_videopose3d.loader import load_service_model
from posearena_videopose3d.streaming import CausalStream, single_frame_model

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def source(n: int) -> tuple[np.ndarray, int, int]:
    """(n, 17, 2) px COCO-17 of cam01 (ping-pong over the 100 frames), width, height."""
    z = np.load(FIXTURE)
    kp = convert(z["keypoints"][0], "blazepose33", "coco17").astype(np.float32)
    loop = np.concatenate([kp, kp[::-1]])
    idx = np.arange(n) % len(loop)
    return loop[idx], int(z["width"][0]), int(z["height"][0])


def stats(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"{np.percentile(a, 50):7.2f} {np.percentile(a, 95):7.2f} {a.max():8.2f}"


def stream_latency(target: str, kp: np.ndarray, w: int, h: int, flip: bool) -> list[float]:
    """Lock-step LiftStream: send frame i, wait for its 3D, then send frame i + 1."""
    answered: queue.Queue = queue.Queue()
    sent = [0.0] * len(kp)

    def requests():
        yield pose_pb2.LiftStreamRequest(skeleton="coco17", width=w, height=h, fps=60,
                                         flip_tta=flip)
        for i, frame in enumerate(kp):
            sent[i] = time.perf_counter()
            yield pose_pb2.LiftStreamRequest(keypoints=to_tensor(frame[None]))
            answered.get(timeout=60)

    stub = pose_pb2_grpc.PoseEstimatorStub(shared_channel(target))
    lat = []
    for reply in stub.LiftStream(requests(), timeout=600):
        lat.append((time.perf_counter() - sent[reply.index]) * 1e3)
        answered.put(reply.index)
    return lat


def resend_latency(target: str, kp: np.ndarray, w: int, h: int, flip: bool,
                   rf: int) -> list[float]:
    """Unary Lift of the last RF frames per new frame."""
    stub = pose_pb2_grpc.PoseEstimatorStub(shared_channel(target))
    lat = []
    for t in range(len(kp)):
        win = kp[max(0, t - rf + 1): t + 1]
        t0 = time.perf_counter()
        stub.Lift(pose_pb2.LiftRequest(keypoints=to_tensor(win), skeleton="coco17", width=w,
                                       height=h, fps=60, flip_tta=flip, model="causal"),
                  timeout=60)
        lat.append((time.perf_counter() - t0) * 1e3)
    return lat


def inprocess_latency(kp: np.ndarray, w: int, h: int, flip: bool) -> list[float]:
    model = single_frame_model(load_service_model().causal.model)
    st = CausalStream(model, w, h, flip)
    lat = []
    for frame in kp:
        t0 = time.perf_counter()
        st.push(frame)
        lat.append((time.perf_counter() - t0) * 1e3)
    return lat


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=400)
    a = ap.parse_args()
    torch.set_num_threads(1)
    kp, w, h = source(a.frames)
    rf = 81
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    print(f"{a.frames} frames, shipped causal model (RF {rf}, 256 ch); latency per frame, ms")
    print(f"{'path':<34} {'p50':>7} {'p95':>7} {'max':>8}")
    with EmbeddedServices(["videopose3d"]) as es:
        target = es.target("videopose3d")
        if target is None:
            print(es.errors.get("videopose3d"))
            return 1
        stream_latency(target, kp[:20], w, h, True)  # warm-up (threads, allocations)
        for flip in (True, False):
            tag = "flip TTA" if flip else "no TTA"
            results = {
                f"LiftStream, {tag}": stream_latency(target, kp, w, h, flip),
                f"re-send {rf} frames (Lift), {tag}": resend_latency(target, kp, w, h, flip,
                                                                       rf),
                f"in-process push, {tag}": inprocess_latency(kp, w, h, flip),
            }
            for name, lat in results.items():
                print(f"{name:<34} {stats(lat)}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

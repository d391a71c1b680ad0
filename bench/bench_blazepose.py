"""BlazePose frames/s: through the service (gRPC, 127.0.0.1) versus mediapipe in-process.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_blazepose.py [--frames 100] [--rounds 3]

Both paths do the same work on the same clip (cam01 of the Pose2Sim demo, 1080x1920):
decode every frame with OpenCV and run BlazePose (video mode, full model) on it.
- in-process: this script re-run by the BlazePose venv's Python (`--inprocess`), a plain
  loop read -> process in one process.
- service: `posearena_blazepose.server` started as a subprocess; `detect_video` decodes and
  sends frames (raw BGR and JPEG transports) while the service works on earlier ones.
Rounds alternate between the paths (the machine is shared); the median of each is reported,
with service / in-process ratios (target >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
CLIP = ROOT / "data" / "pose2sim_demo" / "videos" / "cam01.mp4"


def inprocess_rate(video: Path, frames: int) -> dict[str, float]:
    """Frames/s of decode + BlazePose.process in one process (BlazePose venv only).

    Args:
        video: clip path.
        frames: number of frames from the start.

    Returns:
        {"fps": frames/s of the whole loop incl. graph construction, "frames": n}.
    """
    import cv2

    from posearena_blazepose.estimator import BlazePoseEstimator

    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(video))
    n = 0
    with BlazePoseEstimator(image_mode=False) as est:
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        while n < frames:
            ok, bgr = cap.read()
            if not ok:
                break
            est.process(bgr, n / fps)
            n += 1
    cap.release()
    return {"fps": n / (time.perf_counter() - t0), "frames": n}


def _inprocess_subprocess(video: Path, frames: int) -> float:
    out = subprocess.run(
        [str(BP_PYTHON), __file__, "--inprocess", "--video", str(video), "--frames", str(frames)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["fps"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per figure; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=CLIP)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--inprocess", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.inprocess:
        print(json.dumps(inprocess_rate(args.video, args.frames)))
        return 0

    from posearena_gateway.detection import detect_video
    from posearena_gateway.runtime import EmbeddedServices

    rates: dict[str, list[float]] = {"in-process": [], "service raw": [], "service jpeg": []}
    with EmbeddedServices(["blazepose"], fresh=True) as services:
        target = services.target("blazepose")
        if target is None:
            raise RuntimeError(f"service did not start: {services.errors['blazepose']}")
        detect_video(target, args.video, max_frames=5)  # warm the channel and the service
        for _ in range(args.rounds):
            rates["in-process"].append(_inprocess_subprocess(args.video, args.frames))
            for transport in ("raw", "jpeg"):
                t0 = time.perf_counter()
                det = detect_video(target, args.video, max_frames=args.frames, transport=transport)
                rates[f"service {transport}"].append(det.num_frames / (time.perf_counter() - t0))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"clip {args.video.name}, {args.frames} frames, {args.rounds} rounds (median frames/s)")
    for name, values in rates.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        ratio = med[name] / med["in-process"]
        print(f"{name:13s} {med[name]:6.1f} frames/s  ratio {ratio:.2f}  (runs: {runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

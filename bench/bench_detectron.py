"""Keypoint R-CNN frames/s on CPU (2 threads) with randomly initialised weights.

Run in the detectron venv: `.venvs/detectron/bin/python bench/bench_detectron.py [--frames N]`.
The images are resized by the model to the model zoos' test size (shorter side 800 px, longer
side <= 1333 px), so the input size matters only through its aspect ratio and the resize.
The box classifier is biased to "person" and detections are capped at `--detections` per
frame, so the keypoint head runs that many times per frame, as on a frame with that many
candidate people (random weights would otherwise detect nobody and skip it).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from posearena_detectron.detector import KeypointDetector
from posearena_detectron.model import build_model, get_spec


def bench(variant: str, width: int, height: int, frames: int, detections: int) -> float:
    """Frames/s of `KeypointDetector.detect` on random (height, width, 3) uint8 frames."""
    torch.manual_seed(0)
    spec = get_spec(variant)
    model = build_model(spec)
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.bias.copy_(torch.tensor([0.0, 5.0]))
    model.roi_heads.detections_per_img = detections
    det = KeypointDetector(model, spec, "cpu")
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(2)]
    det.detect(images[0])  # warm-up
    t0 = time.perf_counter()
    for i in range(frames):
        det.detect(images[i % 2])
    return frames / (time.perf_counter() - t0)


def main() -> None:
    """Print frames/s for ResNet-50 and ResNet-101 at 640x480 and 1920x1080."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--detections", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, CPU, {args.detections} "
          f"detections/frame, test size 800/1333")
    for variant in ("torchvision_r50", "detectron2_r101"):
        for w, h in ((640, 480), (1920, 1080)):
            fps = bench(variant, w, h, args.frames, args.detections)
            print(f"{variant:16s} {w}x{h}: {fps:.2f} frames/s ({1000 / fps:.0f} ms/frame)")


if __name__ == "__main__":
    main()

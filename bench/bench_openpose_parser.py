"""Frames/s of the OpenPose parser alone (peaks, PAF scoring, assembly) on synthetic maps.

A 1080x1920 image at network height 368 gives a 46 x 82 output grid (BODY_25: 26 heatmaps,
52 PAFs); 1, 2, 5 and 10 standing people are rendered side by side. Parsing on the network
grid (default) and on maps upsampled x8 to the network input as OpenPose does.

    .venv/bin/python bench/bench_openpose_parser.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from posearena_openpose.parsing import GridMapping, parse_maps, upsample_maps
from posearena_openpose.spec import BODY25
from posearena_openpose.synthetic import render_maps

TEMPLATE = np.array([
    [0.0, -13.0], [0.0, -10.0], [-3.0, -10.0], [-4.0, -5.0], [-4.5, -1.0], [3.0, -10.0],
    [4.0, -5.0], [4.5, -1.0], [0.0, 0.0], [-2.0, 0.0], [-2.2, 6.0], [-2.3, 12.0], [2.0, 0.0],
    [2.2, 6.0], [2.3, 12.0], [-0.7, -13.8], [0.7, -13.8], [-1.6, -13.3], [1.6, -13.3],
    [3.5, 13.0], [4.2, 12.9], [2.0, 12.6], [-3.5, 13.0], [-4.2, 12.9], [-2.0, 12.6],
])  # fmt: skip


def scene(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 25, 2) people in grid cells across the 82-cell width (overlapping when n = 10)."""
    xs = np.linspace(6, 76, n) if n > 1 else np.array([41.0])
    size = 0.8 if n <= 5 else 0.55
    return np.stack([TEMPLATE * size + [x + rng.uniform(-0.5, 0.5), 22 + rng.uniform(-2, 2)]
                     for x in xs])


def bench(heat: np.ndarray, pafs: np.ndarray, mapping: GridMapping, upsample: int,
          seconds: float) -> tuple[float, int]:
    """(frames/s, people found) of upsample + parse over `seconds`."""
    count, found, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or count < 3:
        h, p, m = upsample_maps(heat, pafs, mapping, upsample)
        found = len(parse_maps(h, p, BODY25, m))
        count += 1
    return count / (time.perf_counter() - t0), found


def main() -> None:
    """Print frames/s per people count for both parsing resolutions."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    scale = 367 / 1079
    mapping = GridMapping(3.5 / scale, 8 / scale, 8.0)
    rng = np.random.default_rng(0)
    print("OpenPose parser, 1080x1920 image, net 368x656, grid 46x82, BODY_25")
    print(f"{'people':>6} {'found':>5} {'grid fps':>9} {'found':>5} {'x8 fps':>7}")
    for n in (1, 2, 5, 10):
        heat, pafs = render_maps(scene(n, rng), BODY25, (46, 82))
        fps1, f1 = bench(heat, pafs, mapping, 1, args.seconds)
        fps8, f8 = bench(heat, pafs, mapping, 8, args.seconds)
        print(f"{n:>6} {f1:>5} {fps1:>9.1f} {f8:>5} {fps8:>7.1f}")


if __name__ == "__main__":
    main()

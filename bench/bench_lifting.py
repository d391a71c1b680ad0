"""Benchmark: VideoPose3D lifting of a 10,000-frame sequence, fast path vs the plain original.

Model: TemporalModel 17 -> 17 joints, filter widths 3,3,3,3,3 (RF 243), 1024 channels,
random weights and random BN statistics, torch with 2 threads. "plain" is the original's
eager evaluation (eval mode, BN unfolded, the mirrored sequence appended to the batch as
`UnchunkedGenerator` does); "fast" is `Lifter` (BN folded, Winograd F(2,3), chunks,
inference_mode). Both run on the same weights and input; runs alternate and the best of
`--repeats` is reported. Peak memory: a child process's peak RSS minus its RSS before one
lift (Linux /proc), i.e. what the lift itself needs on top of the model.

Usage: .venv/bin/python bench/bench_lifting.py [--frames 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
import torch

from posearena_videopose3d.inference import Lifter, lift
from posearena_videopose3d.model import TemporalModel


def make_model(channels: int, seed: int = 0) -> TemporalModel:
    """Random TemporalModel (3,3,3,3,3) with random BN statistics, eval mode."""
    torch.manual_seed(seed)
    model = TemporalModel(17, 2, 17, [3, 3, 3, 3, 3], channels=channels)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm1d):
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.1)
    return model.eval()


def make_keypoints(frames: int, seed: int = 1) -> np.ndarray:
    """(T, 17, 2) px: a person-sized random pose drifting smoothly in a 1920x1080 image."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([860, 340], [1060, 740], size=(17, 2))
    drift = np.cumsum(rng.normal(0, 2.0, size=(frames, 17, 2)), axis=0)
    return base + drift


def _peak_child(args: tuple[int, int, bool, bool], queue: mp.Queue) -> None:
    frames, channels, fast, tta = args
    torch.set_num_threads(2)
    model = make_model(channels)
    kp = make_keypoints(frames)
    runner = Lifter(model) if fast else model
    lift(kp[:300], 1920, 1080, runner, flip_tta=tta, fast=fast)  # warm-up allocations
    with open("/proc/self/statm") as f:  # current RSS in pages (Linux)
        before_mb = int(f.read().split()[1]) * resource.getpagesize() / 2**20
    lift(kp, 1920, 1080, runner, flip_tta=tta, fast=fast)
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before_mb)


def peak_mb(frames: int, channels: int, fast: bool, tta: bool) -> float:
    """Max RSS growth (MB) of a fresh process during one lift."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=((frames, channels, fast, tta), queue))
    proc.start()
    value = queue.get()
    proc.join()
    return float(value)


def main() -> None:
    """Print frames/s, speed-up, max abs difference and peak memory for TTA off and on."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10000)
    ap.add_argument("--channels", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model = make_model(args.channels)
    lifter = Lifter(model)
    kp = make_keypoints(args.frames)
    print(f"VideoPose3D RF {model.receptive_field()}, {args.channels} ch, {args.frames} frames, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'flip TTA':>8} {'plain f/s':>10} {'fast f/s':>10} {'speed-up':>8} "
          f"{'max|diff| m':>12} {'plain MB':>9} {'fast MB':>8}")
    for tta in (False, True):
        best = {"plain": np.inf, "fast": np.inf}
        outs = {}
        for _ in range(args.repeats):
            for name, runner, fast in (("plain", model, False), ("fast", lifter, True)):
                t0 = time.perf_counter()
                outs[name] = lift(kp, 1920, 1080, runner, flip_tta=tta, fast=fast).poses_3d
                best[name] = min(best[name], time.perf_counter() - t0)
        diff = float(np.abs(outs["plain"] - outs["fast"]).max())
        fps = {k: args.frames / v for k, v in best.items()}
        mem = {k: peak_mb(args.frames, args.channels, k == "fast", tta) for k in best}
        print(f"{'on' if tta else 'off':>8} {fps['plain']:10.0f} {fps['fast']:10.0f} "
              f"{fps['fast'] / fps['plain']:8.2f} {diff:12.2e} {mem['plain']:9.0f} "
              f"{mem['fast']:8.0f}")


if __name__ == "__main__":
    main()

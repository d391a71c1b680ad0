"""Benchmark: VideoPose3D lifting at scale, in process and through `posearena lift`, beside
the plain original model in the same run.

Model: TemporalModel 17 -> 17 joints, filter widths 3,3,3,3,3 (RF 243), `--channels` (1024),
random weights and random BN statistics, saved as a posearena checkpoint for the CLI. Input:
a person-sized random pose drifting smoothly in a 1920x1080 image, `--frames` frames (each
count of the list in turn). Per frame count and flip-TTA setting, interleaved rounds of
- plain: the original's eager evaluation (eval mode, BN unfolded, the mirrored sequence
  appended to the batch as VideoPose3D's `UnchunkedGenerator`), in this process;
- fast: `lift` with a `Lifter` (BN folded, Winograd, chunks, inference_mode), in this process;
- CLI: `posearena lift --input T.npy --checkpoint ...` (label fix, an embedded videopose3d
  service started with the checkpoint, gRPC both ways, the npz written), on every frame and on
  the first `--cli-small`; its marginal time is the difference of the two (start-up and model
  loading cancel out), per frame of the difference.
Each figure is the best of `--repeats` rounds: frames/s by wall time and "CPU f/s" by CPU time
(user + sys of all threads; the CLI's counts the CLI and its service process). Outputs are
checked equal within `TOLERANCE_M` (fast vs plain on the same 2D; CLI vs plain on the 2D the
CLI sends, i.e. after its label fix). Peak memory: "in process" is a fresh process's peak RSS
growth during one lift (Linux /proc VmHWM); "CLI" is the peak RSS of the CLI's service on
every frame (polled VmHWM). The machine is shared: compare figures of one run only.

Usage: .venv/bin/python bench/bench_lifting.py [--frames 10000,40000] [--tta on] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_videopose3d.checkpoint import save_checkpoint
from posearena_videopose3d.inference import Lifter, lift
from posearena_videopose3d.model import TemporalModel

WIDTH, HEIGHT = 1920, 1080
THREADS = 2
TOLERANCE_M = 1e-5  # largest accepted |difference| to the plain original, m
POSEARENA = Path(sys.executable).with_name("posearena")


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


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak RSS (MB) of a process's own memory (Linux VmHWM; ru_maxrss would carry the
    forking parent's peak over to a child), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            line = next(ln for ln in f if ln.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 1024


def timed(fn) -> tuple[float, float, object]:
    """(wall s, CPU s of this process, result) of fn()."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


class Cli:
    """`posearena lift` on .npy inputs in a temporary folder, with the model's checkpoint
    (so each call starts its own videopose3d service with that model, as a user's would)."""

    def __init__(self, model: TemporalModel) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self._tmp.name)
        self.checkpoint = save_checkpoint(self.dir / "bench.pt", model, "random weights (bench)")
        self.env = dict(os.environ, POSEARENA_STATE_DIR=str(self.dir / "state"))
        self.env.pop("POSEARENA_VIDEOPOSE3D_ADDR", None)

    def run(self, kp: np.ndarray, tta: bool) -> tuple[float, float, float]:
        """(wall s, CPU s, peak RSS MB of its service) of one CLI run on kp (T, 17, 2)."""
        name = f"{len(kp)}"
        path = self.dir / f"{name}.npy"
        if not path.exists():
            np.save(path, kp.astype(np.float32))
        cmd = [str(POSEARENA), "lift", "--input", str(path), "--output",
               str(self.dir / f"{name}_{int(tta)}.npz"), "--width", str(WIDTH), "--height",
               str(HEIGHT), "--checkpoint", str(self.checkpoint)] + ([] if tta else
                                                                     ["--no-flip-tta"])
        with open(self.dir / "cli.log", "wb") as log:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env)
            peak = 0.0
            while True:  # poll the peak RSS of the CLI's children (its service)
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # usage: its service too
                if pid:
                    break
                kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                for kid in (kids.read_text().split() if kids.exists() else []):
                    peak = max(peak, vm_hwm_mb(kid))
                time.sleep(0.05)
            wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}\n"
                               + (self.dir / "cli.log").read_text()[-2000:])
        return wall, usage.ru_utime + usage.ru_stime, peak

    def output(self, frames: int, tta: bool) -> np.ndarray:
        """(T, 17, 3) poses_3d of the last run on `frames` frames."""
        with np.load(self.dir / f"{frames}_{int(tta)}.npz") as z:
            return z["poses_3d"]


def _peak_child(args: tuple[int, int, bool, bool], queue: mp.Queue) -> None:
    frames, channels, fast, tta = args
    torch.set_num_threads(THREADS)
    model = make_model(channels)
    kp = make_keypoints(frames)
    runner = Lifter(model) if fast else model
    lift(kp[:300], WIDTH, HEIGHT, runner, flip_tta=tta, fast=fast)  # warm-up allocations
    with open("/proc/self/statm") as f:  # current RSS in pages (Linux)
        before_mb = int(f.read().split()[1]) * resource.getpagesize() / 2**20
    lift(kp, WIDTH, HEIGHT, runner, flip_tta=tta, fast=fast)
    queue.put(vm_hwm_mb() - before_mb)


def peak_mb(frames: int, channels: int, fast: bool, tta: bool) -> float:
    """Max RSS growth (MB) of a fresh process during one lift."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=((frames, channels, fast, tta), queue))
    proc.start()
    value = queue.get()
    proc.join()
    return float(value)


def bench_one(frames: int, tta: bool, model: TemporalModel, lifter: Lifter, cli: Cli,
              args: argparse.Namespace) -> str:
    """One table row: interleaved rounds of plain, fast, CLI (every frame, small)."""
    kp = make_keypoints(frames)
    sent = prepare_lift_input(kp, WIDTH, HEIGHT).keypoints  # what the CLI sends its service
    small = kp[: args.cli_small]
    runs = {
        "plain": lambda: timed(lambda: lift(kp, WIDTH, HEIGHT, model, tta, fast=False))[:2],
        "fast": lambda: timed(lambda: lift(kp, WIDTH, HEIGHT, lifter, tta))[:2],
        "cli": lambda: cli.run(kp, tta)[:2],
        "cli_small": lambda: cli.run(small, tta)[:2],
    }
    wall = {k: np.inf for k in runs}
    cpu = dict(wall)
    for _ in range(args.repeats):
        for name, run in runs.items():
            w, c = run()
            wall[name], cpu[name] = min(wall[name], w), min(cpu[name], c)
    plain = lift(kp, WIDTH, HEIGHT, model, tta, fast=False).poses_3d
    fast = lift(kp, WIDTH, HEIGHT, lifter, tta).poses_3d
    plain_sent = lift(sent, WIDTH, HEIGHT, model, tta, fast=False).poses_3d
    diff = float(np.abs(fast - plain).max())
    diff_cli = float(np.abs(cli.output(frames, tta) - plain_sent).max())
    if max(diff, diff_cli) > TOLERANCE_M:
        raise SystemExit(f"outputs differ from the original: fast {diff:.2e} m, CLI "
                         f"{diff_cli:.2e} m (tolerance {TOLERANCE_M:.0e} m)")
    n_marg = frames - len(small)
    fps = {k: frames / wall[k] for k in ("plain", "fast")}
    cps = {k: frames / cpu[k] for k in ("plain", "fast")}
    fps["cli"] = n_marg / (wall["cli"] - wall["cli_small"])
    cps["cli"] = n_marg / (cpu["cli"] - cpu["cli_small"])
    mem = {k: peak_mb(frames, args.channels, k == "fast", tta) for k in ("plain", "fast")}
    cli_mb = cli.run(kp, tta)[2]
    print(f"CLI {frames} frames: {wall['cli']:.2f} s, {len(small)} frames: "
          f"{wall['cli_small']:.2f} s (start-up); CPU {cpu['cli']:.2f} / {cpu['cli_small']:.2f} s")
    return (f"{frames:>7} {'on' if tta else 'off':>4} {fps['plain']:8.0f} {fps['fast']:8.0f} "
            f"{fps['cli']:8.0f} {fps['fast'] / fps['plain']:6.2f}x "
            f"{fps['cli'] / fps['plain']:6.2f}x {cps['plain']:8.0f} {cps['fast']:8.0f} "
            f"{cps['cli']:8.0f} {cps['cli'] / cps['plain']:6.2f}x {max(diff, diff_cli):9.1e} "
            f"{mem['plain']:7.0f} {mem['fast']:7.0f} {cli_mb:7.0f}")


def main() -> None:
    """Print frames/s (wall and CPU), speed-ups, max |diff| and peak memory per row."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", default="10000,40000", help="comma-separated frame counts")
    ap.add_argument("--tta", default="on", help="flip TTA settings: on, off or off,on")
    ap.add_argument("--channels", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cli-small", type=int, default=1000,
                    help="frames of the CLI run whose time is subtracted (start-up)")
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    model = make_model(args.channels)
    lifter = Lifter(model)
    cli = Cli(model)
    print(f"VideoPose3D RF {model.receptive_field()}, {args.channels} ch, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads in process (the CLI's "
          f"service: torch's default), best of {args.repeats}, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'frames':>7} {'TTA':>4} {'plain':>8} {'fast':>8} {'CLI marg':>8} {'fast':>7} "
          f"{'CLI':>7} {'CPU f/s':>8} {'':>8} {'':>8} {'CLI CPU':>7} {'max|diff|':>9} "
          f"{'MB plain':>7} {'fast':>7} {'CLI':>7}")
    print(f"{'':>12} {'frames/s (wall)':>26} {'vs plain':>15} {'plain':>8} {'fast':>8} "
          f"{'CLI marg':>8} {'vs plain':>7} {'m':>9} {'in process':>15} {'peak':>7}")
    for frames in (int(f) for f in args.frames.split(",")):
        for tta in (t == "on" for t in args.tta.split(",")):
            print(bench_one(frames, tta, model, lifter, cli, args), flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Triangulation throughput and accuracy: posearena_stereo vs aniposelib 0.8.0, side by side.

Part 1, real motion at the product's defaults: 40,000 frames x 17 COCO joints of UI-PRMD
Vicon joint centres (posearena.mocap; every subject's files in turn from
/work/shared/data/ui_prmd when present, else the bundled data/ui_prmd files repeated), a
person at the centre of the real Pose2Sim demo calibration (data/pose2sim_demo/Calib.qca.txt,
4 cameras, lens distortion), projected into the 4 views with 1 px Gaussian noise. posearena
runs the `candidate` preset (posearena.triangulation_presets: 15 px view dropping, L/R swap
hypotheses, refinement, confidence 0.3, 10-frame gaps), as the stereo service builds it:
in process (`core`) and through `posearena triangulate` (the CLI: .npy inputs, an embedded
stereo service, the npz output), whose marginal time is its time on every frame minus its
time on the first ``--cli-small`` frames run right after it (the median of these paired
differences over the rounds: start-up alone varies by seconds under load). aniposelib
triangulates the same pixels with `CameraGroup.triangulate` (plain DLT, no refinement).
End to end: the CLI's whole time on every frame beside an aniposelib script in a fresh
process (load the same .npy views, build the CameraGroup, triangulate, save the points): what
a user waits for, start-ups and JIT compilation included.
Error: 3D distance to the true joint centres (mm) where the truth exists.

Part 2, plain DLT: 10,000 frames x 17 random joints in the capture volume, projected into
cam01+cam02 or all 4 views with 1 px noise.

Times are the best of ``--repeats`` after a warm-up (JAX compiles on aniposelib's first
call): wall time and CPU time (every thread; for the CLI its process and the stereo service
it starts). This machine is shared: compare figures of the same run only.

aniposelib runs in its own environment, created on first use (or by hand)::

    python3 -m venv .venvs/bench-anipose
    .venvs/bench-anipose/bin/pip install aniposelib==0.8.0

Usage: ``.venv/bin/python bench/bench_triangulation.py [--frames 40000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from posearena.calibration import load_calibration, matrix_to_rodrigues
from posearena.mocap.api import mocap_joints
from posearena.triangulation_presets import PRESETS
from posearena.v1 import pose_pb2
from posearena_stereo.servicer import _options as service_options
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views

ROOT = Path(__file__).resolve().parents[1]
CALIB = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"
VICON_DIRS = (Path("/work/shared/data/ui_prmd/Vicon/Positions"),
              ROOT / "data" / "ui_prmd" / "Vicon" / "Positions")
ANIPOSE_VENV = ROOT / ".venvs" / "bench-anipose"
ANIPOSE_PY = ANIPOSE_VENV / "bin" / "python"
POSEARENA = ROOT / ".venv" / "bin" / "posearena"
J = 17

# Runs inside the aniposelib venv: reads the npz, then for every line "C" on stdin times one
# CameraGroup.triangulate on the first C views and prints its wall and CPU seconds (a JAX
# warm-up first); the points of the last call per C are saved.
WORKER = r"""
import sys, time
import numpy as np
from aniposelib.cameras import Camera, CameraGroup
d = np.load(sys.argv[1])
groups = {}
for line in sys.stdin:
    C = int(line)
    if C not in groups:
        groups[C] = CameraGroup([
            Camera(matrix=d["K"][c], dist=d["dist"][c], size=tuple(d["size"][c]),
                   rvec=d["rvec"][c], tvec=d["tvec"][c], name=str(c)) for c in range(C)])
        groups[C].triangulate(d["obs"][:C].reshape(C, -1, 2)[:, :1000], progress=False)
    pts = d["obs"][:C].reshape(C, -1, 2)
    t0, c0 = time.perf_counter(), time.process_time()
    X = groups[C].triangulate(pts, progress=False)
    t1, c1 = time.perf_counter(), time.process_time()
    np.save(sys.argv[2] + f".{C}.npy", X)
    print(t1 - t0, c1 - c0, flush=True)
"""


def _errors(points: np.ndarray, truth: np.ndarray) -> dict:
    """Median / mean 3D error (mm) where the truth exists, and points left NaN there."""
    err = 1000 * np.linalg.norm(points.reshape(-1, 3) - truth.reshape(-1, 3), axis=1)
    err = err[np.isfinite(truth.reshape(-1, 3)).all(axis=1)]
    return {"median_mm": float(np.nanmedian(err)), "mean_mm": float(np.nanmean(err)),
            "nan": int(np.isnan(err).sum())}


def real_motion(frames: int) -> tuple[np.ndarray, list[str]]:
    """(frames, 17, 3) m COCO joint centres of UI-PRMD Vicon files, one after the other,
    each file's pelvis centred on the calibration's origin (Z up); and the files used."""
    folder = next(d for d in VICON_DIRS if d.is_dir())
    files = sorted(folder.glob("*_positions.txt.gz"))
    seqs, used, n = [], [], 0
    while n < frames:
        for f in files:
            X = mocap_joints(f)["coco17"]
            hips = np.nanmean(X[:, 11:13, :2], axis=(0, 1))
            seqs.append(X - np.array([hips[0], hips[1], 0.0]))
            used.append(f.name)
            n += len(X)
            if n >= frames:
                break
    return np.concatenate(seqs)[:frames], used


def observe(cams: list, X: np.ndarray, seed: int = 0) -> np.ndarray:
    """(C, T, J, 2) px: X (T, J, 3) projected into every camera, 1 px Gaussian noise."""
    rng = np.random.default_rng(seed)
    obs = np.stack([c.project(X) for c in cams])
    return obs + rng.normal(0.0, 1.0, obs.shape)


def synthetic(frames: int, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    """Cameras, random points (T, 17, 3) m in the capture volume, observations (4, T, 17, 2)."""
    cams = list(load_calibration(CALIB).values())
    rng = np.random.default_rng(seed)
    body = rng.uniform([-0.25, -0.25, 0.05], [0.25, 0.25, 1.75], (J, 3))
    root = rng.uniform([-0.5, -0.5, 0.0], [0.5, 0.5, 0.1], (frames, 1, 3))
    X = body[None] + root
    return cams, X, observe(cams, X, seed)


def ensure_anipose(install: bool) -> str | None:
    """Path of the aniposelib venv's python, creating it if allowed; None with a reason."""
    if ANIPOSE_PY.exists():
        ok = subprocess.run([str(ANIPOSE_PY), "-c", "import aniposelib"], capture_output=True)
        if ok.returncode == 0:
            return None
    if not install:
        return f"aniposelib venv missing ({ANIPOSE_VENV}); run without --no-install"
    steps = [] if ANIPOSE_PY.exists() else [["python3", "-m", "venv", str(ANIPOSE_VENV)]]
    steps.append([str(ANIPOSE_PY), "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", "aniposelib==0.8.0"])
    for cmd in steps:
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            return f"aniposelib could not be installed: {res.stderr.strip()[-300:]}"
    return None


def default_options() -> TriangulationOptions:
    """The stereo service's options for the `candidate` preset and coco17 (as it runs them)."""
    req = pose_pb2.TriangulateRequest(options=PRESETS["candidate"].options(100.0),
                                      skeleton="coco17")
    return service_options(req, J)


class Seconds(NamedTuple):
    """Wall and CPU time of one run, s."""

    wall: float
    cpu: float


def timed(fn) -> tuple[Seconds, object]:
    """Wall and CPU time (s; this process's threads) of fn(), and its result."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return Seconds(time.perf_counter() - t0, time.process_time() - c0), out


def best(a: Seconds | None, b: Seconds) -> Seconds:
    """The better wall and the better CPU time of two runs."""
    return b if a is None else Seconds(min(a.wall, b.wall), min(a.cpu, b.cpu))

# Runs inside the aniposelib venv, in a fresh process, what a user's script would do: load
# the views' .npy files (argv[3:]), build the CameraGroup from the calibration arrays of the
# npz (argv[1]), triangulate, save the points (argv[2]).
END_TO_END = r"""
import sys
import numpy as np
from aniposelib.cameras import Camera, CameraGroup
d = np.load(sys.argv[1])
views = np.stack([np.load(p) for p in sys.argv[3:]]).astype(np.float64)
C = views.shape[0]
group = CameraGroup([Camera(matrix=d["K"][c], dist=d["dist"][c], size=tuple(d["size"][c]),
                            rvec=d["rvec"][c], tvec=d["tvec"][c], name=str(c))
                     for c in range(C)])
np.save(sys.argv[2], group.triangulate(views.reshape(C, -1, 2), progress=False))
"""


def run_timed(args: list[str]) -> Seconds:
    """Wall and CPU time (the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(lambda: subprocess.run(args, check=True, capture_output=True))[0].wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Seconds(wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


class Cli:
    """`posearena triangulate` on the views of obs (C, T, J, 2) saved as .npy files, on every
    frame or on the first `frames` (an embedded stereo service is started by each call)."""

    def __init__(self, names: list[str], obs: np.ndarray) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self._names, self._obs = names, obs

    def run(self, frames: int) -> Seconds:
        """Wall and CPU time (the CLI and its service) of one run on the first `frames`."""
        args = [str(POSEARENA), "triangulate", "--calib", str(CALIB), "--cameras",
                ",".join(self._names), "--output", f"{self._tmp.name}/out{frames}.npz"]
        for path in self.inputs(frames):
            args += ["--input", str(path)]
        return run_timed(args)

    def inputs(self, frames: int) -> list[Path]:
        """The views' .npy files (T, J, 2) float32 px of the first `frames` (written once)."""
        paths = []
        for c, name in enumerate(self._names):
            path = Path(f"{self._tmp.name}/{name}_{frames}.npy")
            if not path.exists():
                np.save(path, self._obs[c, :frames].astype(np.float32))
            paths.append(path)
        return paths

    def points(self, frames: int) -> np.ndarray:
        """(T, J, 3) points of the last run on `frames` frames."""
        with np.load(f"{self._tmp.name}/out{frames}.npz") as f:
            return f["points_3d"]


class Anipose:
    """The WORKER in the aniposelib venv on the pixels obs (C, T, J, 2), kept running so that
    its timings interleave with posearena's (the machine's load changes by the minute)."""

    def __init__(self, cams, obs: np.ndarray) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        path = Path(self._tmp.name) / "data.npz"
        np.savez(path, obs=obs, K=np.stack([c.K for c in cams]),
                 dist=np.stack([np.pad(c.dist, (0, 5 - c.dist.size)) for c in cams]),
                 size=np.array([[c.width, c.height] for c in cams]),
                 rvec=np.stack([matrix_to_rodrigues(c.R) for c in cams]),
                 tvec=np.stack([c.t for c in cams]))
        self._calib = path
        self._out = Path(self._tmp.name) / "X"
        self._T = obs.shape[1]
        self._proc = subprocess.Popen([str(ANIPOSE_PY), "-c", WORKER, str(path), str(self._out)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def time(self, views: int) -> Seconds:
        """Wall and CPU time of one triangulate call on the first `views` views."""
        self._proc.stdin.write(f"{views}\n")  # type: ignore[union-attr]
        self._proc.stdin.flush()  # type: ignore[union-attr]
        line = self._proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("aniposelib worker failed (see its stderr above)")
        wall, cpu = line.split()
        return Seconds(float(wall), float(cpu))

    def end_to_end(self, inputs: list[Path]) -> Seconds:
        """Wall and CPU time of END_TO_END in a fresh process on the .npy files `inputs`."""
        return run_timed([str(ANIPOSE_PY), "-c", END_TO_END, str(self._calib),
                          f"{self._out}.e2e.npy", *map(str, inputs)])

    def points(self, views: int) -> np.ndarray:
        """(T, J, 3) points of the last call on `views` views."""
        return np.load(f"{self._out}.{views}.npy").reshape(self._T, -1, 3)

    def close(self) -> None:
        """Stop the worker and remove its files."""
        self._proc.stdin.close()  # type: ignore[union-attr]
        self._proc.wait()
        self._tmp.cleanup()


def _row(name: str, n: int, t: Seconds, errors: dict | None) -> str:
    err = (f"{errors['median_mm']:9.3f} {errors['mean_mm']:9.3f} {errors['nan']:7d}"
           if errors else "")
    return (f"{name:44s} {n / t.wall:12,.0f} {t.wall:8.3f} {n / t.cpu:12,.0f} {t.cpu:8.3f} "
            f"{err}")


HEADER = (f"{'method':44s} {'points/s':>12s} {'wall s':>8s} {'points/CPU s':>12s} "
          f"{'CPU s':>8s} {'median mm':>9s} {'mean mm':>9s} {'NaN':>7s}")


def real_motion_part(args: argparse.Namespace, anipose_ok: bool) -> None:
    """Part 1 (see the module docstring): rounds of core, CLI (full and small) and
    aniposelib one after the other; each method's best round."""
    calib = load_calibration(CALIB)
    names = sorted(calib)
    cams = [calib[n] for n in names]
    X, files = real_motion(args.frames)
    obs = observe(cams, X)
    T, n = X.shape[0], X.shape[0] * J
    opts = default_options()
    print(f"\n== real motion: {T} frames x {J} joints = {n:,} points, "
          f"{len(files)} Vicon files ({files[0]} ..), 4 views, 1 px noise ==")
    print(f"posearena options: candidate preset ({PRESETS['candidate'].method()}), "
          f"threads={opts.threads}; best of {args.repeats} interleaved rounds")
    triangulate_views(obs[:, :200], cams, options=opts)  # warm-up
    cli, peer = Cli(names, obs), Anipose(cams, obs) if anipose_ok else None
    times: dict[str, Seconds | None] = dict.fromkeys(("core", "full", "small", "peer", "e2e"))
    paired: list[Seconds] = []  # CLI on every frame minus CLI on a few, per round
    try:
        for _ in range(args.repeats):
            t, res = timed(lambda: triangulate_views(obs, cams, options=opts))
            times["core"] = best(times["core"], t)
            full, small = cli.run(T), cli.run(args.cli_small)
            paired.append(Seconds(full.wall - small.wall, full.cpu - small.cpu))
            times["full"], times["small"] = best(times["full"], full), best(times["small"], small)
            if peer is not None:
                times["peer"] = best(times["peer"], peer.time(4))
                times["e2e"] = best(times["e2e"], peer.end_to_end(cli.inputs(T)))
        full, small = times["full"], times["small"]
        assert full is not None and small is not None and times["core"] is not None
        n_marg = (T - args.cli_small) * J
        # the marginal time of the CLI, scaled to all n points
        marginal = Seconds(float(np.median([p.wall for p in paired])) * n / n_marg,
                           float(np.median([p.cpu for p in paired])) * n / n_marg)
        rows = [("posearena core, candidate preset", times["core"], _errors(res.points_3d, X)),
                ("posearena triangulate CLI, marginal", marginal, _errors(cli.points(T), X))]
        if peer is not None:
            rows.append(("aniposelib 0.8.0 CameraGroup.triangulate", times["peer"],
                         _errors(peer.points(4), X)))
    finally:
        if peer is not None:
            peer.close()
    print(HEADER)
    for name, t, e in rows:
        print(_row(name, n, t, e))
    print(f"CLI: best {full.wall:.2f} s wall / {full.cpu:.2f} s CPU on {T} frames, "
          f"{small.wall:.2f} / {small.cpu:.2f} s on {args.cli_small} (start-up); marginal: "
          f"median of the paired differences, scaled to {n:,} points")
    if peer is not None and times["peer"] is not None:
        base = times["peer"]
        core = times["core"]
        print(f"speed vs aniposelib (same run), wall: core {base.wall / core.wall:.2f}x, "
              f"CLI marginal {base.wall / marginal.wall:.2f}x; CPU: core "
              f"{base.cpu / core.cpu:.2f}x, CLI marginal {base.cpu / marginal.cpu:.2f}x")
        e2e = times["e2e"]
        assert e2e is not None
        print(f"end to end, a fresh process each (.npy views in, points out; what a user waits "
              f"for): posearena triangulate {full.wall:.2f} s wall / {full.cpu:.2f} s CPU, "
              f"an aniposelib script {e2e.wall:.2f} / {e2e.cpu:.2f} s: "
              f"{e2e.wall / full.wall:.2f}x by wall, {e2e.cpu / full.cpu:.2f}x by CPU")


def synthetic_part(args: argparse.Namespace, anipose_ok: bool) -> None:
    """Part 2 (see the module docstring)."""
    cams, X, obs = synthetic(args.dlt_frames)
    n = args.dlt_frames * J
    print(f"\n== plain DLT: {args.dlt_frames} frames x {J} random joints = {n:,} points, "
          f"best of {args.repeats} interleaved rounds ==")
    print(HEADER.replace("method" + " " * 38, "method, views" + " " * 31))
    methods = {f"{name}, {C}": (C, opts) for name, opts in (
        ("posearena DLT (2 passes)", TriangulationOptions()),
        ("posearena DLT + Gauss-Newton", TriangulationOptions(refine=True))) for C in (2, 4)}
    times: dict[str, Seconds | None] = dict.fromkeys(methods)
    points: dict = {}
    peer = Anipose(cams, obs) if anipose_ok else None
    try:
        for C, opts in methods.values():
            triangulate_views(obs[:C, :100], cams[:C], options=opts)  # warm-up
        for _ in range(args.repeats):
            for name, (C, opts) in methods.items():
                t, res = timed(lambda C=C, opts=opts: triangulate_views(obs[:C], cams[:C],
                                                                         options=opts))
                times[name], points[name] = best(times[name], t), res.points_3d
            for C in (2, 4) if peer is not None else ():
                name = f"aniposelib 0.8.0 triangulate, {C}"
                times[name] = best(times.get(name), peer.time(C))
                points[name] = peer.points(C)
    finally:
        if peer is not None:
            peer.close()
    for name, t in times.items():
        if t is not None:
            print(_row(name, n, t, _errors(points[name], X)))


def main(argv: list[str] | None = None) -> int:
    """Print both comparison tables; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40_000, help="real-motion frames")
    ap.add_argument("--cli-small", type=int, default=200,
                    help="frames of the CLI run whose time is taken as start-up")
    ap.add_argument("--dlt-frames", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--part", choices=["all", "real", "dlt"], default="all")
    ap.add_argument("--no-install", action="store_true", help="do not create the anipose venv")
    args = ap.parse_args(argv)
    problem = ensure_anipose(not args.no_install)
    if problem:
        print(problem)
    if args.part in ("all", "real"):
        real_motion_part(args, problem is None)
    if args.part in ("all", "dlt"):
        synthetic_part(args, problem is None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Triangulation throughput and accuracy: posearena_stereo vs aniposelib 0.8.0, side by side.

Part 1, real motion at the product's defaults: 40,000 frames x 17 COCO joints of UI-PRMD
Vicon joint centres (posearena.mocap; every subject's files in turn from
/work/shared/data/ui_prmd when present, else the bundled data/ui_prmd files repeated), a
person at the centre of the real Pose2Sim demo calibration (data/pose2sim_demo/Calib.qca.txt,
4 cameras, lens distortion), projected into the 4 views with 1 px Gaussian noise. posearena
runs the `candidate` preset (posearena.triangulation_presets: 15 px view dropping, L/R swap
hypotheses, refinement, confidence 0.3, 10-frame gaps), as the stereo service builds it:
in process (`core`) and through `posearena triangulate` (the CLI: .npy inputs, an embedded
stereo service, the npz output), whose marginal time is its best time on every frame minus
its best time on the first ``--cli-small`` frames. aniposelib triangulates the same pixels
with `CameraGroup.triangulate` (plain DLT, no refinement). Error: 3D distance to the true
joint centres (mm) where the truth exists.

Part 2, plain DLT: 10,000 frames x 17 random joints in the capture volume, projected into
cam01+cam02 or all 4 views with 1 px noise.

Times are the best of ``--repeats`` after a warm-up (JAX compiles on aniposelib's first
call). This machine is shared: compare figures of the same run only.

aniposelib runs in its own environment, created on first use (or by hand)::

    python3 -m venv .venvs/bench-anipose
    .venvs/bench-anipose/bin/pip install aniposelib==0.8.0

Usage: ``.venv/bin/python bench/bench_triangulation.py [--frames 40000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

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

# Runs inside the aniposelib venv: reads the npz, times CameraGroup.triangulate on the first
# C views for each C given, prints JSON.
WORKER = r"""
import json, sys, time
import numpy as np
from aniposelib.cameras import Camera, CameraGroup
d = np.load(sys.argv[1]); repeats = int(sys.argv[2]); out = {}
for C in [int(c) for c in sys.argv[3].split(",")]:
    cams = [Camera(matrix=d["K"][c], dist=d["dist"][c], size=tuple(d["size"][c]),
                   rvec=d["rvec"][c], tvec=d["tvec"][c], name=str(c)) for c in range(C)]
    group = CameraGroup(cams)
    pts = d["obs"][:C].reshape(C, -1, 2)
    group.triangulate(pts[:, :1000], progress=False)  # warm-up: JAX compilation
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); X = group.triangulate(pts, progress=False)
        best = min(best, time.perf_counter() - t0)
    np.save(sys.argv[4] + f".{C}.npy", X)
    out[C] = best
print(json.dumps(out))
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


def best_of(repeats: int, fn) -> tuple[float, object]:
    """Best wall time of `repeats` calls of fn() and the last result."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_core(cams, obs: np.ndarray, repeats: int, options: TriangulationOptions
             ) -> tuple[float, np.ndarray]:
    """Best time (s) and points (T, J, 3) of triangulate_views on every view of obs."""
    triangulate_views(obs[:, :200], cams, options=options)  # warm-up
    t, res = best_of(repeats, lambda: triangulate_views(obs, cams, options=options))
    return t, res.points_3d


def run_cli(names: list[str], obs: np.ndarray, repeats: int, small: int
            ) -> tuple[float, float, np.ndarray]:
    """`posearena triangulate` on .npy views: best time on every frame and on the first
    ``small`` frames (s), and the points (T, J, 3) of the full run."""
    with tempfile.TemporaryDirectory() as tmp:
        def cli(frames: int) -> float:
            args = [str(POSEARENA), "triangulate", "--calib", str(CALIB),
                    "--cameras", ",".join(names), "--output", f"{tmp}/out{frames}.npz"]
            for c, name in enumerate(names):
                path = f"{tmp}/{name}_{frames}.npy"
                np.save(path, obs[c, :frames].astype(np.float32))
                args += ["--input", path]
            return best_of(repeats, lambda: subprocess.run(args, check=True,
                                                           capture_output=True))[0]
        T = obs.shape[1]
        t_small, t_full = cli(small), cli(T)
        with np.load(f"{tmp}/out{T}.npz") as d:
            points = d["points_3d"]
    return t_full, t_small, points


def run_anipose(cams, obs: np.ndarray, repeats: int, views: tuple[int, ...]
                ) -> dict[int, tuple[float, np.ndarray]]:
    """WORKER in the aniposelib venv on the same pixels: per view count (best s, points)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(path, obs=obs, K=np.stack([c.K for c in cams]),
                 dist=np.stack([np.pad(c.dist, (0, 5 - c.dist.size)) for c in cams]),
                 size=np.array([[c.width, c.height] for c in cams]),
                 rvec=np.stack([matrix_to_rodrigues(c.R) for c in cams]),
                 tvec=np.stack([c.t for c in cams]))
        res = subprocess.run([str(ANIPOSE_PY), "-c", WORKER, str(path), str(repeats),
                              ",".join(map(str, views)), str(Path(tmp) / "X")],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"aniposelib worker failed: {res.stderr[-500:]}")
        times = json.loads(res.stdout.strip().splitlines()[-1])
        T = obs.shape[1]
        return {int(C): (t, np.load(Path(tmp) / f"X.{C}.npy").reshape(T, -1, 3))
                for C, t in times.items()}


def _row(name: str, n: int, seconds: float, errors: dict | None) -> str:
    err = (f"{errors['median_mm']:9.3f} {errors['mean_mm']:9.3f} {errors['nan']:7d}"
           if errors else "")
    return f"{name:44s} {n / seconds:12,.0f} {seconds:8.3f} {err}"


HEADER = (f"{'method':44s} {'points/s':>12s} {'time s':>8s} {'median mm':>9s} "
          f"{'mean mm':>9s} {'NaN':>7s}")


def real_motion_part(args: argparse.Namespace, anipose_ok: bool) -> None:
    """Part 1 (see the module docstring)."""
    calib = load_calibration(CALIB)
    names = sorted(calib)
    cams = [calib[n] for n in names]
    X, files = real_motion(args.frames)
    obs = observe(cams, X)
    n = X.shape[0] * J
    opts = default_options()
    print(f"\n== real motion: {X.shape[0]} frames x {J} joints = {n:,} points, "
          f"{len(files)} Vicon files ({files[0]} ..), 4 views, 1 px noise ==")
    print(f"posearena options: candidate preset ({PRESETS['candidate'].method()}), "
          f"threads={opts.threads}")
    print(HEADER)
    t_core, P_core = run_core(cams, obs, args.repeats, opts)
    rows = [("posearena core, candidate preset", t_core, _errors(P_core, X))]
    t_full, t_small, P_cli = run_cli(names, obs, args.repeats, args.cli_small)
    marginal = t_full - t_small
    n_marg = (X.shape[0] - args.cli_small) * J
    rows.append(("posearena triangulate CLI, marginal", marginal * n / n_marg,
                 _errors(P_cli, X)))
    base = None
    if anipose_ok:
        base, P_a = run_anipose(cams, obs, args.repeats, (4,))[4]
        rows.append(("aniposelib 0.8.0 CameraGroup.triangulate", base, _errors(P_a, X)))
    for name, t, e in rows:
        print(_row(name, n, t, e))
    print(f"CLI: {t_full:.2f} s on {X.shape[0]} frames, {t_small:.2f} s on {args.cli_small} "
          f"(start-up); marginal {marginal:.2f} s for {n_marg:,} points")
    if base is not None:
        print(f"speed vs aniposelib (same run): core {base / t_core:.2f}x, "
              f"CLI marginal {base / (marginal * n / n_marg):.2f}x")


def synthetic_part(args: argparse.Namespace, anipose_ok: bool) -> None:
    """Part 2 (see the module docstring)."""
    cams, X, obs = synthetic(args.dlt_frames)
    n = args.dlt_frames * J
    print(f"\n== plain DLT: {args.dlt_frames} frames x {J} random joints = {n:,} points ==")
    print(HEADER.replace("method" + " " * 38, "method, views" + " " * 31))
    rows = []
    for name, opts in (("posearena DLT (2 passes)", TriangulationOptions()),
                       ("posearena DLT + Gauss-Newton", TriangulationOptions(refine=True))):
        for C in (2, 4):
            t, P = run_core(cams[:C], obs[:C], args.repeats, opts)
            rows.append((f"{name}, {C}", t, _errors(P, X)))
    if anipose_ok:
        for C, (t, P) in run_anipose(cams, obs, args.repeats, (2, 4)).items():
            rows.append((f"aniposelib 0.8.0 triangulate, {C}", t, _errors(P, X)))
    for name, t, e in rows:
        print(_row(name, n, t, e))


def main(argv: list[str] | None = None) -> int:
    """Print both comparison tables; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40_000, help="real-motion frames")
    ap.add_argument("--cli-small", type=int, default=200,
                    help="frames of the CLI run whose time is taken as start-up")
    ap.add_argument("--dlt-frames", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
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

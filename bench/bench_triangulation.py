"""Triangulation throughput and accuracy: posearena_stereo vs aniposelib 0.8.0, side by side.

Data: 10,000 frames x 17 joints moving inside the capture volume of the real Pose2Sim demo
calibration (data/pose2sim_demo/Calib.qca.txt, 4 cameras, with lens distortion), projected
into cam01+cam02 (2 views) or all 4 views with 1 px Gaussian noise. Both libraries get the
same distorted pixels and undistort them themselves; times are the best of ``--repeats`` runs
after one warm-up (JAX compiles on the first call). Accuracy: mean 3D error in mm.

aniposelib runs in its own environment, created on first use (or by hand)::

    python3 -m venv .venvs/bench-anipose
    .venvs/bench-anipose/bin/pip install aniposelib==0.8.0

Usage: ``.venv/bin/python bench/bench_triangulation.py [--frames 10000] [--repeats 5]``
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
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views

ROOT = Path(__file__).resolve().parents[1]
CALIB = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"
ANIPOSE_VENV = ROOT / ".venvs" / "bench-anipose"
ANIPOSE_PY = ANIPOSE_VENV / "bin" / "python"
J = 17

# Runs inside the aniposelib venv: reads the npz, times CameraGroup.triangulate, prints JSON.
WORKER = r"""
import json, sys, time
import numpy as np
from aniposelib.cameras import Camera, CameraGroup
d = np.load(sys.argv[1]); repeats = int(sys.argv[2]); out = {}
for C in (2, 4):
    cams = [Camera(matrix=d["K"][c], dist=d["dist"][c], size=tuple(d["size"][c]),
                   rvec=d["rvec"][c], tvec=d["tvec"][c], name=str(c)) for c in range(C)]
    group = CameraGroup(cams)
    pts = d["obs"][:C].reshape(C, -1, 2)
    group.triangulate(pts[:, :1000], progress=False)  # warm-up: JAX compilation
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); X = group.triangulate(pts, progress=False)
        best = min(best, time.perf_counter() - t0)
    err = np.linalg.norm(X - d["X"].reshape(-1, 3), axis=1)
    out[C] = {"seconds": best, "mean_err_mm": 1000 * float(np.nanmean(err)),
              "nan": int(np.isnan(err).sum())}
print(json.dumps(out))
"""


def make_data(frames: int, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    """Cameras, true points (T, 17, 3) m and noisy observations (4, T, 17, 2) px."""
    cams = list(load_calibration(CALIB).values())
    rng = np.random.default_rng(seed)
    body = rng.uniform([-0.25, -0.25, 0.05], [0.25, 0.25, 1.75], (J, 3))
    root = rng.uniform([-0.5, -0.5, 0.0], [0.5, 0.5, 0.1], (frames, 1, 3))
    X = body[None] + root
    obs = np.stack([c.project(X) for c in cams]) + rng.normal(0.0, 1.0, (4, frames, J, 2))
    return cams, X, obs


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


def run_ours(cams, X, obs, repeats: int, options: TriangulationOptions) -> dict:
    """Best time and mean 3D error of triangulate_views for 2 and 4 views."""
    out = {}
    for C in (2, 4):
        triangulate_views(obs[:C, :100], cams[:C], options=options)  # warm-up
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = triangulate_views(obs[:C], cams[:C], options=options)
            best = min(best, time.perf_counter() - t0)
        err = np.linalg.norm(res.points_3d - X, axis=-1)
        out[C] = {"seconds": best, "mean_err_mm": 1000 * float(np.nanmean(err)),
                  "nan": int(np.isnan(err).sum())}
    return out


def run_anipose(cams, X, obs, repeats: int) -> dict:
    """Run the WORKER in the aniposelib venv on the same data."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(path, X=X, obs=obs, K=np.stack([c.K for c in cams]),
                 dist=np.stack([np.pad(c.dist, (0, 5 - c.dist.size)) for c in cams]),
                 size=np.array([[c.width, c.height] for c in cams]),
                 rvec=np.stack([matrix_to_rodrigues(c.R) for c in cams]),
                 tvec=np.stack([c.t for c in cams]))
        res = subprocess.run([str(ANIPOSE_PY), "-c", WORKER, str(path), str(repeats)],
                             capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"aniposelib worker failed: {res.stderr[-500:]}")
    return {int(k): v for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items()}


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-install", action="store_true", help="do not create the anipose venv")
    args = ap.parse_args(argv)
    cams, X, obs = make_data(args.frames)
    n = args.frames * J
    rows = [("posearena DLT (2 passes)", run_ours(cams, X, obs, args.repeats,
                                                  TriangulationOptions())),
            ("posearena DLT + Gauss-Newton", run_ours(cams, X, obs, args.repeats,
                                                      TriangulationOptions(refine=True)))]
    problem = ensure_anipose(not args.no_install)
    if problem is None:
        rows.append(("aniposelib 0.8.0 triangulate", run_anipose(cams, X, obs, args.repeats)))
    print(f"{args.frames} frames x {J} joints = {n} points, 1 px noise, Pose2Sim cameras")
    print(f"{'method':32s} {'views':>5s} {'points/s':>12s} {'time s':>8s} {'mean err mm':>12s}")
    for name, res in rows:
        for C in (2, 4):
            r = res[C]
            print(f"{name:32s} {C:5d} {n / r['seconds']:12,.0f} {r['seconds']:8.3f} "
                  f"{r['mean_err_mm']:12.3f}")
    if problem is None:
        base = dict(rows)["aniposelib 0.8.0 triangulate"]
        ours = rows[0][1]
        for C in (2, 4):
            print(f"speed-up vs aniposelib, {C} views: "
                  f"{base[C]['seconds'] / ours[C]['seconds']:.1f}x")
    else:
        print(problem)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: semi-supervised lifter training vs supervised-only at the same CPU time.

The regime the original paper targets (Pavllo et al. 2019, Sec. 5.3: 10 % of S1 labelled):
labelled = a contiguous `--subset` of each UI-PRMD recording of the `--labelled` subjects
(3D read), unlabelled = the 2D of the `--unlabelled` subjects through random virtual cameras
(3D never read), held out = `--held-out` subjects, all movements, stride 3 offset 0, scored
by `training.evaluate` (2 seeded cameras per sequence, 2 px noise, no TTA). Each run trains
`--minutes` of process CPU time (torch 1 thread; the budget clock excludes evaluation), so
runs side by side on a loaded machine get the same compute. Configurations:
- `sup`: supervised only (the same loop, warmup_fraction 1, no unlabelled data);
- `semi`: warm-up, then back-projection with the trajectory model (root in focal units);
- `solve`: the same with the least-squares root instead of the trajectory model.
Printed: P-MPJPE and MPJPE on the held-out subjects, mean +- half the range over seeds,
the semi runs' figures at the end of their warm-up, and the steps each run took.

Usage: .venv/bin/python bench/bench_semi.py [--minutes 3] [--seeds 0,1] [--subset 0.1]
    [--configs sup,semi,solve] [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from posearena_videopose3d.training.data import (
    Sequence3D,
    load_uiprmd_vicon,
    subset_sequences,
)
from posearena_videopose3d.training.semi_train import SemiConfig, train_semi

DATA = Path("/work/shared/data/ui_prmd")
_SPLIT: dict[str, list[Sequence3D]] = {}  # filled before the workers fork


def _run(job: tuple[str, int, dict]) -> dict:
    """Train one configuration with one seed; returns its figures (mm, steps)."""
    name, seed, kw = job
    torch.set_num_threads(1)
    semi = name != "sup"
    cfg = SemiConfig(**{**kw, "warmup_fraction": kw["warmup_fraction"] if semi else 1.0},
                     seed=seed, root="solve" if name == "solve" else "trajectory")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        s = train_semi(_SPLIT["lab"], _SPLIT["unl"] if semi else [], _SPLIT["val"],
                       Path(tmp) / "m.pt", cfg, log=False)
    out = {"name": name, "seed": seed, "steps": s["steps"], "warmup_steps": s["warmup_steps"],
           "cpu_min": s["minutes"], "wall_min": (time.monotonic() - t0) / 60.0,
           "p_mpjpe": s["validation"]["all"]["p_mpjpe_mm"],
           "mpjpe": s["validation"]["all"]["mpjpe_mm"]}
    if "validation_warmup" in s:
        out["warm_p_mpjpe"] = s["validation_warmup"]["all"]["p_mpjpe_mm"]
        out["warm_mpjpe"] = s["validation_warmup"]["all"]["mpjpe_mm"]
    print(f"  done {name} seed {seed}: {out}", flush=True)
    return out


def _fmt(vals: list[float]) -> str:
    v = np.asarray(vals)
    return f"{v.mean():5.1f} +- {(v.max() - v.min()) / 2:4.1f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(DATA))
    ap.add_argument("--labelled", default="s01")
    ap.add_argument("--unlabelled", default="s02,s03,s04,s05")
    ap.add_argument("--held-out", default="s06,s07")
    ap.add_argument("--subset", type=float, default=0.1, help="labelled share per recording")
    ap.add_argument("--minutes", type=float, default=3.0, help="CPU minutes per run")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--configs", default="sup,semi,solve")
    ap.add_argument("--warmup-fraction", type=float, default=SemiConfig().warmup_fraction)
    ap.add_argument("--filter-widths", default="3,3,3")
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr-final", type=float, default=SemiConfig().lr_final)
    ap.add_argument("--bone-weight", type=float, default=SemiConfig().bone_weight)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    t0 = time.monotonic()
    lab, _ = load_uiprmd_vicon(a.data_dir, a.labelled.split(","), subsample=(3,))
    _SPLIT["lab"] = subset_sequences(lab, a.subset)
    _SPLIT["unl"], _ = load_uiprmd_vicon(a.data_dir, a.unlabelled.split(","), subsample=(3,))
    val, _ = load_uiprmd_vicon(a.data_dir, a.held_out.split(","), subsample=(3,))
    _SPLIT["val"] = [s for s in val if s.name.endswith("/3+0")]
    n = {k: sum(len(s.h36m) for s in v) for k, v in _SPLIT.items()}
    print(f"labelled {a.labelled} subset {a.subset}: {n['lab']} frames; unlabelled "
          f"{a.unlabelled}: {n['unl']} frames (2D only); held out {a.held_out}: {n['val']} "
          f"frames x 2 cameras; loaded in {time.monotonic() - t0:.0f} s", flush=True)
    kw = dict(filter_widths=[int(w) for w in a.filter_widths.split(",")], channels=a.channels,
              batch_size=a.batch_size, minutes=a.minutes, clock="cpu", lr_final=a.lr_final,
              bone_weight=a.bone_weight, warmup_fraction=a.warmup_fraction,
              checkpoint_every_s=1e9)
    seeds = [int(s) for s in a.seeds.split(",")]
    names = a.configs.split(",")
    jobs = [(name, seed, kw) for seed in seeds for name in names]  # alternate configs
    with ProcessPoolExecutor(a.jobs, mp_context=mp.get_context("fork")) as ex:
        res = list(ex.map(_run, jobs))
    print(f"\n{a.minutes} CPU min per run, arch {a.filter_widths} x {a.channels} ch, batch "
          f"{a.batch_size}, warm-up {a.warmup_fraction} of the budget, seeds {seeds}; "
          f"held-out {a.held_out}, mm (mean +- half range over seeds)")
    print(f"{'run':<28} {'P-MPJPE':>14} {'MPJPE':>14} {'steps':>12}")
    for name in names:
        r = [x for x in res if x["name"] == name]
        steps = "/".join(str(x["steps"]) for x in r)
        if "warm_p_mpjpe" in r[0]:
            print(f"{name + ': end of warm-up':<28} {_fmt([x['warm_p_mpjpe'] for x in r]):>14} "
                  f"{_fmt([x['warm_mpjpe'] for x in r]):>14} "
                  f"{'/'.join(str(x['warmup_steps']) for x in r):>12}")
        print(f"{name:<28} {_fmt([x['p_mpjpe'] for x in r]):>14} "
              f"{_fmt([x['mpjpe'] for x in r]):>14} {steps:>12}")
    print(f"wall {(time.monotonic() - t0) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

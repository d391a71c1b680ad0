"""`posearena study` throughput: sessions per minute with 1 and 2 workers, peak memory.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_study.py [--uiprmd DIR] [--subjects s01,s02]
        [--exercises m01,m07] [--copies 4] [--workers 1,2]

Default: the bundled UI-PRMD excerpt (data/ui_prmd, 2 Kinect-vs-Vicon episodes) listed
`--copies` times in a manifest under different subject names, so that every session is
real work of the same size. With --uiprmd, the real folder's sessions (optionally a subset).
Each worker count runs the whole study from scratch into a fresh folder, as a subprocess
(`posearena study`), one after the other; the figures are wall time from start to
study.json. Peak memory is the largest resident set of any one process of the run (the study
or one of its workers), from getrusage of the finished children, per run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "ui_prmd"


def bundled_manifest(path: Path, copies: int) -> Path:
    """A manifest listing each bundled Kinect/Vicon pair once per pretend subject."""
    lines = ["subject,exercise,trial,reference,candidate,name"]
    for k in range(copies):
        for vicon in sorted((BUNDLED / "Vicon" / "Positions").glob("*_positions.txt.gz")):
            kinect = BUNDLED / "Kinect" / "Positions" / vicon.name
            exercise = vicon.name[:3]
            lines.append(f"c{k + 1:02d},{exercise},e01,mocap:{vicon},kinect:{kinect},kinect v2")
    path.write_text("\n".join(lines) + "\n")
    return path


#: Runs a command and prints its exit status and the peak RSS (kB) of its process tree.
_PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
         "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")


def run_once(source: list[str], workers: int, out: Path) -> dict:
    """Run the study with `workers`; returns sessions, seconds, sessions/min, peak MB."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m",
                           "posearena_gateway.cli", "study", *source, "--out", str(out),
                           "--workers", str(workers)],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    code, peak = (int(x) for x in proc.stderr.strip().splitlines()[-1].split())
    if code != 0:
        raise SystemExit(f"study failed ({code}):\n{proc.stdout}\n{proc.stderr}")
    summary = json.loads((out / "study.json").read_text())["summary"]
    ran = summary["ok"] + summary["failed"]
    return {"workers": workers, "sessions": ran, "failed": summary["failed"],
            "seconds": round(seconds, 1), "sessions_per_min": round(60 * ran / seconds, 1),
            "peak_mb": round(peak / 1024, 0)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uiprmd", help="a UI-PRMD folder (default: the bundled excerpt)")
    ap.add_argument("--subjects", help="with --uiprmd: subset, e.g. s01,s02")
    ap.add_argument("--exercises", help="with --uiprmd: subset, e.g. m01,m07")
    ap.add_argument("--copies", type=int, default=4, help="bundled data: pretend subjects")
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        if args.uiprmd:
            source = ["--uiprmd", args.uiprmd]
            source += ["--subjects", args.subjects] if args.subjects else []
            source += ["--exercises", args.exercises] if args.exercises else []
        else:
            source = ["--manifest", str(bundled_manifest(Path(tmp) / "m.csv", args.copies))]
        rows = [run_once(source, int(w), Path(tmp) / f"w{w}")
                for w in args.workers.split(",")]
    print(f"{'workers':>7}  {'sessions':>8}  {'failed':>6}  {'seconds':>8}  "
          f"{'sessions/min':>12}  {'peak MB/process':>15}")
    for r in rows:
        print(f"{r['workers']:>7}  {r['sessions']:>8}  {r['failed']:>6}  {r['seconds']:>8}  "
              f"{r['sessions_per_min']:>12}  {r['peak_mb']:>15.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of the gateway and of each service during `posearena demo`, and its wall time.

Issue 21's targets: the whole demo <= 60 s (issue 15: < 120 s) and its BlazePose part <= 20 s
on 2 cores. The BlazePose part is timed as a user gets it alone: `posearena compare` on the
demo's four videos with the 4-view reference and the default (BlazePose) pipelines
(``--skip-blazepose-part`` leaves it out).

Runs `posearena demo --out TMP` (embedded mode: the gateway process starts every service as
a local child process) and reads, every ``--interval`` s, the kernel's peak resident set size
(`VmHWM` in /proc/PID/status, so a peak between two reads is not missed) of the gateway and
of every process below it. Each service is named by its module (`posearena_<name>.server`);
other children (ffmpeg readers, workers) are listed by their command. A process's last read
comes at most one interval before it exits, which can miss growth in that interval only.

Also printed: the 4-view reference's reprojection error and the pipelines' MPJPE from the
run's metrics.json, to check that a speed change left the results alone.

Usage: ``.venv/bin/python bench/bench_demo_memory.py [--interval 0.1] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POSEARENA = ROOT / ".venv" / "bin" / "posearena"
SERVICE = re.compile(r"posearena_(\w+)\.server")


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process readable in /proc."""
    out: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(stat.parent.name))
    return out


def _tree(root: int) -> list[int]:
    """`root` and every process below it."""
    kids, todo, seen = _children(), [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += kids.get(pid, [])
    return seen


def _peak_kb(pid: int) -> int | None:
    """VmHWM of `pid` in kB; None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _label(pid: int, root: int) -> str:
    """'gateway', 'service <name>' or the process's command, shortened."""
    if pid == root:
        return "gateway (posearena demo)"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"pid {pid}"
    m = SERVICE.search(cmd)
    return f"service {m.group(1)}" if m else cmd.strip()[:60]


def watch(cmd: list[str], interval: float) -> tuple[int, float, dict[str, int]]:
    """Run `cmd`; return its exit code, wall time (s) and label -> peak RSS (kB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peaks: dict[int, tuple[str, int]] = {}
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            kb = _peak_kb(pid)
            if kb is None:
                continue
            label = peaks[pid][0] if pid in peaks else _label(pid, proc.pid)
            peaks[pid] = (label, max(kb, peaks.get(pid, ("", 0))[1]))
        time.sleep(interval)
    wall = time.perf_counter() - t0
    by_label: dict[str, int] = {}
    for label, kb in peaks.values():  # a service started twice: its larger peak
        by_label[label] = max(kb, by_label.get(label, 0))
    return proc.returncode, wall, by_label


def summary(out: Path) -> list[str]:
    """The 4-view reference's reprojection error (poses/reference.npz) and each pipeline's
    MPJPE and reprojection error from metrics.json."""
    run = out / "pose2sim"
    path = run / "metrics.json"
    if not path.exists():
        return [f"(no {path})"]
    m = json.loads(path.read_text())
    lines = []
    ref = run / "poses" / "reference.npz"
    if ref.exists():
        with np.load(ref) as d:
            if "extra__reprojection_error" in d.files:
                e = d["extra__reprojection_error"]
                lines.append(f"reference (4-view) reprojection error: median "
                             f"{np.nanmedian(e):.3f} px, p90 {np.nanpercentile(e, 90):.3f} px")
    for name, p in m.get("pipelines", {}).items():
        rep = p.get("reprojection") or {}
        lines.append(f"  {name:24s} {p.get('status', '?'):7s} MPJPE {p.get('mpjpe_mm')} mm"
                     + (f", reprojection {rep.get('used_median_px')} px" if rep else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the demo once under the memory watch and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=0.1, help="s between reads")
    ap.add_argument("--keep", help="write the demo's run here instead of a temporary folder")
    ap.add_argument("--skip-blazepose-part", action="store_true",
                    help="time only the whole demo")
    ap.add_argument("--summary-only", metavar="DIR",
                    help="print the results of a demo run already in DIR, run nothing")
    args = ap.parse_args(argv)
    if args.summary_only:
        print("\n".join(summary(Path(args.summary_only))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "demo"
        code, wall, peaks = watch([str(POSEARENA), "demo", "--out", str(out)], args.interval)
        print(f"posearena demo: exit {code}, {wall:.1f} s wall")
        print(f"{'process':40s} {'peak RSS MB':>12s}")
        for label, kb in sorted(peaks.items(), key=lambda kv: -kv[1]):
            print(f"{label:40s} {kb / 1024:12.0f}")
        for line in summary(out):
            print(line)
        if not args.skip_blazepose_part:
            demo = ROOT / "data" / "pose2sim_demo"
            cmd = [str(POSEARENA), "compare", "--calib", str(demo / "Calib.qca.txt"),
                   "--reference", "multiview", "--out", str(Path(tmp) / "blazepose_part")]
            for video in sorted((demo / "videos").glob("cam*.mp4")):
                cmd += ["--video", str(video)]
            bp_code, bp_wall, _ = watch(cmd, args.interval)
            print(f"BlazePose part (posearena compare, default pipelines, 4-view reference): "
                  f"exit {bp_code}, {bp_wall:.1f} s wall (target <= 20 s)")
        print(f"whole demo {wall:.1f} s wall (targets: issue 15 < 120 s, issue 21 <= 60 s)")
    return code


if __name__ == "__main__":
    raise SystemExit(main())

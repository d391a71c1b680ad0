"""Report writing time (the report tests check content, not time; the time is here).

Two cases, each `write_report` best of 3 (and all three), with its CPU time (this process and
its threads: on a 2-core machine the report is bound by CPU, not by waiting):
- UI-PRMD m07 (Kinect v2 vs Vicon), a real `compare-skeletons` run: loading + comparing, then
  the figures, Bland-Altman, repetitions, exports and the 3D animation.
- The demo's BlazePose part (`posearena compare` on data/pose2sim_demo's 4 videos, 4-view
  reference, default pipelines): 21 figures, 4 overlay videos and track thumbnails, exports,
  the animation. Its run directory is kept in runs/bench_report_demo (made once by
  `posearena compare`, ~20 s; later runs `--resume` it, which reloads the detections and 3D
  results and recomputes the comparisons, as the CLI would before writing the report).
Peak memory of this process is printed last.
Usage: .venv/bin/python bench/bench_report.py [--skip-demo]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from posearena_gateway.comparison import compare_sequences
from posearena_gateway.references import load_reference
from posearena_gateway.report import write_report
from posearena_gateway.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "ui_prmd"
REF = f"mocap:{DATA / 'Vicon' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}"
CAND = f"kinect:{DATA / 'Kinect' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}"
DEMO = ROOT / "data" / "pose2sim_demo"
DEMO_RUN = ROOT / "runs" / "bench_report_demo"


def _cpu_s() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    t = os.times()
    return t.user + t.system


def _time_reports(write: Callable[[RunDir], object], repeats: int = 3) -> list[tuple[float, float]]:
    """(wall s, CPU s) of `write(run_dir)` into a fresh run directory, `repeats` times."""
    out = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            rd = RunDir(Path(tmp) / "run")
            t0, c0 = time.perf_counter(), _cpu_s()
            write(rd)
            out.append((time.perf_counter() - t0, _cpu_s() - c0))
    return out


def _print_times(label: str, times: list[tuple[float, float]]) -> None:
    best = min(times)
    print(f"{label:22s}{best[0]:6.2f} s   CPU {best[1]:.2f} s   (all: "
          f"{', '.join(f'{w:.2f}/{c:.2f}' for w, c in times)} wall/CPU)")


def ui_prmd() -> None:
    t0 = time.perf_counter()
    ref, cand = load_reference(REF), load_reference(CAND)
    comp = compare_sequences(ref, cand, synchronised=False, same_frame=False)
    t_compare = time.perf_counter() - t0
    metrics = {"reference": {"kind": "file", "status": "ok", "source": ref.source},
               "frames": ref.num_frames, "fps": ref.fps,
               "pipelines": {"kinect": {"status": "ok", "reason": "", **comp.metrics}}}
    times = _time_reports(lambda rd: write_report(rd, metrics, {"kinect": comp}, ref,
                                                  {"kinect": cand}))
    print(f"UI-PRMD m07 s01 e01, {ref.num_frames} reference frames")
    print(f"load + compare        {t_compare:6.2f} s")
    _print_times("write_report (best/3)", times)


def demo_blazepose() -> None:
    videos = sorted((DEMO / "videos").glob("cam*.mp4"))
    if len(videos) != 4:
        print(f"demo case skipped: {DEMO / 'videos'} does not hold the 4 demo videos")
        return
    if not (DEMO_RUN / "poses" / "reference.npz").exists():
        print(f"making {DEMO_RUN.relative_to(ROOT)} once (posearena compare) ...", flush=True)
        cmd = [str(ROOT / ".venv" / "bin" / "posearena"), "compare", "--calib",
               str(DEMO / "Calib.qca.txt"), "--reference", "multiview", "--out", str(DEMO_RUN)]
        done = subprocess.run(cmd + [a for v in videos for a in ("--video", str(v))],
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit(f"posearena compare failed (exit {done.returncode})")
    from posearena_gateway.outputs import write_outputs
    from posearena_gateway.pipelines.catalog import parse_pipelines
    from posearena_gateway.pipelines.job import CompareJob
    from posearena_gateway.pipelines.runner import Runner

    t0 = time.perf_counter()
    job = CompareJob(videos=videos, out=DEMO_RUN, pipelines=parse_pipelines(None),
                     calib=DEMO / "Calib.qca.txt", cameras=None, reference="multiview",
                     resume=True)
    result = Runner(job).run()
    t_resume = time.perf_counter() - t0
    ok = [n for n, p in result.metrics["pipelines"].items() if p["status"] == "ok"]
    print(f"\ndemo BlazePose part: {len(ok)} pipelines ({', '.join(ok)}), "
          f"{len(result.videos)} videos, {result.metrics['frames']} frames")
    print(f"resume (reload)       {t_resume:6.2f} s")
    _print_times("write_report (best/3)", _time_reports(lambda rd: write_outputs(result, rd)))


def main() -> None:
    ui_prmd()
    if "--skip-demo" not in sys.argv[1:]:
        demo_blazepose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory           {peak:6.0f} MiB")


if __name__ == "__main__":
    main()

"""Report writing time (the report tests check content, not time; the time is here).

A real `compare-skeletons` run on the bundled UI-PRMD m07 (Kinect v2 vs Vicon): the time of
loading + comparing, and of `write_report` (figures, Bland-Altman, repetitions, exports, the
3D animation), best of 3, with peak memory of this process.
Usage: .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from posearena_gateway.comparison import compare_sequences
from posearena_gateway.references import load_reference
from posearena_gateway.report import write_report
from posearena_gateway.rundir import RunDir

DATA = Path(__file__).resolve().parents[1] / "data" / "ui_prmd"
REF = f"mocap:{DATA / 'Vicon' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}"
CAND = f"kinect:{DATA / 'Kinect' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}"


def main() -> None:
    t0 = time.perf_counter()
    ref, cand = load_reference(REF), load_reference(CAND)
    comp = compare_sequences(ref, cand, synchronised=False, same_frame=False)
    t_compare = time.perf_counter() - t0
    metrics = {"reference": {"kind": "file", "status": "ok", "source": ref.source},
               "frames": ref.num_frames, "fps": ref.fps,
               "pipelines": {"kinect": {"status": "ok", "reason": "", **comp.metrics}}}
    times = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            rd = RunDir(tmp)
            t0 = time.perf_counter()
            write_report(rd, metrics, {"kinect": comp}, ref, {"kinect": cand})
            times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"UI-PRMD m07 s01 e01, {ref.num_frames} reference frames")
    print(f"load + compare        {t_compare:6.2f} s")
    print(f"write_report (best/3) {min(times):6.2f} s   (all: "
          f"{', '.join(f'{t:.2f}' for t in times)})")
    print(f"peak memory           {peak:6.0f} MiB")


if __name__ == "__main__":
    main()

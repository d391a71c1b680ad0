"""Run every benchmark, each in the environment it needs, and print their figures.

Usage: `make bench` (or `.venv/bin/python bench/run_all.py [NAME ...]`). Speed and memory
targets live here, not in the tests: each script prints its own table, and this runner adds
the wall time of each. A benchmark whose environment is absent is reported and skipped.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / ".venv" / "bin" / "python"

#: name -> (python interpreter, script)
BENCHES = {
    "triangulation": (MAIN, "bench_triangulation.py"),
    "lifting": (MAIN, "bench_lifting.py"),
    "lift_stream": (MAIN, "bench_lift_stream.py"),
    "lifter_adapt": (MAIN, "bench_lifter_adapt.py"),
    "lifter_domain": (MAIN, "bench_lifter_domain.py"),
    "blazepose": (MAIN, "bench_blazepose.py"),
    "multiperson": (MAIN, "bench_multiperson.py"),
    "openpose_parser": (MAIN, "bench_openpose_parser.py"),
    "openpose": (MAIN, "bench_openpose.py"),
    "study": (MAIN, "bench_study.py"),
    "report": (MAIN, "bench_report.py"),
    "demo_memory": (MAIN, "bench_demo_memory.py"),
    "detectron": (ROOT / ".venvs" / "detectron" / "bin" / "python", "bench_detectron.py"),
}


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default); return 1 if any failed."""
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; known: {sorted(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        python, script = BENCHES[name]
        print(f"\n===== {name} ({script}) =====", flush=True)
        if not Path(python).exists():
            print(f"skipped: {python} does not exist (run `make setup` first)")
            continue
        t0 = time.perf_counter()
        code = subprocess.call([str(python), str(ROOT / "bench" / script)], cwd=ROOT)
        print(f"----- {name}: exit {code}, {time.perf_counter() - t0:.1f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

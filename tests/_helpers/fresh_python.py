"""Run Python code in a fresh interpreter: what a module imports or sets up at start is only
visible in a process that has not imported anything yet (pytest's own has)."""

from __future__ import annotations

import subprocess
import sys


def fresh_python(code: str, *args: str) -> str:
    """Standard output of `code` run by this interpreter in a new process with `args` as
    sys.argv[1:] (a failure raises CalledProcessError with its stderr)."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True).stdout

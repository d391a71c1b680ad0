"""A service started for one command dies with the process that started it."""

from __future__ import annotations

import os
import select
import subprocess
import sys

import pytest

from posearena.service.lifetime import PARENT_PID_ENV, die_with_parent

CHILD = (
    "import time; from posearena.service.lifetime import die_with_parent;"
    "armed = die_with_parent(); print('armed' if armed else 'not armed', flush=True);"
    "time.sleep(60)"
)
# The middle process starts the child with its own pid in the environment, prints the
# child's pid and waits; the test kills it with SIGKILL (no chance to clean up).
MIDDLE = (
    "import os, subprocess, sys, time;"
    f"env = dict(os.environ, {PARENT_PID_ENV}=str(os.getpid()));"
    f"p = subprocess.Popen([sys.executable, '-c', {CHILD!r}], env=env);"
    "print(p.pid, flush=True); time.sleep(60)"
)


def _exited_within(pid: int, timeout_s: float) -> bool:
    """Wait (bounded, on the kernel's exit event, no polling loop) for `pid` to exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout_s)
        return bool(ready) or not _alive(pid)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_unset_variable_arms_nothing():
    assert die_with_parent({}) is False


def test_a_parent_that_is_already_gone_stops_the_start():
    with pytest.raises(SystemExit, match="is gone"):
        die_with_parent({PARENT_PID_ENV: str(os.getppid() + 1_000_000)})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_child_gets_sigterm_when_its_parent_is_killed():
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE], stdout=subprocess.PIPE, text=True
    )
    try:
        child_pid = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "armed"  # the child shares the pipe
        middle.kill()
        middle.wait()
        assert _exited_within(child_pid, 20.0), "child outlived its parent"
    finally:
        if middle.poll() is None:
            middle.kill()

"""`python -m posearena_stereo.server` ends on SIGTERM with status 0 and its log flushed (it
skips the interpreter's teardown: `server.exit_now`)."""

from __future__ import annotations

import signal
import subprocess
import sys


def test_sigterm_ends_the_service_with_status_0_and_its_last_log_line():
    proc = subprocess.Popen([sys.executable, "-m", "posearena_stereo.server", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("stereo listening on 127.0.0.1:"), line
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err.rstrip().endswith("stereo stopped"), err

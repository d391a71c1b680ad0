"""Estimator services as local processes on free 127.0.0.1 ports (no Docker), for the tests
of the health probe and of round robin over replicas. Processes are started and stopped by
the gateway runtime through the shared test helper (`_helpers.services.running_service`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from _helpers.services import running_service

from posearena_gateway.runtime.processes import RunningService


@contextmanager
def replicas(name: str, n: int, log_dir: Path, extra_args: list[str] | None = None
             ) -> Iterator[list[RunningService]]:
    """`n` processes of service `name`, each on its own free 127.0.0.1 port, all stopped on
    exit (also the ones a test stopped already).

    Args:
        name: service name in the gateway catalog ("stereo", "openpose", ...).
        n: number of replicas.
        log_dir: folder receiving one sub-folder of logs per replica.
        extra_args: the service's own flags, the same for every replica.

    Yields:
        the RunningService of each replica (`target` "127.0.0.1:port", `process`).
    """
    with ExitStack() as stack:
        yield [stack.enter_context(running_service(name, Path(log_dir) / f"replica{i}",
                                                   extra_args))
               for i in range(n)]


def port_of(rs: RunningService) -> int:
    """The port of a local service's "127.0.0.1:port" target."""
    return int(rs.target.rsplit(":", 1)[1])


def bytes_received(port: int) -> int:
    """Bytes the kernel received on the open TCP connections accepted on 127.0.0.1:`port`
    (sum of tcp_info bytes_received from `ss -ti`); 0 when none is open.

    Raises:
        RuntimeError: `ss` (iproute2) is not installed.
    """
    ss = shutil.which("ss")
    if ss is None:
        raise RuntimeError("ss (iproute2) is not installed")
    out = subprocess.run([ss, "-tinH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return sum(int(b) for b in re.findall(r"bytes_received:(\d+)", out))

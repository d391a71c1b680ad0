"""A posearena service as a local process for a test: started and stopped by the gateway's
runtime (`start_service` waits for its "listening on host:port" line, `stop_process`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

try:
    from posearena_gateway.runtime.catalog import get_spec
    from posearena_gateway.runtime.processes import RunningService, start_service, stop_process
except ModuleNotFoundError:  # a service's own venv (e.g. .venvs/detectron) has no gateway;
    # its runtime needs only `posearena` and the standard library, so use the source tree.
    sys.path.append(str(ROOT / "gateway"))
    from posearena_gateway.runtime.catalog import get_spec
    from posearena_gateway.runtime.processes import RunningService, start_service, stop_process


@contextmanager
def running_service(
    name: str,
    log_dir: Path,
    extra_args: list[str] | None = None,
    timeout_s: float = 120.0,
    grace_s: float = 15.0,
) -> Iterator[RunningService]:
    """Run service `name` on a free 127.0.0.1 port for the length of a `with` block.

    Args:
        name: service name in the gateway catalog ("blazepose", "stereo", "detectron", ...);
            it runs with that service's interpreter (`ServiceSpec.python()`).
        log_dir: folder receiving `<name>.log` (the process's stdout and stderr).
        extra_args: the service's own flags.
        timeout_s: how long to wait for the "listening on" line (s).
        grace_s: how long to wait after SIGTERM before SIGKILL on exit (s).

    Yields:
        the RunningService (`target` "127.0.0.1:port", `process`, `log_path`); after the
        block `process.returncode` is the exit status.

    Raises:
        ServiceStartError: the process exited or did not listen in time (log tail quoted).
    """
    rs = start_service(get_spec(name), 0, Path(log_dir) / f"{name}.log", extra_args, timeout_s)
    try:
        yield rs
    finally:
        stop_process(rs.process, grace_s)


def service_target(
    name: str, tmp_path_factory: pytest.TempPathFactory, extra_args: list[str] | None = None
) -> Iterator[str]:
    """Body of a fixture yielding "127.0.0.1:port" of service `name` (use with `yield from`).

    Skips the test when the service needs its own environment (`ServiceSpec.venv`) and neither
    that environment nor env POSEARENA_<NAME>_PYTHON is there (`make setup` creates it).

    Args:
        name: service name in the gateway catalog.
        tmp_path_factory: pytest's factory; the log goes to a fresh "<name>-log" folder.
        extra_args: the service's own flags.
    """
    spec = get_spec(name)
    own_python = ROOT / spec.venv / "bin" / "python"
    overridden = os.environ.get(f"{spec.env_prefix}_PYTHON")
    if spec.venv and not overridden and not own_python.exists():
        pytest.skip(f"{name} venv missing: {ROOT / spec.venv} (run make setup)")
    with running_service(name, tmp_path_factory.mktemp(f"{name}-log"), extra_args) as rs:
        yield rs.target

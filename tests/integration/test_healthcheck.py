"""The container health probe (`python -m posearena.service.healthcheck`) against real local
services: strict mode (images' HEALTHCHECK, readiness) and --alive (compose, so that a service
without its weights does not keep the gateway from starting). No Docker needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.integration.local import port_of, replicas


def _probe(port: int, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posearena.service.healthcheck", "--port",
                           str(port), "--timeout", "5", *flags],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def weightless(tmp_path_factory):
    """An OpenPose service whose models folder is empty: up, NOT_SERVING."""
    empty = tmp_path_factory.mktemp("openpose-models")
    with replicas("openpose", 1, empty.parent / "logs", ["--models-dir", str(empty)]) as started:
        yield port_of(started[0])


def test_not_serving_is_unhealthy_in_strict_mode_and_alive_with_flag(weightless):
    strict = _probe(weightless)
    assert strict.returncode == 1, strict
    assert f"127.0.0.1:{weightless}: NOT_SERVING" in strict.stderr
    alive = _probe(weightless, "--alive")
    assert alive.returncode == 0, alive
    assert "NOT_SERVING" in alive.stdout and "--alive" in alive.stdout


def test_serving_service_passes_both_modes(tmp_path):
    with replicas("stereo", 1, tmp_path) as started:
        port = port_of(started[0])
        for flags in ((), ("--alive",)):
            run = _probe(port, *flags)
            assert run.returncode == 0 and f"127.0.0.1:{port}: SERVING" in run.stdout, run


def test_nothing_listening_is_unreachable_in_both_modes():
    with socket.socket() as s:  # a port that was free a moment ago, nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for flags in ((), ("--alive",)):
        run = _probe(port, *flags)
        assert run.returncode == 2 and "unreachable" in run.stderr, run


def test_missing_port_is_an_error_naming_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "POSEARENA_PORT"}
    run = subprocess.run([sys.executable, "-m", "posearena.service.healthcheck", "--alive"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2 and "POSEARENA_PORT" in run.stderr

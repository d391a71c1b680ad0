"""A service launched ahead of its command (`runtime.processes.launch_ahead`) is the one the
command's `EmbeddedServices` uses; one it does not use is stopped; none outlives `main`."""

from __future__ import annotations

import numpy as np
import pytest

from posearena_gateway.cli import main
from posearena_gateway.runtime import processes

from .conftest import DEMO


@pytest.fixture
def state(monkeypatch, tmp_path):
    """A fresh state folder, no stereo service configured or up, nothing launched ahead."""
    monkeypatch.setenv("POSEARENA_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("POSEARENA_STEREO_ADDR", raising=False)
    assert not processes._AHEAD
    yield tmp_path
    processes.stop_ahead()


@pytest.fixture
def launched(monkeypatch) -> list:
    """Every service process started from here on, recorded as it is launched."""
    out: list = []
    launch = processes.launch_service
    monkeypatch.setattr(processes, "launch_service",
                        lambda *a, **k: out.append(launch(*a, **k)) or out[-1])
    return out


def test_embedded_services_take_over_the_service_launched_ahead(state):
    processes.launch_ahead(["stereo"])
    ahead = processes._AHEAD["stereo"].process
    with processes.EmbeddedServices(["stereo"]) as es:
        assert es.target("stereo") and [rs.process for rs in es.started] == [ahead]
        assert not processes._AHEAD
    assert ahead.poll() is not None  # stopped with the others on exit


def test_a_service_started_with_its_own_arguments_is_not_the_one_ahead(state):
    processes.launch_ahead(["stereo"])
    ahead = processes._AHEAD["stereo"].process
    with processes.EmbeddedServices(["stereo"], extra_args={"stereo": ["--workers", "2"]}) as es:
        assert es.target("stereo") and es.started[0].process is not ahead
    assert processes._AHEAD["stereo"].process is ahead and ahead.poll() is None
    processes.stop_ahead()
    assert ahead.poll() is not None and not processes._AHEAD


def test_arguments_for_one_service_leave_the_others_ahead_taken_over(state):
    processes.launch_ahead(["stereo"])
    ahead = processes._AHEAD["stereo"].process
    with processes.EmbeddedServices(["stereo"], extra_args={"videopose3d": ["--causal"]},
                                    fresh=True) as es:
        assert [rs.process for rs in es.started] == [ahead] and not processes._AHEAD


def test_triangulate_uses_the_service_it_launched_ahead(state, launched, tmp_path):
    rng = np.random.default_rng(0)
    for c in ("left", "right"):
        np.save(tmp_path / f"{c}.npy", (rng.random((20, 17, 2)) * 100 + 200).astype(np.float32))
    rig = ["--rig", "parallel", "--focal", "525", "--baseline", "0.28", "--cx", "320",
           "--cy", "240"]
    assert main(["triangulate", *rig, "--input", str(tmp_path / "left.npy"), "--input",
                 str(tmp_path / "right.npy"), "--output", str(tmp_path / "out.npz")]) == 0
    assert len(launched) == 1 and launched[0].process.poll() is not None
    assert not processes._AHEAD


def test_a_command_failing_before_its_service_stops_the_one_ahead(state, launched, tmp_path,
                                                                  capsys):
    code = main(["triangulate", "--calib", str(DEMO / "Calib.qca.txt"), "--cameras", "cam01",
                 "--input", str(tmp_path / "missing.npy"), "--output", str(tmp_path / "o.npz")])
    assert code == 2 and "missing.npy" in capsys.readouterr().err
    assert len(launched) == 1 and launched[0].process.poll() is not None
    assert not processes._AHEAD


def test_help_launches_nothing(state, monkeypatch, capsys):
    monkeypatch.setattr(processes, "launch_service", lambda *a, **k: pytest.fail("launched"))
    with pytest.raises(SystemExit):
        main(["triangulate", "--help"])
    assert "--input" in capsys.readouterr().out

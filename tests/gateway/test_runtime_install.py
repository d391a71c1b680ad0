"""A service whose environment is not installed is named with its one install command, by
`services up` and by every command that starts it (embedded mode), never a crash."""

from __future__ import annotations

import pytest

from posearena_gateway.runtime import catalog, processes
from posearena_gateway.runtime.catalog import ServiceSpec

GHOST = ServiceSpec("ghost", "posearena_ghost.server", ".venvs/ghost", 50999,
                    "a service whose environment was never made", install="make setup-ghost")


@pytest.fixture
def ghost(monkeypatch, tmp_path):
    monkeypatch.setitem(catalog.SERVICES, "ghost", GHOST)
    monkeypatch.setitem(processes.SERVICES, "ghost", GHOST)
    monkeypatch.setenv("POSEARENA_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("POSEARENA_GHOST_ADDR", raising=False)
    monkeypatch.delenv("POSEARENA_GHOST_PYTHON", raising=False)


def test_embedded_start_names_the_install_command(ghost, tmp_path):
    with processes.EmbeddedServices(["ghost"], log_dir=tmp_path) as es:
        assert es.target("ghost") is None
        why = es.errors["ghost"]
    assert "not installed" in why and ".venvs/ghost" in why and "make setup-ghost" in why
    with pytest.raises(processes.ServiceStartError, match="make setup-ghost"):
        es.require("ghost")


def test_services_up_reports_it_without_failing(ghost):
    out = processes.services_up(["ghost"])
    assert out["ghost"].startswith("not installed:") and "make setup-ghost" in out["ghost"]

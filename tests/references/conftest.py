"""Paths of the bundled UI-PRMD excerpt (data/ui_prmd, real recordings) used by these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "ui_prmd"


def kinect_positions(movement: str) -> Path:
    """UI-PRMD Kinect positions file of subject 1, episode 1 of a movement ("m01", "m07")."""
    return DATA / "Kinect" / "Positions" / f"{movement}_s01_e01_positions.txt.gz"


def vicon_positions(movement: str) -> Path:
    """UI-PRMD Vicon positions file of subject 1, episode 1 of a movement ("m01", "m07")."""
    return DATA / "Vicon" / "Positions" / f"{movement}_s01_e01_positions.txt.gz"


@pytest.fixture(scope="session")
def m07_kinect():
    from posearena_gateway.references import read_uiprmd_kinect

    return read_uiprmd_kinect(kinect_positions("m07"))


@pytest.fixture(scope="session")
def m07_vicon():
    from posearena_gateway.references import read_vicon

    return read_vicon(vicon_positions("m07"))

"""Concurrent triangulations give the answer of one alone, bit for bit: the service answers
several calls at once, and each call runs its blocks and its left/right decision on threads."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from posearena.calibration import load_calibration
from posearena.mocap import mocap_joints
from posearena.triangulation_presets import PRESETS
from posearena_stereo.flags import LEFT_RIGHT_SWAPPED
from posearena_stereo.options import preset_options
from posearena_stereo.triangulate import triangulate_views

DATA = Path(__file__).resolve().parents[2] / "data"


def _views() -> tuple[np.ndarray, list]:
    """(C, T, J, 2) px: UI-PRMD Vicon joint centres seen by the 4 Pose2Sim cameras, 1 px
    noise, with left/right labels exchanged in some frames of two views."""
    cal = load_calibration(DATA / "pose2sim_demo" / "Calib.qca.txt")
    cams = [cal[n] for n in sorted(cal)]
    files = sorted((DATA / "ui_prmd" / "Vicon" / "Positions").glob("*_positions.txt.gz"))
    X = mocap_joints(files[0])["coco17"]
    hips = np.nanmean(X[:, 11:13, :2], axis=(0, 1))
    X = X - np.array([hips[0], hips[1], 0.0])
    obs = np.stack([c.project(X) for c in cams])
    obs += np.random.default_rng(0).normal(0.0, 1.0, obs.shape)
    obs[1, 40:70, [9, 10]] = obs[1, 40:70, [10, 9]]  # wrists exchanged in cam02
    obs[2, 100:110, [13, 14]] = obs[2, 100:110, [14, 13]]  # knees in cam03
    return obs, cams


def test_four_calls_at_once_equal_one_alone():
    obs, cams = _views()
    opts = dataclasses.replace(preset_options(PRESETS["candidate"], "coco17", 100.0),
                               threads=2)

    def run(_: int) -> tuple[np.ndarray, np.ndarray]:
        r = triangulate_views(obs, cams, None, opts)
        return r.points_3d, r.flags

    alone_points, alone_flags = run(0)
    assert np.isfinite(alone_points).mean() > 0.9  # a real solution, not all NaN
    assert (alone_flags & LEFT_RIGHT_SWAPPED).any()  # the left/right decision took part
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            for points, flags in pool.map(run, range(4)):
                np.testing.assert_array_equal(points, alone_points)
                np.testing.assert_array_equal(flags, alone_flags)

"""Cross-view association on the real two-person clip's calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posearena.calibration import load_calibration
from posearena.errors import InvalidInputError
from posearena_stereo.association import associate_frame, associate_tracks

ROOT = Path(__file__).resolve().parents[2]
CALIB = ROOT / "data" / "pose2sim_multi" / "Calib.qca.txt"
FIXTURE = Path(__file__).parent / "data" / "pose2sim_multi_blazepose_2d.npz"


@pytest.fixture(scope="module")
def cameras():
    cams = load_calibration(CALIB)
    return [cams[k] for k in sorted(cams)]


def _body(centre: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(17, 3) m points of a 1.7 m standing body around `centre` (Z up)."""
    z = np.linspace(0.05, 1.7, 17)
    xy = rng.normal(0, 0.12, (17, 2))
    return np.column_stack([centre[0] + xy[:, 0], centre[1] + xy[:, 1], z])


def test_synthetic_people_shuffled_per_view(cameras) -> None:
    rng = np.random.default_rng(0)
    bodies = [_body(np.array([x, y]), rng) for x, y in ((-0.6, 0.2), (0.5, -0.3), (0.0, 0.9))]
    kps, perms = [], []
    for cam in cameras:
        perm = rng.permutation(3)
        kp = np.array([cam.project(bodies[p]) for p in perm]) + rng.normal(0, 2, (3, 17, 2))
        kps.append(kp)
        perms.append(perm)
    people = associate_frame(kps, [np.full((3, 17), 0.9)] * 4, cameras)
    assert people.shape == (3, 4)
    for row in people:  # each person's tracks in every view are one true body
        truth = {int(perms[c][row[c]]) for c in range(4)}
        assert len(truth) == 1, (row, truth)


def test_person_in_one_view_only_is_not_associated(cameras) -> None:
    rng = np.random.default_rng(1)
    body = _body(np.array([0.0, 0.0]), rng)
    kps = [cam.project(body)[None] for cam in cameras]
    kps[1] = np.zeros((0, 17, 2))
    kps[2] = np.zeros((0, 17, 2))
    kps[3] = np.zeros((0, 17, 2))
    scores = [np.full((len(k), 17), 0.9) for k in kps]
    assert associate_frame(kps, scores, cameras).shape == (0, 4)


def test_bad_input(cameras) -> None:
    with pytest.raises(InvalidInputError, match="views"):
        associate_frame([np.zeros((1, 17, 2))], [np.zeros((1, 17))], cameras)


def test_real_two_person_clip(cameras) -> None:
    """BlazePose multi-person 2D of the four cameras (bench/bench_multiperson.py --save):
    both people associated consistently in >= 95 % of the frames."""
    z = np.load(FIXTURE)
    assert [str(c) for c in z["cameras"]] == [c.name for c in cameras]
    kp = [z["keypoints"][c] for c in range(4)]
    sc = [z["scores"][c].astype(np.float32) for c in range(4)]
    people, per_frame = associate_tracks(kp, sc, cameras)
    assert people.shape == (2, 4) and (people >= 0).all()
    assert set(people[:, 0].tolist()) == {0, 1}  # two different tracks in every view
    T = per_frame.shape[0]
    for p in range(2):
        grouped = (per_frame[:, p] >= 0).sum(axis=1) >= 2
        assert grouped.sum() >= 0.95 * T
    mixed = 0  # frame groups joining tracks of two different people
    for t in range(0, T, 3):
        for g in associate_frame([k[t] for k in kp], [s[t] for s in sc], cameras):
            owners = {p for p in range(2) for c in range(4) if g[c] >= 0 and g[c] == people[p, c]}
            mixed += len(owners) != 1
    assert mixed == 0

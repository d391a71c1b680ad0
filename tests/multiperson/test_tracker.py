"""The gateway tracker on synthetic people: crossing paths, entering/leaving, occlusion."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.tracking.tracker import FramePeople, track_people

from .synthetic import frames_from, person

FPS = 30


def _run(tracks: list[np.ndarray], seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    kps, truth = frames_from(tracks, rng)
    frames = [FramePeople(k, np.full(k.shape[:2], 0.9)) for k in kps]
    return track_people(frames, max_gap=FPS), truth


def _mapping(assign: list[np.ndarray], truth: list[np.ndarray]) -> dict[int, set[int]]:
    """true person -> set of track ids it was given (one id each: no identity switch)."""
    seen: dict[int, set[int]] = {}
    for a, tr in zip(assign, truth, strict=True):
        for track, true in zip(a, tr, strict=True):
            seen.setdefault(int(true), set()).add(int(track))
    return seen


def test_crossing_paths_keep_identities() -> None:
    T = 120
    x = np.linspace(100, 900, T)
    a = np.array([person(xi, 500, 400, 0.3 * t) for t, xi in enumerate(x)])
    b = np.array([person(1000 - xi, 515, 390, 0.3 * t + 1) for t, xi in enumerate(x)])
    assign, truth = _run([a, b])
    seen = _mapping(assign, truth)
    assert seen[0] != seen[1]
    assert len(seen[0]) == 1 and len(seen[1]) == 1, seen


def test_identical_people_crossing_rely_on_motion() -> None:
    T = 90
    x = np.linspace(200, 800, T)
    a = np.array([person(xi, 500, 400) for xi in x])
    b = np.array([person(1000 - xi, 500, 400) for xi in x])
    assign, truth = _run([a, b], seed=4)
    seen = _mapping(assign, truth)
    assert len(seen[0]) == 1 and len(seen[1]) == 1 and seen[0] != seen[1], seen


def test_person_entering_and_leaving() -> None:
    T = 100
    a = np.array([person(300 + 2 * t, 500, 420, 0.2 * t) for t in range(T)])
    b = np.full_like(a, np.nan)
    b[30:70] = [person(1200 - 10 * (t - 30), 520, 380, 0.2 * t) for t in range(30, 70)]
    assign, truth = _run([a, b], seed=1)
    seen = _mapping(assign, truth)
    assert len(seen[0]) == 1 and len(seen[1]) == 1 and seen[0] != seen[1]
    b_id = next(iter(seen[1]))
    frames_b = [t for t, ids in enumerate(assign) if b_id in ids]
    assert frames_b == list(range(30, 70))


def test_one_second_full_occlusion_keeps_identity() -> None:
    T = 120
    a = np.array([person(200 + 4 * t, 500, 400, 0.3 * t) for t in range(T)])
    a[40 : 40 + FPS] = np.nan  # hidden for one second while walking on
    c = np.full_like(a, np.nan)  # a newcomer far away during the occlusion
    c[50:100] = [person(1500, 480, 350) for _ in range(50, 100)]
    assign, truth = _run([a, c], seed=2)
    seen = _mapping(assign, truth)
    assert len(seen[0]) == 1, seen
    assert seen[0] != seen[1]


def test_occlusion_longer_than_max_gap_starts_a_new_track() -> None:
    T = 100
    a = np.array([person(200 + 4 * t, 500, 400) for t in range(T)])
    a[20:80] = np.nan  # 2 s
    assign, truth = _run([a])
    assert len(_mapping(assign, truth)[0]) == 2


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="max_gap"):
        track_people([], max_gap=-1)
    bad = FramePeople(np.zeros((1, 17, 2)), np.zeros((1, 5)))
    with pytest.raises(InvalidInputError, match=r"frames\[0\]"):
        track_people([bad], max_gap=3)


def test_empty_frames_and_nobody() -> None:
    empty = FramePeople(np.zeros((0, 17, 2)), np.zeros((0, 17)))
    assert [a.tolist() for a in track_people([empty] * 3, max_gap=2)] == [[], [], []]

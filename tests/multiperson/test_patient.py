"""Keeping the best tracks, re-tracking a Detections, choosing the patient."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.npzio import Detections, load_detections, save_detections
from posearena_gateway.tracking.assemble import track_detections
from posearena_gateway.tracking.patient import choose_person, put_first

from .synthetic import person

T, W, H = 60, 1000, 800


def _dets() -> Detections:
    """Slot 0: a small person at the edge all the time; 1: a large central person in 2/3
    of the frames; 2: a short-lived passer-by. Slot order shuffled every frame."""
    rng = np.random.default_rng(5)
    people = [
        [person(80, 400, 200) for _ in range(T)],
        [person(500, 420, 500) if t < 40 else None for t in range(T)],
        [person(800, 400, 300) if 10 <= t < 20 else None for t in range(T)],
    ]
    kp = np.full((T, 3, 17, 2), np.nan, np.float32)
    ps = np.full((T, 3), np.nan, np.float32)
    for t in range(T):
        for slot, p in enumerate(rng.permutation(3)):
            if people[p][t] is not None:
                kp[t, slot] = people[p][t]
                ps[t, slot] = 0.9
    sc = np.where(np.isfinite(kp[..., 0]), 0.9, 0.0).astype(np.float32)
    return Detections(kp, sc, ps, "coco17", 30.0, W, H)


def test_track_detections_untangles_slots_and_keeps_best() -> None:
    out = track_detections(_dets(), max_people=2)
    assert out.keypoints.shape == (T, 2, 17, 2)
    hips = out.keypoints[:, :, 11, 0]
    for p in range(2):  # each slot is one person: its x never jumps
        assert np.nanmax(np.abs(np.diff(hips[:, p]))) < 10
    assert int(out.extra["tracks_found"]) == 3
    assert "dropped track" in str(out.extra["tracking_note"])
    present = np.isfinite(out.person_scores).sum(axis=0)
    assert sorted(present.tolist()) == [40, 60]  # the passer-by (10 frames) was dropped


def test_rules_pick_the_expected_person(tmp_path) -> None:
    det = track_detections(_dets(), max_people=3)
    x = {int(det.track_ids[p]): np.nanmedian(det.keypoints[:, p, 11, 0]) for p in range(3)}

    def chosen_x(rule: str) -> float:
        slot, _ = choose_person(det, rule)
        return float(np.nanmedian(det.keypoints[:, slot, 11, 0]))

    assert chosen_x("longest") == pytest.approx(80 + 0.07 * 200, abs=3)
    assert chosen_x("largest") == pytest.approx(500 + 0.07 * 500, abs=3)
    assert chosen_x("central") == pytest.approx(500 + 0.07 * 500, abs=3)
    # auto: presence x centrality -> the central person present 2/3 of the time beats the
    # edge person present throughout
    assert chosen_x("auto") == pytest.approx(500 + 0.07 * 500, abs=3)
    tid = min(x, key=lambda k: abs(x[k] - 800))
    slot, choice = choose_person(det, str(tid))
    first = put_first(det, slot, choice)
    assert first.track_ids[0] == tid and int(first.extra["patient_track"]) == tid
    assert np.nanmedian(first.keypoints[:, 0, 11, 0]) == pytest.approx(800 + 0.07 * 300, abs=3)
    save_detections(tmp_path / "d.npz", first)
    back = load_detections(tmp_path / "d.npz")
    assert f"person {tid}" in str(back.extra["person_choice"])


def test_unknown_person_lists_tracks() -> None:
    det = track_detections(_dets(), max_people=3)
    listing = r"--person='7'.*track \d: 60 frames.*track \d: 10 frames"
    with pytest.raises(InvalidInputError, match=listing):
        choose_person(det, "7")
    with pytest.raises(InvalidInputError, match="--person='tallest'"):
        choose_person(det, "tallest")


def test_nobody_in_view() -> None:
    kp = np.full((5, 1, 17, 2), np.nan, np.float32)
    det = Detections(kp, np.zeros((5, 1, 17)), np.full((5, 1), np.nan), "coco17", 30, W, H)
    out = track_detections(det, max_people=2)
    assert out.track_ids.tolist() == [-1, -1] and int(out.extra["tracks_found"]) == 0
    with pytest.raises(InvalidInputError, match="nobody"):
        choose_person(out, "auto")

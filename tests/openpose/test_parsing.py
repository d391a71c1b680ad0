"""Parsing of synthetic heatmaps/PAFs rendered from known multi-person skeletons."""

from __future__ import annotations

import numpy as np
import pytest
from openpose_testkit import BODY25_TO_COCO18

from posearena.errors import InvalidInputError
from posearena_openpose.parsing import (
    GridMapping,
    ParserConfig,
    limb_scores,
    parse_maps,
    upsample_maps,
)
from posearena_openpose.peaks import find_peaks
from posearena_openpose.spec import BODY25, COCO
from posearena_openpose.synthetic import image_to_grid, render_maps

# 1080x1920 image at net height 368: scale s = 367/1079, grid 46 x 82 cells.
SCALE = 367 / 1079
MAPPING = GridMapping(origin_px=3.5 / SCALE, px_per_cell=8 / SCALE, net_px_per_cell=8.0)
GRID = (46, 82)


def _scene(template: np.ndarray, centres_px: list[tuple[float, float]], size: float = 0.8):
    """People (P, J, 2) in image px: the template (cells) scaled to image px around centres."""
    return np.stack([np.asarray(c) + template * size * 8 / SCALE for c in centres_px])


def _match(found: list, truth: np.ndarray) -> list[np.ndarray]:
    """For each true person, the found person closest to it (by mean keypoint distance)."""
    out = []
    for t in truth:
        d = [np.nanmean(np.hypot(*(p.keypoints - t).T)) for p in found]
        out.append(found[int(np.nanargmin(d))].keypoints)
    return out


def test_five_people_recovered_exactly(standing: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    centres = [(240 + 360 * i + rng.uniform(-20, 20), 560 + rng.uniform(-40, 40)) for i in range(5)]
    truth = _scene(standing, centres)
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    people = parse_maps(heat, pafs, BODY25, MAPPING)
    assert len(people) == 5
    for kp, t in zip(_match(people, truth), truth, strict=True):
        err = np.hypot(*(kp - t).T)
        assert np.all(np.isfinite(err)) and err.max() < 1.0, err.max()
    for p in people:
        assert np.all((p.confidence > 0.99) & (p.confidence <= 1.0))
        assert 0.9 < p.score <= 1.0
        assert np.allclose(p.box, [*np.nanmin(p.keypoints, 0), *np.nanmax(p.keypoints, 0)])


def _segments_cross(p1, p2, q1, q2) -> bool:
    def side(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return side(p1, p2, q1) != side(p1, p2, q2) and side(q1, q2, p1) != side(q1, q2, p2)


def test_crossing_limbs_of_two_people(standing: np.ndarray) -> None:
    """Two people 9 cells apart whose right forearms cross (same PAF channels, averaged at
    the crossing): every wrist stays with its own elbow."""
    a, b = standing.copy(), standing.copy()
    a[4] = [9.0, -4.0]  # A's right forearm reaches across into B (elbow at (-4, -5))
    b[2], b[3], b[4] = [-3.0, -10.0], [-3.0, -8.0], [-3.0, -1.0]  # B's vertical forearm
    b = b + np.array([9.0, 0.0])
    assert _segments_cross(a[3], a[4], b[3], b[4])
    truth = _scene(np.stack([a, b]).reshape(-1, 2), [(800, 560)]).reshape(2, 25, 2)
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    people = parse_maps(heat, pafs, BODY25, MAPPING)
    assert len(people) == 2
    for kp, t in zip(_match(people, truth), truth, strict=True):
        assert np.all(np.isfinite(kp))
        assert np.hypot(*(kp - t).T).max() < 1.0


def test_occluded_part_is_nan_and_rest_exact(standing: np.ndarray) -> None:
    truth = _scene(standing, [(500, 560), (1300, 560)])
    truth[0, 7] = np.nan  # left wrist hidden
    truth[1, 10:12] = np.nan  # right knee and ankle hidden (ankle's limb chain broken)
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    people = parse_maps(heat, pafs, BODY25, MAPPING)
    assert len(people) == 2
    by_x = sorted(people, key=lambda p: np.nanmean(p.keypoints[:, 0]))
    assert np.isnan(by_x[0].keypoints[7]).all() and by_x[0].confidence[7] == 0
    assert np.isnan(by_x[1].keypoints[10:12]).all()
    # The heel and toes of the hidden leg attach to the ankle: lost with it.
    assert np.isnan(by_x[1].keypoints[22:25]).all()
    for p, t in zip(by_x, truth, strict=True):
        ok = np.isfinite(t[:, 0]) & np.isfinite(p.keypoints[:, 0])
        assert np.hypot(*(p.keypoints[ok] - t[ok]).T).max() < 1.0


def test_missing_paf_splits_person_and_small_fragments_are_dropped(standing: np.ndarray) -> None:
    truth = _scene(standing, [(900, 560)])
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    k = BODY25.pairs.index((1, 8))  # neck -> mid-hip: the trunk
    for c in BODY25.paf_index[k]:
        pafs[c] = 0.0
    people = parse_maps(heat, pafs, BODY25, MAPPING)
    # Upper body (neck first limb fails; built from neck-shoulder on) and legs (mid-hip) apart.
    assert len(people) == 2
    upper = min(people, key=lambda p: np.nanmean(p.keypoints[:, 1]))
    lower = max(people, key=lambda p: np.nanmean(p.keypoints[:, 1]))
    assert np.isfinite(upper.keypoints[[0, 1, 2, 5]]).all() and np.isnan(upper.keypoints[8]).all()
    assert np.isfinite(lower.keypoints[[8, 9, 12]]).all() and np.isnan(lower.keypoints[1]).all()
    strict = parse_maps(heat, pafs, BODY25, MAPPING, ParserConfig(min_parts=14))
    assert len(strict) == 0  # each fragment has fewer than 14 non-foot parts


def test_wrong_direction_paf_rejects_limb(standing: np.ndarray) -> None:
    truth = image_to_grid(_scene(standing, [(900, 560)]), SCALE)
    _, pafs = render_maps(truth, BODY25, GRID)
    k = BODY25.pairs.index((3, 4))
    cx, cy = BODY25.paf_index[k]
    a, b = truth[:, 3], truth[:, 4]
    good = limb_scores(a, b, pafs[cx], pafs[cy], 8.0, ParserConfig())
    flipped = limb_scores(a, b, -pafs[cx], -pafs[cy], 8.0, ParserConfig())
    assert good[0, 0] > 0.9 and flipped[0, 0] == 0.0


def test_coco18_model(standing: np.ndarray) -> None:
    truth = _scene(standing[BODY25_TO_COCO18], [(600, 560), (1300, 600)])
    heat, pafs = render_maps(image_to_grid(truth, SCALE), COCO, GRID)
    people = parse_maps(heat, pafs, COCO, MAPPING)
    assert len(people) == 2
    for kp, t in zip(_match(people, truth), truth, strict=True):
        assert np.hypot(*(kp - t).T).max() < 1.0


def test_upsampled_maps_like_openpose(standing: np.ndarray) -> None:
    truth = _scene(standing, [(600, 560), (1300, 600)])
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    h8, p8, m8 = upsample_maps(heat[:, :, :], pafs, MAPPING, 4)
    assert h8.shape == (26, 184, 328) and m8.px_per_cell == pytest.approx(MAPPING.px_per_cell / 4)
    people = parse_maps(h8, p8, BODY25, m8)
    assert len(people) == 2
    for kp, t in zip(_match(people, truth), truth, strict=True):
        # cubic interpolation moves Gaussian maxima by up to ~0.05 cells (~1.2 px here)
        assert np.hypot(*(kp - t).T).max() < 2.0


def test_offset_px_shifts_everything(standing: np.ndarray) -> None:
    truth = _scene(standing, [(900, 560)])
    heat, pafs = render_maps(image_to_grid(truth, SCALE), BODY25, GRID)
    (p,) = parse_maps(heat, pafs, BODY25, MAPPING, ParserConfig(offset_px=0.5))
    assert np.allclose(p.keypoints - truth[0], 0.5, atol=0.01)


def test_peaks_plateau_and_threshold() -> None:
    hm = np.zeros((2, 9, 9))
    hm[0, 4, 4] = hm[0, 4, 5] = 0.8  # two-cell plateau -> one peak
    hm[1, 2, 2] = 0.04  # below the NMS threshold
    peaks = find_peaks(hm, 0.05)
    assert len(peaks[0]) == 1 and len(peaks[1]) == 0
    assert peaks[0].xy[0, 1] == 4.0


def test_bad_shapes_are_named() -> None:
    with pytest.raises(InvalidInputError, match=r"heatmaps\.shape"):
        parse_maps(np.zeros((5, 4, 4)), np.zeros((52, 4, 4)), BODY25, MAPPING)
    with pytest.raises(InvalidInputError, match=r"pafs\.shape"):
        parse_maps(np.zeros((26, 4, 4)), np.zeros((52, 4, 5)), BODY25, MAPPING)
    with pytest.raises(InvalidInputError, match="upsample"):
        upsample_maps(np.zeros((26, 4, 4)), np.zeros((52, 4, 4)), MAPPING, 0)


def test_empty_maps_give_nobody() -> None:
    assert parse_maps(np.zeros((26, *GRID)), np.zeros((52, *GRID)), BODY25, MAPPING) == []

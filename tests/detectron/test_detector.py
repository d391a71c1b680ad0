"""Detector pieces: confidence mapping, person selection, frame decoding, inference output."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "torchvision", reason="torchvision is only in .venvs/detectron (run these tests with "
    ".venvs/detectron/bin/python -m pytest tests/detectron)"
)

import cv2
import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_detectron.detector import (
    KeypointDetector,
    MainPersonSelector,
    PersonDetection,
    box_iou,
    logit_to_confidence,
)
from posearena_detectron.frames import decode_rgb
from posearena_detectron.model import get_spec


def _person(score: float, box: tuple[float, float, float, float]) -> PersonDetection:
    return PersonDetection(np.zeros((17, 2), np.float32), np.ones(17, np.float32),
                           np.zeros(17, np.float32), score, np.array(box, np.float32))


def test_logit_to_confidence_is_a_bounded_monotonic_sigmoid() -> None:
    x = np.array([-1e4, -5.0, 0.0, 2.0, 5.0, 1e4], np.float32)
    c = logit_to_confidence(x)
    assert c.dtype == np.float32 and np.all((c >= 0) & (c <= 1)) and np.all(np.diff(c) >= 0)
    np.testing.assert_allclose(c[2:4], [0.5, 1 / (1 + np.exp(-2.0))], rtol=1e-6)


def test_box_iou() -> None:
    a = np.array([0, 0, 10, 10.0])
    assert box_iou(a, a) == 1.0
    assert box_iou(a, np.array([5, 0, 15, 10.0])) == pytest.approx(50 / 150)
    assert box_iou(a, np.array([20, 20, 30, 30.0])) == 0.0


def test_selection_highest_score_above_threshold_then_follows_main_person() -> None:
    sel = MainPersonSelector(min_score=0.5, track=True, min_iou=0.3)
    assert sel.select([_person(0.4, (0, 0, 10, 10))]) is None  # below threshold
    a, b = (0, 0, 100, 200), (300, 0, 400, 200)
    assert sel.select([_person(0.7, b), _person(0.9, a)]) == 1  # highest score
    # the other person scores higher now, but the main person (overlapping a) is kept
    assert sel.select([_person(0.95, b), _person(0.6, (10, 5, 110, 205))]) == 1
    assert sel.select([]) is None  # a frame without anyone keeps the track
    assert sel.select([_person(0.8, (5, 0, 105, 200)), _person(0.99, b)]) == 0
    # main person gone (no overlap): the highest score takes over
    assert sel.select([_person(0.6, b), _person(0.7, (600, 0, 700, 200))]) == 1
    free = MainPersonSelector(min_score=0.5, track=False)
    assert free.select([_person(0.6, a), _person(0.9, b)]) == 1
    assert free.select([_person(0.95, b), _person(0.6, a)]) == 0
    with pytest.raises(InvalidInputError, match="min_score"):
        MainPersonSelector(min_score=1.5)


def _png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def test_decode_gray_rgba_16bit_and_raw() -> None:
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (6, 8), dtype=np.uint8)
    rgb = decode_rgb(_png(gray), None, 8, 6, "f")
    assert rgb.shape == (6, 8, 3) and all(np.array_equal(rgb[..., c], gray) for c in range(3))
    bgra = rng.integers(0, 255, (6, 8, 4), dtype=np.uint8)
    np.testing.assert_array_equal(decode_rgb(_png(bgra), None, 0, 0, "f"), bgra[..., 2::-1])
    g16 = (gray.astype(np.uint16) * 257)
    np.testing.assert_array_equal(decode_rgb(_png(g16), None, 0, 0, "f")[..., 0], gray)
    bgr = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_rgb(None, bgr.tobytes(), 8, 6, "f"), bgr[..., ::-1])


@pytest.mark.parametrize(
    ("encoded", "raw", "w", "h", "match"),
    [
        (None, bytes(8 * 6), 8, 6, r"f\.raw_bgr='48 bytes': expected width\*height\*3 = 8\*6\*3"),
        (None, b"", 0, 0, r"f\.width/height=\(0, 0\): expected > 0"),
        (b"", None, 0, 0, r"f\.image='empty'"),
        (b"not an image at all", None, 0, 0, r"f\.encoded=.*expected JPEG or PNG"),
        ("png", None, 9, 6, r"f\.width/height=\(9, 6\): expected the encoded image's size"),
    ],
)
def test_decode_rejects_bad_frames(encoded, raw, w, h, match) -> None:
    if encoded == "png":
        encoded = _png(np.zeros((6, 8, 3), np.uint8))
    with pytest.raises(InvalidInputError, match=match):
        decode_rgb(encoded, raw, w, h, "f")


def test_detector_output_and_pixel_convention(rw, test_image) -> None:
    spec = get_spec("detectron2_r50")  # continuous coordinates: shifted by -0.5 px
    model = rw.random_model(spec.name, seed=5)
    det = KeypointDetector(model, spec, "cpu")
    people = det.detect(test_image)
    assert len(people) == 4
    scores = [p.score for p in people]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    x = torch.from_numpy(test_image).permute(2, 0, 1).float() / 255
    with torch.no_grad():
        raw = model([x])[0]
    np.testing.assert_allclose(people[0].keypoints, raw["keypoints"][0, :, :2].numpy() - 0.5)
    np.testing.assert_allclose(people[0].confidence,
                               torch.sigmoid(raw["keypoints_scores"][0]).numpy(), rtol=1e-5)
    assert people[0].keypoints.shape == (17, 2) and people[0].box.shape == (4,)
    assert det.detect(test_image, min_score=1.0) == []
    with pytest.raises(InvalidInputError, match="image"):
        det.detect(test_image[..., 0])


def test_aligned_pooler_samples_the_fpn_level_with_half_pixel_offset() -> None:
    from collections import OrderedDict

    from torchvision.ops import roi_align

    from posearena_detectron.model import AlignedMultiScaleRoIAlign

    g = torch.Generator().manual_seed(0)
    feats = OrderedDict((str(i), torch.randn(1, 4, 64 >> i, 64 >> i, generator=g))
                        for i in range(4))
    pool = AlignedMultiScaleRoIAlign(["0", "1", "2", "3"], 7, 0)
    boxes = torch.tensor([[10.0, 20.0, 234.0, 244.0], [3.0, 5.0, 40.0, 50.0]])
    out = pool(feats, [boxes], [(256, 256)])
    # 224 px box -> level 4 (stride 16, key "2"); a ~40 px box -> level 2 (stride 4, key "0")
    for i, (key, scale) in enumerate((("2", 1 / 16), ("0", 1 / 4))):
        rois = torch.cat([torch.zeros(1, 1), boxes[i : i + 1]], dim=1)
        want = roi_align(feats[key], rois, 7, spatial_scale=scale, sampling_ratio=0, aligned=True)
        torch.testing.assert_close(out[i : i + 1], want)
        plain = roi_align(feats[key], rois, 7, spatial_scale=scale, sampling_ratio=0)
        assert not torch.allclose(out[i : i + 1], plain)

"""VideoPose3D custom-dataset 2D files: layout, round trip, gap filling, safe loading."""

from __future__ import annotations

import fractions

import numpy as np
import pytest

vp = pytest.importorskip(
    "posearena_detectron.vp3d_export",
    reason="posearena_detectron is installed only in .venvs/detectron (run these tests with "
    ".venvs/detectron/bin/python -m pytest tests/detectron)",
)
from posearena.errors import InvalidInputError  # noqa: E402


def _walk(t: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (100 + np.cumsum(rng.normal(0, 2, (t, 17, 2)), axis=0)).astype(np.float32)


def test_layout_matches_videopose3d_and_round_trips(tmp_path) -> None:
    a, b = _walk(30, 0), _walk(12, 1)
    path = tmp_path / "data_2d_custom_clips.npz"
    vp.save_vp3d(path, {"walk": vp.Vp3dVideo(a, 1080, 1920), "b": vp.Vp3dVideo(b, 640, 480)})
    # read exactly as VideoPose3D's run.py does
    z = np.load(path, allow_pickle=True)
    meta, pos = z["metadata"].item(), z["positions_2d"].item()
    assert meta["layout_name"] == "coco" and meta["num_joints"] == 17
    assert meta["keypoints_symmetry"] == [[1, 3, 5, 7, 9, 11, 13, 15],
                                          [2, 4, 6, 8, 10, 12, 14, 16]]
    assert meta["video_metadata"] == {"walk": {"w": 1080, "h": 1920}, "b": {"w": 640, "h": 480}}
    assert pos["walk"]["custom"][0].dtype == np.float32
    np.testing.assert_array_equal(pos["walk"]["custom"][0], a)
    videos, meta2 = vp.load_vp3d(path)
    assert meta2 == meta and set(videos) == {"walk", "b"}
    np.testing.assert_array_equal(videos["b"].keypoints, b)
    assert (videos["walk"].width, videos["walk"].height) == (1080, 1920)


def test_fill_missing_interpolates_and_holds_ends() -> None:
    k = np.full((5, 17, 2), np.nan, np.float32)
    k[1], k[3] = 10.0, 20.0
    f = vp.fill_missing(k)
    np.testing.assert_array_equal(f[:, 0, 0], [10, 10, 15, 20, 20])
    dets = np.stack([k, k + 1], axis=1)  # (T, P, 17, 2)
    np.testing.assert_array_equal(vp.keypoints_from_detections(dets, 1)[:, 0, 0], f[:, 0, 0] + 1)
    k[:, 4, 1] = np.nan
    with pytest.raises(InvalidInputError, match=r"keypoints\[:, 4, 1\]"):
        vp.fill_missing(k)


def test_save_refuses_nan_and_bad_shapes(tmp_path) -> None:
    k = _walk(4, 2)
    k[2, 3] = np.nan
    with pytest.raises(InvalidInputError, match="fill_missing"):
        vp.save_vp3d(tmp_path / "x.npz", {"v": vp.Vp3dVideo(k, 10, 10)})
    with pytest.raises(InvalidInputError, match=r"keypoints.shape"):
        vp.save_vp3d(tmp_path / "x.npz", {"v": vp.Vp3dVideo(np.zeros((4, 18, 2)), 10, 10)})


def test_load_refuses_foreign_objects(tmp_path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, positions_2d=np.array({"v": {"custom": [fractions.Fraction(1, 3)]}},
                                         dtype=object),
             metadata=np.array({"layout_name": "coco", "num_joints": 17}, dtype=object))
    with pytest.raises(InvalidInputError, match=r"refused global fractions\.Fraction"):
        vp.load_vp3d(path)

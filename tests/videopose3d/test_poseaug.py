"""Pose augmentation (body-part rotations) and fine-tuning from a checkpoint, on UI-PRMD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.checkpoint import load_checkpoint
from posearena_videopose3d.training.__main__ import main as cli_main
from posearena_videopose3d.training.batches import WindowSampler
from posearena_videopose3d.training.data import load_uiprmd_vicon
from posearena_videopose3d.training.poseaug import (
    PoseAugmentation,
    augment_pose,
    axis_angle_matrices,
    smooth_angles,
)
from posearena_videopose3d.training.train import TrainConfig, build_models, train

DATA = Path(__file__).resolve().parents[2] / "data" / "ui_prmd"
H36M_PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
# coco17 index -> h36m17 index of the same joint centre (shoulders ... ankles)
SAME = [(5, 11), (6, 14), (7, 12), (8, 15), (9, 13), (10, 16), (11, 4), (12, 1), (13, 5),
        (14, 2), (15, 6), (16, 3)]


@pytest.fixture(scope="module")
def seqs():
    s, _ = load_uiprmd_vicon(DATA, ["s01"], subsample=(3,))
    return s


def _bones(h36m: np.ndarray) -> np.ndarray:
    return np.stack([np.linalg.norm(h36m[:, j] - h36m[:, p], axis=-1)
                     for j, p in enumerate(H36M_PARENTS) if p >= 0])


def test_rotations_make_new_motion_with_the_same_body(seqs) -> None:
    rng = np.random.default_rng(3)
    for seq in seqs[:3]:
        aug = augment_pose(seq, PoseAugmentation(prob=1.0), rng)
        assert aug is not seq and aug.h36m.shape == seq.h36m.shape and aug.name.endswith("~aug")
        np.testing.assert_allclose(_bones(aug.h36m), _bones(seq.h36m), atol=1e-5)
        for c, h in SAME:  # 2D input and 3D target stay the same joints
            np.testing.assert_allclose(aug.coco[:, c], aug.h36m[:, h], atol=1e-5)
        # pelvis, hips and spine are pivots: unmoved; wrists and feet move a lot
        np.testing.assert_allclose(aug.h36m[:, [0, 1, 4, 7]], seq.h36m[:, [0, 1, 4, 7]],
                                   atol=1e-5)
        moved = np.linalg.norm(aug.h36m - seq.h36m, axis=-1).max(axis=0)
        assert moved[[3, 6, 13, 16]].min() > 0.05
        # face points move rigidly with the head (distances to the head joint kept)
        for k in range(5):
            np.testing.assert_allclose(np.linalg.norm(aug.coco[:, k] - aug.h36m[:, 10], axis=-1),
                                       np.linalg.norm(seq.coco[:, k] - seq.h36m[:, 10], axis=-1),
                                       atol=1e-5)


def test_probability_zero_keeps_the_recording(seqs) -> None:
    rng = np.random.default_rng(0)
    assert all(augment_pose(s, PoseAugmentation(prob=0.0), rng) is s for s in seqs)
    kept = sum(augment_pose(seqs[0], PoseAugmentation(prob=0.5), rng) is seqs[0]
               for _ in range(200))
    assert 70 < kept < 130


def test_angles_stay_in_range_and_smooth() -> None:
    rng = np.random.default_rng(1)
    fps, max_rad, fmax = 30.0, np.deg2rad(40), 1.0
    for _ in range(50):
        a = smooth_angles(300, fps, max_rad, (0.1, fmax), rng)
        assert np.abs(a).max() <= max_rad + 1e-12
        # a sinusoid of amplitude <= max_rad and frequency <= fmax changes at most this fast
        assert np.abs(np.diff(a)).max() <= max_rad * 2 * np.pi * fmax / fps + 1e-12


def test_axis_angle_matrices() -> None:
    R = axis_angle_matrices(np.array([0.0, 0.0, 2.0]), np.array([np.pi / 2, 0.0]))
    np.testing.assert_allclose(R[0] @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(R[1], np.eye(3), atol=1e-12)
    np.testing.assert_allclose(R[0] @ R[0].T, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("kw", [{"prob": 1.5}, {"arm_deg": -1.0}, {"freq_hz": (0.0, 1.0)},
                                {"freq_hz": (2.0, 1.0)}])
def test_bad_ranges_are_rejected(kw) -> None:
    with pytest.raises(InvalidInputError):
        PoseAugmentation(**kw)


def test_sampler_applies_it(seqs) -> None:
    # distances between feet and wrists ignore the camera and the flip: only poses change them
    def wrist_reach(sampler: WindowSampler) -> np.ndarray:
        _, y = next(sampler.epoch(100_000))
        ends = y[:, [3, 6, 13, 16]]
        d = np.linalg.norm(ends[:, :, None] - ends[:, None], axis=-1)
        return np.sort(d.ravel())

    plain = wrist_reach(WindowSampler(seqs[:2], 9, seed=5))
    np.testing.assert_allclose(wrist_reach(WindowSampler(seqs[:2], 9, seed=6)), plain, atol=1e-5)
    augd = wrist_reach(WindowSampler(seqs[:2], 9, seed=5, pose_aug=PoseAugmentation(prob=1.0)))
    assert augd.shape == plain.shape and np.abs(augd - plain).max() > 0.1


def test_fine_tuning_starts_from_the_given_weights(seqs, tmp_path: Path) -> None:
    torch.manual_seed(7)
    cfg = TrainConfig(filter_widths=[3, 3], channels=16, batch_size=64, max_steps=1, lr=0.0)
    _, init = build_models(cfg)
    with torch.no_grad():
        for p in init.parameters():
            p.uniform_(-0.1, 0.1)
    out = tmp_path / "ft.pt"
    train(seqs[:1], None, out, cfg, log=False, init=init,
          pose_aug=PoseAugmentation(prob=1.0))
    model, meta = load_checkpoint(out)
    for name, p in init.state_dict().items():
        if "running" not in name and "num_batches" not in name:  # BN statistics do update
            torch.testing.assert_close(model.state_dict()[name], p)
    assert meta["training"]["pose_augmentation"]["prob"] == 1.0


def test_cli_init_and_pose_aug(tmp_path: Path) -> None:
    base, ft = tmp_path / "base.pt", tmp_path / "ft.pt"
    common = ["--data-dir", str(DATA), "--train-subjects", "s01", "--minutes", "0.03",
              "--filter-widths", "3", "--channels", "16", "--batch-size", "64",
              "--subsample", "5"]
    assert cli_main([*common, "--out", str(base)]) == 0
    assert cli_main([*common, "--out", str(ft), "--init", str(base), "--pose-aug", "0.5",
                     "--lr", "1e-4"]) == 0
    _, meta = load_checkpoint(ft)
    assert meta["training_details"]["initialised_from"] == str(base)
    assert meta["training"]["pose_augmentation"]["prob"] == 0.5
    assert meta["training"]["config"]["lr"] == 1e-4

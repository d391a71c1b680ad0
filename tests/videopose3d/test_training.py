"""posearena_videopose3d.training on the bundled UI-PRMD Vicon recordings (tiny models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from posearena.mocap import MARKER_INDEX, read_vicon_positions
from posearena_videopose3d.checkpoint import load_checkpoint
from posearena_videopose3d.training.__main__ import main as cli_main
from posearena_videopose3d.training.batches import (
    Augmentation,
    WindowSampler,
    fill_missing,
    flip_pairs,
    normalize_screen,
)
from posearena_videopose3d.training.cameras import CameraSampling, facing_yaw, sample_camera
from posearena_videopose3d.training.data import load_uiprmd_vicon
from posearena_videopose3d.training.evaluate import mpjpe, p_mpjpe
from posearena_videopose3d.training.io import load_state
from posearena_videopose3d.training.train import TrainConfig, train

DATA = Path(__file__).resolve().parents[2] / "data" / "ui_prmd"


@pytest.fixture(scope="module")
def seqs():
    torch.set_num_threads(1)
    s, report = load_uiprmd_vicon(DATA, ["s01"], subsample=(3,))
    assert report.dropped == [] and len(s) == 6  # 2 files x 3 offsets
    return s


def test_cameras_see_the_person(seqs) -> None:
    rng = np.random.default_rng(0)
    inside, total, kinds = 0, 0, set()
    for i in range(150):
        seq = seqs[i % len(seqs)]
        cam = sample_camera(seq.coco, facing_yaw(seq.h36m), rng, CameraSampling())
        kinds.add((cam.width, cam.height))
        Xc = cam.to_camera(seq.coco.astype(np.float64))
        assert np.all(Xc[..., 2] > 0.5)  # in front of the camera
        uv = cam.project_camera(Xc)
        ok = (uv[..., 0] >= 0) & (uv[..., 0] < cam.width) & (uv[..., 1] >= 0) & (
            uv[..., 1] < cam.height)
        inside += ok.sum()
        total += ok.size
        dist = np.linalg.norm(cam.t)  # distance of the world origin, sanity only
        assert np.isfinite(dist)
    assert inside / total > 0.95
    assert kinds == {(640, 480), (1080, 1920), (1920, 1080)}


def test_camera_yaw_range_is_respected(seqs) -> None:
    seq = seqs[0]
    fac = facing_yaw(seq.h36m)
    # facing = where the toes point (raw markers: toe in front of ankle)
    m = read_vicon_positions(DATA / "Vicon" / "Positions" / "m01_s01_e01_positions.txt.gz")
    toe = m[:, MARKER_INDEX["LTOE"], :2] - m[:, MARKER_INDEX["LANK"], :2]
    assert np.mean(toe @ [np.cos(fac), np.sin(fac)]) > 0.05 * 1000
    rng = np.random.default_rng(1)
    for _ in range(50):
        cam = sample_camera(seq.coco, fac, rng, CameraSampling(yaw_deg=30.0))
        # camera optical axis (3rd row of R) points back at the subject's front
        view = -cam.R[2, :2] / np.linalg.norm(cam.R[2, :2])
        ang = np.degrees(np.arccos(np.clip(view @ [np.cos(fac), np.sin(fac)], -1, 1)))
        assert ang < 31.0


def test_windows_normalisation_flip_and_fill(seqs) -> None:
    uv = np.array([[0.0, 0.0], [1919.0, 1079.0]])
    np.testing.assert_allclose(normalize_screen(uv, 1920, 1080),
                               [[-1.0, -1080 / 1920], [1919 / 960 - 1, 1079 / 960 - 1080 / 1920]])
    sampler = WindowSampler(seqs, 9, aug=Augmentation(drop_prob=0.2), seed=0)
    x, y = next(sampler.epoch(32))
    assert x.shape == (32, 9, 17, 2) and y.shape == (32, 17, 3)
    assert np.isfinite(x).all() and np.abs(x).max() < 2.0
    np.testing.assert_allclose(y[:, 0], 0.0)
    x2, y2 = flip_pairs(*flip_pairs(x, y))
    np.testing.assert_allclose(x2, x)
    np.testing.assert_allclose(y2, y)
    kp = np.array([[[0.0, 0.0]], [[np.nan, np.nan]], [[2.0, 4.0]], [[np.nan, np.nan]]])
    np.testing.assert_allclose(fill_missing(kp)[:, 0], [[0, 0], [1, 2], [2, 4], [2, 4]])


def test_metrics() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(size=(4, 17, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    moved = 1.3 * t @ q.T + 0.5
    assert p_mpjpe(moved, t) < 1e-6
    assert mpjpe(moved, t) > 100.0
    assert mpjpe(t + np.array([0.01, 0.0, 0.0]), t) == pytest.approx(10.0)


def test_training_lowers_loss_and_resumes(seqs, tmp_path: Path) -> None:
    out = tmp_path / "tiny.pt"
    cfg = TrainConfig(filter_widths=[3, 3], channels=32, batch_size=128, minutes=5.0,
                      max_steps=60, lr=3e-3)
    s1 = train(seqs, seqs[:1], out, cfg, log=False)
    losses = s1["losses"]
    assert s1["step"] == 60
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:5])
    assert s1["validation"]["s01"]["mpjpe_mm"] > 0
    _, meta = load_checkpoint(out)
    assert meta["input_skeleton"] == "coco17"
    assert meta["training"]["steps"] == 60
    cfg2 = TrainConfig(filter_widths=[3, 3], channels=32, batch_size=128, minutes=5.0,
                       max_steps=70, lr=3e-3)
    s2 = train(seqs, None, out, cfg2, resume=True, log=False)
    assert s2["step"] == 70 and len(s2["losses"]) == 10
    assert load_state(str(out) + ".state.pt")["step"] == 70
    # resumed weights continue from the trained ones: loss stays low
    assert np.mean(s2["losses"]) < 0.8 * np.mean(losses[:5])


def test_cli_writes_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli.pt"
    rc = cli_main(["--data-dir", str(DATA), "--train-subjects", "s01", "--minutes", "0.05",
                   "--out", str(out), "--filter-widths", "3", "--channels", "16",
                   "--batch-size", "64", "--subsample", "5"])
    assert rc == 0
    model, meta = load_checkpoint(out)  # the service's loader reads what training wrote
    assert meta["training_details"]["train_subjects"] == ["s01"]
    assert meta["receptive_field"] == 3 and model.channels == 16
    assert meta["input_skeleton"] == "coco17" and meta["output_skeleton"] == "h36m17"
    capsys.readouterr()
    assert cli_main(["--data-dir", str(DATA), "--train-subjects", "s01", "--val-subjects",
                     "s01", "--out", str(out), "--eval-only"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["s01"]["frames"] > 100 and res["s01"]["p_mpjpe_mm"] > res["s01"]["mpjpe_mm"] * 0.2

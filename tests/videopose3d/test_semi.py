"""Semi-supervised training (warm-up, back-projection, trajectory, bone lengths) on the bundled
UI-PRMD Vicon recordings, judged on held-out 3D that no loss ever read."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from posearena.errors import InvalidInputError
from posearena_gateway.cli import main as posearena_main
from posearena_videopose3d.adapt import _root_translation
from posearena_videopose3d.checkpoint import load_checkpoint
from posearena_videopose3d.training.__main__ import main as cli_main
from posearena_videopose3d.training.batches import Augmentation, WindowSampler
from posearena_videopose3d.training.data import load_uiprmd_vicon, subset_sequences
from posearena_videopose3d.training.semi import (
    COCO_FROM_H36M,
    SemiSupervisedTrainer,
    bone_lengths,
    project_normalized,
)
from posearena_videopose3d.training.semi_train import SemiConfig, train_semi

DATA = Path(__file__).resolve().parents[2] / "data" / "ui_prmd"
TINY = dict(filter_widths=[3, 3], channels=48, batch_size=64, lr=2e-3, dropout=0.1,
            minutes=30.0, clock="wall")


@pytest.fixture(scope="module")
def split():
    """Labelled: both movements at offset 0; unlabelled 2D: offset 1; held out: offset 2."""
    torch.set_num_threads(1)
    seqs, _ = load_uiprmd_vicon(DATA, ["s01"], subsample=(3,))
    by_off = {k: [s for s in seqs if s.name.endswith(f"+{k}")] for k in range(3)}
    return by_off[0], by_off[1], by_off[2]


def _p_mpjpe(summary: dict, key: str) -> float:
    return summary[key]["all"]["p_mpjpe_mm"]


def test_projection_and_bones() -> None:
    pts = torch.tensor([[[0.2, -0.1, 2.0], [0.0, 0.0, 4.0]]])
    intr = torch.tensor([[1.5, 0.1, -0.2]])
    uv = project_normalized(pts, intr)
    np.testing.assert_allclose(uv[0].numpy(), [[0.25, -0.275], [0.1, -0.2]], atol=1e-6)
    pose = torch.zeros(1, 17, 3)
    pose[0, 1] = torch.tensor([0.3, 0.4, 0.0])  # right hip 0.5 m from the pelvis
    assert float(bone_lengths(pose)[0, 0]) == pytest.approx(0.5)


def test_warmup_steps_are_supervised_only(split) -> None:
    lab, unl, _ = split
    trainer = SemiSupervisedTrainer([3, 3], channels=16)
    xl, yl, kl = (torch.from_numpy(a) for a in
                  next(WindowSampler(lab, 9, seed=0).epoch(8, with_camera=True)))
    xu, _, ku = (torch.from_numpy(a) for a in
                 next(WindowSampler(unl, 9, seed=1).epoch(8, with_camera=True)))
    warm = trainer.losses(xl, yl, intr_lab=kl)
    assert set(warm) == {"pose", "traj", "total"}
    semi = trainer.losses(xl, yl, xu, ku, intr_lab=kl)
    assert set(semi) == {"pose", "traj", "reprojection", "bone", "total"}
    with pytest.raises(InvalidInputError):
        trainer.losses(xl, yl, xu[:, :5], ku, intr_lab=kl)
    with pytest.raises(InvalidInputError, match="intr_lab"):
        trainer.losses(xl, yl)  # the trajectory needs the labelled windows' focal length


def test_trajectory_is_in_units_of_the_focal_length(split) -> None:
    # a trajectory model that outputs a constant q places the root at q * f_n metres: the
    # same 2D seen through a longer lens is farther away
    trainer = SemiSupervisedTrainer([3], channels=8)
    last = trainer.traj_model.shrink
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0.1, -0.2, 1.5]))
    x, y, k = (torch.from_numpy(a) for a in
               next(WindowSampler(split[0], 3, seed=2).epoch(16, with_camera=True)))
    root = y[:, :1]
    want = torch.mean(torch.norm(k[:, None, :1] * torch.tensor([0.1, -0.2, 1.5]) - root, dim=-1)
                      / root[..., 2])
    got = trainer.losses(x, y, intr_lab=k)["traj"].detach()
    assert float(got) == pytest.approx(float(want), rel=1e-5)
    assert float(trainer.losses(x, y, intr_lab=2 * k)["traj"].detach()) != pytest.approx(
        float(got))


def test_solved_root_recovers_the_camera_frame_translation(split) -> None:
    # exact 2D of known poses: the least-squares root is the true root (trajectory-free
    # back-projection, root="solve")
    lab = split[0]
    exact = Augmentation(noise_px=(0.0, 0.0), drop_prob=0.0, flip=False)
    x, y, k = next(WindowSampler(lab, 9, aug=exact, seed=3).epoch(32, with_camera=True))
    x, y, k = (torch.from_numpy(a) for a in (x, y, k))
    coco = sorted(COCO_FROM_H36M)
    h36m = [COCO_FROM_H36M[c] for c in coco]
    xy = (x[:, 4, coco] - k[:, None, 1:]) / k[:, None, :1]
    rel = (y - y[:, :1])[:, h36m]
    root = _root_translation(rel, xy)
    np.testing.assert_allclose(root[:, 0].numpy(), y[:, 0].numpy(), atol=2e-3)
    trainer = SemiSupervisedTrainer([3, 3], channels=16, with_trajectory=False, root="solve")
    terms = trainer.losses(x, y, x, k)
    assert set(terms) == {"pose", "reprojection", "bone", "total"}


def test_semi_phase_keeps_the_warmed_up_model_and_skipping_warmup_wrecks_it(
        split, tmp_path: Path) -> None:
    lab, unl, held = split
    cfg = SemiConfig(**TINY, max_steps=260, warmup_steps=160)
    s = train_semi(lab, unl, held, tmp_path / "semi.pt", cfg, log=False)
    assert s["warmup_steps"] == 160 and s["steps"] == 260
    warm, final = _p_mpjpe(s, "validation_warmup"), _p_mpjpe(s, "validation")
    # back-projection after the warm-up does not wreck the model on held-out 3D
    assert final < 1.15 * warm
    rep = [h["reprojection"] for h in s["losses"][160:]]
    assert np.isfinite(rep).all() and np.mean(rep[-20:]) < np.mean(rep[:5])
    # the same semi-supervised steps from an untrained model (no warm-up, as before) do
    cold = train_semi(lab, unl, held, tmp_path / "cold.pt",
                      SemiConfig(**TINY, max_steps=100, warmup_steps=0), log=False)
    assert _p_mpjpe(cold, "validation") > 1.5 * final
    _, meta = load_checkpoint(tmp_path / "semi.pt")
    assert meta["training"]["warmup_steps"] == 160
    assert meta["validation_warmup"]["all"]["p_mpjpe_mm"] == pytest.approx(warm)


def test_budget_and_supervised_only_baseline(split, tmp_path: Path) -> None:
    lab, _, held = split
    cfg = SemiConfig(**{**TINY, "minutes": 0.05, "clock": "cpu"}, warmup_fraction=1.0)
    s = train_semi(lab, [], held, tmp_path / "sup.pt", cfg, log=False)
    assert 0.05 <= s["minutes"] < 0.2 and s["warmup_steps"] == s["steps"] > 0
    assert "reprojection" not in s["losses"][-1] and "traj" not in s["losses"][-1]
    with pytest.raises(InvalidInputError, match="unlabelled"):
        train_semi(lab, [], held, tmp_path / "x.pt", SemiConfig(**TINY))


def test_cli_semi(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # the bundled subject's m07 recording serves as a second, unlabelled "subject" s02
    src = DATA / "Vicon" / "Positions"
    data = tmp_path / "Positions"
    data.mkdir()
    shutil.copy(src / "m01_s01_e01_positions.txt.gz", data)
    with gzip.open(src / "m07_s01_e01_positions.txt.gz") as f_in, \
            gzip.open(data / "m07_s02_e01_positions.txt.gz", "wb") as f_out:
        f_out.write(f_in.read())
    out = tmp_path / "semi.pt"
    args = ["--data-dir", str(data), "--train-subjects", "s01", "--val-subjects", "s02",
            "--semi", "--unlabelled-subjects", "s02", "--minutes", "0.1", "--clock", "wall",
            "--filter-widths", "3", "--channels", "16", "--batch-size", "64",
            "--subsample", "5", "--out", str(out)]
    assert cli_main(args) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["steps"] > res["warmup_steps"] > 0 and "validation_warmup" in res
    _, meta = load_checkpoint(out)
    assert meta["training_details"]["unlabelled_subjects"] == ["s02"]
    assert meta["training"]["semi_supervised"]["warmup_fraction"] == SemiConfig().warmup_fraction
    assert Path(str(out) + ".state.pt").is_file()
    # --semi --resume continues the state: more steps, same warm-up
    assert cli_main([*args, "--resume"]) == 0
    res2 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res2["steps"] > res["steps"] and res2["warmup_steps"] == res["warmup_steps"]
    assert res2["minutes"] > res["minutes"]
    assert cli_main([*args[:-1], str(tmp_path / "none.pt"), "--resume"]) == 2
    assert "state file" in capsys.readouterr().err
    assert cli_main([*args, "--unlabelled-subjects", "s01"]) == 2
    assert "not in --train-subjects" in capsys.readouterr().err
    # the same run as a user types it: `posearena train-lifter --semi ...` (no `--` needed)
    out2 = tmp_path / "cli2.pt"
    assert posearena_main(["train-lifter", *args[:-1], str(out2)]) == 0
    assert load_checkpoint(out2)[1]["training"]["steps"] > 0


def test_movement_filters(split) -> None:
    from posearena_videopose3d.training.__main__ import _movements

    lab = split[0]
    assert {s.name[:3] for s in _movements(lab, "m07", "--movements")} == {"m07"}
    assert _movements(lab, "", "--movements") is lab
    with pytest.raises(InvalidInputError, match="--val-movements"):
        _movements(lab, "m09", "--val-movements")


def test_resume_continues_both_models_and_the_optimizer(split, tmp_path: Path) -> None:
    lab, unl, _ = split
    out = tmp_path / "r.pt"
    first = train_semi(lab, unl, None, out, SemiConfig(**TINY, max_steps=40, warmup_steps=25),
                       log=False)
    again = train_semi(lab, unl, None, out, SemiConfig(**TINY, max_steps=15, warmup_steps=25),
                       log=False, resume=True)
    assert (first["steps"], again["steps"], again["warmup_steps"]) == (40, 55, 25)
    assert "reprojection" in again["losses"][0]  # past the warm-up: semi from its first step
    # the trained weights came back: its first losses are those of a trained model
    fresh = np.mean([h["pose"] for h in first["losses"][:3]])
    assert np.mean([h["pose"] for h in again["losses"][:3]]) < 0.7 * fresh
    with pytest.raises(InvalidInputError, match="architecture"):
        train_semi(lab, unl, None, out, SemiConfig(**{**TINY, "channels": 32}, max_steps=5),
                   log=False, resume=True)
    with pytest.raises(InvalidInputError, match="root"):
        train_semi(lab, unl, None, out, SemiConfig(**TINY, max_steps=5, root="solve"),
                   log=False, resume=True)


def test_subset_keeps_one_contiguous_stretch_per_recording(split) -> None:
    seqs = split[0] + split[1]
    sub = subset_sequences(seqs, 0.1)
    assert subset_sequences(seqs, 1.0) is seqs
    for s, t in zip(seqs, sub, strict=True):
        assert len(t.h36m) == max(2, round(0.1 * len(s.h36m)))
        a = int(t.name.rsplit("[", 1)[1].split(":")[0])
        np.testing.assert_array_equal(t.h36m, s.h36m[a:a + len(t.h36m)])
    # offsets 0 and 1 of one recording keep the same stretch of time (within a frame)
    start = {t.name.split("[")[0]: int(t.name.rsplit("[", 1)[1].split(":")[0]) for t in sub}
    pairs = [(v, start[k.replace("+0", "+1")]) for k, v in start.items() if k.endswith("+0")]
    assert pairs and all(abs(a - b) <= 1 for a, b in pairs)
    with pytest.raises(InvalidInputError, match="subset"):
        subset_sequences(seqs, 0.0)

"""Supervised, time-limited training of the VideoPose3D lifter with checkpoints and resume.

Follows the original recipe: `TemporalModelOptimized1f` on strided windows, MPJPE loss on
root-relative camera-frame joints, Adam (amsgrad) lr 1e-3 decayed x0.95 per epoch, BatchNorm
momentum decayed exponentially from 0.1 to 0.001 over the run.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from posearena_videopose3d.model import TemporalModel, TemporalModelOptimized1f
from posearena_videopose3d.training.batches import Augmentation, WindowSampler
from posearena_videopose3d.training.cameras import CameraSampling
from posearena_videopose3d.training.data import Sequence3D
from posearena_videopose3d.training.evaluate import evaluate
from posearena_videopose3d.training.io import load_state, save_model, save_state
from posearena_videopose3d.training.poseaug import PoseAugmentation


@dataclass
class TrainConfig:
    """Training settings (arch, optimisation, time budget).

    Attributes:
        filter_widths: widths per block (RF = product). channels: conv channels.
        causal: causal model. dropout: dropout probability. batch_size: windows per step.
        lr, lr_decay: Adam learning rate and its per-epoch decay factor.
        bn_momentum: (start, end) BatchNorm momentum over the run.
        minutes: wall-clock budget of this invocation (min). seed: random seed.
        checkpoint_every_s: seconds between checkpoints. max_steps: optional step cap.
    """

    filter_widths: list[int] = field(default_factory=lambda: [3, 3, 3, 3])
    channels: int = 256
    causal: bool = False
    dropout: float = 0.25
    batch_size: int = 512
    lr: float = 1e-3
    lr_decay: float = 0.95
    bn_momentum: tuple[float, float] = (0.1, 0.001)
    minutes: float = 10.0
    seed: int = 0
    checkpoint_every_s: float = 120.0
    max_steps: int | None = None


def mpjpe_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint position error of (..., J, 3) tensors (same unit as the inputs)."""
    return torch.mean(torch.norm(pred - target, dim=-1))


def build_models(cfg: TrainConfig) -> tuple[TemporalModelOptimized1f, TemporalModel]:
    """Training model (strided, 1 output frame) and evaluation model (same parameters)."""
    kw = dict(filter_widths=cfg.filter_widths, causal=cfg.causal, dropout=cfg.dropout,
              channels=cfg.channels)
    return TemporalModelOptimized1f(17, 2, 17, **kw), TemporalModel(17, 2, 17, **kw)


def train(
    train_seqs: list[Sequence3D], val_seqs: list[Sequence3D] | None, out: str | Path,
    cfg: TrainConfig, resume: bool = False, sampling: CameraSampling | None = None,
    aug: Augmentation | None = None, log: bool = True, extra_meta: dict | None = None,
    pose_aug: PoseAugmentation | None = None, init: TemporalModel | None = None,
) -> dict:
    """Train for `cfg.minutes` (or `cfg.max_steps`), save the model to `out` and the training
    state (optimizer, step, epoch, elapsed time) to `<out>.state.pt` for `resume`.

    Args:
        train_seqs: training sequences (world frame, m). val_seqs: held-out ones (or None).
        out: model checkpoint path. cfg: settings. resume: continue from `<out>.state.pt`.
        sampling: camera ranges. aug: input corruption. log: print progress.
        extra_meta: extra metadata stored in the checkpoint (e.g. data description).
        pose_aug: body-part rotation augmentation (None: off).
        init: a model of the same architecture whose weights start the run (fine-tuning;
            ignored when resuming).

    Returns:
        Summary dict: step, epoch, minutes (total trained), last_loss_mm, losses (per-step
        list of this run, mm), validation (per-subject metrics, mm) if val_seqs.
    """
    torch.manual_seed(cfg.seed)
    model, eval_model = build_models(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, amsgrad=True)
    step, epoch, trained_s = 0, 0, 0.0
    state_path = Path(str(out) + ".state.pt")
    if init is not None and not (resume and state_path.is_file()):
        model.load_state_dict(init.state_dict())
    if resume and state_path.is_file():
        st = load_state(state_path)
        model.load_state_dict(st["model_state"])
        opt.load_state_dict(st["optimizer_state"])
        step, epoch, trained_s = st["step"], st["epoch"], st["trained_s"]
    budget_s = trained_s + cfg.minutes * 60.0
    total_budget = max(budget_s, 1.0)
    sampler = WindowSampler(train_seqs, model.receptive_field(), cfg.causal, sampling, aug,
                            seed=cfg.seed + step, pose_aug=pose_aug)
    losses: list[float] = []
    t0, last_ckpt = time.monotonic(), time.monotonic()
    done = False
    while not done:
        lr = cfg.lr * cfg.lr_decay**epoch
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        for bx, by in sampler.epoch(cfg.batch_size):
            elapsed = trained_s + time.monotonic() - t0
            m0, m1 = cfg.bn_momentum
            model.set_bn_momentum(m0 * (m1 / m0) ** min(elapsed / total_budget, 1.0))
            pred = model(torch.from_numpy(bx))[:, 0]
            loss = mpjpe_loss(pred, torch.from_numpy(by))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            losses.append(loss.item() * 1000.0)
            if log and step % 50 == 0:
                print(f"step {step} epoch {epoch} lr {lr:.2e} loss {np.mean(losses[-50:]):.1f} mm"
                      f" t {elapsed / 60:.1f} min", flush=True)
            if time.monotonic() - last_ckpt > cfg.checkpoint_every_s:
                save_state(state_path, model, opt, step, epoch,
                           trained_s + time.monotonic() - t0)
                last_ckpt = time.monotonic()
            if elapsed >= budget_s or (cfg.max_steps is not None and step >= cfg.max_steps):
                done = True
                break
        else:
            epoch += 1
    trained_s += time.monotonic() - t0
    save_state(state_path, model, opt, step, epoch, trained_s)
    summary: dict = {"step": step, "epoch": epoch, "minutes": trained_s / 60.0,
                     "last_loss_mm": float(np.mean(losses[-20:])) if losses else None,
                     "losses": losses}
    eval_model.load_state_dict(model.state_dict())
    if val_seqs:
        summary["validation"] = evaluate(eval_model, val_seqs, sampling=sampling)
        if log:
            print("validation", json.dumps(summary["validation"]), flush=True)
    meta = {
        "input_skeleton": "coco17", "output_skeleton": "h36m17",
        "arch": "TemporalModel", "filter_widths": cfg.filter_widths,
        "channels": cfg.channels, "causal": cfg.causal, "dropout": cfg.dropout,
        "receptive_field": eval_model.receptive_field(),
        "input_normalisation": "uv / width * 2 - [1, height / width]",
        "output": "root-relative H36M-17, camera frame (OpenCV), metres",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "training": {"config": {k: v for k, v in asdict(cfg).items()}, "steps": step,
                     "epochs": epoch, "minutes": round(trained_s / 60.0, 2),
                     "camera_sampling": asdict(sampling or CameraSampling()),
                     "augmentation": asdict(aug or Augmentation()),
                     "pose_augmentation": asdict(pose_aug) if pose_aug else None},
        "validation": summary.get("validation"),
    }
    meta.update(extra_meta or {})
    save_model(out, eval_model, meta)
    return summary

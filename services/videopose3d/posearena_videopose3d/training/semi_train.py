"""Semi-supervised training run with a budget: supervised warm-up, then back-projection.

Phases (Pavllo et al. 2019, Sec. 4): for the first `warmup_fraction` of the budget only the
labelled windows train the pose and trajectory models; then every step adds as many
unlabelled 2D windows (random virtual cameras per epoch, their 3D never read) with the
back-projection and bone-length terms. `warmup_fraction=1` with no unlabelled data is the
supervised-only baseline through the same loop (no trajectory model).

The budget counts training steps only (validation excluded), on the process CPU clock by
default, so that runs on a shared machine get the same compute. The learning rate and the
BatchNorm momentum decay exponentially over the budget (not per epoch: an epoch of scarce
labels is a few steps, and a per-epoch decay had the lr near zero before the semi phase
began; over the budget, supervised-only and semi-supervised runs of one budget share one
schedule). The held-out subjects are evaluated when the warm-up ends and at the end; the
state is checkpointed, and `resume` continues it with `minutes` more budget (the schedules
then stretch over the new total).
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.model import TemporalModel
from posearena_videopose3d.training.batches import Augmentation, WindowSampler
from posearena_videopose3d.training.cameras import CameraSampling
from posearena_videopose3d.training.data import Sequence3D
from posearena_videopose3d.training.evaluate import evaluate
from posearena_videopose3d.training.io import _atomic_torch_save, save_model
from posearena_videopose3d.training.semi import SemiSupervisedTrainer


@dataclass
class SemiConfig:
    """Settings of a semi-supervised run.

    Attributes:
        filter_widths, channels, causal, dropout: architecture. batch_size: labelled (and
            unlabelled) windows per step. lr: Adam's initial lr; lr_final: its factor at the
            end of the budget (exponential decay over the budget clock, like the original's
            0.98 per epoch over 200 epochs). bn_momentum: (start, end) over the budget.
        minutes: budget of training steps, min. clock: "cpu" (process CPU time) or "wall".
        warmup_fraction: share of the budget trained on labelled data only.
        bone_weight: weight of the bone-length term. seed: random seed.
        root: back-projection's root placement, "trajectory" (model, as the original) or
            "solve" (least squares from the 2D and intrinsics; no trajectory model trained).
        checkpoint_every_s: seconds (of the budget clock) between state files.
        max_steps: optional cap on steps (tests); warmup_steps: optional warm-up length in
            steps instead of a fraction of the budget.
    """

    filter_widths: list[int] = field(default_factory=lambda: [3, 3, 3, 3])
    channels: int = 256
    causal: bool = False
    dropout: float = 0.25
    batch_size: int = 256
    lr: float = 1e-3
    lr_final: float = 0.02
    bn_momentum: tuple[float, float] = (0.1, 0.001)
    minutes: float = 10.0
    clock: str = "cpu"
    warmup_fraction: float = 0.3
    bone_weight: float = 1.0
    seed: int = 0
    checkpoint_every_s: float = 120.0
    max_steps: int | None = None
    warmup_steps: int | None = None
    root: str = "trajectory"


def _clock(kind: str):
    if kind not in ("cpu", "wall"):
        raise InvalidInputError("clock", kind, "'cpu' or 'wall'")
    return time.process_time if kind == "cpu" else time.monotonic


def _eval(trainer: SemiSupervisedTrainer, cfg: SemiConfig,
          val: list[Sequence3D], sampling: CameraSampling | None) -> tuple[TemporalModel, dict]:
    model = TemporalModel(17, 2, 17, cfg.filter_widths, causal=cfg.causal,
                          dropout=cfg.dropout, channels=cfg.channels)
    model.load_state_dict(trainer.pose_model.state_dict())
    return model, (evaluate(model, val, sampling=sampling) if val else {})


def _progress(cfg: SemiConfig, used_s: float, budget_s: float, step: int) -> float:
    """Share of the run done, in [0, 1]: budget clock, or steps when max_steps caps the run."""
    done = used_s / max(budget_s, 1e-9)
    if cfg.max_steps is not None:
        done = max(done, step / max(cfg.max_steps, 1))
    return min(done, 1.0)


def _set_schedules(trainer: SemiSupervisedTrainer, cfg: SemiConfig, progress: float) -> None:
    """lr = lr x lr_final^progress; BN momentum from bn_momentum[0] to [1] likewise."""
    for g in trainer.opt.param_groups:
        g["lr"] = cfg.lr * cfg.lr_final**progress
    m0, m1 = cfg.bn_momentum
    trainer.set_bn_momentum(m0 * (m1 / m0) ** progress)


def train_semi(
    labelled: list[Sequence3D], unlabelled: list[Sequence3D], val: list[Sequence3D] | None,
    out: str | Path, cfg: SemiConfig, sampling: CameraSampling | None = None,
    aug: Augmentation | None = None, extra_meta: dict | None = None, log: bool = True,
    resume: bool = False,
) -> dict:
    """Train a lifter with labelled 3D and unlabelled 2D; save it to `out` (service format).

    Args:
        labelled: sequences whose 3D trains the model (world frame, m).
        unlabelled: sequences of which only the 2D (projected through random virtual cameras)
            and the camera intrinsics are used; [] with warmup_fraction 1 is supervised-only.
        val: held-out sequences (P-MPJPE after the warm-up and at the end), or None.
        out: checkpoint path; the training state goes to `<out>.state.pt`.
        cfg: settings. sampling, aug: virtual cameras and 2D corruption.
        extra_meta: merged into the checkpoint metadata. log: print progress.
        resume: continue from `<out>.state.pt` (same architecture and root) for cfg.minutes
            more of the budget clock; the warm-up ends at warmup_fraction of the new total.

    Returns:
        Summary: steps, warmup_steps, epochs, minutes (budget clock, all runs), clock, losses
        (per-step dicts of this run), validation_warmup, validation (per subject, mm).

    Raises:
        InvalidInputError: no labelled data, a semi phase without unlabelled data, or a
            state file that is missing or of another model.
    """
    if not labelled:
        raise InvalidInputError("labelled", 0, "at least one labelled sequence")
    if cfg.warmup_fraction < 1.0 and not unlabelled and cfg.warmup_steps is None:
        raise InvalidInputError("unlabelled", 0, "unlabelled sequences for the semi phase "
                                "(or warmup_fraction 1 for supervised-only)")
    torch.manual_seed(cfg.seed)
    semi = bool(unlabelled)
    trainer = SemiSupervisedTrainer(cfg.filter_widths, cfg.channels, cfg.causal, cfg.dropout,
                                    cfg.lr, cfg.bone_weight,
                                    with_trajectory=semi and cfg.root == "trajectory",
                                    root=cfg.root)
    state_path = Path(str(out) + ".state.pt")
    used, step, epoch, warm_steps = 0.0, 0, 0, None
    summary: dict = {"clock": cfg.clock}
    if resume:
        st = _load_state(state_path, trainer)
        used, step, epoch, warm_steps = st["trained_s"], st["step"], st["epoch"], \
            st["warmup_steps"]
        if st.get("validation_warmup") is not None:
            summary["validation_warmup"] = st["validation_warmup"]
    rf = trainer.pose_model.receptive_field()
    lab = WindowSampler(labelled, rf, cfg.causal, sampling, aug, seed=cfg.seed + step)
    unl = WindowSampler(unlabelled, rf, cfg.causal, sampling, aug, seed=cfg.seed + 1 + step) \
        if semi else None
    clock = _clock(cfg.clock)
    budget = used + cfg.minutes * 60.0
    warm_budget = budget * cfg.warmup_fraction
    start_step = step
    losses: list[dict[str, float]] = []
    last_ckpt = used
    unl_it = unl.epoch(cfg.batch_size, with_camera=True) if unl is not None else None
    done = False
    while not done:
        for xl, yl, kl in lab.epoch(cfg.batch_size, with_camera=True):
            warming = (step < cfg.warmup_steps if cfg.warmup_steps is not None
                       else used < warm_budget) or unl_it is None
            if not warming and warm_steps is None:
                warm_steps = step
                if val:
                    _, summary["validation_warmup"] = _eval(trainer, cfg, val, sampling)
                    if log:
                        print(f"warm-up done at step {step}: {summary['validation_warmup']}",
                              flush=True)
            t0 = clock()
            _set_schedules(trainer, cfg, _progress(cfg, used, budget, step))
            xl_t, yl_t, kl_t = (torch.from_numpy(a) for a in (xl, yl, kl))
            if warming:
                terms = trainer.step(xl_t, yl_t, intr_lab=kl_t)
            else:
                try:
                    xu, _, ku = next(unl_it)
                except StopIteration:
                    unl_it = unl.epoch(cfg.batch_size, with_camera=True)
                    xu, _, ku = next(unl_it)
                terms = trainer.step(xl_t, yl_t, torch.from_numpy(xu), torch.from_numpy(ku),
                                     intr_lab=kl_t)
            used += clock() - t0
            step += 1
            losses.append(terms)
            if log and step % 50 == 0:
                recent = {k: round(float(np.mean([h[k] for h in losses[-50:] if k in h])), 4)
                          for k in terms}
                print(f"step {step} epoch {epoch} {'warm-up' if warming else 'semi'} "
                      f"{recent} budget {used / 60:.2f}/{budget / 60:.2f} min", flush=True)
            if used - last_ckpt > cfg.checkpoint_every_s:
                _save_state(state_path, trainer, step, epoch, used, warm_steps,
                            summary.get("validation_warmup"))
                last_ckpt = used
            if used >= budget or (cfg.max_steps is not None and step - start_step >= cfg.max_steps):
                done = True
                break
        else:
            epoch += 1
    _save_state(state_path, trainer, step, epoch, used, warm_steps,
                summary.get("validation_warmup"))
    model, summary["validation"] = _eval(trainer, cfg, val or [], sampling)
    summary.update(steps=step, warmup_steps=warm_steps if warm_steps is not None else step,
                   epochs=epoch, minutes=used / 60.0, losses=losses)
    meta = {
        "input_skeleton": "coco17", "output_skeleton": "h36m17", "arch": "TemporalModel",
        "filter_widths": cfg.filter_widths, "channels": cfg.channels, "causal": cfg.causal,
        "dropout": cfg.dropout, "receptive_field": rf,
        "input_normalisation": "uv / width * 2 - [1, height / width]",
        "output": "root-relative H36M-17, camera frame (OpenCV), metres",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "training": {"semi_supervised": {k: v for k, v in asdict(cfg).items()},
                     "steps": step, "warmup_steps": summary["warmup_steps"], "epochs": epoch,
                     "budget_minutes": round(used / 60.0, 2), "clock": cfg.clock,
                     "resumed_at_step": start_step if resume else None,
                     "labelled_sequences": len(labelled),
                     "unlabelled_sequences": len(unlabelled),
                     "camera_sampling": asdict(sampling or CameraSampling()),
                     "augmentation": asdict(aug or Augmentation())},
        "validation": summary["validation"] or None,
        "validation_warmup": summary.get("validation_warmup"),
    }
    meta.update(extra_meta or {})
    save_model(out, model, meta)
    return summary


def _save_state(path: Path, trainer: SemiSupervisedTrainer, step: int, epoch: int,
                used_s: float, warm_steps: int | None, validation_warmup: dict | None) -> None:
    """Both models, the optimizer and the counters (budget clock seconds)."""
    _atomic_torch_save({"pose_state": trainer.pose_model.state_dict(),
                        "traj_state": (trainer.traj_model.state_dict()
                                       if trainer.traj_model is not None else None),
                        "optimizer_state": trainer.opt.state_dict(), "step": step,
                        "epoch": epoch, "trained_s": used_s, "warmup_steps": warm_steps,
                        "validation_warmup": validation_warmup}, path)


def _load_state(path: Path, trainer: SemiSupervisedTrainer) -> dict:
    """Restore a `_save_state` file into `trainer`; returns the file's counters.

    Raises:
        InvalidInputError: no such file, not a semi-supervised state, or one of another
            architecture / root placement (a trajectory model present in one, not the other).
    """
    if not path.is_file():
        raise InvalidInputError("--resume", str(path), "the state file of an earlier --semi run")
    st = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(st, dict) or "pose_state" not in st:
        raise InvalidInputError("--resume", str(path), "a state written by a --semi run "
                                "(this one is not: resume it without --semi)")
    if (st["traj_state"] is None) != (trainer.traj_model is None):
        raise InvalidInputError("--resume", str(path), "a state with the same --root and "
                                "unlabelled data (trajectory model present in both or neither)")
    try:
        trainer.pose_model.load_state_dict(st["pose_state"])
        if trainer.traj_model is not None:
            trainer.traj_model.load_state_dict(st["traj_state"])
        trainer.opt.load_state_dict(st["optimizer_state"])
    except (RuntimeError, ValueError) as exc:
        raise InvalidInputError("--resume", str(path), "a state of the same architecture "
                                f"(--filter-widths, --channels, --causal): {exc}") from None
    return st

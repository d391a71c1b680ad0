"""Training-state files (for resume) and the shipped model checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from posearena.errors import InvalidInputError


def _atomic_torch_save(obj: object, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_state(path: str | Path, model: torch.nn.Module, opt: torch.optim.Optimizer,
               step: int, epoch: int, trained_s: float) -> None:
    """Save everything `train(..., resume=True)` needs.

    Args:
        path: state file. model, opt: training model and its optimizer.
        step: optimisation steps so far. epoch: completed epochs. trained_s: training time, s.
    """
    _atomic_torch_save({"model_state": model.state_dict(), "optimizer_state": opt.state_dict(),
                        "step": step, "epoch": epoch, "trained_s": trained_s}, path)


def load_state(path: str | Path) -> dict:
    """Load a state file written by `save_state` (keys model_state, optimizer_state, step,
    epoch, trained_s)."""
    st = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(st, dict) or "optimizer_state" not in st:
        raise InvalidInputError("path", str(path), "a training state written by save_state")
    return st


def save_model(path: str | Path, model: torch.nn.Module, metadata: dict) -> None:
    """Save the evaluation model's weights with metadata (float32 state dict, CPU).

    Uses `posearena_videopose3d.checkpoint.save_checkpoint` when that module provides it.

    Args:
        path: output .pt file. model: TemporalModel. metadata: JSON-serialisable dict.
    """
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _atomic_torch_save({"format": "posearena-videopose3d/1", "metadata": metadata,
                        "model_state": state}, path)

"""Training-state files (for resume) and the shipped model checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.checkpoint import save_checkpoint


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
    """Save the evaluation model in the service's checkpoint format (`checkpoint.save_checkpoint`:
    {'format', 'model_pos', 'metadata'}), loadable by `checkpoint.load_checkpoint`.

    Args:
        path: output .pt file. model: TemporalModel.
        metadata: JSON-like dict; its "training_data" entry (a dict or str) is summarised
            into the checkpoint's training_data string and kept whole as "training_details".
    """
    meta = dict(metadata)
    td = meta.pop("training_data", "unspecified")
    if isinstance(td, dict):
        meta["training_details"] = td
        subj = ",".join(td.get("train_subjects", []))
        td = f"{td.get('dataset', 'unspecified')}; train subjects {subj}"
    for key in ("input_skeleton", "output_skeleton"):
        meta.pop(key, None)
    save_checkpoint(path, model, training_data=str(td),
                    input_skeleton=metadata.get("input_skeleton", "coco17"),
                    output_skeleton=metadata.get("output_skeleton", "h36m17"), extra=meta)

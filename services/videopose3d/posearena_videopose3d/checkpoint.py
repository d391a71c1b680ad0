"""Load and save VideoPose3D checkpoints.

Accepted files (all read with `torch.load(weights_only=True)`, no code executed):
- official VideoPose3D: a dict with 'model_pos' (state dict) and e.g. 'epoch', 'lr',
  'optimizer', 'model_traj' (ignored);
- a bare state dict (keys 'expand_conv.weight', ...);
- ours: {'format': FORMAT, 'model_pos': state dict, 'metadata': {...}} (see `save_checkpoint`).
"""

from __future__ import annotations

import datetime as _dt
import os
import pickle
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.model import TemporalModel

FORMAT = "posearena-videopose3d/1"


def _numpy_rng_globals() -> list[Any]:
    """The numpy globals an official checkpoint's pickled 'random_state' (RandomState) needs,
    under their numpy 2 and numpy 1 names; nothing else is allowed."""
    import numpy.random._pickle as rp
    from numpy._core import multiarray

    return [
        rp.__randomstate_ctor, rp.__bit_generator_ctor, np.random.MT19937, np.random.RandomState,
        np.dtype, np.ndarray,
        multiarray._reconstruct,
        *(type(np.dtype(t)) for t in (np.uint32, np.int64, np.float64, np.uint8)),
        (multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        (rp.__randomstate_ctor, "numpy.random.__RandomState_ctor"),
        (rp.__randomstate_ctor, "numpy.random._pickle.__RandomState_ctor"),
    ]


def _read(path: Path) -> Any:
    if not path.is_file():
        raise InvalidInputError("checkpoint", str(path), "an existing checkpoint file")
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as first:
            if "numpy" not in str(first):
                raise
            with torch.serialization.safe_globals(_numpy_rng_globals()):
                return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, disallowed global, ...
        raise InvalidInputError(
            "checkpoint", str(path),
            f"a complete torch.save file of a VideoPose3D model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'unreadable'})",
        ) from exc


def _state_dict(obj: Any, path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split a loaded object into (state dict, metadata)."""
    meta: dict[str, Any] = {}
    if isinstance(obj, Mapping) and "model_pos" in obj:
        sd = obj["model_pos"]
        if isinstance(obj.get("metadata"), Mapping):
            meta = dict(obj["metadata"])
        if "epoch" in obj and "epoch" not in meta:
            meta["epoch"] = obj["epoch"]
    else:
        sd = obj
    if not isinstance(sd, Mapping) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise InvalidInputError(
            "checkpoint", str(path), "a dict with 'model_pos' or a state dict of tensors")
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    if "expand_conv.weight" not in sd or "shrink.weight" not in sd:
        raise InvalidInputError(
            "checkpoint", str(path),
            "VideoPose3D weights (keys expand_conv.weight ... shrink.weight); found "
            + ", ".join(sorted(sd)[:5]))
    return sd, meta


def infer_architecture(state_dict: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Read the architecture from weight shapes (2D input features assumed = 2).

    Args:
        state_dict: a TemporalModel state dict.

    Returns:
        dict with filter_widths (list[int]), channels, num_joints_in, num_joints_out.
    """
    c, c_in, w0 = state_dict["expand_conv.weight"].shape
    widths = [int(w0)]
    idx = sorted(int(m.group(1)) for k in state_dict
                 if (m := re.fullmatch(r"layers_conv\.(\d+)\.weight", k)))
    for i in idx[::2]:
        widths.append(int(state_dict[f"layers_conv.{i}.weight"].shape[2]))
    return {
        "filter_widths": widths,
        "channels": int(c),
        "num_joints_in": int(c_in) // 2,
        "num_joints_out": int(state_dict["shrink.weight"].shape[0]) // 3,
    }


def _check_shapes(model: torch.nn.Module, sd: Mapping[str, torch.Tensor], path: Path,
                  arch: str) -> None:
    expected = model.state_dict()
    for key, want in expected.items():
        if key not in sd:
            raise InvalidInputError(f"checkpoint {path.name} layer {key}", "missing",
                                    f"shape {tuple(want.shape)} for {arch}")
        if tuple(sd[key].shape) != tuple(want.shape):
            raise InvalidInputError(
                f"checkpoint {path.name} layer {key}", f"shape {tuple(sd[key].shape)}",
                f"shape {tuple(want.shape)} for {arch}")
    extra = sorted(set(sd) - set(expected))
    if extra:
        raise InvalidInputError(f"checkpoint {path.name}", f"extra layers {extra[:4]}",
                                f"exactly the layers of {arch}")


def load_checkpoint(
    path: str | os.PathLike,
    filter_widths: Sequence[int] | None = None,
    channels: int | None = None,
    causal: bool | None = None,
    dense: bool | None = None,
) -> tuple[TemporalModel, dict[str, Any]]:
    """Build a `TemporalModel` (eval mode) from a checkpoint.

    Args:
        path: checkpoint file (official, bare state dict or ours).
        filter_widths: requested widths, e.g. [3, 3, 3, 3, 3]; None = from metadata/shapes.
        channels: requested channels; None = from metadata/shapes.
        causal: causal convolutions (not visible in the weights); None = metadata or False.
        dense: dense ablation model; None = metadata or False.

    Returns:
        (model, metadata) where metadata holds what the file said plus the architecture used.

    Raises:
        InvalidInputError: missing/truncated/corrupt file (names the file), or weights not
            matching the requested architecture (names the layer and both shapes).
    """
    p = Path(path)
    sd, meta = _state_dict(_read(p), p)
    found = infer_architecture(sd)
    widths = list(filter_widths) if filter_widths is not None else list(
        meta.get("filter_widths", found["filter_widths"]))
    ch = int(channels) if channels is not None else int(meta.get("channels", found["channels"]))
    is_causal = bool(meta.get("causal", False)) if causal is None else bool(causal)
    is_dense = bool(meta.get("dense", False)) if dense is None else bool(dense)
    model = TemporalModel(found["num_joints_in"], 2, found["num_joints_out"], widths,
                          causal=is_causal, channels=ch, dense=is_dense)
    arch = f"arch {','.join(map(str, widths))} channels {ch}"
    _check_shapes(model, sd, p, arch)
    model.load_state_dict(sd)
    model.eval()
    meta.update(filter_widths=widths, channels=ch, causal=is_causal, dense=is_dense,
                num_joints_in=found["num_joints_in"], num_joints_out=found["num_joints_out"],
                receptive_field=model.receptive_field(), path=str(p))
    meta.setdefault("format", "ours" if meta.get("date") else "official or bare state dict")
    return model, meta


def save_checkpoint(
    path: str | os.PathLike,
    model: TemporalModel,
    training_data: str,
    input_skeleton: str = "coco17",
    output_skeleton: str = "h36m17",
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Save a model in our format (atomically), with metadata.

    Args:
        path: destination file (.pt).
        model: the TemporalModel (or TemporalModelOptimized1f: same weights).
        training_data: what it was trained on, in words (e.g. "UI-PRMD Vicon s01-s06").
        input_skeleton, output_skeleton: registry names.
        extra: more metadata (str/int/float/bool/list values), e.g. validation P-MPJPE in mm.

    Returns:
        The path written.
    """
    meta: dict[str, Any] = {
        "input_skeleton": input_skeleton,
        "output_skeleton": output_skeleton,
        "filter_widths": list(model.filter_widths),
        "channels": int(model.channels),
        "causal": bool(model.causal),
        "dense": bool(getattr(model, "dense", False)),
        "receptive_field": int(model.receptive_field()),
        "training_data": training_data,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    meta.update(dict(extra or {}))
    sd = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    torch.save({"format": FORMAT, "model_pos": sd, "metadata": meta}, tmp)
    os.replace(tmp, p)
    return p

"""Find and load Keypoint R-CNN weights from a models folder; nothing is ever downloaded.

Folder: `--models-dir`, else env POSEARENA_DETECTRON_MODELS, else ./models/detectron.
Formats: torchvision `.pth` state dicts (read with `torch.load(weights_only=True)`),
Detectron2 model-zoo `.pkl` ({"model": {name: array}}) and Detectron v1 `.pkl`
({"blobs": {blob: array}}), both read with a restricted unpickler and converted by `convert`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchvision.models.detection import KeypointRCNN

from posearena.errors import InvalidInputError, ModelNotLoadedError
from posearena_detectron.convert import ConversionReport, convert_detectron, convert_detectron2
from posearena_detectron.model import VARIANTS, ModelSpec, build_model, get_spec
from posearena_detectron.unpickle import load_pickle

ENV_MODELS = "POSEARENA_DETECTRON_MODELS"
DEFAULT_MODELS_DIR = Path("models") / "detectron"
# "auto" takes the first variant whose file exists, in this order (VideoPose3D's in-the-wild
# pipeline used Detectron2's R-101 3x, earlier Detectron's R-101 s1x).
AUTO_ORDER = ("detectron2_r101", "detectron2_r50", "detectron_r101", "torchvision_r50",
              "torchvision_r101")


class WeightsMismatchError(ModelNotLoadedError):
    """A checkpoint does not fit the chosen architecture; `report` lists every mismatch."""

    def __init__(self, message: str, report: ConversionReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class LoadedModel:
    """A Keypoint R-CNN with its weights, where they came from and how they were converted."""

    model: KeypointRCNN
    spec: ModelSpec
    path: Path
    report: ConversionReport


def resolve_models_dir(models_dir: str | os.PathLike | None) -> Path:
    """The models folder: the argument, else env POSEARENA_DETECTRON_MODELS, else default."""
    if models_dir:
        return Path(models_dir)
    return Path(os.environ.get(ENV_MODELS) or DEFAULT_MODELS_DIR)


def find_weights(models_dir: Path, variant: str = "auto") -> tuple[ModelSpec, Path]:
    """Locate the weight file of `variant` ("auto": the first of AUTO_ORDER present).

    Raises:
        ModelNotLoadedError: no file found; the message names the folder and every accepted
            file name with its variant and origin.
        ValueError: unknown variant name.
    """
    names = AUTO_ORDER if variant == "auto" else (get_spec(variant).name,)
    for name in names:
        spec = VARIANTS[name]
        for fname in spec.files:
            if (models_dir / fname).is_file():
                return spec, models_dir / fname
    wanted = "; ".join(
        f"{' or '.join(VARIANTS[n].files)} ({n}: {VARIANTS[n].source})" for n in names
    )
    raise ModelNotLoadedError(
        f"no Keypoint R-CNN weights in {models_dir.resolve()} (set --models-dir or "
        f"{ENV_MODELS}); expected {wanted}"
    )


def read_checkpoint(path: Path) -> tuple[dict[str, np.ndarray | torch.Tensor], ConversionReport]:
    """Read a weights file and convert it to torchvision names and layouts.

    Args:
        path: `.pth` (torchvision state dict, optionally under "model"/"state_dict") or `.pkl`
            (Detectron2 {"model": ...} or Detectron {"blobs": ...}).

    Returns:
        (torchvision name -> tensor/array, report of the conversion).

    Raises:
        InvalidInputError: unreadable file or an unknown layout (the keys found are named).
    """
    if path.suffix == ".pth":
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for corrupt or unsafe files
            raise InvalidInputError("weights", str(path), f"a torch state dict ({exc})") from exc
        for key in ("model", "state_dict"):
            if isinstance(obj, dict) and isinstance(obj.get(key), dict):
                obj = obj[key]
        if not isinstance(obj, dict):
            raise InvalidInputError("weights", str(path), "a dict of tensors (state dict)")
        report = ConversionReport("torchvision")
        state = {}
        for k, v in obj.items():
            if k.endswith("num_batches_tracked"):
                report.ignored[k] = "batch-norm counter, unused at inference"
            else:
                state[k] = v
                report.loaded[k] = k
        return state, report
    obj = load_pickle(path)
    if isinstance(obj, dict) and isinstance(obj.get("blobs"), dict):
        return convert_detectron(obj["blobs"])
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        return convert_detectron2(obj["model"])
    keys = sorted(obj)[:10] if isinstance(obj, dict) else type(obj).__name__
    raise InvalidInputError(
        "weights", f"{path} with {keys}",
        'a Detectron2 pkl {"model": {...}} or a Detectron pkl {"blobs": {...}}',
    )


def apply_state(
    model: torch.nn.Module, state: dict[str, np.ndarray | torch.Tensor], report: ConversionReport
) -> ConversionReport:
    """Check `state` against the model's tensors and load it when everything fits.

    Fills `report.unmatched`, `report.missing` and `report.shape_mismatch`, then loads.

    Raises:
        WeightsMismatchError: anything missing, unmatched or of the wrong shape; the message
            lists the names and shapes (nothing is loaded then).
    """
    target = model.state_dict()
    tensors = {}
    for name, value in state.items():
        if name not in target:
            src = report.loaded.pop(name, name)
            report.unmatched.append(src if src == name else f"{src} (as {name})")
            continue
        t = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)
        if tuple(t.shape) != tuple(target[name].shape):
            report.shape_mismatch[name] = (tuple(t.shape), tuple(target[name].shape))
            continue
        tensors[name] = t.to(target[name].dtype)
    report.missing = sorted(k for k in target if k not in tensors and k not in
                            report.shape_mismatch)
    if not report.ok:
        raise WeightsMismatchError(f"weights do not fit the model: {report.problems()}", report)
    model.load_state_dict(tensors, strict=True)
    return report


def load_model(
    models_dir: str | os.PathLike | None = None,
    variant: str = "auto",
    weights: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    min_size: int = 800,
    max_size: int = 1333,
) -> LoadedModel:
    """Build the variant's architecture and load its weights.

    Args:
        models_dir: folder with weight files (see `resolve_models_dir`).
        variant: a key of `model.VARIANTS`, or "auto" (first file found, see AUTO_ORDER).
        weights: explicit weight file instead of the variant's file name (needs a variant).
        device: "cpu", "cuda", ...
        min_size: shorter side after resize, px; max_size: cap on the longer side, px.

    Returns:
        LoadedModel (eval mode, on `device`).

    Raises:
        ModelNotLoadedError: no weights found (names the folder and files).
        WeightsMismatchError: the checkpoint does not fit the architecture (lists mismatches).
        InvalidInputError: unreadable or unknown file, or a family/format disagreement.
    """
    if weights is not None:
        if variant == "auto":
            raise InvalidInputError("variant", variant, f"one of {sorted(VARIANTS)} with weights")
        spec, path = get_spec(variant), Path(weights)
        if not path.is_file():
            raise ModelNotLoadedError(f"weights file {path.resolve()} does not exist")
    else:
        spec, path = find_weights(resolve_models_dir(models_dir), variant)
    state, report = read_checkpoint(path)
    if report.source_format != spec.family:
        raise InvalidInputError(
            "weights", f"{path.name} ({report.source_format} layout)",
            f"a {spec.family} checkpoint for variant {spec.name} (input conventions differ)",
        )
    model = build_model(spec, min_size=min_size, max_size=max_size)
    try:
        apply_state(model, state, report)
    except WeightsMismatchError as exc:
        raise WeightsMismatchError(
            f"{path} does not fit {spec.name} (ResNet-{spec.depth} FPN Keypoint R-CNN): "
            f"{report.problems()}", report,
        ) from exc
    return LoadedModel(model.to(device).eval(), spec, path, report)

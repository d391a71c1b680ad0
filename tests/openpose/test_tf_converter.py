"""TensorFlow GraphDef -> ONNX converter, op by op: small graphs written here, run by both
engines (onnxruntime and OpenCV DNN, which must agree), against plain numpy references of
each op (tf_testkit); channel padding of concatenations leaves every result unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from tf_testkit import (
    const,
    conv,
    conv2d_ref,
    depthwise_ref,
    maxpool_ref,
    node,
    placeholder,
)

from posearena_openpose.runtime import load_onnx
from posearena_openpose.tf_graph import GraphFormatError, parse_graphdef
from posearena_openpose.tf_onnx import CHANNEL_BLOCK, graphdef_to_onnx

RNG = np.random.default_rng(7)


def _forward(onnx: bytes, x: np.ndarray) -> np.ndarray:
    """Run ONNX bytes on x (H, W, C) with both engines; they must agree; (Ho, Wo, C)."""
    blob = np.ascontiguousarray(x.transpose(2, 0, 1)[None], np.float32)
    ort = load_onnx(onnx, "onnxruntime", 1).forward(blob)[0].transpose(1, 2, 0)
    cv = load_onnx(onnx, "opencv").forward(blob)[0].transpose(1, 2, 0)
    assert ort.shape == cv.shape
    np.testing.assert_allclose(ort, cv, atol=1e-4, rtol=1e-5)
    return ort


def _run(graph: bytes, x: np.ndarray, output: str | None = None,
         block: int = CHANNEL_BLOCK) -> np.ndarray:
    """Convert `graph`, run it on x (H, W, C) and return the output as (Ho, Wo, C)."""
    onnx, _ = graphdef_to_onnx(parse_graphdef(graph), output, block=block)
    return _forward(onnx, x)


def _image(h: int, w: int, c: int = 3) -> np.ndarray:
    return RNG.normal(size=(h, w, c)).astype(np.float32)


@pytest.mark.parametrize(("k", "s", "padding", "d", "hw"), [
    (3, 1, "SAME", 1, (9, 7)), (3, 2, "SAME", 1, (9, 7)), (3, 2, "SAME", 1, (8, 10)),
    (1, 1, "SAME", 1, (5, 6)), (5, 2, "VALID", 1, (11, 9)), (3, 1, "SAME", 2, (10, 9)),
    (2, 2, "SAME", 1, (7, 6)),
])
def test_conv2d(k: int, s: int, padding: str, d: int, hw: tuple[int, int]) -> None:
    x, w = _image(*hw, 3), RNG.normal(size=(k, k, 3, 4)).astype(np.float32)
    g = placeholder() + const("w", w) + conv("y", "image", "w", stride=s,
                                             padding=padding.encode(), dilation=d)
    got, want = _run(g, x), conv2d_ref(x, w, s, padding, d)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize(("m", "s", "hw"), [(1, 1, (7, 8)), (2, 2, (9, 8)), (1, 2, (8, 8))])
def test_depthwise(m: int, s: int, hw: tuple[int, int]) -> None:
    x, w = _image(*hw, 3), RNG.normal(size=(3, 3, 3, m)).astype(np.float32)
    g = placeholder() + const("w", w) + conv("y", "image", "w", "DepthwiseConv2dNative", s)
    got, want = _run(g, x), depthwise_ref(x, w, s)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_bias_add_folded_and_after_relu() -> None:
    """BiasAdd right after a convolution (folded) and after a Relu (an Add)."""
    x, w = _image(6, 5), RNG.normal(size=(3, 3, 3, 4)).astype(np.float32)
    b1, b2 = RNG.normal(size=4).astype(np.float32), RNG.normal(size=4).astype(np.float32)
    g = (placeholder() + const("w", w) + const("b1", b1) + const("b2", b2)
         + conv("c", "image", "w") + node("ba", "BiasAdd", ("c", "b1"))
         + node("r", "Relu", ("ba",)) + node("ba2", "BiasAdd", ("r", "b2")))
    want = np.maximum(conv2d_ref(x, w) + b1, 0.0) + b2
    np.testing.assert_allclose(_run(g, x), want, atol=1e-4)


def test_relu_and_relu6() -> None:
    x = _image(4, 5) * 5.0
    g = placeholder() + node("r6", "Relu6", ("image",))
    np.testing.assert_allclose(_run(g, x), np.clip(x, 0.0, 6.0), atol=1e-6)
    g = placeholder() + node("r", "Relu", ("image",))
    np.testing.assert_allclose(_run(g, x), np.maximum(x, 0.0), atol=1e-6)


@pytest.mark.parametrize("axis", [3, -1])
def test_concat_on_channels(axis: int) -> None:
    """ConcatV2 along NHWC channels (axis 3 or -1, stored as int_val) -> NCHW axis 1."""
    x, w = _image(5, 4), RNG.normal(size=(1, 1, 3, 2)).astype(np.float32)
    g = (placeholder() + const("w", w) + conv("c", "image", "w") + node("r", "Relu", ("image",))
         + const("axis", np.array(axis, np.int32), as_values=True)
         + node("cat", "ConcatV2", ("c", "r", "axis"), N=2))
    want = np.concatenate([conv2d_ref(x, w), np.maximum(x, 0)], axis=-1)
    np.testing.assert_allclose(_run(g, x), want, atol=1e-5)


@pytest.mark.parametrize(("k", "s", "padding", "hw"), [
    (2, 2, "SAME", (8, 6)), (2, 2, "SAME", (7, 5)), (3, 2, "SAME", (9, 8)), (3, 1, "VALID", (6, 6)),
])
def test_maxpool(k: int, s: int, padding: str, hw: tuple[int, int]) -> None:
    x = _image(*hw) - 3.0  # all negative: a zero-padded border would win
    g = placeholder() + node("p", "MaxPool", ("image",), ksize=[1, k, k, 1],
                             strides=[1, s, s, 1], padding=padding.encode(), data_format=b"NHWC")
    got, want = _run(g, x), maxpool_ref(x, k, s, padding)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_identity_weights_and_float_val_fill() -> None:
    """Weights through an Identity, and a bias stored as one float_val filling its shape."""
    x, w = _image(4, 4), RNG.normal(size=(3, 3, 3, 2)).astype(np.float32)
    bias = const("b", np.array([0.25], np.float32), as_values=True, shape=(2,))
    g = (placeholder() + const("w0", w) + node("w", "Identity", ("w0",)) + bias
         + conv("c", "image", "w") + node("ba", "BiasAdd", ("c", "b"))
         + node("id", "Identity", ("ba",)))
    np.testing.assert_allclose(_run(g, x), conv2d_ref(x, w) + 0.25, atol=1e-4)


def test_output_node_chosen_and_dead_branches_ignored() -> None:
    x = _image(4, 4)
    g = placeholder() + node("a", "Relu", ("image",)) + node("dead", "Softmax", ("image",))
    np.testing.assert_allclose(_run(g, x, output="a"), np.maximum(x, 0), atol=1e-6)


def _stage_graph(a_channels: int, m: int) -> tuple[bytes, dict[str, np.ndarray]]:
    """A refinement stage in miniature: concat(conv 1x1 -> a ch, relu(image)) -> depthwise
    (multiplier m) + BiasAdd (folded) -> Relu6 -> BiasAdd (an Add) -> MaxPool 2x2 ->
    Conv2D 1x1 -> 4 ch + BiasAdd; output "out"."""
    c = a_channels + 3
    p = {"w1": RNG.normal(size=(1, 1, 3, a_channels)), "wd": RNG.normal(size=(3, 3, c, m)),
         "bd": RNG.normal(size=c * m), "b2": RNG.normal(size=c * m),
         "wp": RNG.normal(size=(1, 1, c * m, 4)), "bp": RNG.normal(size=4)}
    p = {k: v.astype(np.float32) for k, v in p.items()}
    g = (placeholder() + b"".join(const(k, v) for k, v in p.items())
         + const("axis", np.array(3, np.int32), as_values=True)
         + conv("a", "image", "w1") + node("r", "Relu", ("image",))
         + node("cat", "ConcatV2", ("a", "r", "axis"), N=2)
         + conv("dw", "cat", "wd", "DepthwiseConv2dNative") + node("dwb", "BiasAdd", ("dw", "bd"))
         + node("r6", "Relu6", ("dwb",)) + node("add", "BiasAdd", ("r6", "b2"))
         + node("pool", "MaxPool", ("add",), ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                padding=b"SAME", data_format=b"NHWC")
         + conv("pw", "pool", "wp") + node("out", "BiasAdd", ("pw", "bp")))
    return g, p


def _stage_ref(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    cat = np.concatenate([conv2d_ref(x, p["w1"]), np.maximum(x, 0)], axis=-1)
    y = np.clip(depthwise_ref(cat, p["wd"]) + p["bd"], 0.0, 6.0) + p["b2"]
    return conv2d_ref(maxpool_ref(y, 2, 2), p["wp"]) + p["bp"]


@pytest.mark.parametrize(("a_channels", "m"), [(5, 1), (5, 2), (13, 1)])
def test_concatenation_padded_to_the_channel_block(a_channels: int, m: int) -> None:
    """The 1x1 convolution's a channels get zero filters up to 16, the concatenation with
    the 3 image channels zero channels up to 32, and every layer after them computes what
    the unpadded graph does."""
    g, p = _stage_graph(a_channels, m)
    x = _image(9, 8)
    padded, _ = graphdef_to_onnx(parse_graphdef(g))
    plain, _ = graphdef_to_onnx(parse_graphdef(g), block=1)
    assert b"Pad" in padded and b"Pad" not in plain
    assert len(padded) - len(plain) > 4 * (CHANNEL_BLOCK - a_channels) * 3  # zero filters
    want = _stage_ref(x, p)
    np.testing.assert_allclose(_forward(padded, x), want, atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(_forward(plain, x), want, atol=1e-3, rtol=1e-4)


def test_padding_never_reaches_the_output() -> None:
    """Padding that would end in the output (depthwise after a padded concatenation is the
    output) is not done: the output keeps its real channels."""
    g, p = _stage_graph(5, 2)
    x = _image(6, 5)
    onnx, _ = graphdef_to_onnx(parse_graphdef(g), "r6")
    assert b"Pad" not in onnx
    cat = np.concatenate([conv2d_ref(x, p["w1"]), np.maximum(x, 0)], axis=-1)
    want = np.clip(depthwise_ref(cat, p["wd"]) + p["bd"], 0.0, 6.0)
    got = _forward(onnx, x)
    assert got.shape == want.shape == (6, 5, 16)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_unsupported_op_and_bad_bytes_are_named() -> None:
    g = placeholder() + node("sm", "Softmax", ("image",))
    with pytest.raises(GraphFormatError, match=r"'sm'.*Softmax"):
        graphdef_to_onnx(parse_graphdef(g), source="x.pb")
    g = placeholder() + node("p", "MaxPool", ("image",), ksize=[1, 2, 2, 1],
                             strides=[1, 2, 2, 1], padding=b"SAME", data_format=b"NCHW")
    with pytest.raises(GraphFormatError, match="data_format"):
        graphdef_to_onnx(parse_graphdef(g))
    with pytest.raises(GraphFormatError, match=r"bad\.pb: not a TensorFlow GraphDef"):
        parse_graphdef(b"\x0a\xff\xff\xff\x0f" + b"x" * 8, "bad.pb")
    with pytest.raises(GraphFormatError, match="not a TensorFlow GraphDef"):
        parse_graphdef(b"plain text, not protobuf", "t.pb")

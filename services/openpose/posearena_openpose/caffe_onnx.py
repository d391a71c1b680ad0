"""Caffe (prototxt + caffemodel) -> ONNX bytes, for OpenCV builds without the Caffe importer.

OpenCV 5 removed `cv2.dnn.readNetFromCaffe`; the OpenPose networks use only Convolution,
ReLU, PReLU, Pooling and Concat, which map one-to-one onto ONNX Conv, Relu/LeakyRelu, PRelu,
MaxPool/AveragePool and Concat. The graph takes "image" (1, 3, H, W) with free H, W and
returns the last blob no layer consumes (OpenPose's "net_output").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from posearena_openpose import onnx_proto as ox
from posearena_openpose.caffe_io import CaffeFormatError, Message

_SKIPPED = {"Dropout", "Split", "Silence"}


def _first(msg: Message, name: str, default: Any = None) -> Any:
    values = msg.get(name)
    return values[0] if values else default


def _hw(p: Message, base: str, default: int) -> tuple[int, int]:
    """(h, w) of a Caffe spatial parameter: base_h/base_w, or base (1 or 2 values)."""
    h, w = _first(p, f"{base}_h"), _first(p, f"{base}_w")
    if h is not None and w is not None:
        return int(h), int(w)
    vals = p.get(base, p.get(f"{base}_size", []))
    if not vals:
        return default, default
    return (int(vals[0]), int(vals[-1]))


def _input_name(net: Message) -> str:
    if net.get("input"):
        return str(net["input"][0])
    for layer in net.get("layer", []) + net.get("layers", []):
        if _first(layer, "type") == "Input":
            return str(_first(layer, "top"))
    raise CaffeFormatError("no network input ('input:' field or an Input layer)")


def caffe_to_onnx(net: Message, weights: dict[str, list[np.ndarray]], source: str) -> bytes:
    """Convert a parsed Caffe network and its weights into a serialized ONNX model.

    Args:
        net: `parse_prototxt` result of the deploy prototxt.
        weights: `read_caffemodel` result.
        source: "<prototxt> + <caffemodel>" for error messages.

    Returns:
        ONNX ModelProto bytes (opset 13), input "image" (1, 3, H, W) float32.

    Raises:
        CaffeFormatError: a layer type this converter does not know, missing weights, or
            weights of the wrong shape (layer and file named).
    """
    try:
        image = _input_name(net)
    except CaffeFormatError as exc:
        raise CaffeFormatError(f"{source}: {exc}") from exc
    current = {image: image}  # caffe blob name -> current ONNX value name
    nodes, inits = [], []
    consumed: set[str] = set()
    produced: list[str] = []
    channels = {image: 3}
    layers = net.get("layer", []) + net.get("layers", [])
    for idx, layer in enumerate(layers):
        ltype = str(_first(layer, "type", ""))
        name = str(_first(layer, "name", f"layer{idx}"))
        if ltype in ("Input", "INPUT") or ltype in _SKIPPED:
            if ltype in _SKIPPED:
                for b, t in zip(layer.get("bottom", []), layer.get("top", []), strict=False):
                    current[t] = current[b]
                    channels[t] = channels.get(b, 0)
            continue
        bottoms = [str(b) for b in layer.get("bottom", [])]
        tops = [str(t) for t in layer.get("top", [])]
        missing = [b for b in bottoms if b not in current]
        if missing or not tops:
            raise CaffeFormatError(f"{source}: layer {name!r}: unknown input blob(s) {missing}")
        ins = [current[b] for b in bottoms]
        consumed.update(bottoms)
        out = f"{tops[0]}#{idx}"
        blobs = weights.get(name, [])
        if ltype in ("Convolution", "CONVOLUTION", "4"):
            p = _first(layer, "convolution_param", {})
            kh, kw = _hw(p, "kernel", 1)
            sh, sw = _hw(p, "stride", 1)
            ph, pw_ = _hw(p, "pad", 0)
            dil = int(_first(p, "dilation", 1))
            group = int(_first(p, "group", 1))
            n_out = int(_first(p, "num_output", 0))
            c_in = channels.get(bottoms[0], 0)
            want = (n_out, c_in // max(group, 1), kh, kw)
            if not blobs or tuple(blobs[0].shape) != want:
                got = tuple(blobs[0].shape) if blobs else "none"
                raise CaffeFormatError(
                    f"{source}: layer {name!r}: weights {got}, expected {want} "
                    "(caffemodel does not match the prototxt?)"
                )
            inits.append(ox.tensor(f"{name}.w", blobs[0]))
            ins = [ins[0], f"{name}.w"]
            if bool(_first(p, "bias_term", True)):
                if len(blobs) < 2 or blobs[1].size != n_out:
                    raise CaffeFormatError(f"{source}: layer {name!r}: missing bias ({n_out},)")
                inits.append(ox.tensor(f"{name}.b", blobs[1].reshape(-1)))
                ins.append(f"{name}.b")
            attrs = [
                ox.attr_ints("kernel_shape", [kh, kw]),
                ox.attr_ints("strides", [sh, sw]),
                ox.attr_ints("pads", [ph, pw_, ph, pw_]),
                ox.attr_ints("dilations", [dil, dil]),
                ox.attr_int("group", group),
            ]
            nodes.append(ox.node("Conv", ins, [out], name, attrs))
            channels[tops[0]] = n_out
        elif ltype in ("ReLU", "RELU", "18"):
            slope = float(_first(_first(layer, "relu_param", {}), "negative_slope", 0.0))
            if slope:
                alpha = [ox.attr_float("alpha", slope)]
                nodes.append(ox.node("LeakyRelu", ins, [out], name, alpha))
            else:
                nodes.append(ox.node("Relu", ins, [out], name, []))
            channels[tops[0]] = channels.get(bottoms[0], 0)
        elif ltype == "PReLU":
            if not blobs:
                raise CaffeFormatError(f"{source}: layer {name!r}: no PReLU slopes in caffemodel")
            slope = blobs[0].reshape(-1)
            slope = slope.reshape(-1, 1, 1) if slope.size > 1 else slope
            inits.append(ox.tensor(f"{name}.slope", slope))
            nodes.append(ox.node("PRelu", [ins[0], f"{name}.slope"], [out], name, []))
            channels[tops[0]] = channels.get(bottoms[0], 0)
        elif ltype in ("Pooling", "POOLING", "17"):
            p = _first(layer, "pooling_param", {})
            pool = str(_first(p, "pool", "MAX"))
            is_max = pool in ("MAX", "0")
            if bool(_first(p, "global_pooling", False)):
                op = "GlobalMaxPool" if is_max else "GlobalAveragePool"
                nodes.append(ox.node(op, ins, [out], name, []))
            else:
                kh, kw = _hw(p, "kernel", 1)
                sh, sw = _hw(p, "stride", 1)
                ph, pw_ = _hw(p, "pad", 0)
                attrs = [
                    ox.attr_ints("kernel_shape", [kh, kw]),
                    ox.attr_ints("strides", [sh, sw]),
                    ox.attr_ints("pads", [ph, pw_, ph, pw_]),
                    ox.attr_int("ceil_mode", 1),
                ]
                if not is_max:
                    attrs.append(ox.attr_int("count_include_pad", 1))
                op = "MaxPool" if is_max else "AveragePool"
                nodes.append(ox.node(op, ins, [out], name, attrs))
            channels[tops[0]] = channels.get(bottoms[0], 0)
        elif ltype in ("Concat", "CONCAT", "3"):
            axis = int(_first(_first(layer, "concat_param", {}), "axis", 1))
            nodes.append(ox.node("Concat", ins, [out], name, [ox.attr_int("axis", axis)]))
            channels[tops[0]] = sum(channels.get(b, 0) for b in bottoms) if axis == 1 else 0
        else:
            raise CaffeFormatError(
                f"{source}: layer {name!r} of type {ltype!r} is not supported by the "
                "Caffe->ONNX converter (Convolution, ReLU, PReLU, Pooling, Concat only)"
            )
        current[tops[0]] = out
        produced.append(tops[0])
    outputs = [t for t in produced if t not in consumed]
    if not outputs:
        raise CaffeFormatError(f"{source}: the network has no output layer")
    final = current[outputs[-1]]
    inputs = [ox.value_info(11, image, [1, 3, "H", "W"])]
    outs = [ox.value_info(12, final, [1, channels.get(outputs[-1], 0) or "C", "h", "w"])]
    return ox.model("openpose", nodes, inits, inputs, outs)

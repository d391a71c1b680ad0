"""TensorFlow frozen GraphDef (NHWC) -> ONNX bytes (NCHW) that OpenCV DNN reads.

Ops: Placeholder (the image), Const (weights, biases, concat axes), Identity, Conv2D,
DepthwiseConv2dNative, BiasAdd, Relu, Relu6, ConcatV2, MaxPool; data_format NHWC, padding
SAME or VALID, any strides and dilations. The ONNX graph takes "image" (1, 3, H, W) and
returns (1, C, h, w): the NHWC -> NCHW transposition is done once here, on the weights:
  Conv2D filter (kh, kw, cin, cout) -> (cout, cin, kh, kw)
  DepthwiseConv2dNative filter (kh, kw, C, M) -> (C M, 1, kh, kw), group C (TF's output
      channel c M + m is ONNX group c's m-th output)
  BiasAdd right after a convolution is folded into it; a ConcatV2 axis moves from NHWC to
  NCHW numbering.
SAME padding is ONNX auto_pad SAME_UPPER (pad total max((ceil(n/s) - 1) s + k_eff - n, 0),
the extra pixel at the end), TensorFlow's definition.
With `block` > 1 a Conv2D whose output channels are not a multiple of `block` gets zero
filters up to the next multiple, and a channel concatenation still not a multiple gets zero
channels appended to its smallest input (ONNX Pad); the layers reading them get zero weights
there (`channel_layout`), and nothing whose channels reach the output unchanged is padded:
same results, onnxruntime's blocked convolutions apply (see `channel_layout` and
`CHANNEL_BLOCK`).
"""

from __future__ import annotations

import numpy as np

from posearena_openpose import onnx_proto as ox
from posearena_openpose.channel_layout import ChannelLayout, concat, padding_needed
from posearena_openpose.tf_graph import GraphFormatError, TFNode

SUPPORTED = ("Placeholder", "Const", "Identity", "Conv2D", "DepthwiseConv2dNative", "BiasAdd",
             "Relu", "Relu6", "ConcatV2", "MaxPool")
_NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}
#: Channel multiple the converter pads concatenations to: onnxruntime's NCHWc block (8 with
#: AVX2, 16 with AVX-512); 16 serves both.
CHANNEL_BLOCK = 16
_IMAGE_CHANNELS = 3


def _ref(name: str) -> str:
    """Node name of an input reference ("name", "name:0"); control inputs give ""."""
    if name.startswith("^"):
        return ""
    base, _, port = name.partition(":")
    if port not in ("", "0"):
        raise GraphFormatError(f"input {name!r}: only output 0 of a node is supported")
    return base


def _spatial(node: TFNode, key: str, default: int) -> tuple[int, int]:
    vals = node.attr.get(key) or [default] * 4
    if len(vals) != 4:
        raise GraphFormatError(f"node {node.name!r}: {key} {vals}, expected 4 values (NHWC)")
    if vals[0] != 1 or vals[3] != 1:
        raise GraphFormatError(f"node {node.name!r}: {key} {vals} along batch or channels")
    return int(vals[1]), int(vals[2])


def _padding(node: TFNode) -> bytes:
    pad = node.attr.get("padding", b"")
    if pad == b"SAME":
        return ox.attr_string("auto_pad", "SAME_UPPER")
    if pad == b"VALID":
        return ox.attr_string("auto_pad", "VALID")
    raise GraphFormatError(f"node {node.name!r}: padding {pad!r}, expected SAME or VALID")


def _check_format(node: TFNode) -> None:
    fmt = node.attr.get("data_format", b"NHWC")
    if fmt != b"NHWC":
        raise GraphFormatError(f"node {node.name!r}: data_format {fmt!r}, only NHWC supported")


def _order(nodes: dict[str, TFNode], output: str) -> list[TFNode]:
    """Nodes the output depends on, inputs before users (iterative depth-first)."""
    done: set[str] = set()
    order: list[TFNode] = []
    stack: list[tuple[str, bool]] = [(output, False)]
    while stack:
        name, expanded = stack.pop()
        if name in done:
            continue
        if name not in nodes:
            raise GraphFormatError(f"input {name!r} is not a node of the graph")
        if expanded:
            done.add(name)
            order.append(nodes[name])
            continue
        stack.append((name, True))
        for inp in nodes[name].inputs:
            ref = _ref(inp)
            if ref and ref not in done:
                stack.append((ref, False))
    return order


def _output_name(nodes: list[TFNode]) -> str:
    used = {_ref(i) for n in nodes for i in n.inputs}
    outs = [n.name for n in nodes if n.name not in used and n.op not in ("Const", "Placeholder")]
    if not outs:
        raise GraphFormatError("the graph has no output node")
    return outs[-1]


class _Converter:
    """State of one conversion: ONNX nodes, initialisers and value names so far."""

    def __init__(self, graph: dict[str, TFNode], output: str, block: int) -> None:
        self.graph = graph
        self.output = output
        self.block = block
        self.layout: dict[str, ChannelLayout] = {}  # ONNX value name -> its channels
        self.nodes: list[bytes] = []
        self.inits: list[bytes] = []
        self.value: dict[str, str] = {}  # TF node name -> ONNX value name
        self.conv: dict[str, tuple[str, list[str], list[bytes]]] = {}  # pending convolutions
        self.users: dict[str, int] = {}
        for n in graph.values():
            for i in n.inputs:
                if _ref(i):
                    self.users[_ref(i)] = self.users.get(_ref(i), 0) + 1
        self.feeds_output = self._feeding_output()

    def _feeding_output(self) -> set[str]:
        """Nodes whose channels reach the output unchanged in order (no Conv2D between):
        their output must not be padded."""
        seen, todo = set(), [self.output]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.graph:
                continue
            seen.add(name)
            n = self.graph[name]
            if n.op not in ("Conv2D", "Placeholder", "Const"):
                todo += [_ref(i) for i in (n.inputs[:1] if n.op != "ConcatV2" else n.inputs)]
        return seen

    def const(self, name: str, what: str) -> np.ndarray:
        node = self.graph[_ref(name)]
        while node.op == "Identity":
            node = self.graph[_ref(node.inputs[0])]
        if node.op != "Const" or not isinstance(node.attr.get("value"), np.ndarray):
            raise GraphFormatError(f"{what}: {name!r} is a {node.op}, expected a Const")
        return node.attr["value"]

    def get(self, name: str) -> str:
        ref = _ref(name)
        self.flush(ref)
        if ref not in self.value:
            raise GraphFormatError(f"input {name!r} ({self.graph[ref].op}) is not a tensor "
                                   "this converter produced (weights used as data?)")
        return self.value[ref]

    def flush(self, name: str) -> None:
        """Emit a convolution held back for a possible BiasAdd."""
        if name in self.conv:
            op_name, inputs, attrs = self.conv.pop(name)
            self.nodes.append(ox.node("Conv", inputs, [name], op_name, attrs))
            self.value[name] = name
            self.layout[name] = self.layout[op_name]

    def add(self, n: TFNode) -> None:
        op = n.op
        if op == "Placeholder":
            self.value[n.name] = n.name
            self.layout[n.name] = ChannelLayout.plain(_IMAGE_CHANNELS)
        elif op == "Const":
            return
        elif op == "Identity":
            src = _ref(n.inputs[0])
            if self.graph[src].op != "Const":
                self.value[n.name] = self.get(src)
        elif op in ("Conv2D", "DepthwiseConv2dNative"):
            self.convolution(n)
        elif op == "BiasAdd":
            self.bias_add(n)
        elif op in ("Relu", "Relu6"):
            x = self.get(n.inputs[0])
            if op == "Relu":
                self.nodes.append(ox.node("Relu", [x], [n.name], n.name, []))
            else:
                lo, hi = f"{n.name}.min", f"{n.name}.max"
                self.inits += [ox.tensor(lo, np.zeros((), np.float32)),
                               ox.tensor(hi, np.full((), 6.0, np.float32))]
                self.nodes.append(ox.node("Clip", [x, lo, hi], [n.name], n.name, []))
            self.value[n.name] = n.name
            self.layout[n.name] = self.layout[x]
        elif op == "ConcatV2":
            self.concat(n)
        elif op == "MaxPool":
            _check_format(n)
            attrs = [ox.attr_ints("kernel_shape", list(_spatial(n, "ksize", 1))),
                     ox.attr_ints("strides", list(_spatial(n, "strides", 1))), _padding(n)]
            x = self.get(n.inputs[0])
            self.nodes.append(ox.node("MaxPool", [x], [n.name], n.name, attrs))
            self.value[n.name] = n.name
            self.layout[n.name] = self.layout[x]
        else:
            raise GraphFormatError(f"node {n.name!r}: op {op} not supported "
                                   f"(supported: {', '.join(SUPPORTED)})")

    def convolution(self, n: TFNode) -> None:
        _check_format(n)
        x = self.get(n.inputs[0])
        w = self.const(n.inputs[1], f"node {n.name!r} filter").astype(np.float32)
        if w.ndim != 4:
            raise GraphFormatError(f"node {n.name!r}: filter shape {w.shape}, expected 4-D")
        kh, kw, cin, m = w.shape
        lay = self.layout[x]
        if cin != lay.channels:
            raise GraphFormatError(f"node {n.name!r}: filter for {cin} input channels, the "
                                   f"input has {lay.channels}")
        if n.op == "Conv2D":
            weights, group = lay.scatter(w.transpose(3, 2, 0, 1), 1), 1
            self.layout[n.name] = ChannelLayout.plain(m)
            if n.name not in self.feeds_output and padding_needed(m, self.block):
                self.layout[n.name] = ChannelLayout.plain(m).padded(padding_needed(m, self.block))
                weights = self.layout[n.name].scatter(weights, 0)  # zero filters
        else:
            weights = lay.scatter(w.transpose(2, 3, 0, 1), 0)  # (C_width, M, kh, kw)
            weights, group = weights.reshape(lay.width * m, 1, kh, kw), lay.width
            self.layout[n.name] = lay.repeat(m)
        self.inits.append(ox.tensor(f"{n.name}.w", weights))
        strides, dilations = _spatial(n, "strides", 1), _spatial(n, "dilations", 1)
        pad = _padding(n)
        if dilations != (1, 1) and n.attr.get("padding") == b"SAME":
            # onnxruntime takes no auto_pad with dilations: SAME at stride 1 as explicit pads
            if strides != (1, 1):
                raise GraphFormatError(f"node {n.name!r}: dilations {dilations} with strides "
                                       f"{strides}, expected strides 1 (as TensorFlow does)")
            total = [(k - 1) * d for k, d in zip((kh, kw), dilations, strict=True)]
            pad = ox.attr_ints("pads", [t // 2 for t in total] + [t - t // 2 for t in total])
        attrs = [ox.attr_ints("kernel_shape", [kh, kw]), ox.attr_ints("strides", list(strides)),
                 ox.attr_ints("dilations", list(dilations)), ox.attr_int("group", group), pad]
        self.conv[n.name] = (n.name, [x, f"{n.name}.w"], attrs)

    def bias_add(self, n: TFNode) -> None:
        src = _ref(n.inputs[0])
        b = self.const(n.inputs[1], f"node {n.name!r} bias").astype(np.float32).reshape(-1)
        _check_format(n)
        if src in self.conv and self.users.get(src, 0) == 1:
            op_name, inputs, attrs = self.conv.pop(src)
            lay = self.layout[src]
            self.inits.append(ox.tensor(f"{n.name}.b", lay.scatter(b, 0)))
            self.nodes.append(ox.node("Conv", [*inputs, f"{n.name}.b"], [n.name], op_name, attrs))
        else:
            x = self.get(src)
            lay = self.layout[x]
            self.inits.append(ox.tensor(f"{n.name}.b", lay.scatter(b, 0).reshape(-1, 1, 1)))
            self.nodes.append(ox.node("Add", [x, f"{n.name}.b"], [n.name], n.name, []))
        self.value[n.name] = n.name
        self.layout[n.name] = lay

    def concat(self, n: TFNode) -> None:
        """ConcatV2; along channels, padded to a multiple of `block` unless it is the output."""
        axis = int(self.const(n.inputs[-1], f"node {n.name!r} axis").reshape(-1)[0])
        axis = _NHWC_TO_NCHW_AXIS[axis % 4]
        xs = [self.get(i) for i in n.inputs[:-1] if _ref(i)]
        lays = [self.layout[x] for x in xs]
        if axis != 1:
            if any(lay.width != lays[0].width or not np.array_equal(lay.pos, lays[0].pos)
                   for lay in lays):
                raise GraphFormatError(f"node {n.name!r}: concatenation along axis {axis} of "
                                       "tensors with different channels")
            self.layout[n.name] = lays[0]
        else:
            extra = padding_needed(sum(lay.width for lay in lays), self.block)
            if extra and n.name not in self.feeds_output:
                k = int(np.argmin([lay.width for lay in lays]))
                pads = np.array([0, 0, 0, 0, 0, extra, 0, 0], np.int64)
                self.inits.append(ox.tensor_int64(f"{n.name}.pads", pads))
                self.nodes.append(ox.node("Pad", [xs[k], f"{n.name}.pads"], [f"{n.name}.pad"],
                                          f"{n.name}.pad", []))
                xs[k], lays[k] = f"{n.name}.pad", lays[k].padded(extra)
            self.layout[n.name] = concat(lays)
        self.nodes.append(ox.node("Concat", xs, [n.name], n.name, [ox.attr_int("axis", axis)]))
        self.value[n.name] = n.name


def graphdef_to_onnx(nodes: list[TFNode], output: str | None = None,
                     source: str = "GraphDef", block: int = CHANNEL_BLOCK) -> tuple[bytes, str]:
    """Convert a parsed frozen GraphDef into a serialized ONNX model.

    Args:
        nodes: `tf_graph.parse_graphdef` result.
        output: name of the output node (None: the last node nothing consumes).
        source: file name for error messages.
        block: channel multiple convolution outputs and concatenations are padded to (1: no
            padding); never those whose channels reach the output unchanged.

    Returns:
        (ONNX ModelProto bytes (opset 13) with input "image" (1, 3, H, W) float32 and one
        (1, C, h, w) output, the TF output node name).

    Raises:
        GraphFormatError: an unsupported op or attribute, not exactly one Placeholder on the
            output's path, or a dangling input (node named, with `source`).
    """
    graph = {n.name: n for n in nodes}
    try:
        out_name = output or _output_name(nodes)
        order = _order(graph, out_name)
        inputs = [n for n in order if n.op == "Placeholder"]
        if len(inputs) != 1:
            raise GraphFormatError(f"{len(inputs)} Placeholder inputs, expected 1 (the image)")
        conv = _Converter(graph, out_name, block)
        for n in order:
            conv.add(n)
        conv.flush(out_name)
        final = conv.value.get(out_name)
        if final is None:
            raise GraphFormatError(f"output {out_name!r} is a constant")
        assert conv.layout[final].is_plain, "padding reached the output"
    except GraphFormatError as exc:
        raise GraphFormatError(f"{source}: {exc}") from exc
    ins = [ox.value_info(11, inputs[0].name, [1, 3, "H", "W"])]
    outs = [ox.value_info(12, final, [1, "C", "h", "w"])]
    return ox.model("tf_graph", conv.nodes, conv.inits, ins, outs), out_name

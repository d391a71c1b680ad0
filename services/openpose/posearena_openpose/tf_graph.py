"""Read a TensorFlow frozen GraphDef (`.pb`) with the wire reader of `protowire`.

Only what a frozen inference graph of convolutions needs: nodes (name, op, inputs) and their
attributes (int, float, bool, string, type, shape, list of ints/strings, tensor), with Const
tensors decoded to numpy. Field numbers are those of TensorFlow's `graph.proto`,
`node_def.proto`, `attr_value.proto`, `tensor.proto` and `tensor_shape.proto`:
  GraphDef:    node 1 (NodeDef)
  NodeDef:     name 1, op 2, input 3, device 4, attr 5 (map entry: key 1, value 2)
  AttrValue:   list 1, s 2, i 3, f 4, b 5, type 6, shape 7, tensor 8
  ListValue:   s 2, i 3, f 4, b 5, type 6
  TensorProto: dtype 1, tensor_shape 2, tensor_content 4, float_val 5, double_val 6,
               int_val 7, int64_val 10, bool_val 11
  TensorShapeProto: dim 2 (Dim: size 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posearena import protowire as pw

# TensorFlow DataType enum values -> numpy dtypes (little-endian)
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    9: np.dtype("<i8"), 10: np.dtype("?"),
}


class GraphFormatError(ValueError):
    """The bytes are not a TensorFlow GraphDef this reader understands."""


@dataclass
class TFNode:
    """One NodeDef.

    Attributes:
        name: node name.
        op: op type, e.g. "Conv2D".
        inputs: input names, "^name" for control inputs, "name:k" for output k.
        attr: attribute name -> value (int, float, bool, bytes, list, tuple shape, ndarray).
    """

    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    attr: dict[str, Any] = field(default_factory=dict)


def _shape(buf: memoryview) -> tuple[int, ...]:
    dims = []
    for f, w, v in pw.iter_fields(buf):
        if f == 2 and w == pw.LENGTH:
            size = 0
            for f2, w2, v2 in pw.iter_fields(v):
                if f2 == 1 and w2 == pw.VARINT:
                    size = v2 - (1 << 64) if v2 >= 1 << 63 else v2
            dims.append(int(size))
    return tuple(dims)


def decode_tensor(buf: bytes | memoryview) -> np.ndarray:
    """Decode a TensorProto to a numpy array of its dtype and shape.

    Raises:
        GraphFormatError: an unsupported dtype or a value count that fits no shape.
    """
    dtype_id, shape, content = 1, (), None
    values: list[np.ndarray] = []
    for f, w, v in pw.iter_fields(buf):
        if f == 1 and w == pw.VARINT:
            dtype_id = int(v)
        elif f == 2 and w == pw.LENGTH:
            shape = _shape(v)
        elif f == 4 and w == pw.LENGTH:
            content = bytes(v)
        elif f == 5:
            values.append(pw.packed_floats(v, w))
        elif f in (7, 10, 11):
            ints = pw.packed_varints(v, w)
            values.append(np.array([i - (1 << 64) if i >= 1 << 63 else i for i in ints]))
        elif f == 6:
            raw = bytes(v) if w == pw.LENGTH else int(v).to_bytes(8, "little")
            values.append(np.frombuffer(raw, "<f8"))
    if dtype_id not in DTYPES:
        raise GraphFormatError(f"tensor dtype {dtype_id} not supported (float, int, bool only)")
    dtype = DTYPES[dtype_id]
    n = int(np.prod(shape)) if shape else 1
    if content is not None:
        arr = np.frombuffer(content, dtype=dtype)
        if arr.size != n:
            raise GraphFormatError(f"tensor_content holds {arr.size} values, shape {shape}")
        return arr.reshape(shape).copy()
    flat = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
    if flat.size == n:
        return flat.reshape(shape)
    if flat.size == 1:  # TensorFlow stores a constant fill as one value
        return np.full(shape, flat[0], dtype=dtype)
    if flat.size == 0:
        return np.zeros(shape, dtype=dtype)
    raise GraphFormatError(f"tensor holds {flat.size} values, shape {shape} needs {n}")


def _list(buf: memoryview) -> list:
    out: list = []
    for f, w, v in pw.iter_fields(buf):
        if f == 2 and w == pw.LENGTH:
            out.append(bytes(v))
        elif f in (3, 6):
            out.extend(i - (1 << 64) if i >= 1 << 63 else i for i in pw.packed_varints(v, w))
        elif f == 4:
            out.extend(float(x) for x in pw.packed_floats(v, w))
        elif f == 5:
            out.extend(bool(x) for x in pw.packed_varints(v, w))
    return out


def _attr_value(buf: memoryview) -> Any:
    value: Any = None
    for f, w, v in pw.iter_fields(buf):
        if f == 1 and w == pw.LENGTH:
            value = _list(v)
        elif f == 2 and w == pw.LENGTH:
            value = bytes(v)
        elif f == 3 and w == pw.VARINT:
            value = v - (1 << 64) if v >= 1 << 63 else int(v)
        elif f == 4 and w == pw.FIXED32:
            value = float(pw.packed_floats(v, w)[0])
        elif f == 5 and w == pw.VARINT:
            value = bool(v)
        elif f == 6 and w == pw.VARINT:
            value = int(v)
        elif f == 7 and w == pw.LENGTH:
            value = _shape(v)
        elif f == 8 and w == pw.LENGTH:
            value = decode_tensor(v)
    return value


def _node(buf: memoryview) -> TFNode:
    node = TFNode("", "")
    for f, w, v in pw.iter_fields(buf):
        if w != pw.LENGTH:
            continue
        if f == 1:
            node.name = bytes(v).decode()
        elif f == 2:
            node.op = bytes(v).decode()
        elif f == 3:
            node.inputs.append(bytes(v).decode())
        elif f == 5:
            key, val = "", None
            for f2, w2, v2 in pw.iter_fields(v):
                if f2 == 1 and w2 == pw.LENGTH:
                    key = bytes(v2).decode()
                elif f2 == 2 and w2 == pw.LENGTH:
                    val = _attr_value(v2)
            node.attr[key] = val
    return node


def parse_graphdef(data: bytes, source: str = "GraphDef") -> list[TFNode]:
    """Parse serialized GraphDef bytes into nodes, in file order.

    Args:
        data: the `.pb` file's bytes.
        source: file name for error messages.

    Raises:
        GraphFormatError: not protobuf, truncated, or holding no nodes.
    """
    try:
        nodes = [_node(v) for f, w, v in pw.iter_fields(data) if f == 1 and w == pw.LENGTH]
    except (pw.WireError, UnicodeDecodeError) as exc:
        raise GraphFormatError(f"{source}: not a TensorFlow GraphDef ({exc})") from exc
    if not nodes or any(not n.name or not n.op for n in nodes):
        raise GraphFormatError(f"{source}: not a TensorFlow GraphDef (no named nodes with ops)")
    return nodes


def read_graphdef(path: str | Path) -> list[TFNode]:
    """Read and parse a frozen GraphDef file (see `parse_graphdef`)."""
    p = Path(path)
    return parse_graphdef(p.read_bytes(), str(p))

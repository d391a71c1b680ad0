"""Write ONNX `ModelProto` bytes with `protowire` (no onnx package): nodes, attributes,
float initialisers, graph inputs/outputs. Shared by the Caffe and TensorFlow converters.

Field numbers from ONNX's `onnx.proto`: ModelProto ir_version 1, producer_name 2, graph 7,
opset_import 8; GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto
input 1, output 2, name 3, op_type 4, attribute 5; AttributeProto name 1, f 2, i 3, s 4,
ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7); TensorProto dims 1, data_type 2 (FLOAT 1,
INT64 7), name 8, raw_data 9.
"""

from __future__ import annotations

import numpy as np

from posearena import protowire as pw

OPSET = 13
IR_VERSION = 7


def attr_int(name: str, v: int) -> bytes:
    """An INT attribute."""
    return pw.f_bytes(1, name) + pw.f_varint(3, v) + pw.f_varint(20, 2)


def attr_ints(name: str, vs: list[int]) -> bytes:
    """An INTS attribute."""
    return pw.f_bytes(1, name) + b"".join(pw.f_varint(8, v) for v in vs) + pw.f_varint(20, 7)


def attr_float(name: str, v: float) -> bytes:
    """A FLOAT attribute."""
    return pw.f_bytes(1, name) + pw.f_float(2, v) + pw.f_varint(20, 1)


def attr_string(name: str, v: str) -> bytes:
    """A STRING attribute."""
    return pw.f_bytes(1, name) + pw.f_bytes(4, v) + pw.f_varint(20, 3)


def node(op: str, inputs: list[str], outputs: list[str], name: str, attrs: list[bytes]) -> bytes:
    """A NodeProto as a GraphProto `node` field."""
    body = b"".join(pw.f_bytes(1, i) for i in inputs) + b"".join(pw.f_bytes(2, o) for o in outputs)
    body += pw.f_bytes(3, name) + pw.f_bytes(4, op) + b"".join(pw.f_bytes(5, a) for a in attrs)
    return pw.f_bytes(1, body)


def tensor(name: str, arr: np.ndarray) -> bytes:
    """A float32 initialiser as a GraphProto `initializer` field."""
    a = np.ascontiguousarray(arr, dtype="<f4")
    body = b"".join(pw.f_varint(1, d) for d in a.shape) + pw.f_varint(2, 1)
    body += pw.f_bytes(8, name) + pw.f_bytes(9, a.tobytes())
    return pw.f_bytes(5, body)


def tensor_int64(name: str, arr: np.ndarray) -> bytes:
    """An int64 initialiser (e.g. Pad's pads) as a GraphProto `initializer` field."""
    a = np.ascontiguousarray(arr, dtype="<i8")
    body = b"".join(pw.f_varint(1, d) for d in a.shape) + pw.f_varint(2, 7)
    body += pw.f_bytes(8, name) + pw.f_bytes(9, a.tobytes())
    return pw.f_bytes(5, body)


def value_info(field: int, name: str, dims: list[int | str]) -> bytes:
    """A float32 graph input (field 11) or output (field 12); str dims are symbolic."""
    shape = b"".join(
        pw.f_bytes(1, pw.f_bytes(2, d) if isinstance(d, str) else pw.f_varint(1, d)) for d in dims
    )
    tensor_type = pw.f_varint(1, 1) + pw.f_bytes(2, shape)
    return pw.f_bytes(field, pw.f_bytes(1, name) + pw.f_bytes(2, pw.f_bytes(1, tensor_type)))


def model(graph_name: str, nodes: list[bytes], inits: list[bytes], inputs: list[bytes],
          outputs: list[bytes]) -> bytes:
    """Serialized ModelProto (opset 13) of one graph."""
    graph = b"".join(nodes) + pw.f_bytes(2, graph_name) + b"".join(inits)
    graph += b"".join(inputs) + b"".join(outputs)
    out = pw.f_varint(1, IR_VERSION) + pw.f_bytes(2, "posearena_openpose")
    return out + pw.f_bytes(7, graph) + pw.f_bytes(8, pw.f_bytes(1, "") + pw.f_varint(2, OPSET))

"""Minimal protobuf wire-format reader and writer (no generated code, no protobuf package).

The one copy every part uses: the openpose service reads Caffe `NetParameter` files
(.caffemodel) and TensorFlow GraphDefs with it and writes the ONNX `ModelProto` OpenCV loads;
the gateway's detect client builds each frame's request around the image bytes with it, and
`posearena.tensors` encodes and splits Tensor fields with it.
Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a valid protobuf message (truncated or not protobuf)."""


def read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    """Decode a varint at `pos`; return (value, next position)."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise WireError(f"truncated varint at byte {pos} of {end}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def iter_fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """Iterate the fields of one message.

    Args:
        buf: the message bytes.

    Yields:
        (field number, wire type, value): an int for varint/fixed types, a memoryview of the
        payload for length-delimited fields.

    Raises:
        WireError: truncated data or an unsupported wire type (group / invalid).
    """
    for field, wire, value, _, _ in field_spans(buf):
        yield field, wire, value


def field_spans(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | memoryview, int, int]]:
    """`iter_fields` with where each field lies: (field number, wire type, value, start, end),
    the whole field (key included) being buf[start:end] (to copy a field on unchanged).

    Raises:
        WireError: as `iter_fields`.
    """
    mv = memoryview(buf)
    pos, end = 0, len(mv)
    while pos < end:
        start = pos
        key, pos = read_varint(mv, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise WireError(f"field number 0 at byte {pos}")
        if wire == VARINT:
            value, pos = read_varint(mv, pos)
            yield field, wire, value, start, pos
        elif wire == LENGTH:
            size, pos = read_varint(mv, pos)
            if pos + size > end:
                raise WireError(f"field {field} needs {size} bytes at byte {pos}, {end - pos} left")
            yield field, wire, mv[pos : pos + size], start, pos + size
            pos += size
        elif wire in (FIXED64, FIXED32):
            n = 8 if wire == FIXED64 else 4
            if pos + n > end:
                raise WireError(f"truncated fixed field {field} at byte {pos} of {end}")
            yield field, wire, int.from_bytes(mv[pos : pos + n], "little"), start, pos + n
            pos += n
        else:
            raise WireError(f"unsupported wire type {wire} (field {field}) at byte {pos}")


def packed_floats(value: int | memoryview, wire: int) -> np.ndarray:
    """Float32 values of a packed (length-delimited) or single fixed32 `repeated float`."""
    if wire == LENGTH:
        if len(value) % 4:
            raise WireError(f"packed float field of {len(value)} bytes (not a multiple of 4)")
        return np.frombuffer(value, dtype="<f4")
    return np.array([struct.unpack("<f", int(value).to_bytes(4, "little"))[0]], dtype=np.float32)


def packed_varints(value: int | memoryview, wire: int) -> list[int]:
    """Integers of a packed (length-delimited) or single varint `repeated int64`."""
    if wire == VARINT:
        return [int(value)]
    out, pos, mv = [], 0, memoryview(value)
    while pos < len(mv):
        v, pos = read_varint(mv, pos)
        out.append(v)
    return out


# ---- writing -------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """Encode a non-negative int (negative ints as 64-bit two's complement) as a varint."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field: int, wire: int) -> bytes:
    """Encode a field key."""
    return varint((field << 3) | wire)


def f_varint(field: int, value: int) -> bytes:
    """A varint field."""
    return key(field, VARINT) + varint(value)


def f_bytes(field: int, payload: bytes | str) -> bytes:
    """A length-delimited field (bytes, UTF-8 string or an encoded sub-message)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return key(field, LENGTH) + varint(len(data)) + data


def f_float(field: int, value: float) -> bytes:
    """A single float (fixed32) field."""
    return key(field, FIXED32) + struct.pack("<f", value)


def f_packed_varints(field: int, values: list[int] | tuple[int, ...]) -> bytes:
    """A packed repeated varint field."""
    return f_bytes(field, b"".join(varint(v) for v in values))


def f_packed_floats(field: int, values: np.ndarray) -> bytes:
    """A packed repeated float field from any array (flattened, float32 little-endian)."""
    return f_bytes(field, np.ascontiguousarray(values, dtype="<f4").tobytes())

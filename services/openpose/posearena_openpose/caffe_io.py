"""Read Caffe models without Caffe: the text `.prototxt` and the binary `.caffemodel` weights.

`parse_prototxt` turns protobuf text format into nested dicts (every field a list, since any
field may repeat); `read_caffemodel` pulls each layer's parameter blobs out of a serialized
`NetParameter` (both the `layer` and the legacy V1 `layers` field). Errors name the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from posearena import protowire as pw

Message = dict[str, list[Any]]

_TOKEN = re.compile(
    r"""\s*(?:(\#[^\n]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{}:;,\[\]])|([^\s{}:;,\[\]"'#]+))"""
)


class CaffeFormatError(ValueError):
    """A prototxt or caffemodel file that cannot be read; the message names the file."""


def _tokens(text: str, path: str) -> list[str]:
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            line = text.count("\n", 0, pos) + 1
            raise CaffeFormatError(f"{path}: line {line}: cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.group(1):
            continue
        tok = m.group(2) or m.group(3) or m.group(4)
        if tok and tok not in (";", ","):
            out.append(tok)
    return out


def _value(tok: str) -> Any:
    if tok[0] in "\"'":
        return bytes(tok[1:-1], "utf-8").decode("unicode_escape")
    if tok in ("true", "True"):
        return True
    if tok in ("false", "False"):
        return False
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        return float(tok)
    except ValueError:
        return tok  # an enum name, e.g. MAX


def parse_prototxt_text(text: str, path: str = "<text>") -> Message:
    """Parse protobuf text format into {field: [values...]} with nested messages as dicts.

    Args:
        text: the file's content.
        path: file name used in error messages.

    Returns:
        The top-level message; every field maps to the list of its values in file order.

    Raises:
        CaffeFormatError: unbalanced braces or a malformed field (file and token named).
    """
    toks = _tokens(text, path)
    root: Message = {}
    stack = [root]
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok == "}":
            if len(stack) == 1:
                raise CaffeFormatError(f"{path}: unexpected '}}' (token {i})")
            stack.pop()
            i += 1
            continue
        name = tok
        if i + 1 >= len(toks):
            raise CaffeFormatError(f"{path}: field {name!r} has no value")
        nxt = toks[i + 1]
        if nxt == ":" and i + 2 < len(toks) and toks[i + 2] == "{":
            i += 1
            nxt = "{"
        if nxt == "{":
            child: Message = {}
            stack[-1].setdefault(name, []).append(child)
            stack.append(child)
            i += 2
        elif nxt == ":":
            if i + 2 >= len(toks) or toks[i + 2] in "{}:[]":
                raise CaffeFormatError(f"{path}: field {name!r} has no value")
            stack[-1].setdefault(name, []).append(_value(toks[i + 2]))
            i += 3
        else:
            raise CaffeFormatError(f"{path}: expected ':' or '{{' after {name!r}, got {nxt!r}")
    if len(stack) != 1:
        raise CaffeFormatError(f"{path}: {len(stack) - 1} unclosed '{{'")
    return root


def parse_prototxt(path: str | Path) -> Message:
    """Read and parse a `.prototxt` file (see `parse_prototxt_text`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaffeFormatError(f"{p}: cannot read as text: {exc}") from exc
    return parse_prototxt_text(text, str(p))


def _blob(payload: memoryview) -> np.ndarray:
    shape: list[int] = []
    legacy = {1: 0, 2: 0, 3: 0, 4: 0}
    chunks: list[np.ndarray] = []
    for field, wire, value in pw.iter_fields(payload):
        if field == 7 and wire == pw.LENGTH:  # BlobShape
            for f2, w2, v2 in pw.iter_fields(value):
                if f2 == 1:
                    shape.extend(pw.packed_varints(v2, w2))
        elif field == 5:
            chunks.append(pw.packed_floats(value, wire))
        elif field == 8 and wire == pw.LENGTH:
            chunks.append(np.frombuffer(value, dtype="<f8").astype(np.float32))
        elif field in legacy and wire == pw.VARINT:
            legacy[field] = int(value)
    data = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if not shape:
        dims = [legacy[k] for k in (1, 2, 3, 4)]
        shape = [d for d in dims if d > 0] or [data.size]
        if int(np.prod(dims)) == data.size and all(d > 0 for d in dims):
            shape = dims
    if int(np.prod(shape)) != data.size:
        raise pw.WireError(f"blob of shape {shape} holds {data.size} values")
    return data.reshape(shape)


def read_caffemodel(path: str | Path) -> dict[str, list[np.ndarray]]:
    """Read the parameter blobs of every layer of a `.caffemodel` (serialized NetParameter).

    Args:
        path: the file.

    Returns:
        {layer name: [blob arrays (float32, Caffe shapes, e.g. conv weights (O, I, kh, kw))]}
        for the layers that have blobs.

    Raises:
        CaffeFormatError: unreadable, empty, truncated or not a Caffe NetParameter (file named,
            with its size).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CaffeFormatError(f"{p}: cannot read: {exc}") from exc
    what = f"{p} ({len(data)} bytes)"
    if not data:
        raise CaffeFormatError(f"{what}: empty file")
    layers: dict[str, list[np.ndarray]] = {}
    try:
        for field, wire, value in pw.iter_fields(data):
            if wire != pw.LENGTH or field not in (100, 2):
                continue
            name_field, blob_field = (1, 7) if field == 100 else (4, 6)
            name, blobs = "", []
            for f2, w2, v2 in pw.iter_fields(value):
                if f2 == name_field and w2 == pw.LENGTH:
                    name = bytes(v2).decode("utf-8", "replace")
                elif f2 == blob_field and w2 == pw.LENGTH:
                    blobs.append(_blob(v2))
            if blobs:
                layers[name] = blobs
    except pw.WireError as exc:
        raise CaffeFormatError(
            f"{what}: not a complete Caffe model (truncated or another format?): {exc}"
        ) from exc
    if not layers:
        raise CaffeFormatError(f"{what}: no layer weights found (not a Caffe .caffemodel?)")
    return layers

"""A restricted unpickler for Detectron / Detectron2 `.pkl` weight files.

Only numpy arrays, numpy scalars/dtypes and plain containers (dict, list, tuple, str, bytes,
numbers, OrderedDict) can be built; any other global in the pickle is refused with its name,
so a `.pkl` cannot run code. Python 2 pickles (Detectron v1) are read with latin-1 strings.
"""

from __future__ import annotations

import codecs
import collections
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from posearena.errors import InvalidInputError

try:  # numpy >= 2 keeps the implementation in numpy._core, with numpy.core as an alias
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

_ALLOWED: dict[tuple[str, str], Any] = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_mod, "_reconstruct")] = _multiarray._reconstruct
    _ALLOWED[(_mod, "scalar")] = _multiarray.scalar
for _mod in ("numpy", "numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_mod, "ndarray")] = np.ndarray
    _ALLOWED[(_mod, "dtype")] = np.dtype
# Python 3 pickles of protocol < 3 spell bytes as _codecs.encode(str, "latin1")
_ALLOWED[("_codecs", "encode")] = codecs.encode
for _mod in ("collections", "builtins", "__builtin__"):
    _ALLOWED[(_mod, "OrderedDict")] = collections.OrderedDict
for _name, _obj in (("dict", dict), ("list", list), ("tuple", tuple), ("set", set),
                    ("frozenset", frozenset), ("bytearray", bytearray), ("int", int),
                    ("float", float), ("complex", complex), ("str", str), ("bool", bool)):
    _ALLOWED[("builtins", _name)] = _obj
    _ALLOWED[("__builtin__", _name)] = _obj
# numpy dtypes of pickled scalars, e.g. numpy.float32 (numpy 2 writes numpy.dtypes.Float32DType)
for _t in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "uint16", "uint32", "uint64", "bool_"):
    _ALLOWED[("numpy", _t)] = getattr(np, _t)
    _ALLOWED[("numpy.dtypes", type(np.dtype(_t)).__name__)] = type(np.dtype(_t))


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the allow-listed (module, name) globals above."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name}: weight pickles may contain only numpy "
                "arrays and plain containers"
            ) from None


def load_pickle(path: str | os.PathLike) -> Any:
    """Read a weights `.pkl` with `RestrictedUnpickler` (latin-1 for Python 2 strings).

    Args:
        path: the file.

    Returns:
        The unpickled object (typically a dict).

    Raises:
        InvalidInputError: unreadable file, not a pickle, or a refused global (named).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError("weights", str(path), f"a readable file ({exc})") from exc
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise InvalidInputError(
            "weights", str(path), f"a pickle of numpy arrays and plain containers ({exc})"
        ) from exc

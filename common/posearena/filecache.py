"""Files derived from a model file, kept on disk between runs (converted or pruned networks).

A derived file is named by its source's digest and the deriving code's version, so a changed
source or a new converter makes a new file; it is written atomically (a partial file is never
read) and a cache folder that cannot be written only costs the derivation every time. Used by
the OpenPose service (TensorFlow graph -> ONNX) and the BlazePose service (landmark model
without its unread outputs). No gRPC here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

#: Environment variable naming the cache root (default ~/.cache/posearena).
CACHE_ENV = "POSEARENA_CACHE"


def cache_root() -> Path:
    """The folder holding every service's derived files."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "posearena"


def cached_derivation(path: Path, make: Callable[[], bytes],
                      verb: str = "made") -> tuple[bytes, str]:
    """The bytes of `path` if it exists, else `make()`'s, written to `path` for next time.

    Args:
        path: the derived file (its name must change with its source and deriving code).
        make: computes the derived bytes.
        verb: what `make` does, in the returned note ("converted", "pruned").

    Returns:
        (bytes, how): how = "cached <path>", "<verb>, cached at <path>" or "<verb> (cache not
        writable: <reason>)".
    """
    if path.is_file():
        return path.read_bytes(), f"cached {path}"
    data = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        return data, f"{verb} (cache not writable: {exc.strerror or exc})"
    return data, f"{verb}, cached at {path}"

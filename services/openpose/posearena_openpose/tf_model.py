"""Load a frozen TensorFlow OpenPose graph, through a cached ONNX conversion, into the
inference engine (`runtime`: onnxruntime, else OpenCV DNN).

The graph file is checked against the spec's sha256, converted by `tf_onnx` and the ONNX
bytes cached as `<cache dir>/<file stem>-<sha256[:16]>-c<CONVERTER_VERSION>.onnx`, so a new
source file (other hash) or a new converter is converted again. Cache dir: env
POSEARENA_OPENPOSE_CACHE, else ~/.cache/posearena/openpose; when it cannot be written the
conversion (about 0.2 s) is simply redone at every start.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from posearena.filecache import cache_root, cached_derivation
from posearena_openpose.runtime import DEFAULT_BACKEND, DEFAULT_THREADS, Network, load_onnx
from posearena_openpose.tf_graph import parse_graphdef
from posearena_openpose.tf_onnx import graphdef_to_onnx

CACHE_ENV = "POSEARENA_OPENPOSE_CACHE"
CONVERTER_VERSION = 3  # 2: concatenations padded to CHANNEL_BLOCK channels; 3: conv outputs too


class ChecksumError(ValueError):
    """The model file is not the file the spec names (sha256 differs)."""


def cache_dir() -> Path:
    """Where converted networks are kept (env POSEARENA_OPENPOSE_CACHE, else the common
    cache root's openpose/, see posearena.filecache)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else cache_root() / "openpose"


def cache_path(graph: Path, digest: str) -> Path:
    """Cache file of `graph` with sha256 `digest`."""
    return cache_dir() / f"{graph.stem}-{digest[:16]}-c{CONVERTER_VERSION}.onnx"


def convert_cached(graph: Path, expected_sha256: str | None, output_node: str) -> tuple[bytes, str]:
    """ONNX bytes of a frozen GraphDef, from the cache when the same file was converted.

    Args:
        graph: the `.pb` file.
        expected_sha256: hex digest the file must have (None: any file).
        output_node: GraphDef node of the network output ("" = the last unconsumed node).

    Returns:
        (ONNX bytes, "cached <path>" / "converted, cached at <path>" / "converted (cache not
        writable: ...)").

    Raises:
        ChecksumError: the digest differs from `expected_sha256`.
        GraphFormatError: the file is not a GraphDef the converter handles.
    """
    data = graph.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        raise ChecksumError(f"{graph} ({len(data)} bytes) has sha256 {digest}, expected "
                            f"{expected_sha256} (truncated download or another file)")

    def convert() -> bytes:
        onnx, _ = graphdef_to_onnx(parse_graphdef(data, str(graph)), output_node or None,
                                   str(graph))
        return onnx

    return cached_derivation(cache_path(graph, digest), convert, verb="converted")


def read_tf_net(graph: Path, expected_sha256: str | None, output_node: str,
                backend: str = DEFAULT_BACKEND,
                threads: int = DEFAULT_THREADS) -> tuple[Network, str]:
    """The network of a frozen GraphDef on the chosen engine: (network, how it was made).

    Args:
        graph, expected_sha256, output_node: see `convert_cached`.
        backend, threads: see `runtime.load_onnx`.

    Raises:
        ChecksumError, GraphFormatError: see `convert_cached`.
        runtime.NetworkLoadError: the engine cannot load the converted network, or the
            requested engine is not installed.
    """
    onnx, how = convert_cached(graph, expected_sha256, output_node)
    return load_onnx(onnx, backend, threads), f"onnx (converted from tensorflow graph; {how})"

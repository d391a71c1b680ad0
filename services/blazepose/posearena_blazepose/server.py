"""Entry point: `python -m posearena_blazepose.server [--port P] [BlazePose flags]`.

Prints `blazepose listening on <host>:<port>` on stdout once serving (port 0: a free one).
"""

from __future__ import annotations

from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_blazepose.servicer import BlazePoseService, EstimatorSettings


def main(argv: list[str] | None = None) -> int:
    """Parse flags (shared service flags plus the ones below) and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]). Own flags:
            --min-detection-confidence (default 0.5), --min-tracking-confidence (0.5),
            --no-smooth-landmarks, --prefetch-depth (frames decoded ahead, default 2).

    Returns:
        Process exit status.
    """
    parser = base_parser("posearena BlazePose service (MediaPipe pose, full model)")
    parser.add_argument("--min-detection-confidence", type=float, default=0.5)
    parser.add_argument("--min-tracking-confidence", type=float, default=0.5)
    parser.add_argument("--no-smooth-landmarks", action="store_true")
    parser.add_argument("--prefetch-depth", type=int, default=2)
    config = parse_config(parser, argv)
    ns = config.extra
    for name in ("min_detection_confidence", "min_tracking_confidence"):
        value = getattr(ns, name)
        if not 0.0 <= value <= 1.0:
            parser.error(f"--{name.replace('_', '-')}={value}: expected a value in [0, 1]")
    if ns.prefetch_depth < 1:
        parser.error(f"--prefetch-depth={ns.prefetch_depth}: expected >= 1")
    settings = EstimatorSettings(
        min_detection_confidence=ns.min_detection_confidence,
        min_tracking_confidence=ns.min_tracking_confidence,
        smooth_landmarks=not ns.no_smooth_landmarks,
        prefetch_depth=ns.prefetch_depth,
    )
    return serve(BlazePoseService(settings), config)


if __name__ == "__main__":
    exit_now(main())  # after a graceful stop: no interpreter teardown

"""Entry point: `python -m posearena_videopose3d.server [--port P] [--checkpoint CKPT]
[--arch 3,3,3,3,3] [--channels 1024] [--causal] [--max-frames N]`.

Prints `videopose3d listening on <host>:<port>` once serving. Without a usable checkpoint the
service still starts, with health NOT_SERVING and GetInfo.model_status saying which file to
put where.
"""

from __future__ import annotations

import torch

from posearena.allocator import reuse_freed_memory
from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_videopose3d.loader import ENV_VAR, load_service_model
from posearena_videopose3d.servicer import DEFAULT_MAX_FRAMES, VideoPose3DService


def main(argv: list[str] | None = None) -> int:
    """Parse flags (shared service flags plus the ones below) and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]). Own flags: --checkpoint PATH
            (else env POSEARENA_VP3D_CHECKPOINT, else models/default.pt), --arch (filter
            widths, e.g. 3,3,3,3,3; default from the file), --channels, --causal,
            --max-frames, --threads (torch CPU threads).

    Returns:
        Process exit status.
    """
    reuse_freed_memory()  # 40,000-frame requests: see posearena.allocator
    parser = base_parser("posearena VideoPose3D lifting service (coco17 2D -> h36m17 3D)")
    parser.add_argument("--checkpoint", default=None, help=f"checkpoint file (or env {ENV_VAR})")
    parser.add_argument("--arch", default=None, help="filter widths, e.g. 3,3,3,3,3")
    parser.add_argument("--channels", type=int, default=None)
    parser.add_argument("--causal", action="store_true", default=None)
    parser.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    config = parse_config(parser, argv)
    ns = config.extra
    widths = None
    if ns.arch:
        try:
            widths = [int(w) for w in ns.arch.split(",")]
        except ValueError:
            parser.error(f"--arch={ns.arch}: expected comma-separated odd widths, e.g. 3,3,3")
        if any(w < 1 or w % 2 == 0 for w in widths):
            parser.error(f"--arch={ns.arch}: expected odd widths >= 1")
    if ns.channels is not None and ns.channels < 1:
        parser.error(f"--channels={ns.channels}: expected >= 1")
    if ns.max_frames < 1:
        parser.error(f"--max-frames={ns.max_frames}: expected >= 1")
    if ns.threads > 0:
        torch.set_num_threads(ns.threads)
    loaded = load_service_model(ns.checkpoint, widths, ns.channels, ns.causal)
    return serve(VideoPose3DService(loaded, ns.max_frames), config)


if __name__ == "__main__":
    exit_now(main())  # after a graceful stop: no interpreter teardown

"""Entry point: `python -m posearena_stereo.server [--port P]`.

Prints `stereo listening on <host>:<port>` on stdout once serving (port 0: a free one).
"""

from __future__ import annotations

from posearena.allocator import reuse_freed_memory
from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_stereo.servicer import StereoService


def main(argv: list[str] | None = None) -> int:
    """Parse the shared service flags and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]).

    Returns:
        Process exit status.
    """
    reuse_freed_memory()  # requests allocate and free arrays of tens of MB
    parser = base_parser("posearena stereo / multi-view triangulation service")
    return serve(StereoService(), parse_config(parser, argv))


if __name__ == "__main__":
    exit_now(main())  # an exception (a bug) still ends the usual way, with its traceback

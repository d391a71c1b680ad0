"""Entry point: `python -m posearena_stereo.server [--port P]`.

Prints `stereo listening on <host>:<port>` on stdout once serving (port 0: a free one).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

from posearena.service import base_parser, parse_config, serve
from posearena_stereo.servicer import StereoService


def main(argv: list[str] | None = None) -> int:
    """Parse the shared service flags and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]).

    Returns:
        Process exit status.
    """
    parser = base_parser("posearena stereo / multi-view triangulation service")
    return serve(StereoService(), parse_config(parser, argv))


def exit_now(status: int) -> NoReturn:
    """End the process with `status` once its logs and output are flushed, without the
    interpreter's teardown: after a graceful stop nothing is left to do, and tearing down
    scipy & co took 0.15-0.2 s that every command stopping an embedded service waited for."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    exit_now(main())  # an exception (a bug) still ends the usual way, with its traceback

"""Entry point: `python -m posearena_stereo.server [--port P]`.

Prints `stereo listening on <host>:<port>` on stdout once serving (port 0: a free one).
"""

from __future__ import annotations

import threading
import time

from posearena.allocator import reuse_freed_memory
from posearena.service import base_parser, exit_now, parse_config, serve
from posearena_stereo.filtering import import_scipy
from posearena_stereo.servicer import StereoService

IDLE_WARM_UP_S = 1.0  # no request this long after the start: import scipy meanwhile


def warm_up_when_idle(service: StereoService, after_s: float = IDLE_WARM_UP_S
                      ) -> threading.Thread:
    """Import scipy (filtering.import_scipy) in a daemon thread `after_s` s from now unless a
    request has started by then: `posearena triangulate` asks at once and imports it only
    where it needs it; a comparison asks seconds later and finds it loaded."""
    def warm() -> None:
        time.sleep(after_s)
        if service.requests_started == 0:
            import_scipy()

    thread = threading.Thread(target=warm, name="warm-up", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    """Parse the shared service flags and serve until SIGTERM/SIGINT.

    Args:
        argv: command-line arguments (None: sys.argv[1:]).

    Returns:
        Process exit status.
    """
    reuse_freed_memory()  # requests allocate and free arrays of tens of MB
    parser = base_parser("posearena stereo / multi-view triangulation service")
    config = parse_config(parser, argv)
    service = StereoService()
    warm_up_when_idle(service)
    return serve(service, config)


if __name__ == "__main__":
    exit_now(main())  # an exception (a bug) still ends the usual way, with its traceback

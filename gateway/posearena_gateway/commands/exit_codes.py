"""How the CLI reports a failure: one line `posearena CMD: error: ...` and a documented exit code.

Every error a user can cause ends here: the CLI's own input checks (`PoseArenaError`), a
service's gRPC status (the service's message names the field, the value and what was
expected), a service that cannot be reached or did not start, and a detection stream that
broke part-way. Nothing a user can cause prints a traceback (`-v` shows one for debugging).

Exit codes (README "Exit codes"):
    0  success
    1  the work ran but a part of it failed (e.g. a pipeline of `compare`, a service of
       `services up`); the output says which
    2  the input is wrong: a file, an argument, a model file, a request a service refused
    3  a service could not be reached or did not start: the message names its address and
       what to run
    4  a service failed on its own (gRPC INTERNAL/UNKNOWN): a bug, with the service's message
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import sys

import grpc

from posearena.errors import PoseArenaError, UnreachableError

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_SERVICE_BUG = 4
EXIT_INTERRUPTED = 130

# What each gRPC status means for the user, with the exit code it maps to.
_INPUT_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT: "the service refused the input",
    grpc.StatusCode.FAILED_PRECONDITION: "the service is not ready",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "the request is too large",
    grpc.StatusCode.OUT_OF_RANGE: "a value is out of range",
    grpc.StatusCode.NOT_FOUND: "not found",
    grpc.StatusCode.UNIMPLEMENTED: "the service does not offer this",
    grpc.StatusCode.PERMISSION_DENIED: "not allowed",
}
_UNREACHABLE_CODES = {
    grpc.StatusCode.UNAVAILABLE: "the service cannot be reached",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the service did not answer in time",
    grpc.StatusCode.CANCELLED: "the call was cancelled",
}
UNREACHABLE_HINT = ("check `posearena services status`; start them with `posearena services up`, "
                    "or point POSEARENA_<NAME>_ADDR=host:port at a running one")


def _one_line(text: str) -> str:
    """`text` on one line (a service's message may quote a multi-line log)."""
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


def status_exit(code: grpc.StatusCode | None, details: str) -> tuple[int, str]:
    """Exit code and one-line message for a gRPC status a service answered with.

    Args:
        code: the status code (None when unknown).
        details: the service's message.

    Returns:
        (exit code, message without the "posearena CMD: error:" prefix).
    """
    details = _one_line(details) or "(no message)"
    name = code.name if code is not None else "UNKNOWN"
    if code in _INPUT_CODES:
        return EXIT_INPUT, f"{details} ({name}: {_INPUT_CODES[code]})"
    if code in _UNREACHABLE_CODES:
        why = _UNREACHABLE_CODES[code]
        return EXIT_UNREACHABLE, f"{why}: {details} ({name}); {UNREACHABLE_HINT}"
    return EXIT_SERVICE_BUG, (f"the service failed: {details} ({name}); this is a bug of that "
                              "service: its log is under .posearena/logs/")


def describe(exc: BaseException) -> tuple[int, str] | None:
    """Exit code and one-line message for an exception the CLI reports, None for a bug of ours.

    Args:
        exc: what a command raised.

    Returns:
        (exit code, message) or None (let it propagate: a traceback of our own bug).
    """
    from posearena_gateway.runtime.processes import ServiceStartError

    # only `detect` and the comparisons import detection (0.5 s of scipy): without it in
    # sys.modules nothing can have raised its DetectionInterrupted
    detection = sys.modules.get("posearena_gateway.detection.client")
    if isinstance(exc, UnreachableError):
        return EXIT_UNREACHABLE, _one_line(str(exc))
    if isinstance(exc, PoseArenaError):
        return EXIT_INPUT, _one_line(str(exc))
    if detection is not None and isinstance(exc, detection.DetectionInterrupted):
        code, msg = status_exit(exc.code, exc.details)
        return code, f"detection stopped after {exc.partial.num_frames} frame(s): {msg}"
    if isinstance(exc, ServiceStartError):
        return EXIT_UNREACHABLE, _one_line(str(exc))
    if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
        return status_exit(exc.code(), exc.details() or "")
    if isinstance(exc, OSError) and exc.filename is not None:
        return EXIT_INPUT, f"{exc.filename}: {exc.strerror or exc}"
    return None

"""Container health probe through grpc.health.v1: `python -m posearena.service.healthcheck`.

Two modes:
- strict (default; every image's HEALTHCHECK, readiness): exit 0 SERVING, 1 NOT_SERVING (or any
  other health status), 2 unreachable / error.
- `--alive` (compose): exit 0 whenever the service answers the health check at all, SERVING or
  NOT_SERVING, 2 when it does not answer. A service whose weights are missing stays up and
  reports NOT_SERVING; compose must still start the gateway, which then skips that service's
  pipelines with the NOT_SERVING message.
Prints one line saying which status and why.

    python -m posearena.service.healthcheck [--alive] [--host 127.0.0.1] [--port P]
                                            [--service NAME] [--timeout S]

The port defaults to env POSEARENA_PORT (the port the service in the same container listens
on), the host to 127.0.0.1 (inside a container the service binds 0.0.0.0 or 127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

EXIT_SERVING = 0
EXIT_NOT_SERVING = 1
EXIT_UNREACHABLE = 2


def check(target: str, service: str = "", timeout_s: float = 3.0) -> tuple[int, str]:
    """Ask `target` ("host:port") for the health of `service` ("" = overall).

    Args:
        target: gRPC address, "host:port".
        service: health service name, "" for the server as a whole or
            "posearena.v1.PoseEstimator".
        timeout_s: deadline of the Check call in seconds.

    Returns:
        (exit status, message): EXIT_SERVING, EXIT_NOT_SERVING or EXIT_UNREACHABLE, and a
        one-line description naming the target and the status or gRPC error.
    """
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError as exc:
            code = exc.code().name if exc.code() else "UNKNOWN"
            return EXIT_UNREACHABLE, f"{target}: unreachable: {code}: {exc.details()}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    code = EXIT_SERVING if reply.status == health_pb2.HealthCheckResponse.SERVING else (
        EXIT_NOT_SERVING
    )
    return code, f"{target}: {status}"


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run one health check, print the result; return the exit status.

    Args:
        argv: command-line arguments (None: sys.argv[1:]); see the module docstring.

    Returns:
        EXIT_SERVING, EXIT_NOT_SERVING (strict mode only) or EXIT_UNREACHABLE.
    """
    p = argparse.ArgumentParser(description="gRPC health probe for a posearena service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("POSEARENA_PORT", "0")))
    p.add_argument("--service", default="", help='health service name ("" = overall)')
    p.add_argument("--timeout", type=float, default=3.0, help="seconds")
    p.add_argument("--alive", action="store_true",
                   help="exit 0 when the service answers at all (SERVING or NOT_SERVING)")
    args = p.parse_args(argv)
    if not 0 < args.port < 65536:
        print(f"port={args.port}: expected 1..65535 (--port or env POSEARENA_PORT)",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    code, message = check(f"{args.host}:{args.port}", args.service, args.timeout)
    if args.alive and code == EXIT_NOT_SERVING:
        code, message = EXIT_SERVING, f"{message} (answering; --alive)"
    print(message, file=sys.stdout if code == EXIT_SERVING else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

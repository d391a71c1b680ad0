"""A servicer behind a real gRPC server inside the test process, on a free 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from posearena.service import EstimatorService, ServiceConfig, build_server


@contextmanager
def serve_in_process(service: EstimatorService) -> Iterator[grpc.Channel]:
    """Serve `service` (health and reflection included) for the length of a `with` block.

    Args:
        service: the servicer under test.

    Yields:
        an insecure channel to it; closed, and the server stopped, on exit.
    """
    server, port = build_server(service, ServiceConfig(host="127.0.0.1", port=0))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        channel.close()
        server.stop(0).wait()

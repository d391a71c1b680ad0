"""Abandoned calls stop: long numerical loops ask `check_abandoned()` between blocks.

Numerical code has no gRPC in it. A servicer (through `posearena.service.base.grpc_errors`)
runs each call inside `abandon_when(lambda: not context.is_active())`; code that loops over
blocks of frames calls `check_abandoned()` between blocks, which raises `CallAbandonedError` once
the client has cancelled or its deadline has passed. Outside a call (a plain function call,
a test) `check_abandoned()` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from posearena.errors import PoseArenaError

_GONE: ContextVar[Callable[[], bool] | None] = ContextVar("posearena_call_gone", default=None)


class CallAbandonedError(PoseArenaError):
    """Nobody waits for this result any more (client cancelled or deadline passed)."""


@contextmanager
def abandon_when(gone: Callable[[], bool]) -> Iterator[None]:
    """Within the block, `check_abandoned()` raises CallAbandonedError once `gone()` is True."""
    token = _GONE.set(gone)
    try:
        yield
    finally:
        _GONE.reset(token)


def check_abandoned() -> None:
    """Raise CallAbandonedError when the current call's client is gone; otherwise return at once."""
    gone = _GONE.get()
    if gone is not None and gone():
        raise CallAbandonedError("the client cancelled the call or its deadline passed")

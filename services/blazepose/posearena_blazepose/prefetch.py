"""Read ahead from an iterator in a background thread (decode frame i+1 while i is processed)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterable[T], fn: Callable[[T], R], depth: int = 2) -> Iterator[R]:
    """Yield fn(item) for each item, computed up to `depth` items ahead in a worker thread.

    Order is kept. An exception raised by the iterator or by `fn` is re-raised here, in the
    consumer, after the results produced before it. Closing the generator early stops the
    worker (it stops pulling items).

    Args:
        items: source iterable (e.g. a gRPC request iterator).
        fn: transform applied in the worker thread (should release the GIL to overlap).
        depth: maximum number of finished results waiting (>= 1).
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                q.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if stop.is_set() or not put(fn(item)):
                    return
        except BaseException as exc:
            put(_Failure(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=work, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            value = q.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.exc
            yield value  # type: ignore[misc]
    finally:
        stop.set()

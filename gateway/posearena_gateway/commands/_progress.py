"""Terminal progress for CLI commands: tqdm bars for frames, one line per pipeline event."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from tqdm import tqdm

from posearena_gateway.events import Event


def frame_bar(total: int, desc: str) -> tuple[tqdm, Callable[[int, int], None]]:
    """A tqdm bar over `total` frames and a `progress(done, total)` callback feeding it."""
    bar = tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=True)

    def progress(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return bar, progress


class EventPrinter:
    """EventSink: a bar per detection stream, a line for every other event."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()  # each line says when it happened: where time goes

    def __call__(self, e: Event) -> None:
        with self._lock:
            if e.stage == "detect" and e.status == "progress":
                bar = self._bars.get(e.item)
                if bar is None:  # counts frames (an older gateway sends only the fraction)
                    bar = self._bars[e.item] = tqdm(total=e.total or None, desc=e.item,
                                                    unit="frame", file=sys.stderr, leave=False)
                bar.update(e.done - bar.n)
                return
            if e.item in self._bars and e.status != "started":
                self._bars.pop(e.item).close()
            if e.status in ("progress", "started") and e.stage != "pipeline":
                return
            msg = f" - {e.message}" if e.message else ""
            elapsed = time.perf_counter() - self._t0
            tqdm.write(f"{elapsed:6.1f} s [{e.stage}] {e.item}: {e.status}{msg}",
                       file=sys.stderr)

"""Progress events of a comparison run (printed by the CLI, streamed by the gateway service)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One step of a run.

    Attributes:
        stage: "inputs", "services", "detect", "reference", "pipeline", "reprojection",
            "compare", "pairwise", "report".
        item: what the step is about (e.g. "blazepose cam01", a pipeline name).
        status: "started", "progress", "ok", "failed", "skipped" or "cached".
        message: human-readable detail (the reason on failure).
        fraction: progress in [0, 1] for "progress" events, else -1.
        done: frames done so far (progress events of "detect"), else 0.
        total: frames in all (progress events of "detect"), 0 when unknown.
    """

    stage: str
    item: str
    status: str
    message: str = ""
    fraction: float = -1.0
    done: int = 0
    total: int = 0


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An EventSink that drops every event."""

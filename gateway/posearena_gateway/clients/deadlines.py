"""Deadlines of the gateway's calls to services, sized to the work each call carries.

Every call has one: a service that hangs (or a network that drops packets) ends the call with
DEADLINE_EXCEEDED and the pipeline is reported failed, instead of the run waiting forever;
the service then stops the abandoned work (`posearena.cancellation`). Each figure is several
times the slowest rate measured on the 2-core reference machine, plus a fixed allowance for
a model that loads on first use.
"""

from __future__ import annotations

STARTUP_S = 60.0  # first call of a fresh service: model loading, JIT warm-up
LIFT_S_PER_FRAME = 1e-2  # 0.3 ms/frame (RF 243, 1024 ch, TTA, 2 threads) quiet, 3.3 at load 11
TRIANGULATE_S_PER_POINT = 50e-6  # measured >= 60 k points/s at the product's defaults
DETECT_S_PER_FRAME = 10.0  # Keypoint R-CNN on CPU ~2 s/frame; BlazePose ~0.03 s/frame


def lift_deadline(frames: int) -> float:
    """Seconds allowed for a Lift of `frames` frames."""
    return STARTUP_S + LIFT_S_PER_FRAME * max(0, frames)


def triangulate_deadline(frames: int, joints: int, views: int, people: int = 1) -> float:
    """Seconds allowed for a Triangulate of `views` views × `frames` × `people` × `joints`."""
    return STARTUP_S + TRIANGULATE_S_PER_POINT * max(0, frames * joints * views * people)


def detect_deadline(frames: int) -> float:
    """Seconds allowed for a Detect stream of `frames` frames."""
    return STARTUP_S + DETECT_S_PER_FRAME * max(0, frames)

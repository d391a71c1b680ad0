"""Errors that numerical and model code raise; the service base maps them to gRPC status codes.

Numerical code has no gRPC in it: it raises these, and `posearena.service.grpc_errors` turns
them into INVALID_ARGUMENT, FAILED_PRECONDITION or RESOURCE_EXHAUSTED with the same message.
"""

from __future__ import annotations

from typing import Any


class PoseArenaError(Exception):
    """Base class of every error posearena raises on purpose."""


def _short(value: Any, limit: int = 120) -> str:
    """repr(value), shortened in the middle so that both ends (e.g. a file name) stay."""
    text = repr(value)
    if len(text) <= limit:
        return text
    head = (limit - 3) // 2
    return text[:head] + "..." + text[len(text) - (limit - 3 - head):]


class InvalidInputError(PoseArenaError, ValueError):
    """The request or input data is wrong (gRPC INVALID_ARGUMENT).

    Args:
        field: name of the offending field or argument, e.g. "keypoints" or "views[1].camera_id".
        value: the value received (shown shortened in the message).
        expected: what was expected, in words, e.g. "shape (T, 17, 2) with T >= 1".
    """

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}={_short(value)}: expected {expected}")


class ModelNotLoadedError(PoseArenaError):
    """The estimator's model is not loaded (gRPC FAILED_PRECONDITION); the message says why."""


class ResourceTooLargeError(PoseArenaError):
    """The request exceeds a configured size limit (gRPC RESOURCE_EXHAUSTED)."""


class UnreachableError(PoseArenaError):
    """A service or gateway cannot be reached (gRPC UNAVAILABLE); the message names its address
    and what to run. The CLI exits with status 3 for it."""

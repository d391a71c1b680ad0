"""`EstimatorService`: the servicer base class, and the error-to-status-code adapter."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from posearena.cancellation import CallAbandonedError, abandon_when
from posearena.errors import InvalidInputError, ModelNotLoadedError, ResourceTooLargeError
from posearena.v1 import pose_pb2, pose_pb2_grpc

log = logging.getLogger("posearena.service")

F = TypeVar("F", bound=Callable[..., Any])

_STATUS = (
    (InvalidInputError, grpc.StatusCode.INVALID_ARGUMENT),
    (ModelNotLoadedError, grpc.StatusCode.FAILED_PRECONDITION),
    (ResourceTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
)


def _status_for(exc: BaseException) -> grpc.StatusCode | None:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return None


def _abort(context: grpc.ServicerContext, exc: BaseException, method: str) -> None:
    if isinstance(exc, CallAbandonedError) or not context.is_active():
        # the client cancelled or its deadline passed (reading its stream then raises a bare
        # grpc.RpcError): nothing to log, nobody to tell
        log.debug("%s abandoned by its client: %s", method, exc)
        context.abort(grpc.StatusCode.CANCELLED, f"{method}: the client is gone")
    code = _status_for(exc)
    if code is None:
        log.exception("%s failed", method)
        context.abort(grpc.StatusCode.INTERNAL, f"{method}: {type(exc).__name__}: {exc}")
    context.abort(code, str(exc))


def grpc_errors(method: F) -> F:
    """Decorate an RPC method so posearena errors become gRPC status codes.

    InvalidInputError -> INVALID_ARGUMENT, ModelNotLoadedError -> FAILED_PRECONDITION,
    ResourceTooLargeError -> RESOURCE_EXHAUSTED, any other exception -> INTERNAL with its
    message (logged with traceback). Aborts already raised by `context.abort` pass through.
    Works for unary methods and for response-streaming generators: responses already sent
    before the error stay delivered. Within the call, `posearena.cancellation.check_abandoned()`
    stops long loops once the client cancelled or its deadline passed (CANCELLED, not logged).
    """
    name = method.__name__
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def stream_wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                with abandon_when(lambda: not context.is_active()):
                    yield from method(self, request, context)
            except Exception as exc:
                if _is_abort(exc):
                    raise
                _abort(context, exc, name)

        return stream_wrapper  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            with abandon_when(lambda: not context.is_active()):
                return method(self, request, context)
        except Exception as exc:
            if _is_abort(exc):
                raise
            _abort(context, exc, name)
            return None

    return wrapper  # type: ignore[return-value]


def _is_abort(exc: BaseException) -> bool:
    # grpc's ServicerContext.abort() raises a bare, argument-less Exception after recording
    # the status; it must propagate unchanged.
    return type(exc) is Exception and not exc.args


class EstimatorService(pose_pb2_grpc.PoseEstimatorServicer):
    """Base servicer: subclasses implement `info()`, `ready()` and their RPCs.

    `GetInfo` is implemented here from `info()` with `model_loaded`/`model_status` filled from
    `ready()`. RPCs a subclass does not implement answer UNIMPLEMENTED (generated base).
    """

    name: str = "estimator"

    def info(self) -> pose_pb2.EstimatorInfo:
        """Describe the estimator (name, version, kind, skeletons, units, frame, inputs)."""
        raise NotImplementedError

    def ready(self) -> tuple[bool, str]:
        """Return (model loaded, status message); the message names any missing file."""
        return True, "ready"

    def GetInfo(
        self, request: pose_pb2.GetInfoRequest, context: grpc.ServicerContext
    ) -> pose_pb2.EstimatorInfo:
        info = self.info()
        loaded, status = self.ready()
        info.model_loaded = loaded
        info.model_status = status
        return info

    def require_ready(self) -> None:
        """Raise ModelNotLoadedError (FAILED_PRECONDITION) with the reason when not ready."""
        loaded, status = self.ready()
        if not loaded:
            raise ModelNotLoadedError(f"{self.name}: model not loaded: {status}")

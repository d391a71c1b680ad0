"""Client of the Gateway API: run a comparison on a remote gateway, streaming its events."""

from __future__ import annotations

import json
from collections.abc import Sequence

import grpc

from posearena.errors import UnreachableError
from posearena.v1 import gateway_pb2, gateway_pb2_grpc
from posearena_gateway.events import Event, EventSink, ignore
from posearena_gateway.runtime import open_channel


def remote_compare(
    target: str, videos: Sequence[str], out_dir: str, calibration: str = "",
    cameras: Sequence[str] = (), reference: str = "multiview", pipelines: Sequence[str] = (),
    resume: bool = False, sink: EventSink = ignore, timeout_s: float = 3600.0,
    max_people: int = 1, person: str = "auto", reference_2d: str = "",
    big_error_deg: float = 0.0,
) -> tuple[dict, str]:
    """Run `Compare` on the gateway at `target`; return (metrics dict, report path).

    Paths are the gateway's own (its mounted volumes). Events are passed to `sink` as they
    arrive. Raises UnreachableError when the gateway does not answer, grpc.RpcError with the
    gateway's status on any other failure.
    """
    req = gateway_pb2.CompareRequest(
        videos=list(videos), calibration=calibration, cameras=list(cameras),
        reference=reference, pipelines=list(pipelines), out_dir=out_dir, resume=resume,
        max_people=max_people, person=person, reference_2d=reference_2d,
        big_error_deg=big_error_deg)
    metrics, report = {}, ""
    with open_channel(target) as ch:
        try:
            for e in gateway_pb2_grpc.GatewayStub(ch).Compare(req, timeout=timeout_s):
                if e.status == "done":
                    metrics, report = json.loads(e.metrics_json), e.report_path
                else:
                    sink(Event(e.stage, e.item, e.status, e.message, e.fraction, e.done,
                               e.total))
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            raise UnreachableError(
                f"the gateway at {target} cannot be reached ({exc.details()}): start one there "
                "with `python -m posearena_gateway.server --port PORT`, or check --gateway"
            ) from exc
    return metrics, report

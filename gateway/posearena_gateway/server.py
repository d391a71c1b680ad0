"""The gateway as a gRPC service: `Compare` (streaming progress events) and `ListPipelines`.

Run: `python -m posearena_gateway.server --port P [--data-root DIR ...] [--runs-root DIR]`.
Estimator addresses come from POSEARENA_<NAME>_ADDR (compose sets them); services not
configured are started as local processes (embedded mode), as the CLI does. A request reads
only under the data roots and writes only under the runs root (`posearena_gateway.access`);
it listens on 127.0.0.1 unless --host / POSEARENA_HOST says otherwise.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator

import grpc

from posearena.errors import InvalidInputError, PoseArenaError
from posearena.service import base_parser, parse_config, run_until_signal, start_grpc_server
from posearena.v1 import gateway_pb2, gateway_pb2_grpc
from posearena_gateway.access import PathNotAllowedError, PathRoots
from posearena_gateway.comparison.repetition_metrics import BIG_ERROR_DEG
from posearena_gateway.events import Event
from posearena_gateway.outputs import write_outputs
from posearena_gateway.pipelines.catalog import DEFAULT_PIPELINES, PIPELINES, parse_pipelines
from posearena_gateway.pipelines.job import REFERENCE_DETECTORS, CompareJob
from posearena_gateway.pipelines.runner import Runner
from posearena_gateway.references import load_reference
from posearena_gateway.references.loader import split_spec
from posearena_gateway.rundir import to_json

SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["Gateway"].full_name
_DONE = object()


def _event(e: Event) -> gateway_pb2.CompareEvent:
    return gateway_pb2.CompareEvent(stage=e.stage, item=e.item, status=e.status,
                                    message=e.message, fraction=e.fraction, done=e.done,
                                    total=e.total)


def _reference_2d(name: str) -> str:
    """The multiview reference's 2D detector a request names ("" = blazepose)."""
    if name and name not in REFERENCE_DETECTORS:
        raise InvalidInputError("reference_2d", name, f"one of {REFERENCE_DETECTORS}")
    return name or REFERENCE_DETECTORS[0]


class GatewayService(gateway_pb2_grpc.GatewayServicer):
    """Runs comparisons for remote clients; one Runner per Compare call.

    Args:
        roots: where requests may read inputs and write run folders.
    """

    def __init__(self, roots: PathRoots | None = None) -> None:
        self.roots = roots or PathRoots.configured()

    def ListPipelines(self, request, context):
        return gateway_pb2.ListPipelinesResponse(pipelines=[
            gateway_pb2.PipelineInfo(name=n, description=s.description, services=s.services,
                                     is_default=n in DEFAULT_PIPELINES)
            for n, s in PIPELINES.items()
        ])

    def _job(self, r: gateway_pb2.CompareRequest) -> CompareJob:
        """The request as a CompareJob, every path it names checked against the roots."""
        roots = self.roots
        videos = [roots.readable(f"videos[{i}]", v) for i, v in enumerate(r.videos)]
        calib = roots.readable("calibration", r.calibration) if r.calibration else None
        out = roots.writable("out_dir", r.out_dir)
        reference = r.reference or "multiview"
        if reference not in ("multiview", "none"):
            kind, path = split_spec(reference)
            checked = roots.readable("reference", str(path))
            reference = load_reference(f"{kind}:{checked}" if kind else str(checked))
        return CompareJob(
            videos=videos, out=out,
            pipelines=parse_pipelines(",".join(r.pipelines)),
            calib=calib,
            cameras=list(r.cameras) or None, reference=reference, resume=r.resume,
            max_people=max(1, r.max_people), person=r.person or "auto",
            reference_detector=_reference_2d(r.reference_2d),
            big_error_deg=r.big_error_deg or BIG_ERROR_DEG,
        )

    def Compare(self, request: gateway_pb2.CompareRequest,
                context: grpc.ServicerContext) -> Iterator[gateway_pb2.CompareEvent]:
        if not request.out_dir:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "out_dir='': expected a directory")
        events: queue.Queue = queue.Queue()
        result: dict = {}
        try:  # inputs are checked before any work: bad ones end the call here
            runner = Runner(self._job(request), events.put)
        except PathNotAllowedError as exc:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        except PoseArenaError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

        def work() -> None:
            try:
                outcome = runner.run()
                write_outputs(outcome, runner.rd)  # the server prints nothing of the CLI's
                result["metrics"] = outcome.metrics
            except Exception as exc:  # reported to the client, never a silent stop
                result["error"] = f"{type(exc).__name__}: {exc}"
            events.put(_DONE)

        threading.Thread(target=work, name="compare", daemon=True).start()
        while True:
            e = events.get()
            if e is _DONE:
                break
            yield _event(e)
        if "error" in result:
            context.abort(grpc.StatusCode.INTERNAL, result["error"])
        yield gateway_pb2.CompareEvent(stage="report", item="run", status="done",
                                       metrics_json=to_json(result["metrics"]),
                                       report_path=str(runner.rd.root / "report.html"),
                                       fraction=1.0)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m posearena_gateway.server [--host H] [--port P]`."""
    parser = base_parser("posearena gateway")
    parser.add_argument("--data-root", action="append", default=None,
                        help="folder requests may read inputs from (repeat; default env "
                        "POSEARENA_DATA_ROOTS or ./data)")
    parser.add_argument("--runs-root", default=None, help="folder requests may write run "
                        "folders under (default env POSEARENA_RUNS_ROOT or ./runs)")
    ns, _ = parser.parse_known_args(argv)
    config = parse_config(parser, argv)
    roots = PathRoots.configured(ns.data_root, ns.runs_root)
    print(f"gateway serves {roots.describe()}", flush=True)
    try:
        server, port = start_grpc_server(
            lambda s: gateway_pb2_grpc.add_GatewayServicer_to_server(GatewayService(roots), s),
            (SERVICE_NAME,), (True, "ready"), config, "gateway")
    except OSError as exc:
        print(f"gateway: {exc}", file=sys.stderr, flush=True)
        return 3
    return run_until_signal(server, "gateway", config.host, port, config.grace_s)


if __name__ == "__main__":
    sys.exit(main())

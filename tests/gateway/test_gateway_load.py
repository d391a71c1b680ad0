"""The gateway service under load and faults, on the real Pose2Sim clip:

- four comparisons at once on the same services (each its own run dir; two camera pairs,
  each twice) give the metrics each gives alone;
- a service killed mid-run: its pipeline is `failed` with the reason, the others finish; once
  it is back, `resume` computes only that pipeline.
"""

from __future__ import annotations

import json
import signal
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from _helpers.services import running_service

from posearena.v1 import gateway_pb2_grpc
from posearena_gateway.access import PathRoots
from posearena_gateway.clients.gateway import remote_compare
from posearena_gateway.server import GatewayService

from .conftest import DATA

pytestmark = pytest.mark.slow
PAIRS = [("cam01", "cam02"), ("cam03", "cam04")]
PIPELINES = ["blazepose-world", "blazepose+stereo"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """(address, runs root, services dict) of an in-process gateway whose estimators
    (blazepose, stereo, videopose3d) run once as local processes shared by every call."""
    logs = tmp_path_factory.mktemp("logs")
    runs = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    with running_service("blazepose", logs) as bp, running_service("stereo", logs) as st, \
            running_service("videopose3d", logs) as vp:
        for name, rs in (("BLAZEPOSE", bp), ("STEREO", st), ("VIDEOPOSE3D", vp)):
            mp.setenv(f"POSEARENA_{name}_ADDR", rs.target)
        server = grpc.server(futures.ThreadPoolExecutor(8))
        roots = PathRoots((DATA.resolve(),), runs)
        gateway_pb2_grpc.add_GatewayServicer_to_server(GatewayService(roots), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        yield f"127.0.0.1:{port}", runs, {"videopose3d": vp}
        server.stop(0).wait()
    mp.undo()


def _compare(target: str, pair: tuple[str, str], out: str, **kw) -> dict:
    videos = [f"pose2sim_demo/videos/{c}.mp4" for c in pair]
    metrics, _ = remote_compare(target, videos, out, calibration="pose2sim_demo/Calib.qca.txt",
                                cameras=list(pair), **kw)
    return metrics


def _numbers(metrics: dict) -> dict:
    """What must not depend on other runs: each pipeline's status and errors, the reference."""
    return {name: (p["status"], p.get("mpjpe_mm"), p.get("p_mpjpe_mm"),
                   json.dumps(p.get("angles"), sort_keys=True))
            for name, p in metrics["pipelines"].items()} | {
        "reference": metrics["reference"]["status"], "frames": metrics["frames"]}


def test_four_comparisons_at_once_match_each_run_alone(gateway):
    """Two camera pairs, each twice, at once: every run equals its pair's run alone."""
    target, runs, _ = gateway
    together_pairs = [PAIRS[0], PAIRS[1], PAIRS[0], PAIRS[1]]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(
            lambda i: _compare(target, together_pairs[i], f"together{i}", pipelines=PIPELINES),
            range(4)))
    alone = {pair: _numbers(_compare(target, pair, f"alone{k}", pipelines=PIPELINES))
             for k, pair in enumerate(PAIRS[:2])}
    for i, pair in enumerate(together_pairs):
        assert _numbers(together[i]) == alone[pair], pair
        assert (runs / f"together{i}" / "metrics.json").exists()
        assert together[i]["pipelines"]["blazepose+stereo"]["status"] == "ok"
    # the two pairs really gave different results: no run read another's outputs
    assert alone[PAIRS[0]]["blazepose+stereo"] != alone[PAIRS[1]]["blazepose+stereo"]


def test_service_killed_mid_run_fails_its_pipeline_and_resume_redoes_only_it(gateway):
    target, _, services = gateway
    lifter = services["videopose3d"]
    pipelines = [*PIPELINES, "blazepose+videopose3d"]
    events = []

    def kill_lifter_once_detection_is_done(e) -> None:
        events.append(e)
        if e.stage == "detect" and e.status == "ok" and lifter.process.poll() is None:
            lifter.process.send_signal(signal.SIGKILL)
            lifter.process.wait()

    first = _compare(target, PAIRS[0], "killed", pipelines=pipelines,
                     sink=kill_lifter_once_detection_is_done)
    lift = first["pipelines"]["blazepose+videopose3d"]
    assert lift["status"] == "failed" and "UNAVAILABLE" in lift["reason"], lift
    assert all(first["pipelines"][p]["status"] == "ok" for p in PIPELINES)
    with running_service("videopose3d", Path(lifter.log_path).parent) as back:
        mp = pytest.MonkeyPatch()
        mp.setenv("POSEARENA_VIDEOPOSE3D_ADDR", back.target)
        events.clear()
        try:
            again = _compare(target, PAIRS[0], "killed", pipelines=pipelines, resume=True,
                             sink=events.append)
        finally:
            mp.undo()
    status = {(e.stage, e.item): e.status for e in events if e.status != "progress"}
    assert again["pipelines"]["blazepose+videopose3d"]["status"] == "ok"
    assert status[("pipeline", "blazepose+videopose3d")] == "ok"
    assert all(status[("pipeline", p)] == "cached" for p in PIPELINES), status
    assert all(s == "cached" for (stage, _), s in status.items() if stage == "detect")
    for p in PIPELINES:
        assert _numbers(again)[p] == _numbers(first)[p]

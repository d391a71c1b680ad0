"""`posearena study --gateway host:port --workers 2`: video sessions of a manifest are
`Compare` calls on a gateway service (here in-process, with BlazePose and stereo as local
processes), two at a time, on the real Pose2Sim clip; the study pools what the gateway
wrote into each session's run directory."""

from __future__ import annotations

import json
from concurrent import futures

import grpc
import pytest
from _helpers.services import running_service

from posearena.v1 import gateway_pb2_grpc
from posearena_gateway.access import PathRoots
from posearena_gateway.cli import main
from posearena_gateway.server import GatewayService

from .conftest import DATA, DEMO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """(address, runs root) of an in-process gateway with blazepose and stereo services."""
    logs = tmp_path_factory.mktemp("logs")
    runs = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    with running_service("blazepose", logs) as bp, running_service("stereo", logs) as st:
        mp.setenv("POSEARENA_BLAZEPOSE_ADDR", bp.target)
        mp.setenv("POSEARENA_STEREO_ADDR", st.target)
        server = grpc.server(futures.ThreadPoolExecutor(8))
        gateway_pb2_grpc.add_GatewayServicer_to_server(
            GatewayService(PathRoots((DATA.resolve(),), runs.resolve())), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        yield f"127.0.0.1:{port}", runs.resolve()
        server.stop(0).wait()
    mp.undo()


def test_video_sessions_run_on_the_gateway_two_at_a_time(gateway, tmp_path, capsys):
    target, runs = gateway
    videos = ";".join(str(DEMO / "videos" / f"cam0{i}.mp4") for i in range(1, 5))
    manifest = tmp_path / "study.csv"
    manifest.write_text(
        "subject,exercise,trial,videos,calib,reference,pipelines\n"
        + "".join(f"p{k},lunge,1,{videos},{DEMO / 'Calib.qca.txt'},multiview,"
                  "blazepose+stereo\n" for k in (1, 2)))
    out = runs / "study"  # the gateway writes the sessions under its runs root
    assert main(["study", "--manifest", str(manifest), "--out", str(out), "--gateway", target,
                 "--workers", "2", "--resamples", "200"]) == 0
    text = capsys.readouterr().out
    assert text.count(": ok in") == 2, text
    doc = json.loads((out / "study.json").read_text())
    assert [s["status"] for s in doc["sessions"]] == ["ok", "ok"]
    for s in doc["sessions"]:
        assert (out / "sessions" / s["subject"] / "lunge_1" / "exports" / "angles.csv").is_file()
    rows = [r for r in doc["results"] if r["pipeline"] == "blazepose+stereo"]
    assert rows and all(r["n_subjects"] == 2 and r["n_sessions"] == 2 for r in rows)
    # the same clip twice: both sessions agree, so the pooled bias is each session's bias
    one = json.loads((out / "sessions/p1/lunge_1/metrics.json").read_text())
    knee = one["pipelines"]["blazepose+stereo"]["angles"]["r_knee_flexion"]
    row = next(r for r in rows if r["angle"] == "r_knee_flexion")
    assert row["bias_deg"] == pytest.approx(knee["bias_deg"], abs=2e-3)
    assert row["frames"] == 2 * knee["n"]

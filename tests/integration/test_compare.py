"""A real comparison through the gateway CONTAINER's gRPC `Compare`: the four Pose2Sim demo
videos (data/pose2sim_demo, mounted into the gateway at /data), the 4-view multiview
reference and the default pipelines, events streamed back, metrics.json and report.html
written to the mounted run folder. Then the same inputs on a second stack whose videopose3d
has no checkpoint: compose still starts the gateway, which skips that pipeline with the
service's NOT_SERVING message and completes the rest."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from posearena_gateway.clients.gateway import remote_compare
from posearena_gateway.events import Event
from posearena_gateway.pipelines.catalog import DEFAULT_PIPELINES
from tests.integration.conftest import ESTIMATORS, TEST_PORTS
from tests.integration.stack import TIMES, Stack

pytestmark = pytest.mark.integration

CAMERAS = ["cam01", "cam02", "cam03", "cam04"]
VIDEOS = [f"/data/pose2sim_demo/videos/{c}.mp4" for c in CAMERAS]  # the gateway's paths
CALIB = "/data/pose2sim_demo/Calib.qca.txt"
FRAMES = 100  # each demo video: 100 frames at 60 fps
# ports of the second (no-checkpoint) stack, clear of the session stack's 5025x
NOCKPT_PORTS = {"POSEARENA_GATEWAY_PORT": "50270", "POSEARENA_BLAZEPOSE_PORT": "50271",
                "POSEARENA_STEREO_PORT": "50272", "POSEARENA_VIDEOPOSE3D_PORT": "50273",
                "POSEARENA_OPENPOSE_PORT": "50274", "POSEARENA_DETECTRON_PORT": "50275"}


def _compare(gateway_port: str, out_dir: str, resume: bool = False
             ) -> tuple[dict, str, list[Event], float]:
    events: list[Event] = []
    start = time.monotonic()
    metrics, report = remote_compare(f"127.0.0.1:{gateway_port}", VIDEOS, out_dir,
                                     calibration=CALIB, reference="multiview", resume=resume,
                                     sink=events.append, timeout_s=600)
    return metrics, report, events, time.monotonic() - start


def _statuses(events: list[Event], stage: str) -> dict[str, str]:
    return {e.item: e.status for e in events if e.stage == stage and e.status != "progress"}


@pytest.fixture(scope="module")
def demo(stack):
    """(metrics, report path, events, host run folder) of the full comparison."""
    metrics, report, events, secs = _compare(TEST_PORTS["POSEARENA_GATEWAY_PORT"], "/runs/demo")
    TIMES["compare_demo"] = secs
    return metrics, report, events, stack.runs / "demo"


def test_events_are_streamed_while_the_run_progresses(demo):
    _, _, events, _ = demo
    progress = [e for e in events if e.status == "progress"]
    assert progress and all(0.0 <= e.fraction <= 1.0 for e in progress)
    detect = _statuses(events, "detect")
    assert detect == {f"blazepose {c}": "ok" for c in CAMERAS}, detect
    assert _statuses(events, "reference") == {"multiview": "ok"}
    assert _statuses(events, "pipeline") == {p: "ok" for p in DEFAULT_PIPELINES}
    # progress of detection comes before the pipelines finish: streamed, not sent at the end
    first_progress = events.index(progress[0])
    last_ok = max(i for i, e in enumerate(events) if e.stage == "pipeline" and e.status == "ok")
    assert first_progress < last_ok


def test_metrics_of_every_default_pipeline(demo):
    metrics, _, _, run = demo
    on_disk = json.loads((run / "metrics.json").read_text())
    assert on_disk["pipelines"].keys() == metrics["pipelines"].keys()
    assert on_disk["reference"]["status"] == metrics["reference"]["status"] == "ok"
    assert metrics["frames"] == FRAMES and metrics["cameras"] == CAMERAS
    pipes = metrics["pipelines"]
    print({n: (p["status"], p.get("mpjpe_mm"), p.get("p_mpjpe_mm")) for n, p in pipes.items()})
    assert set(pipes) == set(DEFAULT_PIPELINES)
    for name, p in pipes.items():
        assert p["status"] == "ok", f"{name}: {p['reason']}"
        # Procrustes-aligned error against the 4-view reference: a person-shaped answer,
        # never a unit or axis error (those give metres-scale or NaN errors)
        assert 5.0 < p["p_mpjpe_mm"] < 200.0, f"{name}: P-MPJPE {p['p_mpjpe_mm']} mm"
    # the calibrated camera's roll is levelled before lifting (342 mm MPJPE without)
    lifted = pipes["blazepose+videopose3d"]
    assert "virtual camera of cam01" in lifted["input_view"]
    assert lifted["mpjpe_mm"] < 200.0
    # the stereo pair is checked in the two cameras it did not use (~31 px there)
    rep = pipes["blazepose+stereo"]["reprojection"]
    assert rep["used_median_px"] < 10 < rep["held_out_median_px"] < 60


def test_report_is_written_by_the_gateway_user_in_the_mounted_run_dir(demo):
    _, report, _, run = demo
    assert report == "/runs/demo/report.html"
    html = run / "report.html"
    assert html.is_file() and html.stat().st_size > 10_000
    text = html.read_text()
    for name in DEFAULT_PIPELINES:
        assert name in text
    assert html.stat().st_uid == 10001  # written by the container's non-root user
    assert sorted(p.name for p in (run / "detections").glob("*.npz")) == [
        f"blazepose_{c}.npz" for c in CAMERAS]


def test_weightless_videopose3d_is_skipped_with_its_not_serving_message(demo):
    """Second stack, videopose3d's models volume empty: its health is NOT_SERVING, yet
    `docker-compose up` (gateway depends_on: service_healthy, checked with --alive) starts the
    gateway; the comparison skips blazepose+videopose3d naming the missing file and every
    other result is computed (2D detections reused from the first run: resume)."""
    s = Stack("pa-it-nockpt", dict(NOCKPT_PORTS))
    s.env["POSEARENA_VIDEOPOSE3D_MODELS"] = str(s.empty_dir("vp3d-models"))
    s.env["POSEARENA_OPENPOSE_MODELS"] = str(s.empty_dir("openpose-models"))
    try:
        start = time.monotonic()
        s.up([*ESTIMATORS, "gateway"], deps=True)
        s.wait_healthy([*ESTIMATORS, "gateway"])
        TIMES["up_nockpt"] = time.monotonic() - start
        run = s.runs / "nockpt"
        shutil.copytree(demo[3] / "detections", run / "detections")
        for path in (run, run / "detections", *(run / "detections").iterdir()):
            os.chown(path, 10001, 10001)  # the gateway's user reads and writes here
        metrics, _, events, secs = _compare(NOCKPT_PORTS["POSEARENA_GATEWAY_PORT"],
                                            "/runs/nockpt", resume=True)
        TIMES["compare_nockpt"] = secs
        assert (run / "report.html").is_file()
    finally:
        s.down()
    skipped = [e for e in events if e.stage == "pipeline" and e.status == "skipped"]
    assert [e.item for e in skipped] == ["blazepose+videopose3d"]
    why = metrics["pipelines"]["blazepose+videopose3d"]
    assert why["status"] == "skipped" and why["reason"] == skipped[0].message
    assert "videopose3d service NOT_SERVING" in why["reason"]
    assert "/models/default.pt" in why["reason"], why["reason"]  # names the missing file
    detect = [(e.item, e.status, e.message) for e in events if e.stage == "detect"]
    assert _statuses(events, "detect") == {f"blazepose {c}": "cached" for c in CAMERAS}, (
        detect, metrics["pipelines"], metrics["reference"])
    assert metrics["reference"]["status"] == "ok"
    for name in ("blazepose-world", "blazepose+stereo"):
        assert metrics["pipelines"][name]["status"] == "ok", metrics["pipelines"][name]
        assert metrics["pipelines"][name]["p_mpjpe_mm"] == pytest.approx(
            demo[0]["pipelines"][name]["p_mpjpe_mm"], abs=1e-6)  # same inputs, same numbers

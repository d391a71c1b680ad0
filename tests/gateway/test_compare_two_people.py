"""Comparison with two people in view (real Pose2Sim two-person recording, 4 cameras)."""

from __future__ import annotations

from posearena_gateway.pipelines.catalog import parse_pipelines
from posearena_gateway.pipelines.job import CompareJob
from posearena_gateway.pipelines.runner import Runner

from .conftest import DATA

MULTI = DATA / "pose2sim_multi"


def test_patient_is_chosen_and_matched_across_cameras(tmp_path):
    job = CompareJob(videos=sorted((MULTI / "videos").glob("cam*.mp4")), out=tmp_path,
                     calib=MULTI / "Calib.qca.txt", max_people=2, person="auto",
                     pipelines=parse_pipelines("blazepose+stereo,blazepose-world"))
    metrics = Runner(job).run().metrics
    ref = metrics["reference"]
    assert ref["status"] == "ok" and "matched across views" in ref["person_choice"]
    stereo = metrics["pipelines"]["blazepose+stereo"]
    world = metrics["pipelines"]["blazepose-world"]
    assert stereo["status"] == "ok" and world["status"] == "ok"
    # the same person in the reference and the pipelines: errors of one body, not two
    # (measured: 63 mm for cam01+cam02 stereo; bodies are > 300 mm apart)
    assert stereo["mpjpe_mm"] < 150 and stereo["frames_compared"] >= 90
    assert world["p_mpjpe_mm"] < 150
    assert "auto" in world["person_choice"] or "person" in world["person_choice"]

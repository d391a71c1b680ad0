"""Which services the CLI launches ahead of `compare`, `demo`, `detect` and `triangulate`
(`Command.services_for`): the same rule as the runner's (`pipelines.names.needed_services`),
read from the arguments before the command's modules are imported."""

from __future__ import annotations

import pytest
from _helpers.fresh_python import fresh_python

from posearena_gateway.commands import COMMANDS
from posearena_gateway.pipelines.catalog import PIPELINES, parse_pipelines
from posearena_gateway.pipelines.job import CompareJob
from posearena_gateway.pipelines.names import pipeline_services


def _services(argv: list[str]) -> list[str]:
    return next(c for c in COMMANDS if c.name == argv[0]).services_for(argv[1:])


@pytest.mark.parametrize(("argv", "expected"), [
    (["compare", "--video", "a.mp4", "--out", "o"], ["blazepose", "videopose3d", "stereo"]),
    (["compare", "--video", "a.mp4", "--pipelines", "openpose+multiview,blazepose-world",
      "--reference", "none"], ["openpose", "stereo", "blazepose"]),
    (["compare", "--pipelines=detectron+videopose3d", "--reference-2d", "openpose"],
     ["detectron", "videopose3d", "openpose", "stereo"]),
    (["compare", "--reference", "mocap:session.txt", "--pipelines", "blazepose-world"],
     ["blazepose"]),
    (["compare", "--pipelines", "no-such-pipeline", "--reference", "none"], []),
    (["compare", "--gateway", "127.0.0.1:50100", "--video", "a.mp4"], []),
    (["compare", "--ref", "none"], []),  # ambiguous: the command's own parser reports it
    (["demo", "--out", "o"], ["blazepose", "videopose3d", "stereo", "openpose"]),
    (["triangulate", "--input", "a.npy"], ["stereo"]),
    (["detect", "--video", "a.mp4", "--output", "o.npz"], ["blazepose"]),
    (["detect", "--video", "a.mp4", "--estimator", "detectron", "--output", "o.npz"],
     ["detectron"]),
    (["detect", "--estimator=openpose-json", "--json-dir", "d", "--output", "o.npz"], []),
    (["detect", "--estimator", "no-such-detector", "--output", "o.npz"], []),
    (["pipelines"], []),
])
def test_services_launched_ahead(argv, expected, capsys):
    assert _services(argv) == expected
    assert capsys.readouterr().err == ""  # a guess never prints


def test_the_guess_is_what_the_runner_starts(tmp_path):
    from posearena_gateway.pipelines.runner import Runner

    for names in ("", "openpose+stereo,detectron+videopose3d-causal"):
        job = CompareJob(videos=[tmp_path / "a.mp4"], out=tmp_path / "run",
                         pipelines=parse_pipelines(names), reference="multiview")
        argv = ["compare", "--video", "a.mp4"] + (["--pipelines", names] if names else [])
        runner = Runner.__new__(Runner)
        runner.job = job
        assert runner._needed_services() == _services(argv)


def test_every_catalogued_pipeline_has_its_services_from_one_rule():
    for name, spec in PIPELINES.items():
        assert spec.services == pipeline_services(name)
        assert spec.services[0] == spec.detector


def test_pipeline_names_import_nothing_heavy():
    code = ("import sys; import posearena_gateway.commands; "
            "print(sorted(m for m in ('scipy', 'matplotlib', 'grpc', 'cv2') if m in sys.modules))")
    assert fresh_python(code).strip() == "[]"

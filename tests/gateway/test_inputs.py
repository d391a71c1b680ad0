"""Inputs of a comparison are checked before any work."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.pipelines.catalog import PIPELINES, parse_pipelines
from posearena_gateway.pipelines.inputs import check_inputs, unmet_requirement
from posearena_gateway.rundir import RunDir


def _video(path, fps, frames=5, size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(frames):
        w.write(np.full((size[1], size[0], 3), 128, np.uint8))
    w.release()
    return path


def test_cameras_matched_to_videos_by_file_name(demo_videos, demo_calib):
    inputs = check_inputs(list(reversed(demo_videos)), demo_calib, None)
    assert inputs.camera_ids == ["cam04", "cam03", "cam02", "cam01"]
    assert [c.name for c in inputs.cameras] == inputs.camera_ids
    assert inputs.frames == 100 and inputs.fps == pytest.approx(60)


def test_different_frame_rates_are_an_error(tmp_path):
    a, b = _video(tmp_path / "a.mp4", 30), _video(tmp_path / "b.mp4", 25)
    with pytest.raises(InvalidInputError, match="same frame rate"):
        check_inputs([a, b], None, None)


def test_different_lengths_are_trimmed_and_said(tmp_path):
    a, b = _video(tmp_path / "a.mp4", 30, 5), _video(tmp_path / "b.mp4", 30, 8)
    inputs = check_inputs([a, b], None, None)
    assert inputs.frames == 5 and "trimmed" in inputs.notes[0]


def test_calibration_missing_a_camera(demo_videos, demo_calib):
    with pytest.raises(InvalidInputError, match="cam09"):
        check_inputs(demo_videos[:2], demo_calib, ["cam01", "cam09"])


def test_requirements_of_pipelines(demo_videos):
    inputs = check_inputs(demo_videos[:1], None, None)
    assert "2 videos" in unmet_requirement(PIPELINES["blazepose+stereo"], inputs)
    assert unmet_requirement(PIPELINES["blazepose+videopose3d"], inputs) is None
    with pytest.raises(InvalidInputError, match="nope"):
        parse_pipelines("blazepose-world,nope")


def test_output_that_is_a_file_fails_before_any_work(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InvalidInputError, match="writable"):
        RunDir(f / "run")

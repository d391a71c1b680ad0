"""The inference engines (posearena_openpose.runtime): onnxruntime and OpenCV DNN give the same
people on the Caffe path (stamp models written by the test, converted by caffe_onnx),
onnxruntime takes the thread setting, and without onnxruntime "auto" falls back to OpenCV
while an explicit "onnxruntime" says what is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpose_testkit import BODY25_TO_COCO18, draw_blocks, write_stamp_model

from posearena_openpose import runtime
from posearena_openpose.models import load_model
from posearena_openpose.network import infer
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings
from posearena_openpose.spec import BODY25, COCO


@pytest.mark.parametrize("spec", [BODY25, COCO], ids=lambda s: s.name)
def test_engines_agree_on_the_caffe_path(tmp_path: Path, stamp_offsets: np.ndarray,
                                         spec) -> None:
    offsets = stamp_offsets if spec is BODY25 else stamp_offsets[BODY25_TO_COCO18]
    write_stamp_model(tmp_path, spec, offsets)
    image = draw_blocks(496, 368, [(163.5, 187.5), (339.5, 171.5)])
    maps, people = {}, {}
    for backend in ("onnxruntime", "opencv"):
        svc = OpenPoseService(OpenPoseSettings(model=spec.name, models_dir=str(tmp_path),
                                               backend=backend))
        assert svc.ready() == (True, "ready"), svc.ready()
        assert backend in svc.loaded.engine.lower()
        maps[backend] = infer(svc.loaded.net, image, spec, svc.loaded.files).heatmaps
        people[backend] = svc.detect_image(image)
    np.testing.assert_allclose(maps["onnxruntime"], maps["opencv"], atol=1e-4)
    assert len(people["onnxruntime"]) == len(people["opencv"]) == 2
    for a, b in zip(people["onnxruntime"], people["opencv"], strict=True):
        np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)


def test_onnxruntime_takes_the_thread_setting(tmp_path: Path, stamp_offsets) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    lm = load_model(BODY25, tmp_path, backend="onnxruntime", threads=1)
    assert lm.status == "ready", lm.status
    opts = lm.net.session.get_session_options()
    assert opts.intra_op_num_threads == 1
    assert lm.engine.startswith("onnxruntime ")


def test_without_onnxruntime(tmp_path: Path, stamp_offsets,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    monkeypatch.setattr(runtime, "_onnxruntime", lambda: None)
    auto = load_model(BODY25, tmp_path)
    assert auto.status == "ready" and auto.engine.startswith("OpenCV "), auto
    people = OpenPoseService(OpenPoseSettings(models_dir=str(tmp_path), model="body25"))
    assert people.detect_image(draw_blocks(496, 368, [(163.5, 187.5)]))
    forced = load_model(BODY25, tmp_path, backend="onnxruntime")
    assert forced.net is None
    assert "onnxruntime package is not installed" in forced.status
    assert "--backend opencv" in forced.status

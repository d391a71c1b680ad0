"""The pruned landmark model (segmentation and heatmap branches dropped, `tflite_prune`) gives
the full model's landmarks, pose flag and world landmarks bit for bit, on real person crops;
run in the BlazePose venv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
VIDEO = ROOT / "data" / "pose2sim_multi" / "videos" / "cam03.mp4"

SCRIPT = r"""
import json, sys
import cv2, numpy as np
from ai_edge_litert.interpreter import Interpreter
from posearena_blazepose.estimator import model_paths
from posearena_blazepose.multipose import LANDMARK_OUTPUTS, MultiPoseEstimator, landmark_model
from posearena_blazepose.tflite_prune import prune_outputs

path = model_paths()[0]
full = Interpreter(model_path=path, num_threads=1)
pruned = Interpreter(model_content=landmark_model(path), num_threads=1)
out = {"ops": [], "outputs": [], "diff": 0.0, "flags": [], "errors": []}
for it in (full, pruned):
    it.allocate_tensors()
    out["ops"].append(len(it._get_ops_details()))
    out["outputs"].append([d["name"] for d in it.get_output_details()])
est = MultiPoseEstimator(2)
cap = cv2.VideoCapture(sys.argv[1])
for _ in range(8):
    ok, frame = cap.read()
    est.process_bgr(frame)
    for track in est._tracks:  # the crops the estimator feeds the model on this clip
        x = est._patch(frame, track.roi, 256)[None].astype(np.float32) / 255.0
        res = []
        for it in (full, pruned):
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            names = {d["name"]: d["index"] for d in it.get_output_details()}
            res.append([it.get_tensor(names[n]).copy() for n in LANDMARK_OUTPUTS])
        out["flags"].append(float(res[0][1].ravel()[0]))
        for a, b in zip(*res):
            out["diff"] = max(out["diff"], float(np.abs(a - b).max()))
model = open(path, "rb").read()
for keep in (["Identity", "nope"], []):
    try:
        prune_outputs(model, keep)
        out["errors"].append("")
    except ValueError as exc:
        out["errors"].append(str(exc))
print(json.dumps(out))
"""


@pytest.mark.skipif(not BP_PYTHON.exists(), reason="BlazePose venv missing (make setup)")
def test_pruned_landmark_model_gives_the_full_models_outputs() -> None:
    res = subprocess.run([str(BP_PYTHON), "-c", SCRIPT, str(VIDEO)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    full_ops, pruned_ops = out["ops"]
    assert pruned_ops < full_ops  # the unread branches are gone
    assert len(out["outputs"][0]) == 5 and out["outputs"][1] == ["Identity", "Identity_1",
                                                                "Identity_4"]
    assert len(out["flags"]) >= 8 and min(out["flags"]) > 0.5  # real people in the crops
    assert out["diff"] == 0.0
    assert "nope" in out["errors"][0]
    assert out["errors"][1] == ""  # no outputs kept: a valid, empty graph

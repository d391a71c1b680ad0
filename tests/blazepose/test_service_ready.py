"""ready()/GetInfo of the BlazePose servicer when the model file is missing (BlazePose venv)."""

from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import BP_PYTHON, ROOT

SCRIPT = """
import json
from posearena_blazepose import estimator
estimator.MODEL_RELPATH = "modules/pose_landmark/absent_model.tflite"
from posearena_blazepose.servicer import BlazePoseService
svc = BlazePoseService()
info = svc.GetInfo(None, None)
print(json.dumps({"ready": svc.ready(), "loaded": info.model_loaded,
                  "status": info.model_status}))
"""


def test_missing_model_is_not_ready() -> None:
    if not BP_PYTHON.exists():
        pytest.skip(f"BlazePose venv missing: {BP_PYTHON}")
    out = subprocess.run(
        [str(BP_PYTHON), "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ready"][0] is False and res["loaded"] is False
    assert "absent_model.tflite" in res["status"] and "missing" in res["status"]

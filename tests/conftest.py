"""Root of the test folders: puts tests/ on sys.path so test modules import `_helpers`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)


# The slow tier: modules that start services, decode the bundled videos, train models or
# write full reports (measured > ~3 s each on the 2-core reference machine). `make test-fast`
# runs everything else (pure numpy, parsing, in-process gRPC) in well under a minute;
# `make test` runs both tiers. A new module that starts services or decodes video belongs here.
SLOW_MODULES = {
    "analysis/test_cluster_bootstrap.py",
    "blazepose/test_detect_errors.py",
    "calibration/test_calibrate_command.py",
    "blazepose/test_detect_real.py",
    "blazepose/test_service_ready.py",
    "blazepose/test_video.py",
    "conformance/test_pose_api.py",
    "conformance/test_wire_robustness.py",
    "detectron/test_via_service.py",
    "gateway/test_adapted_lift.py",
    "gateway/test_all_people.py",
    "gateway/test_causal_lift.py",
    "gateway/test_cli.py",
    "gateway/test_cli_bad_inputs.py",
    "gateway/test_compare_e2e.py",
    "gateway/test_compare_two_people.py",
    "gateway/test_deadlines.py",
    "gateway/test_gateway_load.py",
    "gateway/test_record.py",
    "gateway/test_study.py",
    "gateway/test_study_gateway.py",
    "integration/test_compose_file.py",
    "integration/test_healthcheck.py",
    "integration/test_replicas.py",
    "multiperson/test_association.py",
    "multiperson/test_bgr_crops.py",
    "multiperson/test_landmark_model.py",
    "multiperson/test_redetect.py",
    "multiperson/test_blazepose_multi.py",
    "openpose/test_detect_tracks.py",
    "openpose/test_pipelines_e2e.py",
    "openpose/test_real_frames.py",
    "openpose/test_server.py",
    "openpose/test_tf_model.py",
    "report/test_angle_exports.py",
    "report/test_exports.py",
    "report/test_media.py",
    "report/test_report_html.py",
    "videopose3d/test_adapt.py",
    "videopose3d/test_checkpoint.py",
    "videopose3d/test_poseaug.py",
    "videopose3d/test_semi.py",
    "videopose3d/test_servicer.py",
    "videopose3d/test_streaming.py",
    "videopose3d/test_training.py",
}


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """With POSEARENA_FAST=1 (`make test-fast`) the slow modules are not even imported:
    importing them (torch, video, service start-up code) was most of the fast tier's time."""
    if os.environ.get("POSEARENA_FAST") != "1":
        return None
    try:
        rel = Path(str(collection_path)).resolve().relative_to(Path(_TESTS)).as_posix()
    except ValueError:
        return None
    return True if rel in SLOW_MODULES or rel.startswith("integration/") else None


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test of a SLOW_MODULES module `slow` (deselected by `make test-fast`)."""
    import pytest

    for item in items:
        rel = Path(str(item.fspath)).resolve().relative_to(Path(_TESTS)).as_posix()
        if rel in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

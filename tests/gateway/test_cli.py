"""The `posearena` commands that talk to services, run as a user would (embedded mode)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from posearena.npzio import Detections, save_detections
from posearena_gateway.cli import main

from .conftest import DATA

FIXTURE = DATA.parent / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def _fixture_view(z, c: int) -> Detections:
    """Camera c of the committed BlazePose fixture as one-person Detections (100 frames)."""
    return Detections(z["keypoints"][c][:, None], z["visibility"][c][:, None],
                      np.ones((100, 1)), "blazepose33", float(z["fps"]),
                      int(z["width"][c]), int(z["height"][c]))


def test_pipelines_lists_every_detector_and_marks_defaults(capsys):
    assert main(["pipelines"]) == 0
    out = capsys.readouterr().out
    for name in ("blazepose+videopose3d", "openpose+stereo", "detectron+multiview",
                 "blazepose-world"):
        assert name in out
    assert "* blazepose-world" in out


def test_unknown_service_is_a_clear_error(capsys):
    assert main(["services", "status", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err


def test_triangulate_calibrated_views_from_detect_files(tmp_path, demo_calib, capsys):
    z = np.load(FIXTURE)
    inputs = []
    for c in (0, 1, 2):
        save_detections(tmp_path / f"{c}.npz", _fixture_view(z, c))
        inputs += ["--input", str(tmp_path / f"{c}.npz")]
    out = tmp_path / "tri.npz"
    assert main(["triangulate", "--calib", str(demo_calib), "--cameras", "cam01,cam02,cam03",
                 *inputs, "--output", str(out)]) == 0
    r = np.load(out)
    assert r["points_3d"].shape == (100, 33, 3) and str(r["skeleton"]) == "blazepose33"
    body = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    assert np.nanmedian(r["reprojection_error"][:, body]) < 15  # px
    # a standing person: ankles ~1 m below the shoulders along the world Z axis
    z = r["points_3d"][..., 2]
    drop = np.nanmedian(z[:, [11, 12]]) - np.nanmedian(z[:, [27, 28]])
    assert 1.0 < drop < 1.6


def test_triangulate_parallel_rig_recovers_points(tmp_path):
    rng = np.random.default_rng(0)
    f, b, cx, cy = 525.0, 0.28, 320.0, 240.0
    X = rng.uniform([-0.5, -0.5, 1.5], [0.5, 0.5, 4.0], size=(20, 17, 3))
    left = np.stack([f * X[..., 0] / X[..., 2] + cx, f * X[..., 1] / X[..., 2] + cy], -1)
    right = np.stack([f * (X[..., 0] - b) / X[..., 2] + cx, left[..., 1]], -1)
    np.save(tmp_path / "l.npy", left)
    np.save(tmp_path / "r.npy", right)
    out = tmp_path / "p.npz"
    assert main(["triangulate", "--rig", "parallel", "--focal", str(f), "--baseline", str(b),
                 "--cx", str(cx), "--cy", str(cy), "--input", str(tmp_path / "l.npy"),
                 "--input", str(tmp_path / "r.npy"), "--output", str(out)]) == 0
    # .npy inputs travel as float32: ~1e-4 px rounding -> sub-millimetre depth error
    assert np.abs(np.load(out)["points_3d"] - X).max() < 1e-3


def test_triangulate_without_calibration_fails_before_any_work(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.zeros((3, 17, 2)))
    code = main(["triangulate", "--input", str(tmp_path / "a.npy"), "--input",
                 str(tmp_path / "a.npy"), "--output", str(tmp_path / "o.npz")])
    assert code == 2 and "--calib" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["missing.npz", "not_an_array.npy"])
def test_lift_bad_input_is_a_clear_error(tmp_path, capsys, bad):
    (tmp_path / "not_an_array.npy").write_text("hello")
    code = main(["lift", "--input", str(tmp_path / bad), "--output", str(tmp_path / "o.npz"),
                 "--width", "640", "--height", "480"])
    assert code == 2 and bad in capsys.readouterr().err


def test_detect_reads_openpose_json_in_our_pixel_convention(tmp_path):
    import json

    from posearena.npzio import load_detections

    folder = tmp_path / "json"
    folder.mkdir()
    pose = [0.0] * 75
    pose[0:3] = [100.5, 50.5, 0.9]  # nose, as the OpenPose binary writes it
    pose[3:6] = [101.5, 80.5, 0.8]  # neck
    for t in range(3):
        people = [{"person_id": [-1], "pose_keypoints_2d": pose}] if t != 1 else []
        (folder / f"clip_{t:012d}_keypoints.json").write_text(
            json.dumps({"version": 1.3, "people": people}))
    out = tmp_path / "op.npz"
    assert main(["detect", "--estimator", "openpose-json", "--json-dir", str(folder),
                 "--fps", "30", "--output", str(out)]) == 0
    d = load_detections(out)
    assert d.skeleton == "body25" and d.keypoints.shape == (3, 1, 25, 2)
    np.testing.assert_allclose(d.keypoints[0, 0, 0], [100.0, 50.0])  # top-left centre = 0
    assert np.isnan(d.keypoints[1]).all()  # empty frame kept, not dropped
    assert np.isnan(d.keypoints[0, 0, 2]).all() and d.scores[0, 0, 2] == 0


def test_mocap_joints_writes_metric_skeletons(tmp_path):
    out = tmp_path / "mj.npz"
    vicon = DATA / "ui_prmd" / "Vicon" / "Positions" / "m07_s01_e01_positions.txt.gz"
    assert main(["mocap-joints", "--input", str(vicon), "--output", str(out)]) == 0
    z = np.load(out)
    assert z["h36m17"].shape == (229, 17, 3) and z["coco17"].shape == (229, 17, 3)
    assert float(z["fps"]) == 100.0
    # metres, Z up: the head (h36m 10) is ~0.6-0.8 m above the pelvis (h36m 0)
    rise = np.nanmedian(z["h36m17"][:, 10, 2] - z["h36m17"][:, 0, 2])
    assert 0.5 < rise < 0.9


def test_lift_with_calibration_uses_a_levelled_virtual_camera(tmp_path, demo_calib, capsys):
    # cam01 of the Pose2Sim demo is rolled 12 deg and pitched down, the person off-centre
    z = np.load(FIXTURE)
    save_detections(tmp_path / "cam01.npz", _fixture_view(z, 0))
    outs = {}
    for name, extra in (("plain", []), ("calib", ["--calib", str(demo_calib),
                                                   "--camera", "cam01"])):
        outs[name] = tmp_path / f"{name}.npz"
        assert main(["lift", "--input", str(tmp_path / "cam01.npz"), "--output",
                     str(outs[name]), *extra]) == 0
    from posearena.calibration import load_calibration

    cam = load_calibration(demo_calib)["cam01"]
    r = np.load(outs["calib"])
    np.testing.assert_allclose(r["up_axis"], cam.R @ [0.0, 0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(np.load(outs["plain"])["up_axis"], [0.0, -1.0, 0.0])
    with zipfile.ZipFile(outs["calib"]) as zf:  # the 3D is stored, not deflated (speed)
        assert zf.getinfo("poses_3d.npy").compress_type == zipfile.ZIP_STORED

    def thigh(p):  # h36m17 hip -> knee, both sides, m
        return float(np.nanmean(np.linalg.norm(p[:, [2, 5]] - p[:, [1, 4]], axis=-1)))

    # the 4-view triangulation of this clip gives 0.39 m thighs: seen as recorded, the lifter
    # stretches them past 0.5 m; through the levelled virtual camera it stays within 15 %
    assert thigh(np.load(outs["plain"])["poses_3d"]) > 0.5
    assert abs(thigh(r["poses_3d"]) - 0.39) < 0.06
    # and the trunk (pelvis -> thorax) stands within 35 deg of the world's vertical
    trunk = r["poses_3d"][:, 8] - r["poses_3d"][:, 0]
    cosang = trunk @ r["up_axis"] / np.linalg.norm(trunk, axis=-1)
    assert np.degrees(np.arccos(np.median(cosang))) < 35


def test_lift_camera_not_in_calibration_is_a_clear_error(tmp_path, demo_calib, capsys):
    z = np.load(FIXTURE)
    save_detections(tmp_path / "cam01.npz", _fixture_view(z, 0))
    code = main(["lift", "--input", str(tmp_path / "cam01.npz"), "--output",
                 str(tmp_path / "o.npz"), "--calib", str(demo_calib), "--camera", "cam09"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--camera" in err and "cam09" in err and "cam01" in err

"""Calibration file formats: the real Qualisys file, round trips, detection, malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posearena.calibration import (
    Camera,
    detect_format,
    load_calibration,
    read_qualisys,
    rodrigues_to_matrix,
    save_calibration,
)
from posearena.errors import InvalidInputError

ROOT = Path(__file__).resolve().parents[2]
QCA = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"


def _cams() -> dict[str, Camera]:
    a = Camera("left cam", 1920, 1080, [[1400.5, 0.0, 955.25], [0, 1401.75, 540.5], [0, 0, 1]],
               [-0.11, 0.031, 0.0004, -0.0007, 0.002], rodrigues_to_matrix([0.3, -2.2, 0.4]),
               [0.12, 1.3, 4.25])
    b = Camera("cam_2", 1088, 1920, [[1681.0, 0.0, 533.0], [0, 1681.2, 948.0], [0, 0, 1]],
               [-0.0007, 0.002, 1e-5, 1e-5], rodrigues_to_matrix([3.0, 0.2, -0.1]),
               [-0.5, 0.25, 3.5])
    return {a.name: a, b.name: b}


def test_qualisys_real_file_conventions():
    cams = read_qualisys(QCA)
    assert list(cams) == ["cam01", "cam02", "cam03", "cam04"]
    c1 = cams["cam01"]
    assert (c1.width, c1.height) == (1088, 1920)
    assert c1.K[0, 0] == pytest.approx(107599.671875 / 64)
    assert c1.K[1, 1] == pytest.approx(107588.828125 / 64)
    assert c1.K[0, 2] == pytest.approx(34110.316406 / 64)
    assert c1.K[1, 2] == pytest.approx(60680.792969 / 64)
    assert c1.dist[0] == pytest.approx(-0.046183 / 64)
    assert np.allclose(c1.center, [1.4602323709212087, -1.9091590482454608, 1.8965058524092062])
    # OpenCV axes: every camera looks at the capture volume around the world origin (Z up,
    # cameras ~1.7-2.1 m high) and its image "down" points to world -Z.
    for cam in cams.values():
        origin_cam = cam.to_camera(np.array([0.0, 0.0, 1.0]))
        assert origin_cam[2] > 2.0
        assert np.hypot(*(cam.project(np.array([0.0, 0.0, 1.0])) - cam.K[:2, 2])) < 600
        assert cam.R[1] @ np.array([0.0, 0.0, -1.0]) > 0.8


@pytest.mark.parametrize("name", ["calib.toml", "calib.yml", "calib.json", "calib.qca.txt"])
def test_round_trip(tmp_path, name):
    cams = _cams()
    path = tmp_path / name
    save_calibration(path, cams)
    back = load_calibration(path)
    assert list(back) == list(cams)
    for key, cam in cams.items():
        got = back[key]
        assert (got.width, got.height) == (cam.width, cam.height)
        for attr in ("K", "R", "t"):
            assert np.allclose(getattr(got, attr), getattr(cam, attr), rtol=0, atol=1e-12), attr
        assert np.allclose(got.dist[: cam.dist.size], cam.dist, rtol=0, atol=1e-15)


def test_real_qualisys_converts_to_every_format(tmp_path):
    cams = read_qualisys(QCA)
    X = np.array([[0.1, -0.2, 1.0], [0.3, 0.1, 0.2]])
    for name in ("a.toml", "a.yaml", "a.json", "a.qca.txt"):
        save_calibration(tmp_path / name, cams)
        back = load_calibration(tmp_path / name)
        for key, cam in cams.items():
            assert np.abs(back[key].project(X) - cam.project(X)).max() < 1e-9


def test_detection_by_content(tmp_path):
    cams = _cams()
    for fmt, name in (("toml", "x.toml"), ("opencv", "x.yml"), ("opencv", "x.json"),
                      ("qualisys", "x.qca.txt")):
        save_calibration(tmp_path / name, cams)
        renamed = tmp_path / f"renamed_{fmt}_{name.split('.')[-1]}.dat"
        renamed.write_bytes((tmp_path / name).read_bytes())
        assert detect_format(renamed) == fmt
        assert list(load_calibration(renamed)) == list(cams)


def test_opencv_sample_single_camera(tmp_path):
    path = tmp_path / "out_camera_data.yml"
    path.write_text(
        "%YAML:1.0\n---\nimage_width: 640\nimage_height: 480\n"
        "camera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n"
        "   data: [ 500., 0., 320., 0., 505., 240., 0., 0., 1. ]\n"
        "distortion_coefficients: !!opencv-matrix\n   rows: 5\n   cols: 1\n   dt: d\n"
        "   data: [ -0.2, 0.05, 0., 0., 0. ]\n"
    )
    cams = load_calibration(path)
    cam = cams["out_camera_data"]
    assert (cam.width, cam.height) == (640, 480) and cam.K[1, 1] == 505.0
    assert np.array_equal(cam.R, np.eye(3)) and cam.dist[0] == -0.2


def _malformed(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


QCA_TEXT = QCA.read_text()


@pytest.mark.parametrize(
    ("name", "make", "field"),
    [
        ("bad.qca.txt", lambda: QCA_TEXT.replace('r11="0.5536380477336265"', 'r11="abc"'),
         "camera[cam01].transform@r11"),
        ("bad.qca.txt", lambda: QCA_TEXT.replace('focalLengthU="107599.671875" ', ""),
         "camera[cam01].intrinsic@focalLengthU"),
        ("bad.qca.txt", lambda: QCA_TEXT.replace('r11="0.5536380477336265"', 'r11="0.9"'),
         "camera[cam01].transform@r11..r33"),
        ("bad.qca.txt", lambda: QCA_TEXT[:500], "bad.qca.txt"),
        ("bad.toml", lambda: '[cam_1]\nname = "a"\nsize = [10.0, 10.0]\n'
         'matrix = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]\ndistortions = [0.0, 0.0, 0.0, 0.0]\n'
         'rotation = [0.0, 0.0, 0.0]\ntranslation = [0.0, 0.0, 0.0]\n', "[cam_1].matrix"),
        ("bad.toml", lambda: '[cam_1]\nname = "a"\nsize = [10.0, 10.0]\n'
         'matrix = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]\n'
         'distortions = [0.0, 0.0, 0.0, 0.0]\nrotation = [0.0, 0.0, 0.0]\n', "[cam_1].translation"),
        ("bad.toml", lambda: "[cam_1\nname = 3\n", "bad.toml"),
        ("bad.yml", lambda: "%YAML:1.0\n---\ncameras:\n   -\n      name: a\n      width: 10\n"
         "      height: 10\n", "cameras[0].K"),
        ("bad.yml", lambda: "%YAML:1.0\n---\ncameras: [ 1, \n", "bad.yml"),
        ("bad.json", lambda: '{"cameras": [{"name": "a", "width": "ten", "height": 5}]}',
         "cameras[0]"),
    ],
)
def test_malformed_files_name_file_and_field(tmp_path, name, make, field):
    path = _malformed(tmp_path, name, make())
    with pytest.raises(InvalidInputError) as info:
        load_calibration(path)
    message = str(info.value)
    assert name in message and field in message, message


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InvalidInputError, match=r"nope\.toml"):
        load_calibration(tmp_path / "nope.toml")
    with pytest.raises(InvalidInputError, match=r"weird\.bin"):
        load_calibration(_malformed(tmp_path, "weird.bin", "hello world"))
    with pytest.raises(InvalidInputError, match="extension"):
        save_calibration(tmp_path / "x.bin", _cams())


def test_toml_metadata_round_trip(tmp_path):
    import tomllib

    meta = {"error": 0.0734, "warnings": ['square "30" m'], "pairs_used": 2,
            "pairs": [{"index": 0, "status": "used", "error_px": 0.05},
                      {"index": 1, "status": "blurred", "error_px": float("nan")}]}
    save_calibration(tmp_path / "rig.toml", _cams(), metadata=meta)
    doc = tomllib.loads((tmp_path / "rig.toml").read_text())["metadata"]
    assert doc["adjusted"] is False and doc["error"] == 0.0734
    assert doc["warnings"] == ['square "30" m'] and doc["pairs_used"] == 2
    assert doc["pairs"][0] == {"index": 0, "status": "used", "error_px": 0.05}
    assert np.isnan(doc["pairs"][1]["error_px"])
    assert set(load_calibration(tmp_path / "rig.toml")) == set(_cams())  # cameras unchanged
    save_calibration(tmp_path / "rig.yml", _cams(), metadata=meta)  # no place there: ignored
    assert set(load_calibration(tmp_path / "rig.yml")) == set(_cams())

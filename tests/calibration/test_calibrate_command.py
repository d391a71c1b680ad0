"""`posearena calibrate` end to end on rendered image files, and every bad input it refuses.

Each bad input must be refused with one line `posearena calibrate: error: ...` and exit 2
before a single corner is detected (the detector is replaced by one that fails the test).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import tomllib
from _helpers.checkerboard_render import SQUARE_M, T_RIGHT, render_pairs, with_bad_pairs

from posearena.calibration import load_calibration
from posearena_gateway.cli import main
from posearena_gateway.commands._calibrate_inputs import parse_length_m

N_GOOD = 12


def _write(folder: Path, images: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for i, img in enumerate(images):
        cv2.imwrite(str(folder / f"{i:03d}.png"), img)
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    """L/ and R/ with the 12 good and 3 bad pairs as PNG files."""
    root = tmp_path_factory.mktemp("calib")
    _, _, pairs = render_pairs(N_GOOD)
    imgs_l, imgs_r = with_bad_pairs(pairs)
    return _write(root / "L", imgs_l), _write(root / "R", imgs_r)


def _argv(left: Path, right: Path, out: Path, square: str = "30mm", board: str = "9x6"):
    return ["calibrate", "--left", str(left), "--right", str(right), "--board", board,
            "--square", square, "--output", str(out)]


@pytest.fixture(scope="module")
def run(folders, tmp_path_factory):
    """One calibration through the CLI: (exit status, stdout, stderr, output folder)."""
    out = tmp_path_factory.mktemp("out")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(_argv(*folders, out / "rig.toml"))
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_writes_calibration_with_errors_in_metadata(run):
    code, _, _, out = run
    assert code == 0
    cams = load_calibration(out / "rig.toml")
    assert set(cams) == {"left", "right"}
    baseline = np.linalg.norm(cams["right"].center - cams["left"].center)
    assert baseline == pytest.approx(np.linalg.norm(T_RIGHT), abs=1e-3)  # 30mm read as 0.03 m
    meta = tomllib.loads((out / "rig.toml").read_text())["metadata"]
    assert 0.0 < meta["error"] < 0.2  # the stereo RMS, px (was always 0.0)
    assert 0.0 < meta["error_left_px"] < 0.2 and 0.0 < meta["error_right_px"] < 0.2
    assert meta["pairs_used"] == N_GOOD and meta["pairs_total"] == N_GOOD + 3
    assert meta["square_m"] == pytest.approx(SQUARE_M)
    pairs = meta["pairs"]
    assert [p["status"] for p in pairs[N_GOOD:]] == ["blurred", "outlier error",
                                                     "board not found"]
    assert all(0 < p["error_px"] < 0.3 for p in pairs[:N_GOOD])
    assert "error_px" not in pairs[N_GOOD + 2] and pairs[N_GOOD + 2]["reason"]  # no nan


def test_prints_dropped_pairs_errors_and_advice(run):
    _, stdout, stderr, _ = run
    assert f"{N_GOOD} of {N_GOOD + 3} pairs used" in stdout
    assert f"pair {N_GOOD} ({N_GOOD:03d}.png): blurred: right view" in stdout
    assert f"pair {N_GOOD + 1} ({N_GOOD + 1:03d}.png): outlier error:" in stdout
    assert f"pair {N_GOOD + 2} ({N_GOOD + 2:03d}.png): board not found: right view" in stdout
    assert "pair 0 (000.png): 0.0" in stdout  # every used pair's error
    assert "right camera: boards cover" in stdout and "re-shoot:" in stdout
    assert "WARNING" not in stderr


def test_writes_coverage_picture_and_quality_json(run):
    _, _, _, out = run
    img = cv2.imread(str(out / "rig.coverage.png"))
    assert img is not None and img.shape[1] > 2 * 600 and img.shape[0] > 400
    # boards were drawn: the left panel is far from its plain background
    assert len(np.unique(img[:, :640].reshape(-1, 3), axis=0)) > 50
    doc = json.loads((out / "rig.quality.json").read_text())
    assert doc["pairs_used"] == N_GOOD and len(doc["pairs"]) == N_GOOD + 3
    assert doc["cameras"]["right"]["regions_without_corners"] == ["top-right", "right",
                                                                  "bottom-right"]
    assert 0 < doc["cameras"]["left"]["coverage_area"] < 1
    assert doc["pairs"][N_GOOD]["blur_right_px"] > 2
    assert any("outlier error" in a for a in doc["advice"])


def test_square_units():
    assert parse_length_m("--square", "0.025") == pytest.approx(0.025)
    assert parse_length_m("--square", "0.025m") == pytest.approx(0.025)
    assert parse_length_m("--square", "2.5cm") == pytest.approx(0.025)
    assert parse_length_m("--square", "25mm") == pytest.approx(0.025)
    assert parse_length_m("--square", "25 MM") == pytest.approx(0.025)
    assert parse_length_m("--square", "25") == 25.0  # a bare number stays metres


def test_implausible_scale_is_warned_loudly(folders, tmp_path, capsys):
    left, right = folders
    few_l = _write(tmp_path / "l", [cv2.imread(str(left / f"{i:03d}.png")) for i in range(5)])
    few_r = _write(tmp_path / "r", [cv2.imread(str(right / f"{i:03d}.png")) for i in range(5)])
    assert main(_argv(few_l, few_r, tmp_path / "rig.toml", square="30")) == 0
    err = capsys.readouterr().err
    assert "WARNING: square size 30 m" in err and "--square 25mm" in err
    assert "WARNING: baseline 120." in err  # 1000x the 0.12 m rig
    meta = tomllib.loads((tmp_path / "rig.toml").read_text())["metadata"]
    assert len(meta["warnings"]) == 2


def _unwritable(tmp_path: Path) -> Path:
    d = tmp_path / "readonly"
    d.mkdir()
    d.chmod(0o555)
    if os.access(d, os.W_OK):  # root ignores permissions; /proc takes no new file
        return Path("/proc")
    return d


def _bad_cases(tmp_path: Path, left: Path, right: Path):
    """(argv, words the error line must hold) for every bad input."""
    out = tmp_path / "rig.toml"
    empty = tmp_path / "empty"
    empty.mkdir()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("no images here")
    broken = tmp_path / "broken"
    broken.mkdir()
    for i in range(N_GOOD + 3):
        (broken / f"{i:03d}.png").write_bytes((left / f"{i:03d}.png").read_bytes())
    (broken / "005.png").write_bytes(b"not a png at all")
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    for i in range(N_GOOD + 3):
        data = (right / f"{i:03d}.png").read_bytes()
        (truncated / f"{i:03d}.png").write_bytes(data[:len(data) // 2] if i == 9 else data)
    short = tmp_path / "short"
    short.mkdir()
    for i in range(N_GOOD + 2):
        (short / f"{i:03d}.png").write_bytes((right / f"{i:03d}.png").read_bytes())
    sizes = tmp_path / "sizes"
    sizes.mkdir()
    for i in range(N_GOOD + 3):
        img = cv2.imread(str(right / f"{i:03d}.png"))
        cv2.imwrite(str(sizes / f"{i:03d}.png"), img[:240] if i == 4 else img)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    return [
        (_argv(tmp_path / "nope", right, out), ["--left", "no such folder"]),
        (_argv(left, a_file, out), ["--right", "this is a file"]),
        (_argv(empty, right, out), ["--left", "holds none"]),
        (_argv(left, notes, out), ["--right", "holds none (1 other entries)"]),
        (_argv(broken, right, out), ["--left", "005.png", "readable image file"]),
        (_argv(left, truncated, out), ["--right", "009.png", "readable image file"]),
        (_argv(left, short, out), ["--right", "14 images", "only in --left: 014.png"]),
        (_argv(left, sizes, out), ["--right", "004.png is 640x240 px", "one image size"]),
        (_argv(left, left, out), ["--right", "a different folder"]),
        (_argv(left, right, out, board="9by6"), ["--board", "COLSxROWS"]),
        (_argv(left, right, out, board="2x6"), ["--board", "each >= 3"]),
        (_argv(left, right, out, square="abc"), ["--square", "25mm"]),
        (_argv(left, right, out, square="-0.025"), ["--square", "positive length"]),
        (_argv(left, right, out, square="0"), ["--square", "positive length"]),
        (_argv(left, right, out, square="25 furlongs"), ["--square"]),
        (_argv(left, right, out, square="inf"), ["--square"]),
        (_argv(left, right, tmp_path / "missing" / "rig.toml"), ["--output", "does not exist"]),
        (_argv(left, right, a_file / "rig.toml"), ["--output", "is a file, not a folder"]),
        (_argv(left, right, tmp_path / "rig.xyz"), ["--output", ".toml", ".qca.txt"]),
        (_argv(left, right, empty), ["--output", "this is a folder"]),
        (_argv(left, right, _unwritable(tmp_path) / "rig.toml"), ["--output", "can write"]),
        ([*_argv(left, right, out), "--names", "cam1"], ["--names"]),
    ]


def test_every_bad_input_is_refused_before_any_corner(folders, tmp_path, capsys, monkeypatch):
    def no_detection(*_a, **_k):
        raise AssertionError("corners detected before every input was checked")

    monkeypatch.setattr("posearena.calibration.stereo_calib.find_corners", no_detection)
    for argv, words in _bad_cases(tmp_path, *folders):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("posearena calibrate: error: ") and "\n" not in err, err
        for w in words:
            assert w in err, (argv, err)
    assert not list(tmp_path.glob("rig.*"))  # nothing written


def test_companion_files_share_the_calibration_stem(tmp_path):
    from posearena_gateway.commands._calibrate_inputs import output_paths

    for name in ("rig.toml", "rig.qca.txt", "rig.yml", "rig.JSON"):
        paths = output_paths(str(tmp_path / name))
        assert paths.calibration == tmp_path / name
        assert paths.coverage == tmp_path / "rig.coverage.png"
        assert paths.quality == tmp_path / "rig.quality.json"

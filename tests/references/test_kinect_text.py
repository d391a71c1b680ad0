"""Kinect v1/v2 skeleton text: round trips, version detection by column count, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.skeletons import convert
from posearena_gateway.references import read_kinect_text, write_kinect_text


@pytest.fixture(scope="module")
def kinect_v2(m07_kinect):
    """Real UI-PRMD Kinect joints re-expressed as Kinect v2 joints (m), some NaN."""
    return convert(m07_kinect.points, "uiprmd_kinect22", "kinect_v2_25")


@pytest.mark.parametrize("skeleton", ["kinect_v1_20", "kinect_v2_25"])
def test_round_trip_with_nan_and_irregular_timestamps(tmp_path, m07_kinect, skeleton):
    pts = convert(m07_kinect.points, "uiprmd_kinect22", skeleton)
    pts[5, 3] = np.nan
    rng = np.random.default_rng(1)
    ts = 12.5 + np.cumsum(rng.uniform(0.03, 0.04, len(pts)))  # Kinect's own clock, jittered
    path = tmp_path / "k.txt"
    write_kinect_text(path, pts, skeleton, 30.0, timestamps=ts, up_axis=(0, 0, 1), frame="lab")
    seq = read_kinect_text(path)
    assert seq.skeleton == skeleton and seq.fps == 30.0 and seq.frame == "lab"
    assert np.allclose(seq.up_axis, [0, 0, 1])
    assert np.allclose(seq.timestamps, ts, atol=1e-6)
    assert np.array_equal(np.isnan(seq.points), np.isnan(pts))
    assert np.nanmax(np.abs(seq.points - pts)) <= 5.001e-7  # 6 decimals in m


@pytest.mark.parametrize(("sep", "skeleton"), [(" ", "kinect_v1_20"), (",", "kinect_v2_25")])
def test_headerless_file_detected_by_columns(tmp_path, m07_kinect, sep, skeleton):
    pts = convert(m07_kinect.points, "uiprmd_kinect22", skeleton)
    pts = np.nan_to_num(pts, nan=0.0)
    ts = np.arange(len(pts)) / 30.0
    flat = pts.reshape(len(pts), -1)
    lines = [sep.join(f"{v:.6f}" for v in [t, *row]) for t, row in zip(ts, flat, strict=True)]
    path = tmp_path / "plain.txt"
    path.write_text("# exported by hand\n" + "\n".join(lines) + "\n")
    seq = read_kinect_text(path)
    assert seq.skeleton == skeleton and seq.points.shape == pts.shape
    assert seq.fps == pytest.approx(30.0, rel=1e-4)  # from the median timestamp step
    assert np.allclose(seq.up_axis, [0, 1, 0])  # Kinect camera frame by default


def test_wrong_column_count_names_line_and_expected(tmp_path, kinect_v2):
    path = tmp_path / "bad.txt"
    rows = [" ".join(["0.1"] * 76), " ".join(["0.2"] * 76), " ".join(["0.3"] * 70)]
    path.write_text("# skeleton: kinect_v2_25\n" + "\n".join(rows) + "\n")
    with pytest.raises(InvalidInputError) as err:
        read_kinect_text(path)
    assert "line 4" in str(err.value) and "70 columns" in str(err.value)
    path.write_text(" ".join(["0"] * 50) + "\n")
    with pytest.raises(InvalidInputError, match=r"line 1.*61 columns .* or 76"):
        read_kinect_text(path)


def test_header_must_agree_with_columns(tmp_path, kinect_v2):
    path = tmp_path / "k.txt"
    write_kinect_text(path, kinect_v2, "kinect_v2_25", 30.0)
    text = path.read_text().replace("skeleton: kinect_v2_25", "skeleton: kinect_v1_20")
    path.write_text(text)
    with pytest.raises(InvalidInputError, match="kinect_v2_25"):
        read_kinect_text(path)


def test_bad_timestamps_and_values(tmp_path):
    path = tmp_path / "k.txt"
    row = " ".join(["0.5"] * 60)
    path.write_text(f"0.0 {row}\n0.1 {row}\n0.1 {row}\n")
    with pytest.raises(InvalidInputError, match="frame 2"):
        read_kinect_text(path)
    path.write_text(f"0.0 {row}\n0.1 {row.replace('0.5', 'abc', 1)}\n")
    with pytest.raises(InvalidInputError, match="line 2"):
        read_kinect_text(path)
    with pytest.raises(InvalidInputError, match="skeleton"):
        write_kinect_text(path, np.zeros((3, 17, 3)), "h36m17", 30.0)

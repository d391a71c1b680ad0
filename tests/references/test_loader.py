"""`load_reference` / `detect_format`: specs, format detection from content, bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.skeletons import convert
from posearena_gateway.exporters import write_npz, write_trc
from posearena_gateway.references import (
    detect_format,
    load_reference,
    split_spec,
    write_kinect_text,
)

from .conftest import DATA, kinect_positions, vicon_positions


@pytest.fixture(scope="module")
def files(tmp_path_factory, m07_kinect, m07_vicon):
    d = tmp_path_factory.mktemp("refs")
    out = {"uiprmd_kinect": kinect_positions("m07"), "uiprmd_vicon": vicon_positions("m07")}
    for sk, name in (("kinect_v1_20", "v1.txt"), ("kinect_v2_25", "v2.txt")):
        write_kinect_text(d / name, convert(m07_kinect.points, "uiprmd_kinect22", sk), sk, 30.0)
    out["kinect_v1"], out["kinect_v2"] = d / "v1.txt", d / "v2.txt"
    write_trc(d / "j.trc", m07_vicon.points, "h36m17", 100.0)
    write_npz(d / "p.npz", m07_vicon.points, "h36m17", 100.0, "vicon world (Z up)", (0, 0, 1))
    out["trc"], out["npz"], out["dir"] = d / "j.trc", d / "p.npz", d
    return out


@pytest.mark.parametrize(
    ("key", "fmt", "skeleton"),
    [
        ("uiprmd_kinect", "uiprmd_kinect", "uiprmd_kinect22"),
        ("uiprmd_vicon", "uiprmd_vicon", "h36m17"),
        ("kinect_v1", "kinect_text", "kinect_v1_20"),
        ("kinect_v2", "kinect_text", "kinect_v2_25"),
        ("trc", "trc", "h36m17"),
        ("npz", "npz", "h36m17"),
    ],
)
def test_detect_and_load_bare_files(files, key, fmt, skeleton):
    assert detect_format(files[key]) == fmt
    seq = load_reference(str(files[key]))
    assert seq.skeleton == skeleton and seq.num_frames > 50


def test_prefixed_specs(files, m07_kinect, m07_vicon):
    k = load_reference(f"kinect:{files['uiprmd_kinect']}")
    assert np.array_equal(k.points, m07_kinect.points)
    v = load_reference(f"mocap:{files['uiprmd_vicon']}")
    assert np.array_equal(v.points, m07_vicon.points)
    assert load_reference(f"KINECT:{files['kinect_v2']}").skeleton == "kinect_v2_25"
    assert load_reference(f"mocap:{files['trc']}").frame.startswith("trc file frame (Z up")
    assert split_spec("mocap:/a/b.trc") == ("mocap", Path("/a/b.trc"))
    assert split_spec("/a/b.trc") == (None, Path("/a/b.trc"))


def test_kind_must_match_content(files):
    with pytest.raises(InvalidInputError, match="uiprmd_vicon"):
        load_reference(f"kinect:{files['uiprmd_vicon']}")
    with pytest.raises(InvalidInputError, match="kinect_text"):
        load_reference(f"mocap:{files['kinect_v2']}")
    with pytest.raises(InvalidInputError, match="kinect"):
        load_reference(f"openpose:{files['trc']}")


def test_unknown_column_count_names_file_line_and_expected(files):
    path = files["dir"] / "weird.csv"
    path.write_text("# a comment\n\n" + ",".join(["1"] * 12) + "\n")
    with pytest.raises(InvalidInputError) as err:
        load_reference(str(path))
    msg = str(err.value)
    assert str(path) in msg and "line 3" in msg and "12 columns" in msg and "117" in msg


def test_bad_files(files):
    with pytest.raises(InvalidInputError, match="existing file"):
        load_reference(str(files["dir"] / "nope.txt"))
    empty = files["dir"] / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(InvalidInputError, match="data line"):
        load_reference(str(empty))
    with pytest.raises(InvalidInputError, match="positions file, not the angles"):
        load_reference(str(DATA / "Kinect" / "Angles" / "m07_s01_e01_angles.txt.gz"))
    not_gz = files["dir"] / "broken_positions.txt.gz"
    not_gz.write_text("not gzip")
    with pytest.raises(InvalidInputError, match="readable"):
        load_reference(str(not_gz))
    lonely = files["dir"] / "m07_s01_e01_positions.txt.gz"
    with gzip.open(kinect_positions("m07"), "rb") as fi:
        lonely.write_bytes(gzip.compress(fi.read()))
    with pytest.raises(InvalidInputError, match=r"m07_s01_e01_angles\.txt\.gz"):
        load_reference(f"kinect:{lonely}")
    with pytest.raises(InvalidInputError, match="reference"):
        load_reference("  ")

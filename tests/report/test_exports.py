"""Exports written by write_report read back through the readers, values intact."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.skeletons import convert
from posearena_gateway.exporters import read_csv, read_openpose_json
from posearena_gateway.references import read_kinect_text, read_trc_reference
from posearena_gateway.references.pose_npz import read_npz
from posearena_gateway.report import write_report

from .conftest import build_run


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    run = build_run(tmp_path_factory.mktemp("exports"), frames=45)
    run.results["alpha+videopose3d"].points[3, 5] = np.nan  # a missing joint must stay missing
    write_report(run.rd, run.metrics, run.comparisons, run.reference, run.results, run.videos)
    seqs = {"reference": run.reference} | run.results
    return run, seqs


STEMS = {"reference": "reference", "alpha+videopose3d": "alpha_videopose3d",
         "beta+stereo": "beta_stereo", "gamma-world": "gamma-world"}


@pytest.mark.parametrize("name", list(STEMS))
def test_npz_csv_trc_round_trip(exported, name):
    run, seqs = exported
    seq, stem = seqs[name], run.rd.exports / STEMS[name]
    back = read_npz(stem.with_suffix(".npz"))
    np.testing.assert_array_equal(back.points, seq.points)
    assert (back.skeleton, back.fps, back.frame) == (seq.skeleton, seq.fps, seq.frame)
    np.testing.assert_allclose(back.up_axis, seq.up_axis)
    np.testing.assert_allclose(back.times(), np.arange(seq.num_frames) / seq.fps)
    csv = read_csv(stem.with_suffix(".csv"))
    assert csv.skeleton == seq.skeleton and csv.fps == pytest.approx(seq.fps)
    np.testing.assert_allclose(csv.points, seq.points, atol=1e-6)  # NaN compare equal
    trc = read_trc_reference(stem.with_suffix(".trc"), up_axis=seq.up_axis)
    assert trc.skeleton == seq.skeleton and trc.fps == pytest.approx(seq.fps)
    np.testing.assert_allclose(trc.points, seq.points, atol=1e-5)


@pytest.mark.parametrize("name", list(STEMS))
def test_kinect_text_round_trip(exported, name):
    run, seqs = exported
    seq = seqs[name]
    kin = read_kinect_text(run.rd.exports / f"{STEMS[name]}.kinect.txt")
    assert kin.skeleton == "kinect_v2_25" and kin.fps == pytest.approx(seq.fps)
    np.testing.assert_allclose(kin.timestamps, np.arange(seq.num_frames) / seq.fps, atol=1e-6)
    want = convert(seq.points, seq.skeleton, "kinect_v2_25")
    assert np.isfinite(want).all(-1).any(-1).all()  # some joints do map, in every frame
    np.testing.assert_allclose(kin.points, want, atol=1e-5)
    assert kin.frame == seq.frame
    np.testing.assert_allclose(kin.up_axis, seq.up_axis)


def test_openpose_json_of_the_detections(exported):
    run, _ = exported
    (_, dets), = run.videos.values()
    folder = run.rd.exports / "openpose_json" / "alpha_cam01"
    assert len(list(folder.glob("*_keypoints.json"))) == dets.num_frames
    back = read_openpose_json(folder, fps=dets.fps)
    want = convert(dets.keypoints.astype(np.float64), dets.skeleton, "body25")
    np.testing.assert_allclose(back.keypoints, want, atol=1e-4)


def test_exports_are_listed_in_the_report(exported):
    run, _ = exported
    html = (run.rd.root / "report.html").read_text()
    for stem in STEMS.values():
        for suffix in (".npz", ".csv", ".trc", ".kinect.txt"):
            assert f'href="exports/{stem}{suffix}"' in html
    assert 'href="overlays/alpha_cam01.mp4"' in html

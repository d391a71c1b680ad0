"""`posearena triangulate --all-people` on the real two-person recording (stored 2D tracks)."""

from __future__ import annotations

import numpy as np

from posearena.npzio import Detections, save_detections
from posearena_gateway.cli import main

from .conftest import DATA

TRACKS = DATA.parent / "tests" / "multiperson" / "data" / "pose2sim_multi_blazepose_2d.npz"
CALIB = DATA / "pose2sim_multi" / "Calib.qca.txt"


def _inputs(tmp_path, slots=None):
    z = np.load(TRACKS)
    args = []
    for c, cam in enumerate(z["cameras"]):
        k, s = z["keypoints"][c], z["scores"][c].astype(np.float32)
        if slots is not None:
            k, s = k[:, slots], s[:, slots]
        ps = np.where(np.isfinite(k).all(-1).any(-1), 0.9, np.nan)
        det = Detections(k, s, ps, "blazepose33", float(z["fps"]), 1088, 1920,
                         track_ids=z["track_ids"][c][slots if slots is not None else slice(None)])
        save_detections(tmp_path / f"{cam}.npz", det)
        args += ["--input", str(tmp_path / f"{cam}.npz")]
    return args, ",".join(z["cameras"])


def test_both_people_are_associated_and_triangulated(tmp_path, capsys):
    inputs, cams = _inputs(tmp_path)
    out = tmp_path / "all.npz"
    assert main(["triangulate", "--all-people", "--calib", str(CALIB), "--cameras", cams,
                 *inputs, "--output", str(out)]) == 0
    r = np.load(out)
    assert r["points_3d"].shape[:2] == (100, 2) and r["person_tracks"].shape == (2, 4)
    body = [11, 12, 23, 24, 25, 26, 27, 28]
    found = np.isfinite(r["points_3d"][:, :, body]).all(-1).all(-1).mean(axis=0)
    assert (found >= 0.95).all(), found  # each person in >= 95% of the frames
    # two different bodies: their pelvises stay apart in every frame where both exist
    pelvis = r["points_3d"][:, :, [23, 24]].mean(axis=2)
    gap = np.linalg.norm(pelvis[:, 0] - pelvis[:, 1], axis=-1)
    assert np.nanmin(gap) > 0.3
    # each person stands: shoulders ~1.1-1.6 m above ankles (world Z up)
    z = r["points_3d"][..., 2]
    drop = np.nanmedian(z[:, :, [11, 12]], axis=(0, 2)) - np.nanmedian(z[:, :, [27, 28]],
                                                                        axis=(0, 2))
    assert ((drop > 1.0) & (drop < 1.7)).all(), drop
    assert "2 people triangulated" in capsys.readouterr().out


def test_without_all_people_the_patient_is_chosen(tmp_path, capsys):
    inputs, cams = _inputs(tmp_path)
    out = tmp_path / "one.npz"
    assert main(["triangulate", "--person", "longest", "--calib", str(CALIB), "--cameras", cams,
                 *inputs, "--output", str(out)]) == 0
    assert np.load(out)["points_3d"].shape == (100, 33, 3)
    assert "longest" in capsys.readouterr().out


def test_unknown_person_id_lists_the_tracks(tmp_path, capsys):
    inputs, cams = _inputs(tmp_path)
    code = main(["triangulate", "--person", "99", "--calib", str(CALIB), "--cameras", cams,
                 *inputs, "--output", str(tmp_path / "x.npz")])
    assert code == 2 and "99" in capsys.readouterr().err

"""Causal lifting in the gateway: every step before and after the network uses only frames
<= t, checked by appending frames and asking earlier outputs to stay bit-identical, step by
step and end to end through `posearena lift --causal` and its service."""

from __future__ import annotations

import numpy as np

from posearena.calibration import load_calibration, virtual_view
from posearena.npzio import Detections, save_detections
from posearena.skeletons import convert
from posearena_gateway.cli import main
from posearena_gateway.pipelines.catalog import PIPELINES
from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_gateway.pipelines.stage_kinds import Lift
from posearena_gateway.tracking.leftright import resolve_left_right_2d

from .conftest import DATA
from .test_leftright_2d import L_ALL, R_ALL, _swap, _walker

FIXTURE = DATA.parent / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def _cam01_coco() -> tuple[np.ndarray, int, int, float]:
    """cam01 of the committed BlazePose fixture as COCO-17 (100, 17, 2) px, w, h, fps."""
    z = np.load(FIXTURE)
    kp = convert(z["keypoints"][0], "blazepose33", "coco17")
    return kp, int(z["width"][0]), int(z["height"][0]), float(z["fps"])


def test_causal_label_fix_never_revises_the_past() -> None:
    clean = _walker(150)
    bad = _swap(clean, slice(40, 71), L_ALL, R_ALL)  # whole body mirrored from frame 40
    full = resolve_left_right_2d(bad, "coco17", causal=True)
    for n in (20, 41, 45, 70, 100):
        part = resolve_left_right_2d(bad[:n], "coco17", causal=True)
        np.testing.assert_array_equal(part.keypoints, full.keypoints[:n])
        np.testing.assert_array_equal(part.swapped, full.swapped[:n])
    # still undoes the mirrored stretch, deciding each frame as it arrives
    np.testing.assert_allclose(full.keypoints, clean, atol=1e-4)
    # the smoothing (non-causal) fix is what looks ahead: a stretch that starts mirrored is
    # only recognised once later frames show the labels flip back
    starts_bad = _swap(clean, slice(0, 30), L_ALL, R_ALL)
    head = resolve_left_right_2d(starts_bad[:20], "coco17").keypoints
    whole = resolve_left_right_2d(starts_bad, "coco17").keypoints[:20]
    assert not np.array_equal(head, whole)


def test_virtual_camera_aimed_at_the_first_frame_is_causal(demo_calib) -> None:
    cam = load_calibration(demo_calib)["cam01"]
    kp, w, h, _ = _cam01_coco()
    kp[:3] = np.nan  # the person appears in frame 3
    first = virtual_view(cam, kp, image_size=(w, h), aim="first")
    for n in (4, 30, 60):
        part = virtual_view(cam, kp[:n], image_size=(w, h), aim="first")
        np.testing.assert_array_equal(part.keypoints, first.keypoints[:n])
        np.testing.assert_array_equal(part.rotation, first.rotation)
    # aimed at every frame's mean ray, the first 60 frames move when 40 more arrive
    a = virtual_view(cam, kp[:60], image_size=(w, h)).keypoints
    b = virtual_view(cam, kp, image_size=(w, h)).keypoints[:60]
    assert np.nanmax(np.abs(a - b)) > 1.0
    # the first frame's aim is still a levelled view: x axis horizontal in the world
    x_world = cam.R.T @ first.rotation[0]
    assert abs(x_world[2]) < 1e-9


def test_prepared_lift_input_is_causal(demo_calib) -> None:
    cam = load_calibration(demo_calib)["cam01"]
    kp, w, h, _ = _cam01_coco()
    kp = _swap(kp, slice(70, 100), [5, 7, 9, 11, 13, 15], [6, 8, 10, 12, 14, 16])
    full = prepare_lift_input(kp, w, h, cam, causal=True)
    for n in (10, 60, 75):
        part = prepare_lift_input(kp[:n], w, h, cam, causal=True)
        np.testing.assert_array_equal(part.keypoints, full.keypoints[:n])
        np.testing.assert_array_equal(part.to_camera(np.ones((n, 17, 3))),
                                      full.to_camera(np.ones((100, 17, 3)))[:n])
    assert full.relabelled >= 25 and "first detected frame" in full.how
    assert "forward pass" in full.causal_steps
    assert prepare_lift_input(kp, w, h, cam).causal_steps == ""


def test_posearena_lift_causal_end_to_end(tmp_path, demo_calib, capsys) -> None:
    z = np.load(FIXTURE)
    k = z["keypoints"][0].copy()
    vis = z["visibility"][0]
    k[90:100, [15, 16]] = k[90:100, [16, 15]]  # BlazePose mirrors the wrists late in the clip
    k[55:62, 15] = np.nan  # a wrist gap across the split point
    w, h, fps = int(z["width"][0]), int(z["height"][0]), float(z["fps"])
    outs = {}
    for n in (60, 100):
        det = Detections(k[:n, None], vis[:n, None], np.ones((n, 1)), "blazepose33", fps, w, h)
        save_detections(tmp_path / f"in{n}.npz", det)
        for causal in (True, False):
            out = tmp_path / f"out{n}{'c' if causal else ''}.npz"
            args = ["lift", "--input", str(tmp_path / f"in{n}.npz"), "--output", str(out),
                    "--calib", str(demo_calib), "--camera", "cam01"]
            assert main(args + (["--causal"] if causal else [])) == 0
            outs[n, causal] = np.load(out)
    c60, c100 = outs[60, True], outs[100, True]
    assert bool(c100["causal"]) and str(c100["model"]).endswith("causal.pt")
    assert "causal" in capsys.readouterr().out
    np.testing.assert_array_equal(c60["poses_3d"], c100["poses_3d"][:60])
    np.testing.assert_array_equal(c60["interpolated"], c100["interpolated"][:60])
    assert np.isfinite(c100["poses_3d"]).all()
    # without --causal the same 60 frames change (interpolation, smoothing, aim, model)
    s60, s100 = outs[60, False]["poses_3d"], outs[100, False]["poses_3d"][:60]
    assert np.median(np.linalg.norm(s60 - s100, axis=-1)) > 1e-3
    assert str(outs[100, False]["model"]).endswith("default.pt")


def test_compare_offers_causal_lifting_pipelines() -> None:
    spec = PIPELINES["blazepose+videopose3d-causal"]
    assert isinstance(spec.stage, Lift) and spec.stage.causal
    assert "causal" in spec.description and not PIPELINES["blazepose+videopose3d"].stage.causal

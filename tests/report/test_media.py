"""Overlay videos and the 3D skeleton animation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from posearena.errors import InvalidInputError
from posearena_gateway.report import animation, write_report
from posearena_gateway.report.animation import Panel, bones_between, write_animation, z_up
from posearena_gateway.report.overlay import write_overlay
from posearena_gateway.video import iter_frames

from .conftest import build_run, walking_h36m17


def _frames(path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


def test_overlay_has_every_frame_and_draws_the_keypoints(tmp_path):
    run = build_run(tmp_path, frames=30)
    write_report(run.rd, run.metrics, run.comparisons, run.reference, run.results, run.videos)
    frames = _frames(run.rd.root / "overlays" / "alpha_cam01.mp4")
    (video, dets), = run.videos.values()
    assert len(frames) == dets.num_frames == len(_frames(video)) == 30
    assert frames[0].shape == (240, 320, 3)
    for t in (0, 17, 29):
        u, v = np.round(dets.keypoints[t, 0, 11]).astype(int)  # left hip, a drawn joint
        assert frames[t][v - 1:v + 2, u - 1:u + 2].mean() > 120  # white joint dot
    # the input is kept elsewhere: dark background away from the walker, the grey marker
    assert frames[5][100:140, 200:260].mean() < 40
    assert 70 < frames[5][8:13, 302:308].mean() < 110


def test_overlay_stops_at_the_shorter_of_video_and_detections(tmp_path):
    run = build_run(tmp_path, frames=20, video_frames=12)
    (video, dets), = run.videos.values()
    out = write_overlay(video, dets, tmp_path / "o.mp4")
    assert len(_frames(out)) == 12
    big = write_overlay(video, dets, tmp_path / "small.mp4", max_side=160)
    assert _frames(big)[0].shape == (120, 160, 3)
    with pytest.raises(InvalidInputError, match="min_score"):
        write_overlay(video, dets, tmp_path / "x.mp4", min_score=2.0)


def test_unreadable_video_becomes_a_note(tmp_path):
    run = build_run(tmp_path, frames=15)
    (_, dets), = run.videos.values()
    path = write_report(run.rd, run.metrics, run.comparisons, run.reference, run.results,
                        {"cam9": (str(tmp_path / "missing.mp4"), dets)})
    assert "overlay of cam9 not written: InvalidInputError" in path.read_text()


def test_animation_gif_is_subsampled_to_100_frames(tmp_path):
    ref = walking_h36m17(150)
    panel = Panel("walker", z_up(ref, np.array([0.0, 0.0, 1.0])),
                  bones_between("h36m17", tuple(f"{j}" for j in _h36m())), "black")
    path = write_animation([panel], 30.0, tmp_path / "anim", max_frames=100)
    assert path.suffix == ".gif"
    with Image.open(path) as im:
        assert im.n_frames == 100
        # played at the recording's speed: 150 frames at 30 Hz = 5 s over 100 GIF frames
        assert im.info["duration"] == pytest.approx(5000 / 99, abs=10)


def test_animation_plays_at_the_recordings_speed_at_60_hz(tmp_path):
    ref = walking_h36m17(100)  # 1.65 s at 60 Hz: 50 GIF frames per second at most
    panel = Panel("walker", ref, bones_between("h36m17", _h36m()), "black")
    path = write_animation([panel], 60.0, tmp_path / "anim", max_frames=100)
    with Image.open(path) as im:
        assert im.n_frames == 83 and im.info["duration"] == 20


def test_rendered_panel_draws_each_bone_where_the_view_projects_it():
    pts = np.zeros((2, 2, 3))
    pts[:, 1, 2] = 1.0  # a vertical 1 m bone, the same in both frames
    pts[1] += [0.3, 0.0, 0.0]  # moved sideways in frame 1: the panel follows the body
    panel = Panel("bone", pts, [(1, 0)], "tab:red")
    frames = animation.render_frames([panel], np.arange(2), size_px=120)
    assert frames.shape == (2, 120, 120, 3)
    np.testing.assert_array_equal(frames[0], frames[1])
    centre, half = animation._limits([pts[[0, 0]]])  # both frames, followed, are frame 0
    (u0, v0), (u1, v1) = animation.project_panel(pts[0], centre, half, 120)
    assert v0 > v1 and abs(u0 - u1) < 1  # upright: the vertical bone is drawn vertical
    for a in np.linspace(0.1, 0.9, 5):  # red along the bone, white beside it
        u, v = round(u0 + a * (u1 - u0)), round(v0 + a * (v1 - v0))
        r, g, b = frames[0][v, u].astype(int)
        assert r > 150 and g < 100 and b < 100
        assert frames[0][v, min(u + 15, 119)].min() > 200


def test_animation_falls_back_to_mp4_without_pillow(tmp_path, monkeypatch):
    monkeypatch.setattr(animation, "pillow_available", lambda: False)
    ref = walking_h36m17(24)
    panel = Panel("walker", ref, bones_between("h36m17", _h36m()), "black", ghost=ref + 0.01)
    path = write_animation([panel, panel], 30.0, tmp_path / "anim", max_frames=10)
    assert path.suffix == ".mp4" and len(_frames(path)) == 10


def test_bones_skip_missing_joints_to_the_nearest_ancestor():
    names = ("hip", "left_knee", "left_foot", "thorax", "left_wrist")
    # left_knee's parent left_hip is absent -> hip; left_wrist -> elbow, shoulder absent -> thorax
    assert set(bones_between("h36m17", names)) == {(1, 0), (2, 1), (3, 0), (4, 3)}
    with pytest.raises(InvalidInputError):
        bones_between("h36m17", ("hip", "nose_tip"))


@pytest.mark.parametrize("up", [(0, 1, 0), (0, -1, 0), (0, 0, 1), (1, 1, 0)])
def test_z_up_maps_the_up_axis_to_z(up):
    u = np.asarray(up, float)
    r = z_up(np.stack([u / np.linalg.norm(u), [0.3, -0.2, 0.5]]), u)
    np.testing.assert_allclose(r[0], [0, 0, 1], atol=1e-12)
    assert np.linalg.norm(r[1]) == pytest.approx(np.linalg.norm([0.3, -0.2, 0.5]))


def _h36m() -> tuple[str, ...]:
    from posearena.skeletons import get_skeleton

    return get_skeleton("h36m17").joints


def test_one_decoding_thread_gives_the_same_frames() -> None:
    """The overlay decodes with one FFmpeg thread (`iter_frames(decoder_threads=1)`)."""
    clip = Path(__file__).resolve().parents[2] / "data" / "pose2sim_demo" / "videos" / "cam03.mp4"
    default = list(iter_frames(clip, max_frames=12))
    for threads in (1, 2):
        frames = list(iter_frames(clip, max_frames=12, decoder_threads=threads))
        assert len(frames) == len(default) == 12
        assert all(np.array_equal(a, b) for a, b in zip(frames, default, strict=True))

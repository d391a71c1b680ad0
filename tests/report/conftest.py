"""Honest synthetic inputs for the report: a walking h36m17 skeleton and noisy candidates.

The reference walks forward along +x in a Z-up world at 30 Hz (legs and arms swinging with a
1.1 s stride, so knee flexion repeats every 1.1 s). Candidates are the reference plus known
Gaussian noise, rotated into an OpenCV-like camera frame (y down) so that the comparison has
to align them; they go through the real `compare_sequences`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from posearena.npzio import Detections
from posearena.skeletons import convert, get_skeleton
from posearena_gateway.comparison import Comparison, compare_sequences
from posearena_gateway.comparison.pairwise import pairwise_differences
from posearena_gateway.references.sequence import Z_UP, Sequence3D
from posearena_gateway.rundir import RunDir

FPS = 30.0
STRIDE_S = 1.1
#: World (Z up) -> camera (x right, y down, z forward): camera looks along +y of the world.
W2C = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def _dir(angle: np.ndarray) -> np.ndarray:
    """Unit vectors in the sagittal (x forward, z up) plane, angle from -z towards +x."""
    return np.stack([np.sin(angle), np.zeros_like(angle), -np.cos(angle)], axis=-1)


def walking_h36m17(frames: int, fps: float = FPS) -> np.ndarray:
    """(T, 17, 3) m joint positions of a walker in a Z-up world, h36m17 order."""
    t = np.arange(frames) / fps
    w = 2 * np.pi / STRIDE_S
    names = get_skeleton("h36m17").joints
    pts = np.zeros((frames, 17, 3))
    pelvis = np.stack([1.2 * t, np.zeros_like(t), 0.95 + 0.02 * np.cos(2 * w * t)], axis=-1)
    at = {"hip": pelvis}
    for side, sy, ph in (("left", 0.1, 0.0), ("right", -0.1, np.pi)):
        hip = pelvis + np.array([0.0, sy, 0.0])
        flex = np.radians(25.0) * np.sin(w * t + ph)
        knee_flex = np.radians(30.0 - 30.0 * np.cos(w * t + ph + 0.5))
        knee = hip + 0.45 * _dir(flex)
        at[f"{side}_hip"], at[f"{side}_knee"] = hip, knee
        at[f"{side}_foot"] = knee + 0.43 * _dir(flex - knee_flex)
        sho = pelvis + np.array([0.0, 1.8 * sy, 0.5])
        arm = np.radians(-20.0) * np.sin(w * t + ph)
        elbow = sho + 0.30 * _dir(arm)
        at[f"{side}_shoulder"], at[f"{side}_elbow"] = sho, elbow
        at[f"{side}_wrist"] = elbow + 0.27 * _dir(arm + np.radians(25.0 + 10.0 * np.sin(w * t)))
    at["spine"] = pelvis + np.array([0.0, 0.0, 0.25])
    at["thorax"] = pelvis + np.array([0.0, 0.0, 0.5])
    at["neck_nose"] = pelvis + np.array([0.05, 0.0, 0.62])
    at["head"] = pelvis + np.array([0.0, 0.0, 0.72])
    for j, n in enumerate(names):
        pts[:, j] = at[n]
    return pts


def noisy_camera_candidate(ref: Sequence3D, sigma_m: float, seed: int, name: str) -> Sequence3D:
    """The reference plus N(0, sigma_m²) per coordinate, expressed in a camera frame (y down)."""
    rng = np.random.default_rng(seed)
    noisy = ref.points + rng.normal(0.0, sigma_m, ref.points.shape)
    cam = noisy @ W2C.T + [0.2, 0.3, 4.0]
    return Sequence3D(cam, "h36m17", ref.fps, "camera (OpenCV)", np.array([0.0, -1.0, 0.0]),
                      source=name)


@dataclass
class Run:
    """Everything `write_report` takes, built honestly."""

    rd: RunDir
    metrics: dict
    comparisons: dict[str, Comparison]
    reference: Sequence3D
    results: dict[str, Sequence3D]
    videos: dict[str, tuple[str, Detections]]
    sigmas: dict[str, float]


def synthetic_video(path: Path, ref: Sequence3D, frames: int, size: tuple[int, int] = (320, 240)
                    ) -> Detections:
    """Write a dark video of `frames` frames and return COCO-17 detections of the walker.

    The walker is projected orthographically (x -> u, z -> v) into the image, so the
    keypoints are genuine px positions; the video itself only holds a faint grey marker
    per frame so that its content is known.
    """
    w, h = size
    xz = ref.points[:frames][..., [0, 2]]
    span = float(np.ptp(xz[..., 0]))
    u = 40 + (xz[..., 0] - xz[..., 0].min()) * min(120.0, (w - 80) / max(span, 1e-6))
    v = h - 20 - xz[..., 1] * 110.0
    kp = convert(np.stack([u, v], axis=-1), "h36m17", "coco17")[:, None]  # (T, 1, 17, 2)
    scores = np.where(np.isfinite(kp).all(-1), 0.9, 0.0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (w, h))
    for _ in range(frames):
        img = np.full((h, w, 3), 20, np.uint8)
        cv2.rectangle(img, (w - 20, 5), (w - 10, 15), (90, 90, 90), -1)
        writer.write(img)
    writer.release()
    return Detections(kp, scores, np.full((frames, 1), 0.9), "coco17", FPS, w, h)


def build_run(root: Path, frames: int = 100, video_frames: int | None = None) -> Run:
    """A run with 3 compared pipelines, one failed and one skipped."""
    ref = Sequence3D(walking_h36m17(frames), "h36m17", FPS, "synthetic world (Z up)",
                     np.array(Z_UP), source="synthetic walker")
    sigmas = {"alpha+videopose3d": 0.010, "beta+stereo": 0.025, "gamma-world": 0.040}
    results = {n: noisy_camera_candidate(ref, s, i, n) for i, (n, s) in enumerate(sigmas.items())}
    comparisons = {n: compare_sequences(ref, r, synchronised=True, same_frame=False)
                   for n, r in results.items()}
    pipelines: dict[str, dict] = {
        n: {"status": "ok", "reason": "", **c.metrics} for n, c in comparisons.items()}
    pipelines["openpose+multiview"] = {"status": "failed",
                                       "reason": "UNAVAILABLE: openpose <service> exited (code 1)"}
    pipelines["detectron+stereo"] = {"status": "skipped", "reason": "needs >= 2 videos"}
    metrics = {"reference": {"kind": "file", "status": "ok", "reason": "", "skeleton": "h36m17",
                             "fps": FPS, "frame": ref.frame, "source": ref.source},
               "frames": frames, "fps": FPS, "cameras": ["cam01"],
               "notes": ["synthetic data & a <note> to escape"], "pipelines": pipelines,
               "pairwise": pairwise_differences(comparisons)}
    video = root / "input.mp4"
    dets = synthetic_video(video, ref, video_frames or frames)
    return Run(RunDir(root / "run"), metrics, comparisons, ref, results,
               {"alpha cam01": (str(video), dets)}, sigmas)


@pytest.fixture(scope="module")
def run_and_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    """A 3-pipeline x 100-frame run and its report (its time: bench/bench_report.py)."""
    from posearena_gateway.report import write_report

    run = build_run(tmp_path_factory.mktemp("report"))
    path = write_report(run.rd, run.metrics, run.comparisons, run.reference, run.results,
                        run.videos, title="walk <test> & co")
    return run, path

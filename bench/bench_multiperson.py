"""Multi-person BlazePose on the real two-person clip: frames/s, people found, identities.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_multiperson.py [--max-people 2] [--save OUT.npz]

Starts `posearena_blazepose.server` (its own venv) and runs `detect_video(max_people=2)`
(gRPC, raw frames, gateway tracker) on the four cameras of data/pose2sim_multi/. Prints per
camera: frames/s of the whole call (decode + send + service + tracking), frames where each
track is present, the number of tracks the gateway found (> 2: a person was split, i.e. an
identity was lost), and the largest frame-to-frame jump of each track's hip centre in px
(an identity switch jumps by the distance between the two people, hundreds of px), and the
CPU time per frame of this client process and of the service process (user + system, from
/proc: on a shared machine frames/s moves with the load, CPU ms/frame much less).
--save writes the cameras' keypoints (C, T, P, J, 2), scores and track ids to one .npz
(the fixture of tests/multiperson/test_association_real.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from posearena.skeletons import get_skeleton
from posearena_gateway.detection import detect_video
from posearena_gateway.runtime import EmbeddedServices

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT / "data" / "pose2sim_multi" / "videos"
CAMERAS = ("cam01", "cam02", "cam03", "cam04")


def hip_centre(kp: np.ndarray) -> np.ndarray:
    """(T, P, 33, 2) blazepose33 keypoints px -> (T, P, 2) midpoint of the hips px."""
    joints = get_skeleton("blazepose33").joints
    hips = [joints.index("left_hip"), joints.index("right_hip")]
    return kp[:, :, hips].mean(axis=2)


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` (None: this process) so far."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cameras(target: str, max_people: int, service_pid: int | None) -> dict:
    """detect_video on each camera through the service at `target`, printing its figures.

    Args:
        target: "host:port" of the BlazePose service.
        max_people: DetectOptions.max_people.
        service_pid: the service's process id (for its CPU time), None if unknown.

    Returns:
        {camera: Detections} with keypoints (T, P, 33, 2) px.
    """
    results = {}
    for cam in CAMERAS:
        t0, c0 = time.perf_counter(), cpu_s(None)
        s0 = cpu_s(service_pid) if service_pid else 0.0
        det = detect_video(target, VIDEOS / f"{cam}.mp4", max_people=max_people)
        dt = time.perf_counter() - t0
        client_ms = (cpu_s(None) - c0) * 1000 / det.num_frames
        service_ms = ((cpu_s(service_pid) - s0) * 1000 / det.num_frames if service_pid
                      else float("nan"))
        results[cam] = det
        hip = hip_centre(det.keypoints)
        present = np.isfinite(hip).all(axis=-1)
        jumps = np.linalg.norm(np.diff(hip, axis=0), axis=-1)
        biggest = [float(np.nanmax(jumps[:, p], initial=0.0)) for p in range(hip.shape[1])]
        print(
            f"{cam}: {det.num_frames / dt:5.1f} frames/s, tracks found "
            f"{int(det.extra['tracks_found'])}, frames present per slot "
            f"{present.sum(axis=0).tolist()} of {det.num_frames}, largest hip jump "
            f"{[round(b) for b in biggest]} px; CPU per frame: client {client_ms:.1f} ms, "
            f"service {service_ms:.1f} ms"
        )
    return results


def main() -> int:
    """Run the benchmark; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-people", type=int, default=2)
    ap.add_argument("--save", default=None)
    args = ap.parse_args()
    with EmbeddedServices(["blazepose"], fresh=True) as services:
        target = services.target("blazepose")
        if target is None:
            print(f"service did not start: {services.errors['blazepose']}")
            return 1
        pid = services.started[0].process.pid if services.started else None
        results = run_cameras(target, args.max_people, pid)
    if args.save:
        dets = [results[c] for c in CAMERAS]
        np.savez_compressed(
            args.save,
            cameras=np.array(CAMERAS),
            keypoints=np.stack([d.keypoints for d in dets]).astype(np.float32),
            scores=np.stack([d.scores for d in dets]).astype(np.float16),
            track_ids=np.stack([d.track_ids for d in dets]),
            fps=np.array(dets[0].fps),
        )
        print(f"saved {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

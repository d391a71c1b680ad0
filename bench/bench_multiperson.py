"""Multi-person BlazePose on the real two-person clip: frames/s, people found, identities.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_multiperson.py [--max-people 2] [--save OUT.npz]
    .venv/bin/python bench/bench_multiperson.py --baseline REV [--rounds 3]

Starts `posearena_blazepose.server` (its own venv) and runs `detect_video(max_people=2)`
(gRPC, raw frames, gateway tracker) on the four cameras of data/pose2sim_multi/. Prints per
camera: frames/s of the whole call (decode + send + service + tracking), frames where each
track is present, the number of tracks the gateway found (> 2: a person was split, i.e. an
identity was lost), and the largest frame-to-frame jump of each track's hip centre in px
(an identity switch jumps by the distance between the two people, hundreds of px), and the
CPU time per frame of this client process and of the service process (user + system, from
/proc: on a shared machine frames/s moves with the load, CPU ms/frame much less), the
busiest thread of each, and the frame rate those allow on 2 idle cores (`ThreadCpu`).
--save writes the cameras' keypoints (C, T, P, J, 2), scores and track ids to one .npz
(the fixture of tests/multiperson/test_association_real.py).
--baseline REV compares this working tree with git revision REV (its common/, gateway/ and
services/blazepose/ exported to a temporary folder and put first on PYTHONPATH of the client
and of the service it starts): each round runs both, one after the other in alternating
order, in fresh processes; per camera the lowest CPU ms/frame of the rounds is printed for
each (the machine is shared: compare only figures of the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
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


class ThreadCpu:
    """CPU seconds of every thread of some processes over a window, sampled from
    /proc/PID/task every `period_s` (a thread that ends keeps its last sample).

    Use as a context manager; `busiest(pid)` then gives (thread name, CPU s) of the thread
    of `pid` that used the most CPU in the window. On 2 cores the frame rate cannot exceed
    1 / (the busiest thread's CPU per frame), nor 2 / (all CPU per frame): the larger of
    the two is the critical path, a load-robust bound on frames/s.
    """

    def __init__(self, pids: list[int], period_s: float = 0.05) -> None:
        self.pids, self.period_s = pids, period_s
        self.first: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, initial: bool) -> None:
        for pid in self.pids:
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    text = (task / "stat").read_text()
                except OSError:
                    continue  # the thread ended
                name = text[text.index("(") + 1 : text.rindex(")")]
                fields = text.rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                key = (pid, int(task.name))
                if initial:
                    self.first[key] = cpu
                self.last[key] = (name, cpu)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self._sample(False)

    def __enter__(self) -> ThreadCpu:
        self._sample(True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(False)

    def busiest(self, pid: int) -> tuple[str, float]:
        used = [(name, cpu - self.first.get(key, 0.0))
                for key, (name, cpu) in self.last.items() if key[0] == pid]
        return max(used, key=lambda u: u[1], default=("-", 0.0))


def measure(target: str, cam: str, max_people: int, service_pid: int | None) -> tuple:
    """detect_video on one camera through the service at `target`.

    Args:
        target: "host:port" of the BlazePose service.
        cam: camera name (file cam.mp4 of VIDEOS).
        max_people: DetectOptions.max_people.
        service_pid: the service's process id (for its CPU time), None if unknown.

    Returns:
        (Detections with keypoints (T, P, 33, 2) px, figures: {"fps": frames/s, "tracks":
        tracks found, "present": frames present per slot, "frames": T, "jump": largest hip
        jump per slot px, "client_ms"/"service_ms": CPU ms per frame}).
    """
    t0, c0 = time.perf_counter(), cpu_s(None)
    s0 = cpu_s(service_pid) if service_pid else 0.0
    pids = [os.getpid()] + ([service_pid] if service_pid else [])
    with ThreadCpu(pids) as threads:
        det = detect_video(target, VIDEOS / f"{cam}.mp4", max_people=max_people)
    dt = time.perf_counter() - t0
    client_ms = (cpu_s(None) - c0) * 1000 / det.num_frames
    service_ms = ((cpu_s(service_pid) - s0) * 1000 / det.num_frames if service_pid
                  else float("nan"))
    hip = hip_centre(det.keypoints)
    present = np.isfinite(hip).all(axis=-1)
    jumps = np.linalg.norm(np.diff(hip, axis=0), axis=-1)
    figures = {
        "fps": det.num_frames / dt,
        "tracks": int(det.extra["tracks_found"]),
        "present": present.sum(axis=0).tolist(),
        "frames": det.num_frames,
        "jump": [round(float(np.nanmax(jumps[:, p], initial=0.0))) for p in range(hip.shape[1])],
        "client_ms": client_ms,
        "service_ms": service_ms,
    }
    for who, pid in (("client", os.getpid()), ("service", service_pid)):
        name, busy = threads.busiest(pid) if pid else ("-", float("nan"))
        figures[f"{who}_thread"] = f"{name} {busy * 1000 / det.num_frames:.1f} ms"
        figures[f"{who}_thread_ms"] = busy * 1000 / det.num_frames
    critical = max(figures["client_thread_ms"], figures["service_thread_ms"],
                   (client_ms + service_ms) / 2)
    figures["bound_fps"] = 1000 / critical
    return det, figures


def describe(cam: str, f: dict) -> str:
    """One line of a camera's figures (see `measure`)."""
    return (
        f"{cam}: {f['fps']:5.1f} frames/s, tracks found {f['tracks']}, frames present per "
        f"slot {f['present']} of {f['frames']}, largest hip jump {f['jump']} px; CPU per "
        f"frame: client {f['client_ms']:.1f} ms, service {f['service_ms']:.1f} ms; busiest "
        f"thread: client {f['client_thread']}, service {f['service_thread']}; "
        f"2-core bound {f['bound_fps']:.0f} frames/s"
    )


def run_cameras(target: str, max_people: int, service_pid: int | None,
                quiet: bool = False) -> tuple[dict, dict]:
    """`measure` each camera, printing its line unless `quiet`.

    Returns:
        ({camera: Detections}, {camera: figures}).
    """
    results, figures = {}, {}
    for cam in CAMERAS:
        results[cam], figures[cam] = measure(target, cam, max_people, service_pid)
        if not quiet:
            print(describe(cam, figures[cam]))
    return results, figures


def export_revision(rev: str, dest: Path) -> str:
    """Export `rev`'s common/, gateway/ and services/blazepose/ under `dest` (with this
    tree's generated Pose API code, which git does not hold) and return the PYTHONPATH
    that puts them first."""
    parts = ["common", "gateway", "services/blazepose"]
    archive = subprocess.run(["git", "archive", rev, *parts], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for pb in (ROOT / "common" / "posearena" / "v1").glob("*_pb2*.py"):
        shutil.copy(pb, dest / "common" / "posearena" / "v1" / pb.name)
    return os.pathsep.join(str(dest / p) for p in parts)


def compare(rev: str, rounds: int, max_people: int) -> int:
    """Alternate fresh runs of this tree and of `rev`, print the best figures of each."""
    bp_python = ROOT / ".venvs" / "blazepose" / "bin" / "python"
    best: dict[str, dict[str, dict]] = {"this tree": {}, rev: {}}
    with tempfile.TemporaryDirectory(prefix="bench_mp_") as tmp:
        paths = {"this tree": None, rev: export_revision(rev, Path(tmp))}
        for r in range(rounds):
            for name in (list(paths) if r % 2 == 0 else list(paths)[::-1]):
                env = dict(os.environ, POSEARENA_BLAZEPOSE_PYTHON=str(bp_python))
                if paths[name]:
                    env["PYTHONPATH"] = paths[name]
                out = subprocess.run(
                    [sys.executable, __file__, "--json", "--max-people", str(max_people)],
                    env=env, cwd=ROOT, capture_output=True, text=True,
                )
                if out.returncode != 0:
                    print(f"{name} failed:\n{out.stdout[-1500:]}{out.stderr[-1500:]}")
                    return 1
                for cam, f in json.loads(out.stdout.strip().splitlines()[-1]).items():
                    old = best[name].get(cam)
                    if old is None or f["client_ms"] + f["service_ms"] < (
                            old["client_ms"] + old["service_ms"]):
                        best[name][cam] = f
    for name, cams in best.items():
        total = np.mean([f["client_ms"] + f["service_ms"] for f in cams.values()])
        print(f"{name} (best of {rounds} rounds; mean client + service CPU "
              f"{total:.1f} ms/frame):")
        for cam, f in cams.items():
            print("  " + describe(cam, f))
    return 0


def main() -> int:
    """Run the benchmark; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-people", type=int, default=2)
    ap.add_argument("--save", default=None)
    ap.add_argument("--baseline", default=None, metavar="REV",
                    help="also run git revision REV, alternating (see the docstring)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --baseline")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline:
        return compare(args.baseline, args.rounds, args.max_people)
    with EmbeddedServices(["blazepose"], fresh=True) as services:
        target = services.target("blazepose")
        if target is None:
            print(f"service did not start: {services.errors['blazepose']}")
            return 1
        pid = services.started[0].process.pid if services.started else None
        results, figures = run_cameras(target, args.max_people, pid, quiet=args.json)
    if args.json:
        print(json.dumps(figures))
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

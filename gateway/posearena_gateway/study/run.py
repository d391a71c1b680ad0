"""Run a study's sessions: each one a normal run directory, resumable, failures isolated.

Layout: `<out>/sessions/<subject>/<exercise>_<trial>/` holds the session's metrics.json,
report.html, figures/ and exports/ (angles.csv among them), and `session.json` written last:
{"status": "ok"|"failed", "reason", "seconds", "subject", "exercise", "trial"}. A session
whose session.json says ok is finished and is never redone; anything else (absent, failed,
killed half-way) is run again. A failing session is recorded with its reason and the study
goes on. With workers > 1, sessions run in that many processes (spawned, not forked, so
that no gRPC thread of the parent is copied). A study of video sessions on a gateway runs
them in worker threads instead, worker k on the k-th replica the target lists
(study/replicas.py).
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from posearena_gateway.rundir import atomic_write_text
from posearena_gateway.study.replicas import run_on_replicas
from posearena_gateway.study.sessions import Session

DONE_FILE = "session.json"


@dataclass(frozen=True)
class SessionOutcome:
    """What became of one session: status ok / failed / cached, reason, seconds, run dir."""

    session: Session
    status: str
    reason: str
    seconds: float
    run_dir: Path


def session_dir(out: Path, session: Session) -> Path:
    """The run directory of a session inside the study folder `out`."""
    return out / "sessions" / session.key


def finished(run_dir: Path) -> bool:
    """True when the session in `run_dir` ran to its end with status ok."""
    try:
        return json.loads((run_dir / DONE_FILE).read_text()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def _compare(session: Session, run_dir: Path, big_error_deg: float, gateway: str,
             animation: bool) -> None:
    """Run one session's comparison into run_dir (imports here: light for a worker start)."""
    labels = (session.subject, f"{session.exercise}_{session.trial}")
    if session.candidate:
        from posearena_gateway.pipelines.skeletons import compare_skeleton_files

        compare_skeleton_files(session.reference, session.candidate, run_dir, big_error_deg,
                               name=session.name, labels=labels, animation=animation)
        return
    if gateway:
        from posearena_gateway.clients.gateway import remote_compare

        metrics, _ = remote_compare(gateway, session.videos, str(run_dir), session.calib,
                                    session.cameras, session.reference, session.pipelines)
        if not any(p.get("status") == "ok" for p in metrics.get("pipelines", {}).values()):
            raise RuntimeError("no pipeline could be compared")
        return
    from posearena_gateway.outputs import write_outputs
    from posearena_gateway.pipelines.catalog import parse_pipelines
    from posearena_gateway.pipelines.job import CompareJob
    from posearena_gateway.pipelines.runner import Runner
    from posearena_gateway.references import load_reference

    ref = session.reference
    job = CompareJob(videos=[Path(v) for v in session.videos], out=run_dir,
                     pipelines=parse_pipelines(",".join(session.pipelines) or None),
                     calib=Path(session.calib) if session.calib else None,
                     cameras=list(session.cameras) or None,
                     reference=ref if ref in ("multiview", "none") else load_reference(ref),
                     big_error_deg=big_error_deg)
    runner = Runner(job)
    result = runner.run()
    write_outputs(result, runner.rd, labels=labels, animation=animation)
    if not result.any_ok:
        raise RuntimeError("no pipeline could be compared")


def run_session(session: Session, out: Path, big_error_deg: float, gateway: str = "",
                animation: bool = False) -> SessionOutcome:
    """Run one session (or reuse it when finished); never raises for the session's errors."""
    run_dir = session_dir(out, session)
    if finished(run_dir):
        return SessionOutcome(session, "cached", "", 0.0, run_dir)
    t0 = time.perf_counter()
    status, reason = "ok", ""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / DONE_FILE).unlink(missing_ok=True)
        _compare(session, run_dir, big_error_deg, gateway, animation)
    except Exception as exc:  # a session's failure is its own: reported, the study goes on
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
    seconds = round(time.perf_counter() - t0, 2)
    record = {"status": status, "reason": reason, "seconds": seconds,
              "subject": session.subject, "exercise": session.exercise, "trial": session.trial}
    try:
        atomic_write_text(run_dir / DONE_FILE, json.dumps(record, indent=1) + "\n")
    except OSError as exc:
        status, reason = "failed", f"{reason}; session.json not written: {exc}".lstrip("; ")
    return SessionOutcome(session, status, reason, seconds, run_dir)


def _worker(args: tuple[dict, str, float, str, bool]) -> tuple[str, str, float]:
    session, out, big_error, gateway, animation = args
    o = run_session(Session(**session), Path(out), big_error, gateway, animation)
    return o.status, o.reason, o.seconds


def run_sessions(sessions: list[Session], out: Path, big_error_deg: float, workers: int = 1,
                 gateway: str = "",
                 progress: Callable[[int, int, SessionOutcome], None] | None = None,
                 animation: bool = False) -> list[SessionOutcome]:
    """Run every session (finished ones reused), reporting each as it ends.

    Args:
        sessions: the study's sessions.
        out: the study folder.
        big_error_deg: large angle error threshold, degrees.
        workers: sessions run at once (processes when > 1).
        gateway: host:port of a gateway for video sessions ("" = run here).
        progress: called with (number done, total, outcome) after each session.
        animation: write each session's 3D animation (the slowest part of a report).

    Returns:
        One outcome per session, in the order of `sessions`.
    """
    total, done = len(sessions), 0
    results: dict[int, SessionOutcome] = {}

    def report(i: int, o: SessionOutcome) -> None:
        nonlocal done
        done += 1
        results[i] = o
        if progress is not None:
            progress(done, total, o)

    todo = []
    for i, s in enumerate(sessions):  # finished sessions are reported first, without work
        if finished(session_dir(out, s)):
            report(i, SessionOutcome(s, "cached", "", 0.0, session_dir(out, s)))
        else:
            todo.append(i)
    if gateway and not any(sessions[i].candidate for i in todo):
        run_on_replicas(todo, sessions, workers, gateway,
                        lambda s, target: run_session(s, out, big_error_deg, target, animation),
                        report)
    elif workers <= 1:
        for i in todo:
            report(i, run_session(sessions[i], out, big_error_deg, gateway, animation))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_worker, (asdict(sessions[i]), str(out), big_error_deg,
                                             gateway, animation)): i for i in todo}
            for f in as_completed(futures):
                i = futures[f]
                try:
                    status, reason, seconds = f.result()
                except Exception as exc:  # the worker process itself died
                    status, reason, seconds = "failed", f"{type(exc).__name__}: {exc}", 0.0
                report(i, SessionOutcome(sessions[i], status, reason, seconds,
                                         session_dir(out, sessions[i])))
    return [results[i] for i in range(total)]

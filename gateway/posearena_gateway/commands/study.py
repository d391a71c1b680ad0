"""`posearena study`: many sessions (subjects × exercises × trials), one table with
subject-clustered intervals.

Sessions come from a manifest CSV (`study.sessions.manifest_sessions`) or the UI-PRMD folder
layout (`--uiprmd DIR`: every subject × exercise × episode, Kinect v2 against Vicon). Each
session is a normal run directory under `<out>/sessions/`; finished ones are reused, so a
killed study resumes where it stopped. The study writes `<out>/study.json` (fields in
docs/metrics.md, "Studies") and `<out>/report.html` with a forest plot per angle.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import posearena_gateway.clients.gateway  # noqa: F401  (see below)
from posearena.errors import InvalidInputError
from posearena_gateway.comparison.repetition_metrics import add_big_error_option
from posearena_gateway.comparison.temporal import CLOCK_SCALES
from posearena_gateway.rundir import RunDir
from posearena_gateway.study.aggregate import CLUSTER_METHOD, study_table
from posearena_gateway.study.run import SessionOutcome, run_sessions
from posearena_gateway.study.sessions import (
    UIPRMD_EXERCISES,
    Session,
    manifest_sessions,
    uiprmd_sessions,
)

# study.run imports the gateway client inside each session, and on a gateway the sessions run
# in worker threads: it is imported above, on the main thread, before any of them starts (the
# CLI imports the module of the command it runs only, no longer every command's).

POOLING = ("All frames of all sessions of an exercise pooled; bias = pipeline − reference; "
           "LoA = bias ± 1.96 SD of the pooled differences; ICC(A,1) over the pooled frames "
           "(left out when the reference angle moves < 10° in most sessions).")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="many sessions, one table with subject-clustered "
                       "intervals", description="Run every session of a study (a manifest "
                       "CSV or the UI-PRMD layout) as its own run directory, then pool them "
                       "per pipeline, angle and exercise: bias, limits of agreement, RMSE, "
                       "ICC(A,1), large-error rate, with intervals that resample subjects "
                       "and then frame blocks. Finished sessions are reused.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--manifest", help="CSV: subject, exercise, trial, reference, candidate "
                     "or videos (;-separated), calib, cameras, pipelines")
    src.add_argument("--uiprmd", help="UI-PRMD folder (Kinect/Positions, Vicon/Positions)")
    p.add_argument("--out", required=True, help="the study folder")
    p.add_argument("--workers", type=int, default=1, help="sessions run at once (processes)")
    p.add_argument("--gateway", default="", help="host:port of a gateway service for video "
                   "sessions (paths are the gateway's own); several replicas as "
                   "ipv4:HOST:PORT,HOST:PORT (worker k uses replica k mod n)")
    p.add_argument("--subjects", help="only these subjects, comma-separated (e.g. s01,s02)")
    p.add_argument("--exercises", help="only these exercises, comma-separated (e.g. m01,m07)")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--animations", action="store_true", help="also write each session's 3D "
                   "animation (about half of a UI-PRMD session's time)")
    add_big_error_option(p)
    p.set_defaults(func=run)


def _select(sessions: list[Session], subjects: str | None,
            exercises: str | None) -> list[Session]:
    keep_s = {s.strip() for s in subjects.split(",")} if subjects else None
    keep_e = {e.strip() for e in exercises.split(",")} if exercises else None
    out = [s for s in sessions if (keep_s is None or s.subject in keep_s)
           and (keep_e is None or s.exercise in keep_e)]
    if not out:
        raise InvalidInputError("--subjects/--exercises", f"{subjects} / {exercises}",
                                "a selection that keeps at least one session")
    return out


def _progress(done: int, total: int, o: SessionOutcome) -> None:
    s = o.session
    what = {"ok": f"ok in {o.seconds:.1f} s", "cached": "finished before, reused"}.get(
        o.status, f"FAILED: {o.reason}")
    print(f"[{done}/{total}] {s.subject} {s.exercise} {s.trial}: {what}", flush=True)


def _alignment(o: SessionOutcome) -> dict:
    """pipeline -> {offset_s, time_scale, correlation, at_scale_limit} of a finished session."""
    try:
        metrics = json.loads((Path(o.run_dir) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for name, p in (metrics.get("pipelines") or {}).items():
        al = p.get("alignment") if isinstance(p, dict) else None
        if isinstance(al, dict) and al.get("time_scale") is not None:
            scale = al["time_scale"]
            out[name] = {"offset_s": al.get("offset_s"), "time_scale": scale,
                         "correlation": al.get("correlation"),
                         "at_scale_limit": "cross-correlation" in str(al.get("temporal"))
                         and (scale <= min(CLOCK_SCALES) or scale >= max(CLOCK_SCALES))}
    return out


def study_document(sessions: list[Session], outcomes: list[SessionOutcome], source: str,
                   reference: str, big_error_deg: float, exercises: dict[str, str],
                   seconds: float, resamples: int) -> dict:
    """The study.json dict (fields in docs/metrics.md, "Studies")."""
    ran = [o for o in outcomes if o.status in ("ok", "failed")]
    aligned = [_alignment(o) if o.status != "failed" else {} for o in outcomes]
    run_s = sum(o.seconds for o in ran)
    return {
        "design": {"source": source, "reference": reference,
                   "n_sessions": len(sessions),
                   "subjects": sorted({s.subject for s in sessions}),
                   "exercises": {e: exercises.get(e, "")
                                 for e in sorted({s.exercise for s in sessions})},
                   "big_error_deg": big_error_deg, "pooling": POOLING,
                   "method": CLUSTER_METHOD.replace("1000", str(resamples))},
        "summary": {k: sum(o.status == k for o in outcomes) for k in ("ok", "cached", "failed")}
        | {"at_scale_limit": sum(any(a["at_scale_limit"] for a in al.values())
                                for al in aligned),
           "seconds": round(seconds, 1),
           "sessions_per_minute": round(60 * len(ran) / seconds, 2) if ran and seconds else None,
           "session_seconds": round(run_s, 1)},
        "sessions": [{"subject": o.session.subject, "exercise": o.session.exercise,
                      "trial": o.session.trial, "status": o.status, "reason": o.reason,
                      "seconds": o.seconds, "run_dir": str(o.run_dir),
                      "alignment": al} for o, al in zip(outcomes, aligned, strict=True)],
        "results": study_table(outcomes, big_error_deg, resamples),
    }


def run(args: argparse.Namespace) -> int:
    from posearena_gateway.report.study import write_study_report

    if args.workers < 1:
        raise InvalidInputError("--workers", args.workers, "at least 1")
    if args.resamples < 100:
        raise InvalidInputError("--resamples", args.resamples, "at least 100")
    if args.uiprmd:
        sessions = uiprmd_sessions(args.uiprmd)
        source, reference, exercises = f"UI-PRMD {args.uiprmd}", "Vicon (UI-PRMD)", \
            UIPRMD_EXERCISES
    else:
        sessions = manifest_sessions(args.manifest)
        source, exercises = f"manifest {args.manifest}", {}
        reference = ", ".join(sorted({s.reference if s.reference in ("multiview", "none")
                                      else s.reference.split(":")[0] for s in sessions}))
    sessions = _select(sessions, args.subjects, args.exercises)
    rd = RunDir(args.out)  # an unwritable folder fails before any work
    if args.gateway and any(s.candidate for s in sessions):
        print("study: skeleton sessions run here (the gateway's Compare takes videos); video "
              f"sessions run on {args.gateway}", flush=True)
    print(f"study: {len(sessions)} sessions, {len({s.subject for s in sessions})} subjects, "
          f"{args.workers} worker(s) -> {rd.root}", flush=True)
    t0 = time.perf_counter()
    outcomes = run_sessions(sessions, rd.root, args.big_error, args.workers, args.gateway,
                            _progress, args.animations)
    seconds = time.perf_counter() - t0
    doc = study_document(sessions, outcomes, source, reference, args.big_error, exercises,
                         seconds, args.resamples)
    rd.write_json("study.json", doc)
    page = write_study_report(rd.root, doc, title=f"posearena study: {source}")
    s = doc["summary"]
    print(f"study: {s['ok']} ran, {s['cached']} reused, {s['failed']} failed in "
          f"{seconds:.1f} s; {len(doc['results'])} rows in {rd.root / 'study.json'}")
    print(f"report: {page}")
    if s["failed"]:
        print(f"study: {s['failed']} session(s) failed; see the report", file=sys.stderr)
    return 0 if s["ok"] + s["cached"] else 1

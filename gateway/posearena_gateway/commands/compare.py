"""`posearena compare` and `posearena compare-skeletons`: estimators against a reference."""

from __future__ import annotations

import argparse
from pathlib import Path

from posearena_gateway.clients.gateway import remote_compare
from posearena_gateway.commands._progress import EventPrinter
from posearena_gateway.comparison import compare_sequences
from posearena_gateway.comparison.repetition_metrics import BIG_ERROR_DEG, add_big_error_option
from posearena_gateway.pipelines.catalog import parse_pipelines
from posearena_gateway.pipelines.runner import CompareJob, Runner
from posearena_gateway.references import load_reference
from posearena_gateway.report import print_summary, write_report
from posearena_gateway.rundir import RunDir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare pipelines on video(s) against a reference",
                       description="Run pipelines on one or more synchronised videos and "
                       "compare each against the reference; writes metrics.json, report.html, "
                       "figures and exports into --out.")
    p.add_argument("--video", action="append", required=True, help="repeat for each camera")
    p.add_argument("--calib", help="calibration (.qca.txt, OpenCV .yml/.json, .toml)")
    p.add_argument("--cameras", help="camera name per video, comma-separated")
    p.add_argument("--reference", default="multiview",
                   help="multiview | kinect:FILE | mocap:FILE | none")
    p.add_argument("--reference-2d", default="blazepose", choices=("blazepose", "openpose"),
                   help="the 2D detector the multiview reference triangulates (default "
                   "blazepose; the report names it)")
    p.add_argument("--pipelines", help="comma-separated (see `posearena pipelines`)")
    p.add_argument("--out", required=True)
    p.add_argument("--resume", action="store_true", help="reuse outputs already in --out")
    p.add_argument("--max-people", type=int, default=1,
                   help="people tracked per video (several: the patient is chosen by --person)")
    p.add_argument("--person", default="auto",
                   help="the patient: auto|largest|central|longest|ID (auto = present longest "
                   "and most central); matched across cameras by the stereo service")
    p.add_argument("--gateway", help="host:port of a gateway service to run it on (paths are "
                   "the gateway's own); default: run here")
    add_big_error_option(p)
    p.set_defaults(func=run_compare)

    s = sub.add_parser("compare-skeletons", help="compare two recorded 3D skeleton files",
                       description="Compare a candidate skeleton recording (e.g. Kinect) "
                       "against a reference (e.g. Vicon): resampling, time offset, alignment, "
                       "metrics and report. Formats are detected from content/file names.")
    s.add_argument("--reference", required=True, help="FILE or kinect:/mocap: FILE")
    s.add_argument("--candidate", required=True, help="FILE or kinect:/mocap: FILE")
    s.add_argument("--out", required=True)
    add_big_error_option(s)
    s.set_defaults(func=run_compare_skeletons)


def run_compare(args: argparse.Namespace) -> int:
    if args.gateway:
        metrics, report = remote_compare(
            args.gateway, args.video, args.out, args.calib or "",
            args.cameras.split(",") if args.cameras else (), args.reference,
            args.pipelines.split(",") if args.pipelines else (), args.resume, EventPrinter(),
            max_people=args.max_people, person=args.person, reference_2d=args.reference_2d,
            big_error_deg=args.big_error)
        print(print_summary(metrics))
        print(f"report (on the gateway): {report}")
        return 0 if any(p["status"] == "ok" for p in metrics["pipelines"].values()) else 1
    reference = args.reference
    if reference not in ("multiview", "none"):
        reference = load_reference(reference)
    job = CompareJob(
        videos=[Path(v) for v in args.video], out=Path(args.out),
        pipelines=parse_pipelines(args.pipelines),
        calib=Path(args.calib) if args.calib else None,
        cameras=args.cameras.split(",") if args.cameras else None,
        reference=reference, resume=args.resume, max_people=args.max_people,
        person=args.person, big_error_deg=args.big_error, reference_detector=args.reference_2d,
    )
    runner = Runner(job, EventPrinter())
    metrics = runner.run()
    finish(runner.rd, metrics, runner)
    return 0 if any(p["status"] == "ok" for p in metrics["pipelines"].values()) else 1


def finish(rd: RunDir, metrics: dict, runner: Runner | None = None, comparisons=None,
           reference=None, results=None, title: str = "posearena comparison",
           labels: tuple[str, str] | None = None, quiet: bool = False,
           animation: bool = True) -> None:
    """Write the report and print the summary table.

    Args:
        rd: the run directory; metrics: the metrics dict (already in metrics.json).
        runner: a finished Runner (its comparisons, results, reference and detections are
            reported), or None with `comparisons`, `reference`, `results` given directly.
        labels: (subject, trial) written in the angle CSVs (default: the run dir's name).
        quiet: write the report without printing the summary.
        animation: write the 3D animation.
    """
    videos = None
    if runner is not None:
        comparisons = {n: o.comparison for n, o in runner.outcomes.items() if o.comparison}
        results = {n: o.result for n, o in runner.outcomes.items() if o.result is not None}
        reference = runner.reference.result
        videos = runner.detections_done()
    subject, trial = labels or (None, None)
    path = write_report(rd, metrics, comparisons or {}, reference, results or {},
                        videos=videos, title=title, subject=subject, trial=trial,
                        animation=animation)
    if not quiet:
        print(print_summary(metrics))
        print(f"report: {path}")


def run_compare_skeletons(args: argparse.Namespace) -> int:
    compare_skeleton_files(args.reference, args.candidate, Path(args.out), args.big_error)
    return 0


def compare_skeleton_files(reference: str, candidate: str, out: Path,
                           big_error_deg: float = BIG_ERROR_DEG, name: str | None = None,
                           labels: tuple[str, str] | None = None,
                           quiet: bool = False, animation: bool = True) -> dict:
    """One recorded skeleton against another: metrics.json, report and exports in `out`.

    Args:
        reference, candidate: FILE or kinect:/mocap: FILE specs (`references.load_reference`).
        out: the run directory.
        big_error_deg: large angle error threshold, degrees.
        name: the candidate's pipeline name (default: its file name).
        labels: (subject, trial) of the angle CSVs; quiet: print nothing.
        animation: write the 3D animation.

    Returns:
        The metrics.json dict.
    """
    rd = RunDir(out)  # unwritable output fails before any work
    ref, cand = load_reference(reference), load_reference(candidate)
    comp = compare_sequences(ref, cand, synchronised=False, same_frame=False,
                             big_error_deg=big_error_deg)
    name = name or Path(cand.source).name or "candidate"
    metrics = {
        "reference": {"kind": "file", "status": "ok", "source": ref.source,
                      "skeleton": ref.skeleton, "fps": ref.fps, "frame": ref.frame},
        "frames": ref.num_frames, "fps": ref.fps,
        "pipelines": {name: {"status": "ok", "reason": "", "source": cand.source,
                             **comp.metrics}},
    }
    rd.write_json("metrics.json", metrics)
    finish(rd, metrics, comparisons={name: comp}, reference=ref, results={name: cand},
           title=f"{Path(cand.source).name} vs {Path(ref.source).name}", labels=labels,
           quiet=quiet, animation=animation)
    return metrics

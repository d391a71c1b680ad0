"""`posearena compare` and `posearena compare-skeletons`: estimators against a reference."""

from __future__ import annotations

import argparse
from pathlib import Path

from posearena_gateway.clients.gateway import remote_compare
from posearena_gateway.commands._progress import EventPrinter
from posearena_gateway.comparison.repetition_metrics import add_big_error_option
from posearena_gateway.outputs import write_outputs
from posearena_gateway.pipelines.catalog import parse_pipelines
from posearena_gateway.pipelines.job import CompareJob
from posearena_gateway.pipelines.names import DEFAULT_REFERENCE, REFERENCE_DETECTORS
from posearena_gateway.pipelines.runner import Runner
from posearena_gateway.pipelines.skeletons import compare_skeleton_files
from posearena_gateway.references import load_reference
from posearena_gateway.report import print_summary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare pipelines on video(s) against a reference",
                       description="Run pipelines on one or more synchronised videos and "
                       "compare each against the reference; writes metrics.json, report.html, "
                       "figures and exports into --out.")
    p.add_argument("--video", action="append", required=True, help="repeat for each camera")
    p.add_argument("--calib", help="calibration (.qca.txt, OpenCV .yml/.json, .toml)")
    p.add_argument("--cameras", help="camera name per video, comma-separated")
    p.add_argument("--reference", default=DEFAULT_REFERENCE,
                   help="multiview | kinect:FILE | mocap:FILE | none")
    p.add_argument("--reference-2d", default=REFERENCE_DETECTORS[0], choices=REFERENCE_DETECTORS,
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
        print_run(metrics, f"{report} (on the gateway)")
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
    result = runner.run()
    report = write_outputs(result, runner.rd)
    print_run(result.metrics, report)
    return 0 if result.any_ok else 1


def print_run(metrics: dict, report: Path | str) -> None:
    """The terminal summary of a run (the CLI's own text; the outputs are written already)."""
    print(print_summary(metrics))
    print(f"report: {report}")


def run_compare_skeletons(args: argparse.Namespace) -> int:
    out = Path(args.out)
    result = compare_skeleton_files(args.reference, args.candidate, out, args.big_error)
    print_run(result.metrics, out / "report.html")
    return 0

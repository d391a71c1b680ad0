"""`posearena triangulate`: N synchronised 2D views -> 3D, calibrated or parallel rig."""

from __future__ import annotations

import argparse

import numpy as np

from posearena.calibration import load_calibration
from posearena.errors import InvalidInputError
from posearena.npzio import atomic_save_npz, load_detections
from posearena.triangulation_presets import PRESETS, get_preset
from posearena.v1 import pose_pb2
from posearena_gateway.clients.triangulate import triangulate
from posearena_gateway.commands._inputs import load_2d
from posearena_gateway.runtime import EmbeddedServices


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("triangulate", help="triangulate 2D views to 3D",
                       description="Inputs are `posearena detect` .npz files or (T,J,2) px "
                       ".npy arrays, one per camera. OUT.npz holds points_3d (T,J,3) m, "
                       "reprojection_error (T,J) px, views_used (T,J), flags (T,J).")
    p.add_argument("--input", action="append", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--calib")
    p.add_argument("--cameras", help="camera names in --input order, comma-separated")
    p.add_argument("--rig", choices=["parallel"])
    p.add_argument("--focal", type=float)
    p.add_argument("--baseline", type=float, help="m")
    p.add_argument("--cx", type=float)
    p.add_argument("--cy", type=float)
    p.add_argument("--skeleton", default=None, help="registry skeleton of .npy inputs, any "
                   "number of joints (default coco17); npz inputs: converted to it")
    p.add_argument("--preset", default="candidate", choices=sorted(PRESETS),
                   help="triangulation settings (posearena.triangulation_presets): candidate "
                   "(default: " + PRESETS["candidate"].method() + "), reference (+ low-pass) "
                   "or raw; the flags below override single settings")
    p.add_argument("--max-error", type=float, default=None, help="drop views above (px)")
    p.add_argument("--no-refine", action="store_true")
    p.add_argument("--filter-hz", type=float, default=None, help="low-pass cut-off, 0 = off")
    p.add_argument("--max-gap", type=int, default=None, help="fill gaps up to N frames")
    p.add_argument("--person", default="auto",
                   help="the patient in each npz with several tracks: auto|largest|central|"
                   "longest|ID (auto = present longest and most central)")
    p.add_argument("--all-people", action="store_true",
                   help="associate every person across views and triangulate each: "
                   "points_3d (T,P,J,3), person_tracks (P, views)")
    p.set_defaults(func=run)


def _options(args: argparse.Namespace, fps: float) -> pose_pb2.TriangulationOptions:
    """The --preset's options at `fps` Hz with the single-setting flags applied."""
    opts = get_preset(args.preset).options(fps)
    if args.max_error is not None:
        opts.max_reprojection_error_px = args.max_error
    if args.no_refine:
        opts.refine = False
    if args.filter_hz is not None:
        opts.filter_cutoff_hz = args.filter_hz
    if args.max_gap is not None:
        opts.max_gap_frames = args.max_gap
    return opts


def _calibrated(args: argparse.Namespace, n: int) -> tuple[list[str], list]:
    if not args.calib or not args.cameras:
        raise InvalidInputError("--calib/--cameras", (args.calib, args.cameras),
                                "a calibration and a camera name per input")
    cams = load_calibration(args.calib)
    names = args.cameras.split(",")
    missing = [n for n in names if n not in cams]
    if missing or len(names) != n:
        raise InvalidInputError("--cameras", names, f"{n} names from {sorted(cams)}")
    return names, [cams[n] for n in names]


def run_all_people(args: argparse.Namespace) -> int:
    """Every tracked person of every view, associated across views and triangulated."""
    dets = [load_detections(p) for p in args.input]
    if args.rig:
        raise InvalidInputError("--all-people", "--rig parallel", "calibrated cameras")
    names, cams = _calibrated(args, len(dets))
    with EmbeddedServices(["stereo"]) as es:
        target = es.require("stereo")
        out = triangulate(target, [d.keypoints for d in dets], names, dets[0].skeleton,
                          cameras=cams, confidence=[d.scores for d in dets],
                          options=_options(args, dets[0].fps))
    tracks = out.person_tracks
    track_ids = np.array([[d.track_ids[k] if k >= 0 else -1 for d, k in zip(dets, row,
                                                                           strict=True)]
                          for row in tracks], dtype=np.int32).reshape(-1, len(dets))
    atomic_save_npz(args.output, points_3d=out.points_3d,
                    reprojection_error=out.reprojection_error, views_used=out.views_used,
                    flags=out.flags, person_tracks=track_ids, cameras=np.array(names),
                    skeleton=np.array(dets[0].skeleton), fps=np.array(dets[0].fps),
                    frame=np.array(out.coordinate_frame))
    seen = np.isfinite(out.points_3d).all(-1).any(-1).mean(axis=0) * 100
    people = ", ".join(f"person {p} (tracks {track_ids[p].tolist()}): {s:.0f}% of frames"
                       for p, s in enumerate(seen))
    print(f"{args.output}: {len(tracks)} people triangulated; {people}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.all_people:
        return run_all_people(args)
    # a bare .npy holds --skeleton's joints (any J): triangulation does not care what they are
    npy_skeleton = args.skeleton or "coco17"
    loaded = [load_2d(p, npy_skeleton, default_skeleton=npy_skeleton) for p in args.input]
    dets = [d for _, _, d in loaded]
    skeleton = args.skeleton or (dets[0].skeleton if dets[0] else "coco17")
    if dets[0] is not None:  # keep the detector's own skeleton for npz inputs
        loaded = [load_2d(p, skeleton, person=args.person) for p in args.input]
    ks = [k for k, _, _ in loaded]
    confs = [c for _, c, _ in loaded]
    fps = dets[0].fps if dets[0] else 30.0
    opts = _options(args, fps)
    kwargs: dict = {}
    if args.rig == "parallel":
        vals = (args.focal, args.baseline, args.cx, args.cy)
        if None in vals or len(ks) != 2:
            raise InvalidInputError("--rig parallel", vals,
                                    "--focal --baseline --cx --cy and two inputs (left, right)")
        kwargs["parallel"] = vals
        names = ["left", "right"]
    else:
        names, kwargs["cameras"] = _calibrated(args, len(ks))
    if all(c is not None for c in confs):
        kwargs["confidence"] = confs
    with EmbeddedServices(["stereo"]) as es:
        target = es.require("stereo")
        out = triangulate(target, ks, names, skeleton, options=opts, **kwargs)
    atomic_save_npz(args.output, compressed=False, points_3d=out.points_3d,
                    reprojection_error=out.reprojection_error, views_used=out.views_used,
                    flags=out.flags, skeleton=np.array(skeleton), fps=np.array(fps),
                    frame=np.array(out.coordinate_frame))
    med = np.nanmedian(out.reprojection_error) if np.isfinite(out.reprojection_error).any() \
        else float("nan")
    print(f"{args.output}: {len(out.points_3d)} frames, median reprojection error {med:.1f} px")
    return 0

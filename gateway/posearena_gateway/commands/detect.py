"""`posearena detect`: 2D keypoints of every frame of a video, through a detector service."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posearena.errors import InvalidInputError
from posearena.npzio import Detections, save_detections
from posearena.skeletons import SKELETON_NAMES
from posearena_gateway.commands._progress import frame_bar
from posearena_gateway.detection import DetectionInterrupted, detect_video
from posearena_gateway.exporters.openpose_json import read_openpose_json
from posearena_gateway.pipelines.names import DETECTORS as SERVICE_DETECTORS
from posearena_gateway.runtime import EmbeddedServices
from posearena_gateway.tracking.assemble import track_detections
from posearena_gateway.tracking.patient import RULES, choose_person, put_first
from posearena_gateway.video import probe_video

DETECTORS = (*SERVICE_DETECTORS, "openpose-json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="2D keypoints of a video (.npz)",
                       description="Run a 2D detector over every frame of a video. OUT.npz "
                       "holds keypoints (T,P,J,2) px, scores (T,P,J), person_scores (T,P), "
                       "skeleton, fps, width, height; frames without a person are NaN.")
    p.add_argument("--estimator", default=DETECTORS[0], help=f"one of {DETECTORS}")
    p.add_argument("--video", help="the video (for openpose-json: gives fps and size)")
    p.add_argument("--json-dir", help="openpose-json: folder of OpenPose --write_json files")
    p.add_argument("--fps", type=float, help="openpose-json without --video: frame rate")
    p.add_argument("--output", required=True)
    p.add_argument("--max-people", type=int, default=1, help="person tracks kept (the "
                   "best ones when more people are seen; BlazePose > 1: multi-person model)")
    p.add_argument("--person", default=None, help=f"the patient, put first (slot 0): one of "
                   f"{RULES} (auto: present longest and most central) or a track id; "
                   "the choice is saved as person_choice")
    p.add_argument("--skeleton", default="", help="answer in this registry skeleton "
                   "(coco17, body25, h36m17); default: the estimator's own")
    p.add_argument("--image-mode", action="store_true", help="no tracking between frames")
    p.add_argument("--max-frames", type=int, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.estimator not in DETECTORS:
        raise InvalidInputError("--estimator", args.estimator, f"one of {DETECTORS}")
    if args.max_people < 1:
        raise InvalidInputError("--max-people", args.max_people, "an integer >= 1")
    if args.skeleton and args.skeleton not in SKELETON_NAMES:
        raise InvalidInputError("--skeleton", args.skeleton, f"one of {list(SKELETON_NAMES)}")
    if args.estimator == "openpose-json":
        return _from_json(args)
    if not args.video:
        raise InvalidInputError("--video", None, "a video file")
    info = probe_video(args.video)  # a bad video fails before the service is waited for
    with EmbeddedServices([args.estimator]) as es:
        target = es.require(args.estimator)
        total = info.frame_count if args.max_frames is None else min(args.max_frames,
                                                                       info.frame_count)
        bar, progress = frame_bar(total, args.estimator)
        try:
            dets = detect_video(target, args.video, max_people=args.max_people,
                                image_mode=args.image_mode, output_skeleton=args.skeleton,
                                max_frames=args.max_frames, progress=progress)
        except DetectionInterrupted as exc:
            _keep_partial(args, exc)
            raise
        finally:
            bar.close()
    return _save(args, dets)


def _keep_partial(args: argparse.Namespace, exc: DetectionInterrupted) -> None:
    """Save the frames answered before the stream broke as OUTPUT.partial.npz (none: nothing)."""
    if exc.partial.num_frames == 0:
        return
    path = str(Path(args.output).with_suffix("")) + ".partial.npz"
    save_detections(path, exc.partial)
    print(f"{path}: the {exc.partial.num_frames} frame(s) detected before the error",
          file=sys.stderr)


def _from_json(args: argparse.Namespace) -> int:
    """Outputs the OpenPose binary already wrote (--write_json) read as Detections."""
    if not args.json_dir or not Path(args.json_dir).is_dir():
        raise InvalidInputError("--json-dir", args.json_dir, "the folder of OpenPose JSON files")
    info = probe_video(args.video) if args.video else None
    fps = info.fps if info else args.fps
    if not fps:
        raise InvalidInputError("--fps", None, "a frame rate (or --video)")
    dets = read_openpose_json(args.json_dir, fps, info.width if info else 0,
                              info.height if info else 0)
    dets = track_detections(dets, args.max_people)  # per-frame people -> person tracks
    return _save(args, dets)


def _save(args: argparse.Namespace, dets: Detections) -> int:
    note = dets.extra.get("tracking_note")
    if note is not None:
        print(str(note))
    if args.person is not None:
        slot, choice = choose_person(dets, args.person)
        dets = put_first(dets, slot, choice)
        print(f"patient: {choice}")
    save_detections(args.output, dets)
    found = int((~(dets.person_scores != dets.person_scores)).any(axis=1).sum())
    tracks = int((dets.track_ids >= 0).sum())
    print(f"{args.output}: {dets.num_frames} frames, a person in {found}, {tracks} track(s), "
          f"skeleton {dets.skeleton}, {dets.width}x{dets.height} px at {dets.fps:g} fps")
    return 0

"""`posearena record --camera 0 --camera 1 --out DIR`: synchronised multi-camera capture."""

from __future__ import annotations

import argparse

from posearena_gateway.record import record


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record two or more cameras in sync",
                       description="Capture one video per camera plus per-frame timestamps "
                       "(timestamps.csv). A source is a camera index or a video file/stream. "
                       "Stop with Ctrl-C, --frames or when a source ends.")
    p.add_argument("--camera", action="append", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--frames", type=int, default=None)
    p.add_argument("--fps", type=float, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        summary = record(args.camera, args.out, args.frames, args.fps)
    except KeyboardInterrupt:  # the finally-block in record() has closed the files
        print("stopped")
        return 0
    print(f"{summary.frames} frame sets at {summary.fps:g} fps, worst grab skew "
          f"{summary.max_skew_ms:.1f} ms: {', '.join(str(v) for v in summary.videos)}; "
          f"{summary.timestamps}")
    return 0

"""`posearena calibrate`: a two-camera checkerboard calibration, written as a calibration file."""

from __future__ import annotations

import argparse
from pathlib import Path

from posearena.calibration import save_calibration
from posearena.calibration.stereo_calib import calibrate_stereo
from posearena.errors import InvalidInputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="calibrate a stereo pair from checkerboard images",
                       description="LEFT and RIGHT are folders of synchronised checkerboard "
                       "images (paired in sorted file-name order). Writes the calibration in "
                       "the format of --output's extension (.toml Pose2Sim/anipose, .yml/.json "
                       "OpenCV, .qca.txt Qualisys); the left camera is the world origin.")
    p.add_argument("--left", required=True)
    p.add_argument("--right", required=True)
    p.add_argument("--board", required=True, help="inner corners COLSxROWS, e.g. 9x6")
    p.add_argument("--square", type=float, required=True, help="square side in m")
    p.add_argument("--names", default="left,right")
    p.add_argument("--output", required=True)
    p.set_defaults(func=run)


def _images(folder: str) -> list[Path]:
    files = sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InvalidInputError("folder", folder, "a folder of checkerboard images")
    return files


def run(args: argparse.Namespace) -> int:
    try:
        cols, rows = (int(v) for v in args.board.lower().split("x"))
    except ValueError:
        raise InvalidInputError("--board", args.board, "COLSxROWS, e.g. 9x6") from None
    names = tuple(args.names.split(","))
    if len(names) != 2:
        raise InvalidInputError("--names", args.names, "two names, e.g. left,right")
    cal = calibrate_stereo(_images(args.left), _images(args.right), (cols, rows), args.square,
                           names=names)
    save_calibration(args.output, {cal.left.name: cal.left, cal.right.name: cal.right})
    print(f"{args.output}: {len(cal.pairs_used)} pairs used, RMS {cal.rms_px:.3f} px, "
          f"baseline {cal.baseline_m:.4f} m, focal {cal.left.focal_px:.1f} px")
    return 0

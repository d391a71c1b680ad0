"""`posearena calibrate`: a two-camera checkerboard calibration, with its quality and advice.

Every input and the output path are checked first (folders, image files and sizes, pair
counts, --board, --square with its unit, the output's extension and folder); then corners are
detected and the rig fitted. Writes the calibration (RMS per camera and stereo, each pair's
error and fate in a TOML's [metadata]), `<stem>.coverage.png` (where the corners fell) and
`<stem>.quality.json` (every number, and what to re-shoot) next to it.
"""

from __future__ import annotations

import argparse
import json
import sys

from posearena.calibration import save_calibration
from posearena.calibration.calib_quality import advice, scale_warnings
from posearena.calibration.coverage_plot import write_coverage_image
from posearena.calibration.stereo_calib import calibrate_stereo
from posearena.errors import InvalidInputError
from posearena_gateway.commands._calibrate_inputs import (
    image_folder,
    image_sizes,
    output_paths,
    parse_board,
    parse_length_m,
    parse_names,
    same_count,
)
from posearena_gateway.commands._calibrate_report import (
    pair_label,
    quality_json,
    summary,
    toml_metadata,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="calibrate a stereo pair from checkerboard images",
                       description="LEFT and RIGHT are folders of synchronised checkerboard "
                       "images (paired in sorted file-name order). Writes the calibration in "
                       "the format of --output's extension (.toml Pose2Sim/anipose, .yml/.json "
                       "OpenCV, .qca.txt Qualisys); the left camera is the world origin. Next "
                       "to it: STEM.coverage.png (where the corners fell) and STEM.quality.json "
                       "(RMS per camera and pair, dropped pairs and why, what to re-shoot).")
    p.add_argument("--left", required=True, help="folder of the left camera's images")
    p.add_argument("--right", required=True, help="folder of the right camera's images")
    p.add_argument("--board", required=True, help="inner corners COLSxROWS, e.g. 9x6")
    p.add_argument("--square", required=True,
                   help="square side with its unit: 25mm, 2.5cm, 0.025m (a bare number is m)")
    p.add_argument("--names", default="left,right", help="the two camera names")
    p.add_argument("--output", required=True, help="calibration file to write")
    p.set_defaults(func=run)


def _warn(text: str) -> None:
    print(f"posearena calibrate: WARNING: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    board = parse_board(args.board)
    square_m = parse_length_m("--square", args.square)
    names = parse_names(args.names)
    left = image_folder("--left", args.left)
    right = image_folder("--right", args.right)
    if left[0].parent.resolve() == right[0].parent.resolve():
        raise InvalidInputError("--right", args.right, "a different folder from --left")
    same_count(left, right, ("--left", "--right"))
    image_sizes("--left", left)
    image_sizes("--right", right)
    paths = output_paths(args.output)
    warnings = scale_warnings(square_m)
    if board[0] == board[1]:
        warnings.append(f"a square board ({args.board}) looks the same turned by 90 deg: "
                        "corner order may flip between views; prefer e.g. 9x6")
    for w in warnings:
        _warn(w)

    from tqdm import tqdm

    with tqdm(total=len(left), desc="corners", unit="pair", file=sys.stderr) as bar:
        cal = calibrate_stereo(left, right, board, square_m, names=names,
                               progress=lambda done, _n: bar.update(done - bar.n))
    warnings += [w for w in scale_warnings(square_m, cal.baseline_m) if w not in warnings]
    tips = advice(cal, lambda i: pair_label(i, left, right))
    save_calibration(paths.calibration, {cal.left.name: cal.left, cal.right.name: cal.right},
                     metadata=toml_metadata(cal, left, right, warnings))
    write_coverage_image(cal, paths.coverage)
    doc = quality_json(cal, left, right, paths.calibration, paths.coverage, tips, warnings)
    paths.quality.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(summary(cal, left, right, paths, tips))
    for w in warnings:  # again after the summary, where they cannot be missed
        _warn(w)
    return 0

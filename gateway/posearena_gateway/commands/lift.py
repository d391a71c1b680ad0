"""`posearena lift`: 2D COCO-17 keypoints -> 3D (H36M-17, m, camera frame) via VideoPose3D."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from posearena.calibration import load_calibration
from posearena.errors import InvalidInputError
from posearena.npzio import atomic_save_npz
from posearena_gateway.clients.lift import lift, lift_causal
from posearena_gateway.commands._inputs import load_2d
from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_gateway.references.textio import existing_file
from posearena_gateway.runtime import EmbeddedServices


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lift", help="lift 2D keypoints to 3D (VideoPose3D)",
                       description="IN is a .npy (T,17,2) COCO-17 px or a `posearena detect` "
                       ".npz (main person). OUT.npz holds poses_3d (T,17,3) m (root-relative, "
                       "camera frame), skeleton, interpolated (T,), up_axis (3,) (from --calib, "
                       "else -y).")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--width", type=int, help="image width px (default: from the npz)")
    p.add_argument("--height", type=int, help="image height px (default: from the npz)")
    p.add_argument("--fps", type=float, default=None)
    p.add_argument("--checkpoint", help="official .bin or our .pt (default: the shipped model)")
    p.add_argument("--arch", help="filter widths, e.g. 3,3,3,3,3")
    p.add_argument("--channels", type=int)
    p.add_argument("--causal", action="store_true",
                   help="causal end to end: the shipped causal model (or --checkpoint run "
                   "causally); labels decided forward, gaps held at the last seen 2D, the "
                   "virtual camera aimed at the first frame: frame t's 3D depends on frames "
                   "<= t only; lifted frame by frame through the streaming LiftStream RPC")
    p.add_argument("--no-flip-tta", action="store_true")
    p.add_argument("--calib", help="calibration file of the camera (Qualisys, OpenCV, TOML): "
                   "the 2D is lifted in a virtual camera aimed at the person with its roll "
                   "levelled to the world's +Z, then rotated back (needs --camera)")
    p.add_argument("--camera", help="the video's camera name in --calib")
    p.add_argument("--keep-labels", action="store_true",
                   help="do not undo left/right label swaps of the 2D track (by default they "
                   "are, by temporal continuity)")
    p.add_argument("--person", default="auto",
                   help="the patient when the npz holds several tracks: auto|largest|central|"
                   "longest|ID")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    k, _, dets = load_2d(args.input, "coco17", person=args.person)
    for name, given in (("--width", args.width), ("--height", args.height)):
        if given is not None and given < 1:
            raise InvalidInputError(name, given, "the image size in px (>= 1)")
    width = args.width or (dets.width if dets else None)
    height = args.height or (dets.height if dets else None)
    if not width or not height:
        raise InvalidInputError("--width/--height", (width, height), "the image size in px")
    fps = args.fps or (dets.fps if dets else 30.0)
    cam = None
    if args.calib or args.camera:
        cams = load_calibration(args.calib) if args.calib else {}
        if args.camera not in cams:
            raise InvalidInputError("--camera", args.camera,
                                    f"with --calib, one of {sorted(cams)}")
        cam = cams[args.camera]
        if abs(cam.width - width) > 0.02 * width or abs(cam.height - height) > 0.02 * height:
            raise InvalidInputError("--camera", f"{args.camera} ({cam.width}x{cam.height} px)",
                                    f"a calibration of the video's size {width}x{height} px")
    extra = []
    # made absolute: the service runs in another working directory
    checkpoint = (str(existing_file(args.checkpoint, "a lifter checkpoint", "--checkpoint")
                      .resolve()) if args.checkpoint else None)
    for flag, value in (("--checkpoint", checkpoint), ("--arch", args.arch),
                        ("--channels", args.channels)):
        if value:
            extra += [flag, str(value)]
    if args.causal and extra:
        extra.append("--causal")
    # The 2D is prepared (left/right label fix: ~0.6 s at 40,000 frames) while the service
    # starts (a second or more of torch imports and model loading), on the other core; an
    # error in it is raised once the service is up (and then stopped).
    with ThreadPoolExecutor(1, thread_name_prefix="lift-input") as pool:
        preparing = pool.submit(prepare_lift_input, k, width, height, cam,
                                fix_labels=not args.keep_labels, causal=args.causal)
        # a custom model needs its own service process; otherwise any running lifter will do
        with EmbeddedServices(["videopose3d"], extra_args={"videopose3d": extra},
                              fresh=bool(extra)) as es:
            prep = preparing.result()
            target = es.require("videopose3d")
            if args.causal:  # frame by frame through the LiftStream RPC, as a live source would
                out = lift_causal(target, prep.keypoints, "coco17", width, height, fps,
                                  flip_tta=not args.no_flip_tta)
            else:
                out = lift(target, prep.keypoints, "coco17", width, height, fps,
                           flip_tta=not args.no_flip_tta)
    # stored, not deflated: float 3D hardly shrinks, and deflating 40,000 frames took 0.27 s
    atomic_save_npz(args.output, compressed=False, poses_3d=prep.to_camera(out.poses_3d),
                    skeleton=np.array(out.skeleton), interpolated=out.interpolated,
                    fps=np.array(fps), frame=np.array("camera (OpenCV), root-relative, m"),
                    up_axis=prep.up, left_right_relabelled_frames=np.array(prep.relabelled),
                    causal=np.array(bool(args.causal)),
                    model=np.array(out.details.get("model", "")),
                    input_view=np.array(prep.how), causal_steps=np.array(prep.causal_steps))
    print(f"{args.output}: {len(out.poses_3d)} frames of {out.skeleton} in metres "
          f"({int(out.interpolated.sum())} interpolated, left/right relabelled in "
          f"{prep.relabelled})" + (f"; {prep.causal_steps}" if args.causal else ""))
    return 0

"""CLI: `python -m posearena_videopose3d.training --data-dir DIR --train-subjects s01,...
--val-subjects s07 --minutes M --out CKPT [--resume]` (torch limited to 1 thread).

With `--semi --unlabelled-subjects s02,...`: semi-supervised training (`semi_train`): a
supervised warm-up, then the 2D of the unlabelled subjects by back-projection; `--minutes`
is then a budget on the `--clock` (process CPU time by default), `--resume` adds `--minutes`
to a stopped run. It pays where labels are scarce (`--subset`, e.g. 0.1 of one subject's
recordings; `bench/bench_semi.py`)."""

from __future__ import annotations

import argparse
import json
import sys

import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.checkpoint import load_checkpoint
from posearena_videopose3d.training.cameras import CameraSampling
from posearena_videopose3d.training.data import load_uiprmd_vicon, subset_sequences
from posearena_videopose3d.training.evaluate import evaluate
from posearena_videopose3d.training.poseaug import PoseAugmentation
from posearena_videopose3d.training.semi_train import SemiConfig, train_semi
from posearena_videopose3d.training.train import TrainConfig, train


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load UI-PRMD Vicon data, train, print a JSON summary; a bad input is
    one line on stderr and exit status 2."""
    try:
        return _main(argv)
    except InvalidInputError as exc:
        print(f"posearena train-lifter: error: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m posearena_videopose3d.training")
    ap.add_argument("--data-dir", required=True, help="UI-PRMD folder (or Vicon/Positions)")
    ap.add_argument("--train-subjects", required=True, help="comma list, e.g. s01,s02")
    ap.add_argument("--val-subjects", default="", help="comma list of held-out subjects")
    ap.add_argument("--minutes", type=float, default=10.0, help="training wall time (min)")
    ap.add_argument("--out", required=True, help="model checkpoint (.pt)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT.state.pt")
    ap.add_argument("--filter-widths", default="3,3,3,3")
    ap.add_argument("--channels", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--yaw-deg", type=float, default=180.0, help="max |camera yaw| (deg)")
    ap.add_argument("--subsample", default="2,3", help="strides of the 100 Hz data")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-only", action="store_true",
                    help="only evaluate the checkpoint OUT on --val-subjects")
    ap.add_argument("--flip-tta", action="store_true", help="flip TTA in evaluation")
    ap.add_argument("--pose-aug", type=float, default=0.0,
                    help="probability of rotating a sequence's arms/legs/trunk per epoch")
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--semi", action="store_true",
                    help="semi-supervised: warm-up, then back-projection of unlabelled 2D")
    ap.add_argument("--unlabelled-subjects", default="",
                    help="--semi: subjects used as 2D only (their 3D is never read)")
    ap.add_argument("--warmup-fraction", type=float, default=SemiConfig().warmup_fraction,
                    help="--semi: share of the budget trained on labelled data only (1: "
                    "supervised-only through the same loop)")
    ap.add_argument("--bone-weight", type=float, default=SemiConfig().bone_weight,
                    help="--semi: bone-length term")
    ap.add_argument("--root", choices=("trajectory", "solve"), default="trajectory",
                    help="--semi: back-projection places the pose by the trajectory model "
                    "(as the original) or by least squares from the 2D and intrinsics")
    ap.add_argument("--movements", default="",
                    help="keep only these movements for training and validation, e.g. "
                    "m01,m02 (default: all)")
    ap.add_argument("--unlabelled-movements", default="",
                    help="--semi: movements of the unlabelled subjects (default: --movements)")
    ap.add_argument("--val-movements", default="",
                    help="movements to validate on (default: --movements)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="--semi: budget clock (process CPU time or wall time)")
    ap.add_argument("--subset", type=float, default=1.0,
                    help="keep this fraction of each training recording (a contiguous "
                    "stretch, as VideoPose3D's --subset: scarce labels)")
    ap.add_argument("--lr-final", type=float, default=SemiConfig().lr_final,
                    help="--semi: lr factor at the end of the budget (exponential decay)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    sampling = CameraSampling(yaw_deg=a.yaw_deg)
    if a.eval_only:
        if not a.val_subjects:
            raise InvalidInputError("--val-subjects", a.val_subjects, "subjects to evaluate on")
        model, _ = load_checkpoint(a.out)
        val_seqs, _ = load_uiprmd_vicon(a.data_dir, a.val_subjects.split(","), subsample=(3,))
        print(json.dumps(evaluate(model, val_seqs, sampling=sampling, flip_tta=a.flip_tta)))
        return 0
    sub = tuple(int(s) for s in a.subsample.split(","))
    tr_subj = a.train_subjects.split(",")
    train_seqs, rep = load_uiprmd_vicon(a.data_dir, tr_subj, subsample=sub)
    train_seqs = subset_sequences(_movements(train_seqs, a.movements, "--movements"),
                                  a.subset)
    val_seqs, vrep = (load_uiprmd_vicon(a.data_dir, a.val_subjects.split(","), subsample=(3,))
                      if a.val_subjects else (None, None))
    if val_seqs:
        val_seqs = _movements(val_seqs, a.val_movements or a.movements, "--val-movements")
    dropped = rep.dropped + (vrep.dropped if vrep else [])
    print(f"train: {len(train_seqs)} sequences, {sum(len(s.h36m) for s in train_seqs)} frames; "
          f"dropped (>50% frames missing a marker): {dropped}; trimmed: "
          f"{rep.trimmed + (vrep.trimmed if vrep else [])}", flush=True)
    cfg = TrainConfig(filter_widths=[int(w) for w in a.filter_widths.split(",")],
                      channels=a.channels, causal=a.causal, batch_size=a.batch_size,
                      minutes=a.minutes, seed=a.seed, lr=a.lr)
    meta = {"training_data": {
        "dataset": "UI-PRMD Vicon positions (Plug-in-Gait markers -> joint centres, "
                   "posearena.mocap)", "train_subjects": tr_subj,
        "val_subjects": a.val_subjects.split(",") if a.val_subjects else [],
        "subsample_strides_of_100hz": list(sub), "dropped_files": dropped,
        "subset": a.subset}}
    if a.semi:
        if a.init or a.pose_aug:
            raise InvalidInputError("--semi", "with --init/--pose-aug",
                                    "--semi without them")
        return _semi(a, train_seqs, val_seqs, sub, meta, sampling)
    init = None
    if a.init:
        init, _ = load_checkpoint(a.init, cfg.filter_widths, cfg.channels, cfg.causal)
        meta["training_data"]["initialised_from"] = str(a.init)
    summary = train(train_seqs, val_seqs, a.out, cfg, resume=a.resume,
                    sampling=sampling, extra_meta=meta, init=init,
                    pose_aug=PoseAugmentation(prob=a.pose_aug) if a.pose_aug > 0 else None)
    summary.pop("losses")
    print(json.dumps(summary), flush=True)
    return 0


def _movements(seqs: list, wanted: str, flag: str) -> list:
    """The sequences of some movements ("m01,m07"; "" keeps all)."""
    keep = {m.strip() for m in wanted.split(",") if m.strip()}
    if not keep or not seqs:
        return seqs
    out = [s for s in seqs if s.name[:3] in keep]
    if not out:
        raise InvalidInputError(flag, wanted, "movements like m01,m07 present in the data")
    return out


def _semi(a: argparse.Namespace, train_seqs: list, val_seqs: list | None,
          sub: tuple[int, ...], meta: dict, sampling: CameraSampling) -> int:
    """`--semi`: load the unlabelled subjects, run `train_semi`, print a JSON summary."""
    if not 0.0 <= a.warmup_fraction <= 1.0:
        raise InvalidInputError("--warmup-fraction", a.warmup_fraction, "a number in [0, 1]")
    unl_subj = [s for s in a.unlabelled_subjects.split(",") if s]
    overlap = set(unl_subj) & set(meta["training_data"]["train_subjects"])
    lab_m = {m for m in a.movements.split(",") if m}
    unl_m = {m for m in a.unlabelled_movements.split(",") if m}
    if overlap and not (lab_m and unl_m and not lab_m & unl_m):
        raise InvalidInputError("--unlabelled-subjects", sorted(overlap),
                                "subjects not in --train-subjects (or disjoint --movements "
                                "and --unlabelled-movements)")
    if a.warmup_fraction < 1.0 and not unl_subj:
        raise InvalidInputError("--unlabelled-subjects", a.unlabelled_subjects,
                                "subjects whose 2D trains the semi phase (or "
                                "--warmup-fraction 1 for supervised-only)")
    unl = load_uiprmd_vicon(a.data_dir, unl_subj, subsample=sub)[0] if unl_subj else []
    unl = _movements(unl, a.unlabelled_movements or a.movements, "--unlabelled-movements")
    meta["training_data"]["movements"] = {"labelled": a.movements or "all",
                                          "unlabelled": a.unlabelled_movements or a.movements
                                          or "all",
                                          "validation": a.val_movements or a.movements
                                          or "all"}
    meta["training_data"]["unlabelled_subjects"] = unl_subj
    cfg = SemiConfig(filter_widths=[int(w) for w in a.filter_widths.split(",")],
                     channels=a.channels, causal=a.causal, batch_size=a.batch_size,
                     minutes=a.minutes, clock=a.clock, warmup_fraction=a.warmup_fraction,
                     bone_weight=a.bone_weight, seed=a.seed, lr=a.lr, lr_final=a.lr_final,
                     root=a.root)
    summary = train_semi(train_seqs, unl, val_seqs, a.out, cfg, sampling=sampling,
                         extra_meta=meta, resume=a.resume)
    summary.pop("losses")
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Copy a trained lifter checkpoint over a shipped one, with its flip-TTA figures added.

Usage (main venv, repository root):
    python tools/ship_lifter_model.py --trained /tmp/default.pt --flip-tta-json EVAL.json \
        --shipped services/videopose3d/posearena_videopose3d/models/default.pt

EVAL.json is the last line printed by
`python -m posearena_videopose3d.training ... --out TRAINED --eval-only --flip-tta`.
Weights are unchanged; the metadata gains `validation_flip_tta`, the validation protocol and
the replaced model's figures (`previous_model`), and `<shipped>.json` is rewritten as its copy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from posearena_videopose3d.checkpoint import load_checkpoint, save_checkpoint

PROTOCOL = (
    "held-out subjects s06+s07 (never trained on), all 10 movements e01-e05, every 3rd Vicon "
    "frame (33.3 Hz, 3 offsets), 2 seeded random cameras per sequence (yaw +-180 deg, "
    "1.5-4.5 m, Kinect-v1/phone intrinsics), 2 px Gaussian 2D noise, through inference.lift; "
    "'validation' without and 'validation_flip_tta' with flip TTA (the service default); mm")
_FIXED = ("format", "input_skeleton", "output_skeleton", "filter_widths", "channels", "causal",
          "dense", "receptive_field", "date", "training_data")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trained", required=True, help="checkpoint written by the training")
    ap.add_argument("--flip-tta-json", required=True, help="file with the --eval-only JSON")
    ap.add_argument("--shipped", required=True, help="the shipped .pt to replace")
    a = ap.parse_args(argv)
    model, meta = load_checkpoint(a.trained)
    shipped = Path(a.shipped)
    old = json.loads(shipped.with_suffix(".json").read_text()) if shipped.with_suffix(
        ".json").is_file() else None
    tta = json.loads(Path(a.flip_tta_json).read_text().strip().splitlines()[-1])
    meta["validation_flip_tta"] = {
        k: {kk: (vv if kk == "frames" else round(vv, 2)) for kk, vv in v.items()}
        for k, v in tta.items()}
    meta["validation_protocol"] = PROTOCOL
    if old is not None:
        meta["previous_model"] = {k: old.get(k) for k in
                                  ("date", "validation", "validation_flip_tta")}
    training_data = meta.get("training_data", "unspecified")
    extra = {k: v for k, v in meta.items() if k not in _FIXED}
    save_checkpoint(shipped, model, training_data=training_data, extra=extra)
    _, written = load_checkpoint(shipped)
    shipped.with_suffix(".json").write_text(json.dumps(written, indent=1) + "\n")
    print(f"{shipped}: flip-TTA P-MPJPE {meta['validation_flip_tta']['all']['p_mpjpe_mm']} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())

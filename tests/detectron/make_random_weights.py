"""Randomly initialised Keypoint R-CNN weights in torchvision, Detectron2 and Detectron layouts.

Run in the detectron venv. As a script it writes a torchvision `.pth`:
    .venvs/detectron/bin/python tests/detectron/make_random_weights.py OUT.pth [--seed N]

The foreign layouts are written here independently of `posearena_detectron.convert` (from
the formats' own naming: Detectron2's `backbone.bottom_up.res2.0.conv1.norm.weight`,
Detectron's Caffe2 blobs `res2_0_branch2a_bn_s`), so a round trip tests the converter.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import torch
from torchvision.models.detection import keypointrcnn_resnet50_fpn
from torchvision.ops import FrozenBatchNorm2d

from posearena_detectron.model import build_model, get_spec


def tame(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Randomise norm statistics and scale the prediction layers so the model detects people.

    Random weights give huge activations; box/RPN deltas are scaled down (boxes stay near
    anchors), the classifier is biased to "person", so every test image yields detections.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, FrozenBatchNorm2d | torch.nn.BatchNorm2d):
                n = m.weight.shape[0]
                m.weight.copy_(0.2 + 0.4 * torch.rand(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
        model.rpn.head.bbox_pred.weight.mul_(1e-4)
        pred = model.roi_heads.box_predictor
        pred.bbox_pred.weight.mul_(1e-4)
        pred.cls_score.bias.copy_(torch.tensor([0.0, 3.0]))
    return model


def fast(model: torch.nn.Module, detections: int = 4) -> torch.nn.Module:
    """Fewer proposals and detections (the keypoint head runs once per detection)."""
    model.rpn._pre_nms_top_n["testing"] = 200
    model.rpn._post_nms_top_n["testing"] = 50
    model.roi_heads.detections_per_img = detections
    return model


def random_model(variant: str, seed: int = 0, min_size: int = 128, max_size: int = 224):
    """A tamed random model of `variant` (see model.VARIANTS) at a small test resolution."""
    torch.manual_seed(seed)
    return fast(tame(build_model(get_spec(variant), min_size, max_size), seed))


def _np(state: dict) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in state.items()
            if not k.endswith("num_batches_tracked")}


def to_detectron2_layout(state: dict) -> dict[str, np.ndarray]:
    """torchvision state dict -> Detectron2 names, BGR first conv, background-last classes."""
    s, out = _np(state), {}
    bb = "backbone.bottom_up"
    out[f"{bb}.stem.conv1.weight"] = s["backbone.body.conv1.weight"][:, ::-1].copy()
    for leaf in ("weight", "bias", "running_mean", "running_var"):
        out[f"{bb}.stem.conv1.norm.{leaf}"] = s[f"backbone.body.bn1.{leaf}"]
    for key, arr in s.items():
        parts = key.split(".")
        if not key.startswith("backbone.body.layer"):
            continue
        stage, block, mod, leaf = int(parts[2][-1]) + 1, parts[3], parts[4], parts[-1]
        base = f"{bb}.res{stage}.{block}"
        if mod.startswith("conv"):
            out[f"{base}.{mod}.{leaf}"] = arr
        elif mod.startswith("bn"):
            out[f"{base}.conv{mod[-1]}.norm.{leaf}"] = arr
        else:
            out[f"{base}.shortcut{'.norm' if parts[5] == '1' else ''}.{leaf}"] = arr
    for i in range(4):
        for wb in ("weight", "bias"):
            out[f"backbone.fpn_lateral{i + 2}.{wb}"] = s[f"backbone.fpn.inner_blocks.{i}.0.{wb}"]
            out[f"backbone.fpn_output{i + 2}.{wb}"] = s[f"backbone.fpn.layer_blocks.{i}.0.{wb}"]
    rpn = "proposal_generator.rpn_head"
    for wb in ("weight", "bias"):
        out[f"{rpn}.conv.{wb}"] = s[f"rpn.head.conv.0.0.{wb}"]
        out[f"{rpn}.objectness_logits.{wb}"] = s[f"rpn.head.cls_logits.{wb}"]
        out[f"{rpn}.anchor_deltas.{wb}"] = s[f"rpn.head.bbox_pred.{wb}"]
        out[f"roi_heads.box_head.fc1.{wb}"] = s[f"roi_heads.box_head.fc6.{wb}"]
        out[f"roi_heads.box_head.fc2.{wb}"] = s[f"roi_heads.box_head.fc7.{wb}"]
        cls = s[f"roi_heads.box_predictor.cls_score.{wb}"]
        out[f"roi_heads.box_predictor.cls_score.{wb}"] = np.concatenate([cls[1:], cls[:1]])
        box = s[f"roi_heads.box_predictor.bbox_pred.{wb}"]
        out[f"roi_heads.box_predictor.bbox_pred.{wb}"] = box[4:]
        for k in range(8):
            out[f"roi_heads.keypoint_head.conv_fcn{k + 1}.{wb}"] = s[
                f"roi_heads.keypoint_head.{2 * k}.{wb}"]
        out[f"roi_heads.keypoint_head.score_lowres.{wb}"] = s[
            f"roi_heads.keypoint_predictor.kps_score_lowres.{wb}"]
    out["pixel_mean"] = np.array([103.53, 116.28, 123.675], dtype=np.float32).reshape(3, 1, 1)
    return out


def _affine(s: dict[str, np.ndarray], prefix: str, eps: float = 1e-5) -> tuple[np.ndarray, ...]:
    """Frozen batch norm -> AffineChannel (scale, shift)."""
    scale = s[f"{prefix}.weight"] / np.sqrt(s[f"{prefix}.running_var"] + eps)
    return scale.astype(np.float32), (s[f"{prefix}.bias"] - s[f"{prefix}.running_mean"] * scale
                                      ).astype(np.float32)


def to_detectron_layout(state: dict) -> dict[str, np.ndarray]:
    """torchvision state dict -> Detectron (Caffe2) blobs with AffineChannel norms, BGR conv1."""
    s, out = _np(state), {}
    out["conv1_w"] = s["backbone.body.conv1.weight"][:, ::-1].copy()
    out["res_conv1_bn_s"], out["res_conv1_bn_b"] = _affine(s, "backbone.body.bn1")
    last = {}
    for key in s:
        if key.startswith("backbone.body.layer") and key.endswith("conv1.weight"):
            p = key.split(".")
            stage, block = int(p[2][-1]) + 1, int(p[3])
            last[stage] = max(last.get(stage, 0), block)
            base, body = f"res{stage}_{block}", f"backbone.body.layer{stage - 1}.{block}"
            for i, br in ((1, "2a"), (2, "2b"), (3, "2c")):
                out[f"{base}_branch{br}_w"] = s[f"{body}.conv{i}.weight"]
                out[f"{base}_branch{br}_bn_s"], out[f"{base}_branch{br}_bn_b"] = _affine(
                    s, f"{body}.bn{i}")
            if f"{body}.downsample.0.weight" in s:
                out[f"{base}_branch1_w"] = s[f"{body}.downsample.0.weight"]
                out[f"{base}_branch1_bn_s"], out[f"{base}_branch1_bn_b"] = _affine(
                    s, f"{body}.downsample.1")
    for stage in range(2, 6):
        lateral = "" if stage == 5 else "_lateral"
        for wb, leaf in (("w", "weight"), ("b", "bias")):
            out[f"fpn_inner_res{stage}_{last[stage]}_sum{lateral}_{wb}"] = s[
                f"backbone.fpn.inner_blocks.{stage - 2}.0.{leaf}"]
            out[f"fpn_res{stage}_{last[stage]}_sum_{wb}"] = s[
                f"backbone.fpn.layer_blocks.{stage - 2}.0.{leaf}"]
    for wb, leaf in (("w", "weight"), ("b", "bias")):
        out[f"conv_rpn_fpn2_{wb}"] = s[f"rpn.head.conv.0.0.{leaf}"]
        out[f"rpn_cls_logits_fpn2_{wb}"] = s[f"rpn.head.cls_logits.{leaf}"]
        out[f"rpn_bbox_pred_fpn2_{wb}"] = s[f"rpn.head.bbox_pred.{leaf}"]
        out[f"fc6_{wb}"], out[f"fc7_{wb}"] = (s[f"roi_heads.box_head.fc{i}.{leaf}"] for i in (6, 7))
        out[f"cls_score_{wb}"] = s[f"roi_heads.box_predictor.cls_score.{leaf}"]
        out[f"bbox_pred_{wb}"] = s[f"roi_heads.box_predictor.bbox_pred.{leaf}"]
        for k in range(8):
            out[f"conv_fcn{k + 1}_{wb}"] = s[f"roi_heads.keypoint_head.{2 * k}.{leaf}"]
        out[f"kps_score_lowres_{wb}"] = s[f"roi_heads.keypoint_predictor.kps_score_lowres.{leaf}"]
    out["kps_score_w"] = np.zeros((17, 17, 4, 4), dtype=np.float32)  # fixed bilinear kernel
    out["conv1_w_momentum"] = np.zeros_like(out["conv1_w"])
    return out


def save_pickle(path: Path, obj: object, protocol: int) -> None:
    """Write `obj` as a pickle file (protocol 2 like Detectron's Python 2 files, 4 otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=protocol)


def main(argv: list[str]) -> int:
    """Write a tamed random torchvision keypointrcnn_resnet50_fpn state dict to argv[0]."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
    torch.manual_seed(seed)
    model = tame(keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None), seed)
    Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

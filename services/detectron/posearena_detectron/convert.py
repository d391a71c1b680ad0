"""Detectron2 and Detectron (Caffe2) Keypoint R-CNN tensors -> torchvision names and layouts.

Pure numpy. Each converter returns torchvision-named arrays plus a `ConversionReport` that
records, for every source tensor, where it went, what was changed on the way, or why it was
ignored; `weights.apply_state` adds what the model still misses or cannot take.

Layout changes (beyond renaming):
- first convolution: input channels reversed (BGR-trained -> RGB input);
- Detectron2 `cls_score`: background row moved from last to first (torchvision order);
- Detectron2 `bbox_pred` (class-specific, no background, 4 rows) -> 8 rows with zero
  background deltas first (torchvision discards background boxes);
- Detectron AffineChannel norms (scale `_bn_s`, shift `_bn_b`) -> frozen batch norm with
  running mean 0 and running var 1 - eps, which computes exactly scale * x + shift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

BN_EPS = 1e-5  # torchvision FrozenBatchNorm2d eps
FIRST_CONV = "backbone.body.conv1.weight"


@dataclass
class ConversionReport:
    """What happened to every tensor on the way from a checkpoint into the model.

    Attributes:
        source_format: "torchvision", "detectron2" or "detectron".
        loaded: target name -> source name for every tensor copied into the model.
        transformed: target name -> description of a layout change applied.
        filled: target name -> why it was filled with a constant (no source tensor).
        ignored: source name -> why it is not needed by the torchvision model.
        unmatched: source names with no place in the model (an architecture mismatch).
        missing: model tensors nothing was loaded into.
        shape_mismatch: target name -> (source shape, model shape).
    """

    source_format: str
    loaded: dict[str, str] = field(default_factory=dict)
    transformed: dict[str, str] = field(default_factory=dict)
    filled: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shape_mismatch: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=dict
    )

    @property
    def ok(self) -> bool:
        """True when every model tensor was loaded with the right shape and nothing is left."""
        return not (self.unmatched or self.missing or self.shape_mismatch)

    def problems(self, limit: int = 12) -> str:
        """One line per kind of problem, each listing up to `limit` names."""
        lines = []
        for title, names in (
            ("shape mismatch (checkpoint vs model)",
             [f"{k} {a} vs {b}" for k, (a, b) in self.shape_mismatch.items()]),
            ("checkpoint tensors with no place in the model", list(self.unmatched)),
            ("model tensors missing from the checkpoint", list(self.missing)),
        ):
            if names:
                more = f" ... (+{len(names) - limit} more)" if len(names) > limit else ""
                lines.append(f"{len(names)} {title}: {', '.join(names[:limit])}{more}")
        return "; ".join(lines) if lines else "none"

    def summary(self) -> str:
        """A one-line count of loaded / transformed / filled / ignored / problem tensors."""
        return (
            f"{self.source_format}: {len(self.loaded)} loaded, {len(self.transformed)} "
            f"transformed, {len(self.filled)} filled, {len(self.ignored)} ignored; "
            f"problems: {self.problems()}"
        )


def _resnet_target(stage: int, block: str, part: str) -> str:
    return f"backbone.body.layer{stage - 1}.{block}.{part}"


_D2_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^backbone\.bottom_up\.stem\.conv1\.weight$", "backbone.body.conv1.weight"),
        (r"^backbone\.bottom_up\.stem\.conv1\.norm\.(\w+)$", r"backbone.body.bn1.\1"),
        (r"^backbone\.fpn_lateral(\d)\.(weight|bias)$", "lateral"),
        (r"^backbone\.fpn_output(\d)\.(weight|bias)$", "output"),
        (r"^proposal_generator\.rpn_head\.conv\.(weight|bias)$", r"rpn.head.conv.0.0.\1"),
        (r"^proposal_generator\.rpn_head\.objectness_logits\.(weight|bias)$",
         r"rpn.head.cls_logits.\1"),
        (r"^proposal_generator\.rpn_head\.anchor_deltas\.(weight|bias)$",
         r"rpn.head.bbox_pred.\1"),
        (r"^roi_heads\.box_head\.fc1\.(weight|bias)$", r"roi_heads.box_head.fc6.\1"),
        (r"^roi_heads\.box_head\.fc2\.(weight|bias)$", r"roi_heads.box_head.fc7.\1"),
        (r"^roi_heads\.box_predictor\.(cls_score|bbox_pred)\.(weight|bias)$",
         r"roi_heads.box_predictor.\1.\2"),
        (r"^roi_heads\.keypoint_head\.score_lowres\.(weight|bias)$",
         r"roi_heads.keypoint_predictor.kps_score_lowres.\1"),
    )
)
_D2_BLOCK = re.compile(
    r"^backbone\.bottom_up\.res(\d)\.(\d+)\.(conv[123]|shortcut)(\.norm)?\.(\w+)$"
)
_D2_KP_CONV = re.compile(r"^roi_heads\.keypoint_head\.conv_fcn(\d+)\.(weight|bias)$")
_D2_IGNORE = (
    (re.compile(r"^pixel_(mean|std)$"), "input normalisation lives in the model spec"),
    (re.compile(r"anchor_generator\.cell_anchors"), "anchors are generated by torchvision"),
    (re.compile(r"num_batches_tracked$"), "batch-norm counter, unused at inference"),
)


def _d2_target(name: str) -> str | None:
    m = _D2_BLOCK.match(name)
    if m:
        stage, block, conv, norm, leaf = m.groups()
        if conv == "shortcut":
            part = f"downsample.1.{leaf}" if norm else f"downsample.0.{leaf}"
        else:
            part = f"bn{conv[-1]}.{leaf}" if norm else f"{conv}.{leaf}"
        return _resnet_target(int(stage), block, part)
    m = _D2_KP_CONV.match(name)
    if m:
        return f"roi_heads.keypoint_head.{2 * (int(m.group(1)) - 1)}.{m.group(2)}"
    for pattern, repl in _D2_RULES:
        m = pattern.match(name)
        if not m:
            continue
        if repl in ("lateral", "output"):
            blocks = "inner_blocks" if repl == "lateral" else "layer_blocks"
            return f"backbone.fpn.{blocks}.{int(m.group(1)) - 2}.0.{m.group(2)}"
        return m.expand(repl)
    return None


def convert_detectron2(tensors: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray],
                                                                 ConversionReport]:
    """Map a Detectron2 Keypoint R-CNN state dict (the pkl's "model" dict) to torchvision.

    Args:
        tensors: Detectron2 parameter name -> array, e.g.
            "backbone.bottom_up.res4.22.conv2.norm.running_var" (n,) or
            "roi_heads.keypoint_head.score_lowres.weight" (512, 17, 4, 4).

    Returns:
        (torchvision name -> float32 array, report). Unknown names go to `report.unmatched`.
    """
    report = ConversionReport("detectron2")
    out: dict[str, np.ndarray] = {}
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        reason = next((r for p, r in _D2_IGNORE if p.search(name)), None)
        if reason:
            report.ignored[name] = reason
            continue
        target = _d2_target(name)
        if target is None:
            report.unmatched.append(name)
            continue
        if target.endswith("cls_score.weight") or target.endswith("cls_score.bias"):
            arr = np.concatenate([arr[-1:], arr[:-1]])
            report.transformed[target] = "background row moved from last to first"
        elif (target.endswith("bbox_pred.weight") or target.endswith("bbox_pred.bias")) and (
            arr.shape[0] == 4
        ):
            arr = np.concatenate([np.zeros_like(arr), arr])
            report.transformed[target] = "zero background deltas prepended (4 -> 8 rows)"
        out[target] = arr
        report.loaded[target] = name
    _bgr_to_rgb(out, report)
    return out, report


_D1_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^conv1_w$", "backbone.body.conv1.weight"),
        (r"^res_conv1_bn_s$", "backbone.body.bn1.weight"),
        (r"^res_conv1_bn_b$", "backbone.body.bn1.bias"),
        (r"^conv_rpn_fpn2_([wb])$", "rpn.head.conv.0.0.{wb}"),
        (r"^rpn_cls_logits_fpn2_([wb])$", "rpn.head.cls_logits.{wb}"),
        (r"^rpn_bbox_pred_fpn2_([wb])$", "rpn.head.bbox_pred.{wb}"),
        (r"^fc6_([wb])$", "roi_heads.box_head.fc6.{wb}"),
        (r"^fc7_([wb])$", "roi_heads.box_head.fc7.{wb}"),
        (r"^cls_score_([wb])$", "roi_heads.box_predictor.cls_score.{wb}"),
        (r"^bbox_pred_([wb])$", "roi_heads.box_predictor.bbox_pred.{wb}"),
        (r"^kps_score_lowres_([wb])$", "roi_heads.keypoint_predictor.kps_score_lowres.{wb}"),
    )
)
_D1_BLOCK = re.compile(r"^res(\d)_(\d+)_branch(1|2a|2b|2c)_(w|bn_s|bn_b)$")
_D1_FPN = re.compile(r"^fpn_(inner_)?res(\d)_\d+_sum(_lateral)?_([wb])$")
_D1_KP_CONV = re.compile(r"^conv_fcn(\d+)_([wb])$")
_D1_IGNORE = (
    (re.compile(r"_momentum$"), "optimizer state"),
    (re.compile(r"^kps_score_[wb]$"),
     "fixed bilinear 2x upsampling kernel; torchvision upsamples with F.interpolate"),
    (re.compile(r"^(lr|iter|weight_order|model_iter)$"), "training bookkeeping"),
)
_WB = {"w": "weight", "b": "bias"}


def _d1_target(name: str) -> str | None:
    m = _D1_BLOCK.match(name)
    if m:
        stage, block, branch, kind = m.groups()
        if branch == "1":
            part = "downsample.0" if kind == "w" else "downsample.1"
        else:
            idx = {"2a": 1, "2b": 2, "2c": 3}[branch]
            part = f"conv{idx}" if kind == "w" else f"bn{idx}"
        leaf = {"w": "weight", "bn_s": "weight", "bn_b": "bias"}[kind]
        return _resnet_target(int(stage), block, f"{part}.{leaf}")
    m = _D1_FPN.match(name)
    if m:
        inner, stage, _lateral, wb = m.groups()
        blocks = "inner_blocks" if inner else "layer_blocks"
        return f"backbone.fpn.{blocks}.{int(stage) - 2}.0.{_WB[wb]}"
    m = _D1_KP_CONV.match(name)
    if m:
        return f"roi_heads.keypoint_head.{2 * (int(m.group(1)) - 1)}.{_WB[m.group(2)]}"
    for pattern, repl in _D1_RULES:
        m = pattern.match(name)
        if m:
            return repl.format(wb=_WB[m.group(1)]) if m.groups() else repl
    return None


def convert_detectron(blobs: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray],
                                                             ConversionReport]:
    """Map Detectron (v1, Caffe2) Keypoint R-CNN blobs (the pkl's "blobs" dict) to torchvision.

    Args:
        blobs: Caffe2 blob name -> array, e.g. "res4_22_branch2b_bn_s" (256,),
            "fpn_inner_res3_3_sum_lateral_w" (256, 512, 1, 1), "conv_fcn8_w" (512, 512, 3, 3).
            Non-array entries are ignored (reported).

    Returns:
        (torchvision name -> float32 array, report). AffineChannel norms get running
        mean 0 / var 1 - eps (listed in `report.filled`).
    """
    report = ConversionReport("detectron")
    out: dict[str, np.ndarray] = {}
    for name in sorted(blobs):
        value = blobs[name]
        reason = next((r for p, r in _D1_IGNORE if p.search(name)), None)
        if reason is None and not isinstance(value, np.ndarray):
            reason = f"not an array ({type(value).__name__})"
        if reason:
            report.ignored[name] = reason
            continue
        target = _d1_target(name)
        if target is None:
            report.unmatched.append(name)
            continue
        out[target] = value
        report.loaded[target] = name
        if name.endswith("_bn_s"):
            stem = target.rsplit(".", 1)[0]
            out[f"{stem}.running_mean"] = np.zeros_like(value)
            out[f"{stem}.running_var"] = np.full_like(value, 1.0 - BN_EPS)
            for leaf in ("running_mean", "running_var"):
                report.filled[f"{stem}.{leaf}"] = "AffineChannel has no statistics"
    _bgr_to_rgb(out, report)
    return out, report


def _bgr_to_rgb(out: dict[str, np.ndarray], report: ConversionReport) -> None:
    w = out.get(FIRST_CONV)
    if w is not None and w.ndim == 4 and w.shape[1] == 3:
        out[FIRST_CONV] = np.ascontiguousarray(w[:, ::-1])
        report.transformed[FIRST_CONV] = "input channels reversed (BGR -> RGB)"

"""Keypoint R-CNN architectures (torchvision modules) for the weight families this service loads.

Every variant is torchvision's Keypoint R-CNN (ResNet-FPN backbone with frozen batch norm,
RPN, two-MLP box head, 8-conv keypoint head, 17 COCO keypoints), built with no weights at all
(nothing is ever downloaded). What differs between families is fixed here, in `ModelSpec`:

- input normalisation: torchvision's ImageNet mean/std on RGB in [0, 1]; Detectron and
  Detectron2 subtract BGR pixel means in [0, 255] with std 1 — expressed as torchvision's
  `image_mean`/`image_std` (RGB order, divided by 255); the BGR-trained first convolution gets
  its input channels reversed by the weight converter, so every model takes RGB;
- where ResNet strides: MSRA weights (Detectron, Detectron2) stride in the first 1x1 conv of a
  stage, torchvision in the 3x3;
- RoIAlign: Detectron2 uses "ROIAlignV2" (aligned=True, adaptive sampling), Detectron and
  torchvision aligned=False with 2x2 samples;
- keypoint pixel convention: Detectron2 returns continuous coordinates (pixel centres at +0.5);
  `keypoint_offset_px` (-0.5) moves them to posearena's (origin at the top-left pixel centre).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torchvision.models.detection import KeypointRCNN
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign, roi_align
from torchvision.ops.poolers import LevelMapper

NUM_KEYPOINTS = 17
NUM_CLASSES = 2  # background + person
_MSRA_MEAN_RGB_D2 = (123.675 / 255.0, 116.280 / 255.0, 103.530 / 255.0)
_MSRA_MEAN_RGB_D1 = (122.7717 / 255.0, 115.9465 / 255.0, 102.9801 / 255.0)
_UNIT_STD = (1.0 / 255.0,) * 3


@dataclass(frozen=True)
class ModelSpec:
    """One Keypoint R-CNN variant: architecture plus the conventions of its weight family.

    Attributes:
        name: variant key, e.g. "detectron2_r101".
        family: "torchvision", "detectron2" or "detectron".
        depth: ResNet depth, 50 or 101.
        stride_in_1x1: stride 2 in the first 1x1 conv of stages 3-5 (MSRA) instead of the 3x3.
        image_mean: (3,) RGB mean in [0, 1] units subtracted after scaling pixels to [0, 1].
        image_std: (3,) RGB std in [0, 1] units.
        roi_aligned: RoIAlign with the half-pixel correction (Detectron2's ROIAlignV2).
        sampling_ratio: RoIAlign samples per bin side (0 = adaptive).
        keypoint_offset_px: added to output keypoints and boxes (px) to reach posearena's
            pixel convention.
        files: accepted weight file names (first is the canonical one), in the models dir.
        source: where the original weights come from (for messages).
    """

    name: str
    family: str
    depth: int
    stride_in_1x1: bool
    image_mean: tuple[float, float, float]
    image_std: tuple[float, float, float]
    roi_aligned: bool
    sampling_ratio: int
    keypoint_offset_px: float
    files: tuple[str, ...]
    source: str


VARIANTS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "detectron2_r101", "detectron2", 101, True, _MSRA_MEAN_RGB_D2, _UNIT_STD, True, 0,
            -0.5, ("model_final_997cc7.pkl",),
            "Detectron2 model zoo COCO-Keypoints/keypoint_rcnn_R_101_FPN_3x",
        ),
        ModelSpec(
            "detectron2_r50", "detectron2", 50, True, _MSRA_MEAN_RGB_D2, _UNIT_STD, True, 0,
            -0.5, ("model_final_a6e10b.pkl",),
            "Detectron2 model zoo COCO-Keypoints/keypoint_rcnn_R_50_FPN_3x",
        ),
        ModelSpec(
            "detectron_r101", "detectron", 101, True, _MSRA_MEAN_RGB_D1, _UNIT_STD, False, 2,
            0.0,
            ("e2e_keypoint_rcnn_R-101-FPN_s1x.pkl",
             "e2e_keypoint_rcnn_R-101-FPN_s1x/model_final.pkl"),
            "Detectron (v1) model zoo e2e_keypoint_rcnn_R-101-FPN_s1x model_final.pkl",
        ),
        ModelSpec(
            "torchvision_r50", "torchvision", 50, False, (0.485, 0.456, 0.406),
            (0.229, 0.224, 0.225), False, 2, 0.0,
            ("keypointrcnn_resnet50_fpn_coco-fc266e95.pth", "keypointrcnn_resnet50_fpn.pth"),
            "torchvision KeypointRCNN_ResNet50_FPN_Weights.COCO_V1",
        ),
        ModelSpec(
            "torchvision_r101", "torchvision", 101, False, (0.485, 0.456, 0.406),
            (0.229, 0.224, 0.225), False, 2, 0.0, ("keypointrcnn_resnet101_fpn.pth",),
            "a torchvision-layout state dict of a ResNet-101 FPN Keypoint R-CNN",
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    """The ModelSpec called `name` (one of `VARIANTS`); ValueError naming the choices."""
    if name not in VARIANTS:
        raise ValueError(f"model variant={name!r}: expected one of {sorted(VARIANTS)}")
    return VARIANTS[name]


class AlignedMultiScaleRoIAlign(MultiScaleRoIAlign):
    """Multi-level RoIAlign with `aligned=True` (Detectron2's ROIAlignV2).

    Same level assignment as torchvision's pooler (canonical 224 px box at level 4); only the
    sampling grid differs: box corners are shifted by half a feature cell, so that a box
    edge at x px samples at x * scale - 0.5 (continuous coordinates).
    """

    def forward(
        self, x: dict[str, Tensor], boxes: list[Tensor], image_shapes: list[tuple[int, int]]
    ) -> Tensor:
        feats = [v for k, v in x.items() if k in self.featmap_names]
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _scales_and_mapper(
                feats, image_shapes, self.canonical_scale, self.canonical_level
            )
        rois = torch.cat(
            [torch.cat([b.new_full((len(b), 1), i), b], dim=1) for i, b in enumerate(boxes)]
        )
        levels = self.map_levels(boxes)
        out = feats[0].new_zeros((len(rois), feats[0].shape[1], *self.output_size))
        for level, (feat, scale) in enumerate(zip(feats, self.scales, strict=True)):
            idx = torch.where(levels == level)[0]
            if len(idx):
                out[idx] = roi_align(
                    feat, rois[idx], self.output_size, spatial_scale=scale,
                    sampling_ratio=self.sampling_ratio, aligned=True,
                ).to(out.dtype)
        return out


def _scales_and_mapper(
    feats: list[Tensor], image_shapes: list[tuple[int, int]], canonical: int, level: int
) -> tuple[list[float], LevelMapper]:
    """Feature scales (powers of 2 relative to the padded input) and the FPN level mapper."""
    max_h = max(s[0] for s in image_shapes)
    max_w = max(s[1] for s in image_shapes)
    scales = []
    for f in feats:
        ratio = max(f.shape[-2] / max_h, f.shape[-1] / max_w)
        scales.append(float(2.0 ** round(torch.log2(torch.tensor(ratio)).item())))
    lvl_min = -torch.log2(torch.tensor(scales[0], dtype=torch.float32)).item()
    lvl_max = -torch.log2(torch.tensor(scales[-1], dtype=torch.float32)).item()
    mapper = LevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical,
                         canonical_level=level)
    return scales, mapper


def _move_stride_to_1x1(body: nn.Module) -> None:
    """MSRA ResNet: stride 2 in conv1 (1x1) of the first block of layer2..layer4."""
    for name in ("layer2", "layer3", "layer4"):
        block = getattr(body, name)[0]
        block.conv1.stride = (2, 2)
        block.conv2.stride = (1, 1)


def build_model(spec: ModelSpec, min_size: int = 800, max_size: int = 1333) -> KeypointRCNN:
    """Build the (randomly initialised, eval-mode) Keypoint R-CNN of `spec`; downloads nothing.

    Args:
        spec: the variant (depth, stride placement, normalisation, RoIAlign flavour).
        min_size: shorter image side after the model's resize, px (800 in all three model
            zoos; smaller is faster and less accurate).
        max_size: cap on the longer side after resize, px (1333 in the model zoos).

    Returns:
        torchvision KeypointRCNN with 2 classes and 17 keypoints.
        The state-dict keys are those of torchvision's keypointrcnn_resnet50_fpn (frozen
        batch norm), for ResNet-101 with 23 blocks in layer3.
    """
    backbone = resnet_fpn_backbone(
        backbone_name=f"resnet{spec.depth}", weights=None, norm_layer=FrozenBatchNorm2d,
        trainable_layers=0,
    )
    if spec.stride_in_1x1:
        _move_stride_to_1x1(backbone.body)
    kwargs: dict[str, object] = {}
    if spec.roi_aligned or spec.sampling_ratio != 2:
        names = ["0", "1", "2", "3"]
        pool = AlignedMultiScaleRoIAlign if spec.roi_aligned else MultiScaleRoIAlign
        kwargs["box_roi_pool"] = pool(names, 7, spec.sampling_ratio)
        kwargs["keypoint_roi_pool"] = pool(names, 14, spec.sampling_ratio)
    model = KeypointRCNN(
        backbone, num_classes=NUM_CLASSES, num_keypoints=NUM_KEYPOINTS,
        image_mean=list(spec.image_mean), image_std=list(spec.image_std),
        min_size=min_size, max_size=max_size, **kwargs,
    )
    return model.eval()

"""Adapting a lifter to one recording from that recording's own 2D (no 3D labels).

A copy of the model is fine-tuned on the recording's views (each seen through its levelled
virtual camera, as the lifter is used) with:
- back-projection: the predicted root-relative pose, placed at the root translation that best
  explains the 2D (closed-form least squares per frame), projected with the view's focal
  length, against the input 2D (px);
- bone symmetry: left and right bones equally long; bone constancy: each bone's length steady
  over the recording;
- multi-view consistency (two or more views): the root-relative poses of one frame, rotated
  from each virtual camera into the calibration's world frame, agree;
- an anchor to the original model's output (small weight) so that the 2D terms cannot pull
  the pose far from what the model learned.
BatchNorm statistics stay frozen (eval mode, no dropout); Adam on all weights.

Units: px for 2D, metres for 3D; rotations (3, 3) world -> virtual camera.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.inference import fill_missing, normalize_screen, pad_edges
from posearena_videopose3d.model import TemporalModel

#: H36M-17 parents, and the COCO-17 joint drawn at each H36M joint for back-projection.
H36M_PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
H36M_FROM_COCO = {9: 0, 11: 5, 14: 6, 12: 7, 15: 8, 13: 9, 16: 10, 4: 11, 1: 12, 5: 13,
                  2: 14, 6: 15, 3: 16}
#: (left child, right child) H36M joints whose bones to the parent should be equally long.
SYMMETRIC = [(4, 1), (5, 2), (6, 3), (11, 14), (12, 15), (13, 16)]


@dataclass
class AdaptView:
    """One camera's 2D of the recording, as the lifter sees it.

    Attributes:
        keypoints: (T, 17, 2) px COCO-17 in the (virtual) image, NaN where missing.
        width, height: image size, px. focal_px: focal length, px (principal point at the
            image centre, no distortion: the virtual camera).
        rotation: (3, 3) world -> this virtual camera (None: no multi-view consistency).
    """

    keypoints: np.ndarray
    width: int
    height: int
    focal_px: float
    rotation: np.ndarray | None = None


@dataclass(frozen=True)
class AdaptConfig:
    """Weights and optimisation of the adaptation (px terms are divided by the focal length
    so that every term is about metres)."""

    steps: int = 150
    lr: float = 1e-4
    reprojection: float = 5.0
    symmetry: float = 1.0
    constancy: float = 1.0
    views: float = 1.0
    anchor: float = 0.1
    seed: int = 0


def _root_translation(pose: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
    """Least-squares root translation per frame: x_j (X_j + T)_z = (X_j + T)_x (and y).

    Args:
        pose: (N, J, 3) root-relative, m. xy: (N, J, 2) normalised image coordinates.

    Returns:
        (N, 1, 3) translation, m.
    """
    n, j = xy.shape[:2]
    zero, one = torch.zeros(n, j), torch.ones(n, j)
    a = torch.stack([torch.stack([one, zero, -xy[..., 0]], -1),
                     torch.stack([zero, one, -xy[..., 1]], -1)], 2).reshape(n, 2 * j, 3)
    b = torch.stack([xy[..., 0] * pose[..., 2] - pose[..., 0],
                     xy[..., 1] * pose[..., 2] - pose[..., 1]], 2).reshape(n, 2 * j, 1)
    ata = a.transpose(1, 2) @ a + 1e-6 * torch.eye(3)
    return torch.linalg.solve(ata, a.transpose(1, 2) @ b).transpose(1, 2)


def _bones(pose: torch.Tensor) -> torch.Tensor:
    """(..., 17, 3) -> (..., 16) bone lengths."""
    return torch.norm(pose[..., 1:, :] - pose[..., H36M_PARENTS[1:], :], dim=-1)


class _Inputs:
    """Padded normalised network input and 2D targets of every view."""

    def __init__(self, views: list[AdaptView], rf: int, causal: bool) -> None:
        lengths = {len(v.keypoints) for v in views}
        if not views or len(lengths) != 1:
            raise InvalidInputError("views", sorted(lengths), "one or more views, equally long")
        xs, xy, ok = [], [], []
        for v in views:
            filled, _ = fill_missing(v.keypoints)
            xs.append(pad_edges(normalize_screen(filled, v.width, v.height), rf, causal))
            centre = np.array([(v.width - 1) / 2.0, (v.height - 1) / 2.0])
            coco = sorted(H36M_FROM_COCO.values())
            xy.append((v.keypoints[:, coco] - centre) / v.focal_px)
        self.x = torch.from_numpy(np.stack(xs).astype(np.float32))
        xy_arr = np.stack(xy)  # (V, T, 13, 2)
        ok = np.isfinite(xy_arr).all(axis=-1)
        self.xy = torch.from_numpy(np.nan_to_num(xy_arr).astype(np.float32))
        self.ok = torch.from_numpy(ok.astype(np.float32))
        rots = [v.rotation for v in views]
        self.rot = (torch.from_numpy(np.stack(rots).astype(np.float32))
                    if len(views) > 1 and all(r is not None for r in rots) else None)
        self.h36m = [h for c, h in sorted((c, h) for h, c in H36M_FROM_COCO.items())]


def adapt_lifter(model: TemporalModel, views: list[AdaptView],
                 cfg: AdaptConfig | None = None) -> tuple[TemporalModel, dict]:
    """Fine-tune a copy of `model` on one recording's 2D.

    Args:
        model: the lifter (17 -> 17 joints); left untouched.
        views: the recording's views (all the same length; rotations for consistency).
        cfg: weights and steps.

    Returns:
        (adapted copy in eval mode, report: settings, seconds, steps, views, first/last loss
        terms).

    Raises:
        InvalidInputError: no views, views of different lengths, all-NaN 2D.
    """
    cfg = cfg or AdaptConfig()
    torch.manual_seed(cfg.seed)
    t0 = time.monotonic()
    inp = _Inputs(views, model.receptive_field(), model.causal)
    net = copy.deepcopy(model).eval()
    with torch.no_grad():
        anchor = model.eval()(inp.x)  # (V, T, 17, 3)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    first, last = {}, {}
    for step in range(cfg.steps):
        pose = net(inp.x)
        pose = pose - pose[..., :1, :]
        terms = _losses(pose, anchor - anchor[..., :1, :], inp, views, cfg)
        total = sum(terms.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        values = {k: float(v.detach()) for k, v in terms.items()}
        if step == 0:
            first = values
        last = values
    report = {"settings": asdict(cfg), "seconds": round(time.monotonic() - t0, 2),
              "steps": cfg.steps, "views": len(views),
              "frames": int(inp.x.shape[1] - model.receptive_field() + 1),
              "multi_view_consistency": inp.rot is not None,
              "loss_first": first, "loss_last": last}
    return net.eval(), report


def _losses(pose: torch.Tensor, anchor: torch.Tensor, inp: _Inputs, views: list[AdaptView],
            cfg: AdaptConfig) -> dict[str, torch.Tensor]:
    """Weighted loss terms (m) of the adapted poses (V, T, 17, 3) root-relative."""
    v, t = pose.shape[:2]
    sel = pose[:, :, inp.h36m]  # (V, T, 13, 3) in COCO order of inp.xy
    flat, xy = sel.reshape(v * t, -1, 3), inp.xy.reshape(v * t, -1, 2)
    trans = _root_translation(flat, xy)
    cam = flat + trans
    proj = cam[..., :2] / cam[..., 2:3].clamp(min=0.1)
    err = torch.norm(proj - xy, dim=-1) * inp.ok.reshape(v * t, -1)
    terms = {"reprojection": cfg.reprojection * err.sum() / inp.ok.sum().clamp(min=1)}
    bones = _bones(pose)  # (V, T, 16)
    left = torch.stack([bones[..., a - 1] for a, _ in SYMMETRIC], -1)
    right = torch.stack([bones[..., b - 1] for _, b in SYMMETRIC], -1)
    terms["symmetry"] = cfg.symmetry * torch.mean(torch.abs(left - right))
    terms["constancy"] = cfg.constancy * torch.mean(bones.std(dim=1))
    if inp.rot is not None and cfg.views > 0:
        world = torch.einsum("vij,vtkj->vtki", inp.rot.transpose(1, 2), pose)
        terms["views"] = cfg.views * torch.mean(torch.norm(world - world.mean(0), dim=-1))
    terms["anchor"] = cfg.anchor * torch.mean(torch.norm(pose - anchor, dim=-1))
    return terms

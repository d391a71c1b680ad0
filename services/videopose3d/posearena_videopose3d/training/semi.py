"""Semi-supervised training as in Pavllo et al. 2019 (VideoPose3D), Sec. 4.

A pose model (root-relative 3D) and a trajectory model (root position in the camera frame,
same architecture with one output joint) are trained on labelled windows with MPJPE and a
1/z-weighted trajectory MPJPE; on unlabelled 2D windows the predicted pose + trajectory is
projected back with the camera intrinsics and compared with the input 2D (back-projection
loss), and a soft bone-length term pulls the mean bone lengths of the unlabelled predictions
to those of the labelled batch.
"""

from __future__ import annotations

import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.model import TemporalModelOptimized1f
from posearena_videopose3d.training.train import mpjpe_loss

#: H36M-17 parents (root = -1).
H36M_PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
#: COCO-17 -> H36M-17: the H36M joint drawn at each COCO joint for back-projection.
COCO_FROM_H36M = {0: 9, 5: 11, 6: 14, 7: 12, 8: 15, 9: 13, 10: 16, 11: 4, 12: 1, 13: 5,
                  14: 2, 15: 6, 16: 3}


def project_normalized(points: torch.Tensor, intr: torch.Tensor) -> torch.Tensor:
    """Pinhole projection into normalised screen coordinates.

    Args:
        points: (B, J, 3) camera-frame points, m (z > 0).
        intr: (B, 3) [f_n, cx_n, cy_n] (see batches.normalized_intrinsics).

    Returns:
        (B, J, 2) normalised screen coordinates.
    """
    z = points[..., 2:3].clamp(min=1e-3)
    return intr[:, None, :1] * points[..., :2] / z + intr[:, None, 1:]


def bone_lengths(pose: torch.Tensor) -> torch.Tensor:
    """(B, 17, 3) H36M poses -> (B, 16) bone lengths (same unit)."""
    child = torch.arange(1, 17)
    parent = torch.tensor(H36M_PARENTS[1:])
    return torch.norm(pose[:, child] - pose[:, parent], dim=-1)


class SemiSupervisedTrainer:
    """Joint optimisation of pose and trajectory models (one Adam for both).

    Args:
        filter_widths, channels, causal, dropout: architecture of both models.
        lr: Adam learning rate. bone_weight: weight of the bone-length term.
    """

    def __init__(self, filter_widths: list[int], channels: int = 256, causal: bool = False,
                 dropout: float = 0.25, lr: float = 1e-3, bone_weight: float = 1.0) -> None:
        kw = dict(filter_widths=filter_widths, causal=causal, dropout=dropout, channels=channels)
        self.pose_model = TemporalModelOptimized1f(17, 2, 17, **kw)
        self.traj_model = TemporalModelOptimized1f(17, 2, 1, **kw)
        params = list(self.pose_model.parameters()) + list(self.traj_model.parameters())
        self.opt = torch.optim.Adam(params, lr=lr, amsgrad=True)
        self.bone_weight = float(bone_weight)
        coco = sorted(COCO_FROM_H36M)
        self._coco_idx = torch.tensor(coco)
        self._h36m_idx = torch.tensor([COCO_FROM_H36M[c] for c in coco])

    def losses(self, x_lab: torch.Tensor, y_lab_abs: torch.Tensor, x_unlab: torch.Tensor,
               intr_unlab: torch.Tensor) -> dict[str, torch.Tensor]:
        """Loss terms of one step.

        Args:
            x_lab: (B, RF, 17, 2) labelled 2D windows (normalised).
            y_lab_abs: (B, 17, 3) their camera-frame H36M targets, m (absolute).
            x_unlab: (U, RF, 17, 2) unlabelled 2D windows (normalised).
            intr_unlab: (U, 3) normalised intrinsics of the unlabelled windows.

        Returns:
            dict of scalar tensors: pose, traj, reprojection, bone, total.
        """
        if x_lab.shape[1] != x_unlab.shape[1] or intr_unlab.shape != (x_unlab.shape[0], 3):
            raise InvalidInputError("x_unlab", tuple(x_unlab.shape),
                                    "windows as long as x_lab and intrinsics of shape (U, 3)")
        root = y_lab_abs[:, :1]
        pose_l = self.pose_model(x_lab)[:, 0]
        traj_l = self.traj_model(x_lab)[:, 0]
        loss_pose = mpjpe_loss(pose_l, y_lab_abs - root)
        w = 1.0 / root[..., 2].clamp(min=0.1)
        loss_traj = torch.mean(w * torch.norm(traj_l - root, dim=-1))
        pose_u = self.pose_model(x_unlab)[:, 0]
        traj_u = self.traj_model(x_unlab)[:, 0]
        uv = project_normalized(pose_u + traj_u, intr_unlab)
        centre = x_unlab.shape[1] // 2 if not self.pose_model.causal else x_unlab.shape[1] - 1
        target_2d = x_unlab[:, centre, self._coco_idx]
        loss_rep = mpjpe_loss(uv[:, self._h36m_idx], target_2d)
        loss_bone = torch.mean(torch.abs(bone_lengths(pose_l).mean(0).detach()
                                         - bone_lengths(pose_u).mean(0)))
        total = loss_pose + loss_traj + loss_rep + self.bone_weight * loss_bone
        return {"pose": loss_pose, "traj": loss_traj, "reprojection": loss_rep,
                "bone": loss_bone, "total": total}

    def step(self, x_lab: torch.Tensor, y_lab_abs: torch.Tensor, x_unlab: torch.Tensor,
             intr_unlab: torch.Tensor) -> dict[str, float]:
        """One optimisation step (arguments as `losses`); returns the loss values (floats)."""
        self.pose_model.train()
        self.traj_model.train()
        terms = self.losses(x_lab, y_lab_abs, x_unlab, intr_unlab)
        self.opt.zero_grad()
        terms["total"].backward()
        self.opt.step()
        return {k: float(v.detach()) for k, v in terms.items()}


def train_semi_supervised(
    labelled: list, unlabelled: list, filter_widths: list[int], channels: int = 256,
    batch_size: int = 256, steps: int = 100, seed: int = 0, lr: float = 1e-3,
) -> tuple[SemiSupervisedTrainer, list[dict[str, float]]]:
    """Run `steps` semi-supervised steps; unlabelled sequences contribute only their 2D
    projections and camera intrinsics (their 3D is never read by the losses).

    Args:
        labelled, unlabelled: lists of training.data.Sequence3D (world frame, m).
        filter_widths, channels: architecture. batch_size: windows per branch and step.
        steps: optimisation steps. seed: random seed. lr: Adam learning rate.

    Returns:
        (trainer with both models, per-step loss dicts).
    """
    from posearena_videopose3d.training.batches import WindowSampler

    torch.manual_seed(seed)
    trainer = SemiSupervisedTrainer(filter_widths, channels=channels, lr=lr)
    rf = trainer.pose_model.receptive_field()
    lab = WindowSampler(labelled, rf, seed=seed)
    unl = WindowSampler(unlabelled, rf, seed=seed + 1)
    history: list[dict[str, float]] = []
    lab_it, unl_it = lab.epoch(batch_size, with_camera=True), unl.epoch(batch_size, True)
    while len(history) < steps:
        try:
            xl, yl, _ = next(lab_it)
        except StopIteration:
            lab_it = lab.epoch(batch_size, with_camera=True)
            continue
        try:
            xu, _, ku = next(unl_it)
        except StopIteration:
            unl_it = unl.epoch(batch_size, with_camera=True)
            continue
        history.append(trainer.step(torch.from_numpy(xl), torch.from_numpy(yl),
                                    torch.from_numpy(xu), torch.from_numpy(ku)))
    return trainer, history

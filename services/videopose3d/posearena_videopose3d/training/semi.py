"""Semi-supervised losses as in Pavllo et al. 2019 (VideoPose3D), Sec. 4.

A pose model (root-relative 3D) and a trajectory model (root position in the camera frame,
same architecture with one output joint) are trained on labelled windows with MPJPE and a
1/z-weighted trajectory MPJPE. After a supervised warm-up, unlabelled 2D windows join each
batch (one forward pass over labelled + unlabelled, so BatchNorm sees both): their predicted
pose + trajectory is projected back with the camera intrinsics and compared with the input 2D
(back-projection loss), and a bone-length term pulls the mean bone lengths of the unlabelled
predictions to those of the labelled batch. Without the warm-up the untrained model's depth is
near zero, the back-projection loss starts in the thousands and wrecks the pose model.

The trajectory model predicts the root in units of the camera's normalised focal length
(root / f_n; metres = output x f_n). The original predicts metres, which its four Human3.6M
cameras of one focal length allow; with virtual cameras of 500-1500 px focal length the 2D
(normalised by the image width) says only depth / f_n, so a metre-valued trajectory was a
guess that the back-projection loss then made the pose pay for.

`root="solve"` (not in the original) places the pose for back-projection at the root
translation that best explains the 2D given the camera's intrinsics (closed-form least
squares, `adapt._root_translation`) instead of the trajectory model's: with cameras of many
focal lengths a trajectory model cannot know the depth from normalised 2D alone.

Units: 3D in metres (camera frame, OpenCV axes); 2D in normalised screen coordinates
(`inference.normalize_screen`); intrinsics normalised the same way (`batches.
normalized_intrinsics`).
"""

from __future__ import annotations

import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.adapt import _root_translation
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
        points: (B, J, 3) camera-frame points, m (z > 0; clamped at 1 mm).
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


def trajectory_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Root position error weighted by 1 / depth (far roots matter less), as the original.

    Args:
        pred, target: (B, 1, 3) camera-frame root positions, m.
    """
    w = 1.0 / target[..., 2].clamp(min=0.1)
    return torch.mean(w * torch.norm(pred - target, dim=-1))


class SemiSupervisedTrainer:
    """Pose and trajectory models optimised jointly (one Adam over both).

    Args:
        filter_widths, channels, causal, dropout: architecture of both models.
        lr: Adam learning rate. bone_weight: weight of the bone-length term.
        with_trajectory: train the trajectory model (needed for back-projection with
            root="trajectory"; a supervised-only run leaves it out).
        root: where back-projection places the pose: "trajectory" (the trajectory model, as
            the original) or "solve" (least-squares translation from the 2D and intrinsics).
    """

    def __init__(self, filter_widths: list[int], channels: int = 256, causal: bool = False,
                 dropout: float = 0.25, lr: float = 1e-3, bone_weight: float = 1.0,
                 with_trajectory: bool = True, root: str = "trajectory") -> None:
        if root not in ("trajectory", "solve"):
            raise InvalidInputError("root", root, "'trajectory' or 'solve'")
        self.root = root
        kw = dict(filter_widths=filter_widths, causal=causal, dropout=dropout, channels=channels)
        self.pose_model = TemporalModelOptimized1f(17, 2, 17, **kw)
        self.traj_model = TemporalModelOptimized1f(17, 2, 1, **kw) if with_trajectory else None
        params = list(self.pose_model.parameters())
        if self.traj_model is not None:
            params += list(self.traj_model.parameters())
        self.opt = torch.optim.Adam(params, lr=lr, amsgrad=True)
        self.bone_weight = float(bone_weight)
        coco = sorted(COCO_FROM_H36M)
        self._coco_idx = torch.tensor(coco)
        self._h36m_idx = torch.tensor([COCO_FROM_H36M[c] for c in coco])

    def models(self) -> list[torch.nn.Module]:
        """The trained models (pose first)."""
        return [m for m in (self.pose_model, self.traj_model) if m is not None]

    def set_bn_momentum(self, momentum: float) -> None:
        """BatchNorm momentum of both models."""
        for m in self.models():
            m.set_bn_momentum(momentum)

    def losses(self, x_lab: torch.Tensor, y_lab_abs: torch.Tensor,
               x_unlab: torch.Tensor | None = None,
               intr_unlab: torch.Tensor | None = None,
               intr_lab: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Loss terms of one step (supervised only when x_unlab is None: the warm-up).

        Args:
            x_lab: (B, RF, 17, 2) labelled 2D windows (normalised).
            y_lab_abs: (B, 17, 3) their camera-frame H36M targets, m (absolute).
            x_unlab: (U, RF, 17, 2) unlabelled 2D windows (normalised), or None.
            intr_unlab: (U, 3) normalised intrinsics of the unlabelled windows.
            intr_lab: (B, 3) normalised intrinsics of the labelled windows (needed with a
                trajectory model, whose output is in units of f_n).

        Returns:
            dict of scalar tensors: pose (m), traj (m / m), and with x_unlab reprojection
            (normalised screen units) and bone (m); total.
        """
        semi = x_unlab is not None
        needs_traj = self.root == "trajectory"
        if self.traj_model is not None and (intr_lab is None
                                            or intr_lab.shape != (x_lab.shape[0], 3)):
            raise InvalidInputError("intr_lab", None if intr_lab is None
                                    else tuple(intr_lab.shape),
                                    "(B, 3) intrinsics of the labelled windows")
        if semi and ((needs_traj and self.traj_model is None)
                     or x_lab.shape[1] != x_unlab.shape[1]
                     or intr_unlab is None or intr_unlab.shape != (x_unlab.shape[0], 3)):
            raise InvalidInputError("x_unlab", tuple(x_unlab.shape),
                                    "windows as long as x_lab, intrinsics (U, 3) and a "
                                    "trajectory model")
        n_lab = x_lab.shape[0]
        x = torch.cat([x_lab, x_unlab]) if semi else x_lab
        root = y_lab_abs[:, :1]
        pose = self.pose_model(x)[:, 0]
        terms = {"pose": mpjpe_loss(pose[:n_lab], y_lab_abs - root)}
        if self.traj_model is not None:
            f_n = torch.cat([intr_lab, intr_unlab]) if semi else intr_lab
            traj = self.traj_model(x)[:, 0] * f_n[:, None, :1]  # metres
            terms["traj"] = trajectory_loss(traj[:n_lab], root)
        if semi:
            pose_u = pose[n_lab:]
            last = x_unlab.shape[1] - 1 if self.pose_model.causal else x_unlab.shape[1] // 2
            target_2d = x_unlab[:, last, self._coco_idx]
            if needs_traj:
                place = traj[n_lab:]
            else:  # the translation that best explains the 2D with these intrinsics
                xy = (target_2d - intr_unlab[:, None, 1:]) / intr_unlab[:, None, :1]
                place = _root_translation(pose_u[:, self._h36m_idx], xy)
            uv = project_normalized(pose_u + place, intr_unlab)
            terms["reprojection"] = mpjpe_loss(uv[:, self._h36m_idx], target_2d)
            terms["bone"] = torch.mean(torch.abs(bone_lengths(pose[:n_lab]).mean(0).detach()
                                                 - bone_lengths(pose_u).mean(0)))
        total = sum(v * (self.bone_weight if k == "bone" else 1.0) for k, v in terms.items())
        terms["total"] = total
        return terms

    def step(self, x_lab: torch.Tensor, y_lab_abs: torch.Tensor,
             x_unlab: torch.Tensor | None = None,
             intr_unlab: torch.Tensor | None = None,
             intr_lab: torch.Tensor | None = None) -> dict[str, float]:
        """One optimisation step (arguments as `losses`); returns the loss values (floats)."""
        for m in self.models():
            m.train()
        terms = self.losses(x_lab, y_lab_abs, x_unlab, intr_unlab, intr_lab)
        self.opt.zero_grad()
        terms["total"].backward()
        self.opt.step()
        return {k: float(v.detach()) for k, v in terms.items()}

"""Temporal dilated convolution model of Pavllo et al., "3D human pose estimation in video with
temporal convolutions and semi-supervised training", CVPR 2019 (VideoPose3D).

Written from the paper and the published checkpoint format: parameter names and shapes equal
those of the original `common/model.py` (`expand_conv`, `expand_bn`, `layers_conv.{k}`,
`layers_bn.{k}`, `shrink`), so official checkpoints load with `load_state_dict` directly.

Layout of the network for filter widths (w0, w1, ..., wn):
- `expand_conv`: Conv1d(J_in*F, C, w0), no bias, then `expand_bn`, ReLU, dropout.
- block i (1..n), dilation d_i = w0*...*w_{i-1}: `layers_conv[2i-2]` Conv1d(C, C, w_i,
  dilation d_i) -> `layers_bn[2i-2]` -> ReLU -> dropout -> `layers_conv[2i-1]` Conv1d(C, C, 1)
  -> `layers_bn[2i-1]` -> ReLU -> dropout, plus a residual: the block input cropped to the
  block's output frames (centre crop, or the last frames with causal convolutions).
- `shrink`: Conv1d(C, J_out*3, 1) with bias.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from posearena.errors import InvalidInputError


def _check_widths(filter_widths: Sequence[int]) -> list[int]:
    widths = [int(w) for w in filter_widths]
    if not widths or any(w < 1 or w % 2 == 0 for w in widths):
        raise InvalidInputError("filter_widths", list(filter_widths),
                                "a non-empty list of odd widths >= 1")
    return widths


def receptive_field_of(filter_widths: Sequence[int]) -> int:
    """Receptive field in frames of a model with these filter widths.

    Args:
        filter_widths: odd convolution widths, e.g. [3, 3, 3, 3, 3].

    Returns:
        The product of the widths (243 for five 3s), i.e. frames of input per output frame.
    """
    rf = 1
    for w in _check_widths(filter_widths):
        rf *= w
    return rf


class TemporalModelBase(nn.Module):
    """Shared parts of the two variants; build `TemporalModel` or `TemporalModelOptimized1f`."""

    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: Sequence[int],
        causal: bool,
        dropout: float,
        channels: int,
    ) -> None:
        super().__init__()
        self.filter_widths = _check_widths(filter_widths)
        for name, value in (("num_joints_in", num_joints_in), ("in_features", in_features),
                            ("num_joints_out", num_joints_out), ("channels", channels)):
            if int(value) < 1:
                raise InvalidInputError(name, value, "an integer >= 1")
        self.num_joints_in = int(num_joints_in)
        self.in_features = int(in_features)
        self.num_joints_out = int(num_joints_out)
        self.channels = int(channels)
        self.causal = bool(causal)
        self.drop = nn.Dropout(dropout)
        self.relu = nn.ReLU(inplace=True)
        # Registration order follows the original so that state_dict() lists keys identically.
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.shrink = nn.Conv1d(channels, num_joints_out * 3, 1)
        # pad[i]: frames block i trims on each side (in frames at the input rate); pad[0] for
        # expand_conv. dilation[i]: dilation of block i's wide convolution.
        self.pad: list[int] = [self.filter_widths[0] // 2]
        self.dilation: list[int] = [1]
        d = self.filter_widths[0]
        for w in self.filter_widths[1:]:
            self.pad.append((w - 1) * d // 2)
            self.dilation.append(d)
            d *= w

    def _set_blocks(self, wide: Callable[[int], nn.Conv1d]) -> None:
        """layers_conv / layers_bn of the blocks: per block i (1..n) its wide convolution
        wide(i), a BatchNorm, the 1x1 convolution and a BatchNorm, created in the original's
        order (same state_dict keys; same random initial weights for a given seed)."""
        convs: list[nn.Module] = []
        bns: list[nn.Module] = []
        for i in range(1, len(self.filter_widths)):
            convs += [wide(i), nn.Conv1d(self.channels, self.channels, 1, bias=False)]
            bns += [nn.BatchNorm1d(self.channels, momentum=0.1),
                    nn.BatchNorm1d(self.channels, momentum=0.1)]
        self.layers_conv = nn.ModuleList(convs)
        self.layers_bn = nn.ModuleList(bns)

    def _block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """Block i's two convolutions, each with its BatchNorm, ReLU and dropout (no residual).

        Args:
            i: block index, 1..n. x: (B, C, T) features.
        """
        x = self.drop(self.relu(self.layers_bn[2 * i - 2](self.layers_conv[2 * i - 2](x))))
        return self.drop(self.relu(self.layers_bn[2 * i - 1](self.layers_conv[2 * i - 1](x))))

    def set_bn_momentum(self, momentum: float) -> None:
        """Set the momentum of every BatchNorm layer (training schedules decay it).

        Args:
            momentum: BatchNorm running-statistics momentum in [0, 1].
        """
        self.expand_bn.momentum = momentum
        for bn in self.layers_bn:
            bn.momentum = momentum

    def receptive_field(self) -> int:
        """Receptive field in frames: 1 + 2 * sum(pad) (= product of the filter widths)."""
        return 1 + 2 * sum(self.pad)

    def total_causal_shift(self) -> int:
        """Frames by which a causal model's output lags its centred window (0 when symmetric)."""
        return (self.receptive_field() - 1) // 2 if self.causal else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Lift a batch of 2D sequences.

        Args:
            x: (B, T, J_in, F) normalised 2D keypoints (screen-normalised, see inference).

        Returns:
            (B, T_out, J_out, 3) root-relative 3D (m); T_out = T - RF + 1 for `TemporalModel`.
        """
        if x.dim() != 4 or x.shape[-2] != self.num_joints_in or x.shape[-1] != self.in_features:
            raise InvalidInputError(
                "x.shape", tuple(x.shape),
                f"(B, T, {self.num_joints_in}, {self.in_features})",
            )
        b = x.shape[0]
        h = x.reshape(b, x.shape[1], -1).permute(0, 2, 1)
        h = self._forward_blocks(h)
        return h.permute(0, 2, 1).reshape(b, -1, self.num_joints_out, 3)

    def _forward_blocks(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class TemporalModel(TemporalModelBase):
    """Reference model with dilated convolutions; any input length >= the receptive field.

    Args:
        num_joints_in: 2D joints per frame (17 for COCO).
        in_features: features per joint (2 for x, y).
        num_joints_out: 3D joints per frame (17 for H36M).
        filter_widths: odd widths, one per block; their product is the receptive field.
        causal: causal convolutions (output frame t sees frames t-RF+1 .. t only).
        dropout: dropout probability (active in train mode only).
        channels: convolution channels (1024 in the paper).
        dense: ablation with dense (undilated) wide convolutions of the same span.
    """

    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: Sequence[int],
        causal: bool = False,
        dropout: float = 0.25,
        channels: int = 1024,
        dense: bool = False,
    ) -> None:
        super().__init__(num_joints_in, in_features, num_joints_out, filter_widths, causal,
                         dropout, channels)
        self.dense = bool(dense)
        self.expand_conv = nn.Conv1d(num_joints_in * in_features, channels,
                                     self.filter_widths[0], bias=False)
        # causal_shift[i]: how far right the residual crop of block i moves (= pad[i] if causal).
        self.causal_shift: list[int] = [self.filter_widths[0] // 2 if causal else 0]
        self.causal_shift += [p if causal else 0 for p in self.pad[1:]]

        def wide(i: int) -> nn.Conv1d:
            if dense:
                return nn.Conv1d(channels, channels, 2 * self.pad[i] + 1, bias=False)
            return nn.Conv1d(channels, channels, self.filter_widths[i],
                             dilation=self.dilation[i], bias=False)

        self._set_blocks(wide)

    def _forward_blocks(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.relu(self.expand_bn(self.expand_conv(x))))
        for i in range(1, len(self.filter_widths)):
            p, s = self.pad[i], self.causal_shift[i]
            res = x[:, :, p + s: x.shape[2] - p + s]
            x = res + self._block(i, x)
        return self.shrink(x)


class TemporalModelOptimized1f(TemporalModelBase):
    """Training variant for windows of exactly RF frames -> 1 output frame (same weights).

    Dilated convolutions become strided ones, so no unused intermediate frames are computed.
    Input (B, RF, J_in, F) gives (B, 1, J_out, 3). Arguments as for `TemporalModel` (no dense).
    """

    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: Sequence[int],
        causal: bool = False,
        dropout: float = 0.25,
        channels: int = 1024,
    ) -> None:
        super().__init__(num_joints_in, in_features, num_joints_out, filter_widths, causal,
                         dropout, channels)
        w0 = self.filter_widths[0]
        self.expand_conv = nn.Conv1d(num_joints_in * in_features, channels, w0, stride=w0,
                                     bias=False)
        # In strided space a block's residual is the centre (or, causal, last) frame of each
        # group of w frames.
        self.causal_shift: list[int] = [w0 // 2 if causal else 0]
        self.causal_shift += [w // 2 if causal else 0 for w in self.filter_widths[1:]]
        self._set_blocks(lambda i: nn.Conv1d(channels, channels, self.filter_widths[i],
                                             stride=self.filter_widths[i], bias=False))

    def _forward_blocks(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.relu(self.expand_bn(self.expand_conv(x))))
        for i in range(1, len(self.filter_widths)):
            w = self.filter_widths[i]
            res = x[:, :, self.causal_shift[i] + w // 2:: w]
            x = res + self._block(i, x)
        return self.shrink(x)

